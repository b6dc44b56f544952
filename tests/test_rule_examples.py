"""Example projects per rule: tests/data/rules/<rule-id>/{pass,fail}/<case>/.

Each case folder is a small Kamal project. A `fail` case must produce a finding
of its rule, a `pass` case none. A fail case may hold `expected.txt`, one
`file:line:col` per line: exactly the positions where the rule must report.
An optional `environ.txt` holds NAME=VALUE lines for ERB.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig import lint, rules
from tests.conftest import REPO

DATA = REPO / "tests" / "data" / "rules"


def _cases() -> list[tuple[str, str, Path]]:
    found = []
    for rule_dir in sorted(DATA.iterdir()) if DATA.is_dir() else []:
        for kind in ("pass", "fail"):
            for case in (
                sorted((rule_dir / kind).glob("*"))
                if (rule_dir / kind).is_dir()
                else []
            ):
                found.append((rule_dir.name, kind, case))
    return found


CASES = _cases()


def _environ(case: Path) -> dict[str, str]:
    path = case / "environ.txt"
    if not path.exists():
        return {}
    pairs = [
        line.split("=", 1) for line in path.read_text().splitlines() if "=" in line
    ]
    return {key: value for key, value in pairs}


def test_every_rule_has_example_projects() -> None:
    covered = {(rule_id, kind) for rule_id, kind, _ in CASES}
    missing = [
        f"{rule.id}/{kind}"
        for rule in rules.all_rules()
        for kind in ("pass", "fail")
        if (rule.id, kind) not in covered
    ]
    assert not missing, f"no example projects under tests/data/rules for: {missing}"


@pytest.mark.parametrize(
    ("rule_id", "kind", "case"), CASES, ids=[f"{r}/{k}/{c.name}" for r, k, c in CASES]
)
def test_example_project(rule_id: str, kind: str, case: Path) -> None:
    result = lint.lint(case, environ=_environ(case))
    found = [f for f in result.findings if f.rule == rule_id]
    if kind == "pass":
        assert not found, [(f.file, f.line, f.column, f.message) for f in found]
        return
    assert found, f"{case}: no {rule_id} finding"
    expected = case / "expected.txt"
    if expected.exists():
        wanted = sorted(
            line.strip() for line in expected.read_text().splitlines() if line.strip()
        )
        got = sorted({f"{f.file}:{f.line}:{f.column}" for f in found})
        assert got == wanted
