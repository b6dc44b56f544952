"""hooks-output: levels other than quiet and verbose."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "hooks-output"


def test_an_unknown_level_is_reported_at_the_value(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "hooks_output: loud\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 15)
    assert "use quiet or verbose" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_quoted_symbol_is_explained(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": 'hooks_output: ":verbose"\n'})

    [finding] = rule_findings(result, ID)
    assert "remove the quotes" in finding.message
    assert result.targets[0].kamal_accepts is False


@pytest.mark.parametrize("value", ["verbose", "quiet", ":verbose", ":quiet"])
def test_known_levels_pass(tmp_path: Path, value: str) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": f"hooks_output: {value}\n"})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_each_bad_hook_level_in_a_map_is_reported(tmp_path: Path) -> None:
    deploy = (
        "hooks_output:\n  pre-deploy: verbose\n  post-deploy: Loud\n  pre-build: 1\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    found = {(f.line, f.column): f.message for f in rule_findings(result, ID)}
    assert set(found) == {(3, 16), (4, 14)}
    assert "hooks_output/post-deploy" in found[(3, 16)]
    assert "crashes" in found[(4, 14)]
    assert result.targets[0].kamal_accepts is False


def test_a_single_number_is_ignored_by_kamal_so_only_a_warning(
    tmp_path: Path,
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "hooks_output: 5\n"})

    [finding] = rule_findings(result, ID)
    assert finding.severity is Severity.WARNING
    assert not finding.kamal_rejects
    assert result.targets[0].kamal_accepts is True
