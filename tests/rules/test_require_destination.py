"""require-destination: `require_destination: true` without a destination."""

from __future__ import annotations

from pathlib import Path

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "require-destination"


def test_without_any_destination_file_it_is_an_error_at_the_value(
    tmp_path: Path,
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "require_destination: true\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 22)
    assert finding.severity is Severity.ERROR
    assert "config/deploy.production.yml" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_with_a_destination_only_the_bare_target_is_refused_and_only_noted(
    tmp_path: Path,
) -> None:
    files = {
        "config/deploy.yml": "require_destination: true\n",
        "config/deploy.staging.yml": "servers:\n  web:\n    - 192.0.2.20\n",
    }
    result = lint_files(tmp_path, files)

    [finding] = rule_findings(result, ID)
    assert finding.severity is Severity.INFO
    assert finding.targets == (None,)
    assert "-d staging" in finding.message
    verdicts = {t.destination: t.kamal_accepts for t in result.targets}
    assert verdicts == {None: False, "staging": True}


def test_setting_it_in_a_destination_file_changes_nothing_without_d(
    tmp_path: Path,
) -> None:
    files = {
        "config/deploy.yml": "service: shop\n",
        "config/deploy.staging.yml": "require_destination: true\n",
    }
    result = lint_files(tmp_path, files)

    assert rule_findings(result, ID) == []
    assert all(t.kamal_accepts for t in result.targets)


def test_false_and_yaml_words_for_false_pass(tmp_path: Path) -> None:
    for value in ("false", "no", "off"):
        result = lint_files(
            tmp_path, {"config/deploy.yml": f"require_destination: {value}\n"}
        )
        assert rule_findings(result, ID) == [], value


def test_yes_is_true_for_kamal(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "require_destination: yes\n"})

    assert len(rule_findings(result, ID)) == 1
    assert result.targets[0].kamal_accepts is False
