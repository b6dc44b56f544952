"""localhost-without-port: loopback registries that are not Kamal's local registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "localhost-without-port"
CREDENTIALS = "  username: deploy\n  password:\n    - KAMAL_REGISTRY_PASSWORD\n"


@pytest.mark.parametrize(
    "server",
    ["localhost", "LOCALHOST", "localhost/acme", "127.0.0.1:5555", "[::1]:5555"],
)
def test_loopback_without_the_local_form_is_a_warning(
    tmp_path: Path, server: str
) -> None:
    deploy = f'registry:\n  server: "{server}"\n' + CREDENTIALS
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == ("config/deploy.yml", 2, 11)
    assert finding.severity is Severity.WARNING
    assert "localhost:5555" in finding.message


@pytest.mark.parametrize(
    "server", ["localhost:5555", "localhost.example.com", "registry.example.com"]
)
def test_the_local_registry_and_real_hosts_pass(tmp_path: Path, server: str) -> None:
    deploy = f"registry:\n  server: {server}\n" + CREDENTIALS
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


def test_an_accessory_registry_is_checked_too(tmp_path: Path) -> None:
    deploy = (
        "accessories:\n"
        "  cache:\n"
        "    image: acme/cache\n"
        "    host: 192.0.2.10\n"
        "    registry:\n"
        "      server: localhost\n"
        "      username: deploy\n"
        "      password:\n"
        "        - CACHE_REGISTRY_PASSWORD\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "accessories/cache/registry/server"
    assert (finding.line, finding.column) == (6, 15)
