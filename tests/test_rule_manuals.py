"""Every rule's manual has a passing and a failing example, and both are true."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig import rules
from tests.ruleharness import examples, lint_files, rule_findings, split_files

# Rules whose examples need more than files (an unset variable, a parser
# limit) are exercised by their own tests instead.
_ENVIRONMENT = {"erb": {}}

RULES = rules.all_rules()


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_manual_has_a_passing_and_a_failing_example(rule: rules.Rule) -> None:
    kinds = [kind for kind, _ in examples(rule.manual)]
    assert "Passing" in kinds, f"{rule.id}: no 'Passing example::' block"
    assert "Failing" in kinds, f"{rule.id}: no 'Failing example::' block"


CASES = [(rule, kind, text) for rule in RULES for kind, text in examples(rule.manual)]


@pytest.mark.parametrize(
    ("rule", "kind", "text"),
    CASES,
    ids=[f"{rule.id}-{kind.lower()}-{n}" for n, (rule, kind, _) in enumerate(CASES)],
)
def test_manual_example_behaves_as_documented(
    tmp_path: Path, rule: rules.Rule, kind: str, text: str
) -> None:
    environ = _ENVIRONMENT.get(rule.id, {"APP_HOST": "app.example.com"})
    result = lint_files(tmp_path, split_files(text), environ=environ)
    found = rule_findings(result, rule.id)
    if kind == "Passing":
        assert not found, [f.message for f in found]
    else:
        assert found, f"{rule.id}: the failing example produced no {rule.id} finding"
