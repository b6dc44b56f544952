"""local-registry-remote-builder: a local registry needs an ssh:// remote builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.rules import local_registry_remote_builder as rule
from tests.ruleharness import lint_files, rule_findings

ID = "local-registry-remote-builder"


def _builder(arch: str, remote: str, extra: str = "") -> str:
    return f"builder:\n  arch: {arch}\n  remote: {remote}\n{extra}"


def test_a_tcp_builder_for_a_foreign_arch_is_reported_at_remote(
    tmp_path: Path,
) -> None:
    deploy = _builder("arm64", "tcp://builder.example.com:2375")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (3, 11)
    assert "ssh://user@host" in finding.message
    assert "builds amd64" in finding.message and "DOCKMIG_DOCKER_ARCH" in (
        finding.message
    )
    assert result.targets[0].kamal_accepts is False


def test_the_machine_s_own_arch_is_built_locally(tmp_path: Path) -> None:
    deploy = _builder("amd64", "tcp://builder.example.com:2375")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_the_verdict_follows_the_deploying_machine(tmp_path: Path) -> None:
    files = {"config/deploy.yml": _builder("arm64", "tcp://builder.example.com")}

    on_arm = lint_files(tmp_path, files, environ={"DOCKMIG_DOCKER_ARCH": "aarch64"})
    assert rule_findings(on_arm, ID) == []
    assert on_arm.targets[0].kamal_accepts is True

    on_intel = lint_files(tmp_path, files, environ={"DOCKMIG_DOCKER_ARCH": "x86_64"})
    assert len(rule_findings(on_intel, ID)) == 1


def test_local_false_sends_everything_remote(tmp_path: Path) -> None:
    deploy = _builder("amd64", "tcp://builder.example.com", "  local: false\n")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert "DOCKMIG_DOCKER_ARCH" not in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_registry_that_is_not_local_may_use_any_builder(tmp_path: Path) -> None:
    deploy = _builder("arm64", "tcp://builder.example.com") + (
        "registry:\n  server: registry.example.com\n  username: admin\n"
        "  password:\n    - KAMAL_REGISTRY_PASSWORD\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


@pytest.mark.parametrize(
    ("remote", "ssh"),
    [
        ("ssh://docker@builder.example.com", True),
        ("SSH://docker@builder.example.com:22", True),
        ("ssh:builder", True),
        ("ssh://docker@[2001:db8::1]:22", True),
        ("ssh://h#fragment", True),
        ("tcp://builder.example.com:2375", False),
        ("docker@builder.example.com", False),
        ("ssh://docker@builder example.com", False),
        ("ssh://docker@builder.example.com:ssh", False),
        ("ssh://u@v@h", False),
        ("ssh://docker@[2001:db8::1", False),
        ("ssh://h\u00f6st", False),
        ("ssh://host\n", False),
        ("ssh://host/%zz", False),
    ],
)
def test_ssh_urls_are_what_ruby_s_uri_parser_accepts(remote: str, ssh: bool) -> None:
    assert rule.is_ssh_url(remote) is ssh


def test_a_symbol_arch_never_matches_the_machine(tmp_path: Path) -> None:
    deploy = _builder(":amd64", "tcp://builder.example.com")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert len(rule_findings(result, ID)) == 1
    assert result.targets[0].kamal_accepts is False
