"""ssl-single-host: automatic SSL on a role with more than one host."""

from __future__ import annotations

from pathlib import Path

from tests.ruleharness import lint_files, rule_findings

ID = "ssl-single-host"
SSL = "proxy:\n  ssl: true\n  host: shop.example.com\n"


def test_two_hosts_are_reported_at_the_host_list(tmp_path: Path) -> None:
    deploy = SSL + "servers:\n  - 192.0.2.10\n  - 192.0.2.11\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (5, 3)
    assert "role web" in finding.message
    assert "2 hosts" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_own_certificates_allow_several_hosts(tmp_path: Path) -> None:
    deploy = (
        "proxy:\n  ssl:\n    certificate_pem: CERT_PEM\n    private_key_pem: KEY_PEM\n"
        "  host: shop.example.com\nservers:\n  - 192.0.2.10\n  - 192.0.2.11\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_an_empty_ssl_map_still_means_automatic_ssl(tmp_path: Path) -> None:
    deploy = (
        "proxy:\n  ssl: {}\n  host: shop.example.com\n"
        "servers:\n  - 192.0.2.10\n  - 192.0.2.11\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert len(rule_findings(result, ID)) == 1
    assert result.targets[0].kamal_accepts is False


def test_a_repeated_host_counts_once(tmp_path: Path) -> None:
    deploy = SSL + "servers:\n  - 192.0.2.10\n  - 192.0.2.10\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_a_second_role_inheriting_ssl_is_checked_at_its_hosts_key(
    tmp_path: Path,
) -> None:
    deploy = SSL + (
        "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n    proxy: false\n"
        "  job:\n    hosts:\n      - 192.0.2.11\n      - 192.0.2.12\n"
        "    proxy: true\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert "role job" in finding.message
    assert (finding.line, finding.column) == (11, 7)


def test_accessories_are_exempt(tmp_path: Path) -> None:
    deploy = (
        "accessories:\n  docs:\n    image: acme/docs\n    hosts:\n"
        "      - 192.0.2.10\n      - 192.0.2.11\n    proxy:\n      ssl: true\n"
        "      host: docs.example.com\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True
