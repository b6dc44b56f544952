"""ssl-shared-host: one SSL host name claimed twice among the SSL roles."""

from __future__ import annotations

from pathlib import Path

from tests.ruleharness import lint_files, rule_findings

ID = "ssl-shared-host"
SSL = "proxy:\n  ssl: true\n  host: shop.example.com\n"


def test_a_role_inheriting_the_root_host_is_reported_there(tmp_path: Path) -> None:
    deploy = SSL + (
        "servers:\n  web:\n    - 192.0.2.10\n  api:\n    hosts:\n"
        "      - 192.0.2.11\n    proxy: true\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (3, 9)
    assert "roles api and web (inherited from the root proxy)" in finding.message
    assert "servers/api/proxy/host" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_roles_with_their_own_hosts_pass(tmp_path: Path) -> None:
    deploy = SSL + (
        "servers:\n  web:\n    - 192.0.2.10\n  api:\n    hosts:\n"
        "      - 192.0.2.11\n    proxy:\n      host: api.example.com\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_the_same_host_written_in_two_roles_points_at_the_non_primary(
    tmp_path: Path,
) -> None:
    deploy = (
        "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n    proxy:\n"
        "      ssl: true\n      host: shop.example.com\n  api:\n    hosts:\n"
        "      - 192.0.2.11\n    proxy:\n      ssl: true\n"
        "      host: shop.example.com\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (13, 13)
    assert "inherited" not in finding.message


def test_a_host_repeated_in_one_role_is_refused_too(tmp_path: Path) -> None:
    deploy = "proxy:\n  ssl: true\n  hosts:\n    - a.example.com\n    - a.example.com\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (5, 7)
    assert "listed twice for role web" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_comma_separated_hosts_are_not_trimmed(tmp_path: Path) -> None:
    repeated = "proxy:\n  ssl: true\n  host: a.example.com,a.example.com\n"
    spaced = "proxy:\n  ssl: true\n  host: a.example.com, a.example.com\n"

    result = lint_files(tmp_path, {"config/deploy.yml": repeated})
    assert len(rule_findings(result, ID)) == 1

    result = lint_files(tmp_path, {"config/deploy.yml": spaced})
    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_roles_without_ssl_may_share(tmp_path: Path) -> None:
    deploy = "proxy:\n  host: shop.example.com\n" + (
        "servers:\n  web:\n    - 192.0.2.10\n  api:\n    hosts:\n"
        "      - 192.0.2.11\n    proxy: true\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True
