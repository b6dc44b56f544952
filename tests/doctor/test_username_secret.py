"""A registry username looked up as a secret is a secret value: never shown.

Kamal's own `docker login` marks the username sensitive; doctor shows a
username written in deploy.yml (a person checks it first) but not one that
came from `.kamal/secrets`, whatever the login's outcome and the format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.doctor.conftest import doctor, write_project
from tests.services import REGISTRY_NAME

pytestmark = [pytest.mark.registry, pytest.mark.dns]

USER = "testuser"  # the registries' htpasswd user


def _project(root: Path, port: int) -> Path:
    write_project(
        root,
        registry=f"{REGISTRY_NAME}:{port}",
        secrets=(
            "REGISTRY_USER=$REGISTRY_USER\n"
            "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
        ),
    )
    deploy = root / "config" / "deploy.yml"
    deploy.write_text(
        deploy.read_text().replace(f"username: {USER}", "username: [REGISTRY_USER]")
    )
    return root


@pytest.mark.parametrize(
    ("kind", "right_password", "status"),
    [
        ("tls-basic", True, "ok"),
        ("tls-basic", False, "fail"),
        ("tls-token", False, "fail"),
    ],
)
@pytest.mark.parametrize("json_output", [True, False])
def test_a_username_from_the_secrets_is_named_by_its_secret_not_its_value(
    tmp_path: Path,
    registries: Any,
    pki: Any,
    dns_server: Any,
    canary_password: str,
    kind: str,
    right_password: bool,
    status: str,
    json_output: bool,
) -> None:
    registry = registries.get(kind)
    dns = dns_server({REGISTRY_NAME: ["127.0.0.1"]})
    root = _project(tmp_path / "project", registry.port)
    password = canary_password if right_password else "not-the-password"

    run = doctor(
        str(root), "--only", "registry.login", "--dns-server", dns.address,
        "--ca-file", str(pki.ca), "-vv",
        env={"REGISTRY_USER": USER, "KAMAL_REGISTRY_PASSWORD": password},
        json_output=json_output,
    )  # fmt: skip

    assert run.exit_code == (0 if status == "ok" else 1), run.stdout
    assert "REGISTRY_USER" in run.stdout
    assert USER not in run.stdout
    assert USER not in run.stderr
    if json_output:
        assert run.statuses["registry.login"] == status
