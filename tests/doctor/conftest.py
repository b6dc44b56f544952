"""Doctor tests: a clean environment per test and a way to run the command.

Every test gets its own HOME and DOCKER_CONFIG, no DOCKER_HOST/DOCKER_CONTEXT
from the machine, no CA-bundle variables (requests lets them override
`verify`), and no system-wide engine socket to stumble on, so that what the
probes see is only what the test set up.
"""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockmig.doctor.command import doctor_command
from dockmig.doctor.probes import docker_other_engine


@pytest.fixture(autouse=True)
def clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[str, str]]:
    for name in (
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "BUILDX_CONFIG",
        "KAMAL_DESTINATION",
        "KAMAL_REGISTRY_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    config = home / ".docker"
    config.mkdir(parents=True)
    (config / "config.json").write_text("{}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setattr(docker_other_engine, "SYSTEM_SOCKETS", [])
    yield {"HOME": str(home), "DOCKER_CONFIG": str(config)}
    logging.getLogger("dockmig").setLevel(logging.NOTSET)


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    @property
    def statuses(self) -> dict[str, str]:
        return {p["id"]: p["status"] for p in self.report["probes"]}

    def probe(self, probe_id: str) -> dict[str, Any]:
        for probe in self.report["probes"]:
            if probe["id"] == probe_id:
                return dict(probe)
        raise KeyError(probe_id)


def doctor(
    *args: str, env: dict[str, str] | None = None, json_output: bool = True
) -> Run:
    """`dockmig doctor ARGS` in this process, as the CLI runs it."""
    runner = CliRunner()
    options = [*args, "--format", "json"] if json_output else list(args)
    result = runner.invoke(doctor_command, options, env=env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


REGISTRY_PROBES = (
    "registry.dns",
    "registry.cdn-proxy",
    "registry.tcp",
    "registry.tls",
    "registry.api",
    "registry.login",
)
DOCKER_PROBES = (
    "docker.endpoint",
    "docker.engine",
    "docker.other-engine",
    "docker.buildkit-cache",
    "docker.disk",
    "docker.volumes-backup",
)


def write_project(
    root: Path,
    *,
    registry: str = "registry.example.test:5443",
    settings: str = "",
    secrets: str = "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n",
    extra: str = "",
    password: str = "[KAMAL_REGISTRY_PASSWORD]",
) -> Path:
    """A small Kamal project Kamal 2.12 accepts, using `registry` with a password secret."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    deploy = f"""\
        service: shop
        image: acme/shop
        servers:
          web:
            - 192.0.2.10
        registry:
          server: {registry}
          username: testuser
          password: {password}
        builder:
          arch: amd64
        """
    (root / "config" / "deploy.yml").write_text(
        textwrap.dedent(deploy) + textwrap.dedent(extra)
    )
    (root / ".kamal" / "secrets").write_text(secrets)
    if settings:
        (root / ".dockmig.yml").write_text(textwrap.dedent(settings))
    return root
