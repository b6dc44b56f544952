"""accessory-placement: exactly one of host/hosts/role/roles/tag/tags; known roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ruleharness import lint_files, rule_findings

ID = "accessory-placement"
DB = "accessories:\n  db:\n    image: postgres:16\n"


def test_no_placement_is_reported_at_the_accessory_name(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": DB})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (2, 3)
    assert "does not say where it runs" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_second_placement_key_is_reported_at_that_key(tmp_path: Path) -> None:
    deploy = DB + "    host: 192.0.2.10\n    roles:\n      - web\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (5, 5)
    assert "sets host and roles" in finding.message


def test_empty_values_count_as_choices(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path, {"config/deploy.yml": DB + "    hosts: []\n    tags: []\n"}
    )

    assert len(rule_findings(result, ID)) == 1
    assert result.targets[0].kamal_accepts is False

    result = lint_files(tmp_path, {"config/deploy.yml": DB + "    hosts: []\n"})
    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_each_unknown_role_in_roles_is_reported_at_its_entry(tmp_path: Path) -> None:
    deploy = DB + "    roles:\n      - web\n      - worker\n      - batch\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    found = {(f.line, f.column): f.message for f in rule_findings(result, ID)}
    assert set(found) == {(6, 9), (7, 9)}
    assert "names worker, which is not a role" in found[(6, 9)]
    assert result.targets[0].kamal_accepts is False


def test_an_unknown_role_is_reported_at_role(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": DB + "    role: worker\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (4, 11)
    assert "(roles: web)" in finding.message


@pytest.mark.parametrize(
    ("placement", "accepted"),
    [
        ("    role: :web\n", True),  # role compares names as text
        ("    roles:\n      - :web\n", False),  # roles compares exactly
        ("    roles: []\n", True),
        ("    role: web\n", True),
    ],
)
def test_role_and_roles_compare_as_kamal_does(
    tmp_path: Path, placement: str, accepted: bool
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": DB + placement})

    assert (rule_findings(result, ID) == []) is accepted
    assert result.targets[0].kamal_accepts is accepted


def test_a_symbol_role_gets_a_precise_hint(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path, {"config/deploy.yml": DB + "    roles:\n      - :web\n"}
    )

    [finding] = rule_findings(result, ID)
    assert "without the colon" in finding.message


def test_an_unquoted_number_does_not_match_a_quoted_role(tmp_path: Path) -> None:
    servers = 'servers:\n  web:\n    - 192.0.2.10\n  "5":\n    - 192.0.2.11\n'
    result = lint_files(
        tmp_path, {"config/deploy.yml": servers + DB + "    roles:\n      - 5\n"}
    )

    [finding] = rule_findings(result, ID)
    assert 'quote it: "5"' in finding.message
    assert result.targets[0].kamal_accepts is False

    result = lint_files(tmp_path, {"config/deploy.yml": servers + DB + "    role: 5\n"})
    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True
