"""dockmig's verdict equals Kamal's on small projects built around Kamal's own checks.

Each folder of tests/data/rules_oracle is a project exercising one check
Kamal makes while loading a config that a JSON Schema cannot express
(destination required, service name, roles and hosts, minimum version,
Traefik hooks, merged role proxies, SSL hosts, local registry with a remote
builder, proxy run maps, hooks_output, accessory placement, values that crash
Kamal). Kamal's verdict on every target is pinned in verdicts.json by
regenerate.py; the live variant asks the oracle again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockmig import lint
from tests.kamal_oracle import verdict

HERE = Path(__file__).resolve().parent
CASES = HERE.parent / "data" / "rules_oracle"
VERDICTS: dict[str, dict[str, dict[str, object]]] = json.loads(
    (CASES / "verdicts.json").read_text()
)
TARGETS = [
    (case, label) for case, labels in sorted(VERDICTS.items()) for label in labels
]

# Which rule speaks for Kamal in each family of cases: when Kamal refuses a
# target, a Kamal-level finding of one of these rules must be among dockmig's.
FAMILIES = {
    "reqdest-": {"require-destination"},
    "service-": {"service-name"},
    "servers-": {"servers-hosts"},
    "minver-": {"minimum-version"},
    "hooks-": {"traefik-hooks"},
    "roleproxy-": {"role-proxy"},
    "ssl-": {"ssl-single-host"},
    "sslshare-": {"ssl-shared-host"},
    "lrrb-": {"local-registry-remote-builder"},
    "run-": {"proxy-run-conflict"},
    "hooksout-": {"hooks-output"},
    "acc-": {"accessory-placement"},
    "keys-": {"key-types"},
}

# Cases where the reason Kamal gives is the schema's to report: the key is
# missing, or a role's proxy block fails on its own.
SCHEMA_SPEAKS = {"service-missing", "roleproxy-ssl-needs-own-host"}


# Cases where the schema refuses what Kamal accepts (none at present).
SCHEMA_TOO_STRICT: dict[str, str] = {}


def _params() -> list[object]:
    params: list[object] = []
    for case, label in TARGETS:
        marks = []
        if case in SCHEMA_TOO_STRICT:
            reason = f"schema refuses what Kamal accepts: {SCHEMA_TOO_STRICT[case]}"
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(case, label, marks=marks, id=f"{case}:{label}"))
    return params


def _split(label: str) -> tuple[str, str | None]:
    config, _, destination = label.partition(" -d ")
    return config, destination or None


def _environ(case: str) -> dict[str, str]:
    marker = CASES / case / "docker-arch"
    if marker.exists():
        return {"DOCKMIG_DOCKER_ARCH": marker.read_text().strip()}
    return {}


def _lint_target(case: str, label: str) -> lint.TargetVerdict:
    config, destination = _split(label)
    result = lint.lint(
        CASES / case,
        config=config,
        destinations=[destination] if destination else [],
        environ=_environ(case),
    )
    matching = [t for t in result.targets if t.destination == destination]
    assert len(matching) == 1, result.targets
    return matching[0]


def _family(case: str) -> set[str]:
    prefix = max((p for p in FAMILIES if case.startswith(p)), key=len)
    return FAMILIES[prefix]


def test_every_case_has_a_pinned_verdict() -> None:
    folders = {p.name for p in CASES.iterdir() if (p / "config/deploy.yml").exists()}
    assert folders == set(VERDICTS)
    assert len(folders) >= 60


def test_every_case_belongs_to_a_rule_family() -> None:
    for case in VERDICTS:
        assert any(case.startswith(prefix) for prefix in FAMILIES), case


def test_each_family_has_cases_kamal_accepts_and_refuses() -> None:
    for prefix in FAMILIES:
        verdicts = {
            pinned["valid"]
            for case, labels in VERDICTS.items()
            if _family(case) == FAMILIES[prefix] and case.startswith(prefix)
            for pinned in labels.values()
        }
        assert verdicts == {True, False}, prefix


@pytest.mark.parametrize(("case", "label"), _params())
def test_verdict_matches_pinned_kamal_verdict(case: str, label: str) -> None:
    pinned = VERDICTS[case][label]
    verdict = _lint_target(case, label)
    found = [(f.rule, f.line, f.column, f.message) for f in verdict.findings]
    assert verdict.kamal_accepts is pinned["valid"], (pinned["message"], found)


@pytest.mark.parametrize(
    ("case", "label"), TARGETS, ids=[f"{c}:{t}" for c, t in TARGETS]
)
def test_refusal_is_explained_by_the_rule_for_that_check(case: str, label: str) -> None:
    if VERDICTS[case][label]["valid"]:
        return
    verdict = _lint_target(case, label)
    rejecting = {f.rule for f in verdict.findings if f.kamal_rejects}
    expected = {"schema"} if case in SCHEMA_SPEAKS else _family(case)
    assert rejecting & expected, (VERDICTS[case][label]["message"], rejecting)


@pytest.mark.oracle
def test_pinned_verdicts_are_still_kamal_s_and_dockmig_agrees(oracle: Path) -> None:
    stale, disagreements = [], []
    for case, label in TARGETS:
        live = _ask_oracle(oracle, case, label)
        if live != VERDICTS[case][label]["valid"]:
            stale.append((case, label, live))
        ours = _lint_target(case, label).kamal_accepts
        if case not in SCHEMA_TOO_STRICT and ours != live:
            disagreements.append((case, label, live, ours))
    assert not stale, "rerun tests/data/rules_oracle/regenerate.py"
    assert not disagreements


def _ask_oracle(oracle: Path, case: str, label: str) -> bool:
    config, destination = _split(label)
    arch = _environ(case).get("DOCKMIG_DOCKER_ARCH", "amd64")
    found = verdict(
        CASES / case, destination, config=config, docker_arch=arch, oracle=oracle
    )
    return bool(found["valid"])
