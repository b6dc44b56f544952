"""No secret value reaches any output: stdout, stderr or the log, at any verbosity.

Canary values stand in for a registry password that works, one that does
not, a value only in .env, a literal password in deploy.yml, and the output
of a `$(…)` command; each run looks for every canary everywhere.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.doctor.conftest import doctor, write_project
from tests.services import REGISTRY_NAME

pytestmark = [pytest.mark.registry, pytest.mark.dns]

DOTENV_CANARY = "canary-dotenv-3c1f"
COMMAND_CANARY = "canary-command-9a2e"
USES_SECRETS = """\
    env:
      secret:
        - DATABASE_URL
        - API_TOKEN
    """


@pytest.fixture
def setup(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any
) -> tuple[Path, list[str]]:
    registry = registries.get("tls-basic")
    dns = dns_server({REGISTRY_NAME: ["127.0.0.1"]})
    root = write_project(
        tmp_path / "project",
        registry=f"{REGISTRY_NAME}:{registry.port}",
        secrets=(
            "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
            "DATABASE_URL=$DATABASE_URL\n"
            f"API_TOKEN=$(printf '%s' {COMMAND_CANARY})\n"
        ),
        extra=USES_SECRETS,
    )
    (root / ".env").write_text(f"DATABASE_URL={DOTENV_CANARY}\n")
    options = [
        str(root), "--dns-server", dns.address, "--ca-file", str(pki.ca),
        "--expect-ip", "127.0.0.1", "--resolve-secrets", "-vv",
    ]  # fmt: skip
    return root, options


@pytest.mark.parametrize("password_kind", ["right", "wrong"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_value_in_any_output_at_debug_verbosity(
    setup: tuple[Path, list[str]],
    canary_password: str,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    password_kind: str,
    fmt: str,
) -> None:
    _, options = setup
    password = canary_password if password_kind == "right" else "canary-wrong-77d0"
    caplog.set_level(logging.DEBUG)
    run = doctor(
        *options, "--format", fmt,
        env={"KAMAL_REGISTRY_PASSWORD": password, "DOCKER_HOST": f"unix://{tmp_path}/x.sock"},
        json_output=False,
    )  # fmt: skip
    assert run.exit_code == 1  # the engine is down and DATABASE_URL missing
    everything = run.stdout + run.stderr + caplog.text
    assert "registry.login" in run.stdout
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    for canary in (password, DOTENV_CANARY, COMMAND_CANARY):
        assert canary not in everything


def test_no_secret_value_on_the_real_stderr_of_a_process(
    setup: tuple[Path, list[str]], canary_password: str, tmp_path: Path
) -> None:
    _, options = setup
    env = dict(os.environ)
    env.update(
        KAMAL_REGISTRY_PASSWORD=canary_password, DOCKER_HOST=f"unix://{tmp_path}/x.sock"
    )
    for fmt in ("text", "json"):
        completed = subprocess.run(
            [sys.executable, "-c", "from dockmig.doctor.command import doctor_command as c; c()",
             *options, "--format", fmt],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "DEBUG" in completed.stderr, completed.stderr
        assert "logged in to" in completed.stdout
        for canary in (canary_password, DOTENV_CANARY, COMMAND_CANARY):
            assert canary not in completed.stdout + completed.stderr


def test_literal_password_in_deploy_yml_is_used_but_never_shown(
    tmp_path: Path,
    registries: Any,
    pki: Any,
    dns_server: Any,
    canary_password: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = registries.get("tls-basic")
    dns = dns_server({REGISTRY_NAME: ["127.0.0.1"]})
    root = write_project(
        tmp_path, registry=f"{REGISTRY_NAME}:{registry.port}", password=canary_password
    )
    caplog.set_level(logging.DEBUG)
    for fmt in ("text", "json"):
        run = doctor(
            str(root), "--only", "registry,kamal", "--dns-server", dns.address,
            "--ca-file", str(pki.ca), "-vv", "--format", fmt, json_output=False,
        )  # fmt: skip
        assert "logged in to" in run.stdout
        assert canary_password not in run.stdout + run.stderr + caplog.text
