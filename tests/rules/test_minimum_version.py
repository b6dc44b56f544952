"""minimum-version: newer than Kamal 2.12.0, or not a RubyGems version."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.rules import minimum_version
from tests.ruleharness import lint_files, rule_findings

ID = "minimum-version"


def test_a_newer_version_is_reported_at_the_value(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "minimum_version: 2.13.0\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 18)
    assert "2.13.0 is newer than Kamal 2.12.0" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_leading_v_gets_the_fixed_spelling(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "minimum_version: v2.8.0\n"})

    [finding] = rule_findings(result, ID)
    assert "`minimum_version: 2.8.0`" in finding.message
    assert "crashes" in finding.message
    assert result.targets[0].kamal_accepts is False


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("2.12.0", True),
        ("2.1", True),  # a YAML float; 2.1 < 2.12
        ("3", False),
        ("2_13", False),  # the integer 213
        ('"2.13.0-rc1"', False),
        ("2.12.0.rc1", True),
        ('""', True),
        ("false", True),
        ("true", False),
        ("latest", False),
        ('"02.13"', False),
    ],
)
def test_verdicts_follow_rubygems(tmp_path: Path, value: str, accepted: bool) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": f"minimum_version: {value}\n"})

    assert (rule_findings(result, ID) == []) is accepted
    assert result.targets[0].kamal_accepts is accepted


@pytest.mark.parametrize(
    ("left", "right", "order"),
    [
        ("2.12.0", "2.12", 0),
        ("2.12.0.0", "2.12.0", 0),
        ("2.12.1", "2.12.0", 1),
        ("2.12.0.rc1", "2.12.0", -1),
        ("2.12.0.a", "2.12.0.b", -1),
        ("2.13.0-rc1", "2.12.0", 1),
        ("10.0", "9.9", 1),
        ("", "0", 0),
    ],
)
def test_compare_follows_gem_version(left: str, right: str, order: int) -> None:
    assert minimum_version.compare(left, right) == order


@pytest.mark.parametrize(
    ("text", "correct"),
    [
        ("2.8.0", True),
        (" 2.8.0\n", True),
        ("2.8.0-beta.1", True),
        ("v2.8.0", False),
        ("2..8", False),
        ("2.8-", False),
        ("2.8.0\nx", False),
        ("Infinity", False),
    ],
)
def test_is_version_follows_gem_version_correct(text: str, correct: bool) -> None:
    assert minimum_version.is_version(text) is correct
