"""servers-hosts: the primary role must exist with hosts; roles need hosts."""

from __future__ import annotations

from pathlib import Path

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "servers-hosts"


def test_a_role_without_hosts_is_reported_at_the_role(tmp_path: Path) -> None:
    deploy = "servers:\n  web:\n    - 192.0.2.10\n  job:\n    cmd: bin/jobs\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (5, 5)
    assert "role job has no hosts" in finding.message
    assert "allow_empty_roles: true" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_an_empty_hosts_list_is_reported_at_the_list(tmp_path: Path) -> None:
    deploy = "servers:\n  web:\n    - 192.0.2.10\n  job:\n    hosts: []\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (5, 12)


def test_allow_empty_roles_covers_other_roles_but_not_the_primary(
    tmp_path: Path,
) -> None:
    deploy = "allow_empty_roles: true\nservers:\n  web: []\n  job: []\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert "primary role web" in finding.message
    assert (finding.line, finding.column) == (3, 8)
    assert result.targets[0].kamal_accepts is False

    other = "allow_empty_roles: true\nservers:\n  web: [192.0.2.10]\n  job: []\n"
    result = lint_files(tmp_path, {"config/deploy.yml": other})
    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_a_primary_role_that_does_not_exist_is_reported_at_primary_role(
    tmp_path: Path,
) -> None:
    deploy = "primary_role: api\nservers:\n  web:\n    - 192.0.2.10\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 15)
    assert "roles: web" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_host_list_is_only_the_role_web(tmp_path: Path) -> None:
    deploy = "primary_role: api\nservers:\n  - 192.0.2.10\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert "single role web" in finding.message


def test_without_a_web_role_the_servers_key_is_blamed(tmp_path: Path) -> None:
    deploy = "servers:\n  job:\n    - 192.0.2.10\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (2, 3)
    assert "set primary_role" in finding.message


def test_numeric_hosts_are_dropped_with_a_warning_each(tmp_path: Path) -> None:
    deploy = "servers:\n  - 1234\n  - 192.0.2.10\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [warning] = rule_findings(result, ID)
    assert warning.severity is Severity.WARNING
    assert not warning.kamal_rejects
    assert (warning.line, warning.column) == (2, 5)
    assert result.targets[0].kamal_accepts is True


def test_a_role_left_empty_by_dropped_hosts_says_why(tmp_path: Path) -> None:
    deploy = "servers:\n  - 1234\n  - yes\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    errors = [f for f in rule_findings(result, ID) if f.kamal_rejects]
    [error] = errors
    assert "Kamal ignores 1234, true" in error.message
    assert result.targets[0].kamal_accepts is False


def test_a_destination_that_empties_the_primary_role_fails_only_there(
    tmp_path: Path,
) -> None:
    files = {
        "config/deploy.yml": "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n",
        "config/deploy.staging.yml": "servers:\n  web:\n    hosts: []\n",
    }
    result = lint_files(tmp_path, files)

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line) == ("config/deploy.staging.yml", 3)
    assert finding.targets == ("staging",)
    verdicts = {t.destination: t.kamal_accepts for t in result.targets}
    assert verdicts == {None: True, "staging": False}


def test_a_null_host_entry_is_left_to_the_schema(tmp_path: Path) -> None:
    deploy = "servers:\n  web:\n    -\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is False


def test_servers_may_be_absent_when_accessories_exist(tmp_path: Path) -> None:
    deploy = (
        "service: shop\nimage: acme/shop\nregistry:\n  server: localhost:5555\n"
        "builder:\n  arch: amd64\naccessories:\n  db:\n    image: postgres:16\n"
        "    host: 192.0.2.30\n"
    )
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(deploy)
    from dockmig import lint

    result = lint.lint(tmp_path, environ={})
    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_a_primary_role_of_the_wrong_shape_is_left_to_the_schema(
    tmp_path: Path,
) -> None:
    result = lint_files(
        tmp_path, {"config/deploy.yml": "servers:\n  web: 192.0.2.10\n"}
    )

    assert rule_findings(result, ID) == []
    assert [f.rule for f in result.findings if f.kamal_rejects] == ["schema"]
