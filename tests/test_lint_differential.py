"""dockmig's verdict equals Kamal's on projects reduced from differential testing.

Each folder of tests/data/lint_differential is the smallest project left of
a disagreement between `dockmig lint` and Kamal's own validator, found by
mutating real configs and comparing both tools target by target. Kamal's
verdicts are pinned in verdicts.json (regenerate.py there); the live test
asks the oracle again. Projects are linted whole, base and destinations in
one run, as `dockmig lint` runs by default: findings are combined across
targets, and that is where one of these disagreements lived.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from dockmig import lint
from tests.kamal_oracle import verdict

CASES = Path(__file__).resolve().parent / "data" / "lint_differential"
VERDICTS: dict[str, dict[str, dict[str, object]]] = json.loads(
    (CASES / "verdicts.json").read_text()
)
TARGETS = [
    (case, label) for case, labels in sorted(VERDICTS.items()) for label in labels
]

# Disagreements whose cause lives in a module this suite does not own,
# pinned so that the fix shows up here as an unexpected pass.
KNOWN: dict[str, str] = {}


def _destination(label: str) -> str | None:
    return label.partition(" -d ")[2] or None


@cache
def _lint(case: str) -> lint.LintResult:
    return lint.lint(CASES / case, environ={"DOCKMIG_DOCKER_ARCH": "amd64"})


def _verdict(case: str, label: str) -> lint.TargetVerdict:
    destination = _destination(label)
    matching = [t for t in _lint(case).targets if t.destination == destination]
    assert len(matching) == 1, _lint(case).targets
    return matching[0]


def _params() -> list[object]:
    return [
        pytest.param(
            case,
            label,
            id=f"{case}:{label}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[case])]
            if case in KNOWN
            else [],
        )
        for case, label in TARGETS
    ]


def test_every_case_has_a_pinned_verdict() -> None:
    folders = {p.name for p in CASES.iterdir() if (p / "config/deploy.yml").exists()}
    assert folders == set(VERDICTS)


@pytest.mark.parametrize(("case", "label"), _params())
def test_verdict_matches_pinned_kamal_verdict(case: str, label: str) -> None:
    pinned = VERDICTS[case][label]
    verdict = _verdict(case, label)
    found = [(f.rule, f.line, f.column, f.message) for f in verdict.findings]
    assert verdict.kamal_accepts is pinned["valid"], (pinned["message"], found)


@pytest.mark.parametrize(
    ("case", "label"), TARGETS, ids=[f"{c}:{t}" for c, t in TARGETS]
)
def test_each_refusal_is_at_a_place(case: str, label: str) -> None:
    if VERDICTS[case][label]["valid"] or case in KNOWN:
        return
    refusals = [f for f in _verdict(case, label).findings if f.kamal_rejects]
    assert refusals
    assert all(f.line >= 1 and f.column >= 1 for f in refusals)


def test_destination_refusal_names_the_unknown_key_the_base_rule_covered() -> None:
    case = "rule-covers-base-only-schema-still-speaks-for-destination"
    verdict = _verdict(case, "config/deploy.yml -d production")
    paths = {f.key_path for f in verdict.findings if f.rule == "schema"}
    assert "servers/web/buildpacks" in paths


@pytest.mark.oracle
def test_pinned_verdicts_are_still_kamal_s(oracle: Path) -> None:
    stale = []
    for case, label in TARGETS:
        live = verdict(CASES / case, _destination(label), oracle=oracle)
        if live["valid"] is not VERDICTS[case][label]["valid"]:
            stale.append((case, label))
    assert stale == [], "rerun tests/data/lint_differential/regenerate.py"
