"""local-registry: deploys that need this machine's Docker engine running."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.findings import Severity
from dockmig.settings import Settings
from tests.ruleharness import lint_files, rule_findings

ID = "local-registry"


def test_the_local_registry_is_a_note_at_the_server(tmp_path: Path) -> None:
    deploy = "registry:\n  server: localhost:5555\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == ("config/deploy.yml", 2, 11)
    assert finding.severity is Severity.INFO
    assert "dockmig rewrite-registry --to HOST" in finding.message
    assert "localhost:5555" in finding.message
    assert result.targets[0].kamal_accepts is True


def test_the_configured_target_registry_is_suggested(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {"config/deploy.yml": "registry:\n  server: localhost:5000\n"},
        settings=Settings(registry_host="registry.example.com"),
    )

    [finding] = rule_findings(result, ID)
    assert "--to registry.example.com" in finding.message


@pytest.mark.parametrize(
    "server", ["registry.example.com", "localhost", "127.0.0.1:5555", "ghcr.io"]
)
def test_other_registries_pass(tmp_path: Path, server: str) -> None:
    deploy = (
        f"registry:\n  server: {server}\n  username: deploy\n"
        "  password:\n    - KAMAL_REGISTRY_PASSWORD\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
