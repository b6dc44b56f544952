"""The example project (examples/knot) migrated to its registry and rolled back.

Its `.dockmig.yml` names the new registry, the user and the secret, so the
command needs no arguments; the rollback is the same command pointed at
`localhost:5555`. Kamal must accept every target at each step.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from dockmig import document, lint
from dockmig.rewrite_command import run
from tests.conftest import REPO
from tests.rewrite.test_corpus_acceptance import oracle_verdict

EXAMPLE = REPO / "examples" / "knot"
COMMITTED_VALUE = "knot-example-not-a-real-password"


@pytest.fixture
def knot(tmp_path: Path) -> Path:
    root = tmp_path / "knot"
    shutil.copytree(EXAMPLE, root)
    return root


def _run(root: Path, mode: str, **arguments: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(root, mode=mode, out=out, environ={}, **arguments)  # type: ignore[arg-type]
    return code, out.getvalue()


def _data(root: Path) -> dict[str | None, Any]:
    base = document.load(root / "config/deploy.yml", "deploy.yml", {}).data
    staging = document.load(root / "config/deploy.staging.yml", "s.yml", {}).data
    return {None: base, "staging": {**base, **staging}}


def _accepted(root: Path) -> dict[str | None, bool | None]:
    return {t.destination: t.kamal_accepts for t in lint.lint(root, environ={}).targets}


def test_the_example_moves_to_knot_and_back(knot: Path) -> None:
    original = {p: p.read_bytes() for p in knot.rglob("*") if p.is_file()}
    data = _data(knot)
    assert _accepted(knot) == {None: True, "staging": True}

    code, shown = _run(knot, "diff")
    assert code == 0
    assert COMMITTED_VALUE not in shown
    assert "+  server: registry.example.com" in shown

    code, output = _run(knot, "write")
    assert code == 0, output
    moved = _data(knot)
    for target in (None, "staging"):
        assert moved[target]["registry"] == {
            "server": "registry.example.com",
            "username": "admin",
            "password": ["KNOT_REGISTRY_PASSWORD"],
        }
    assert (
        (knot / ".kamal/secrets-common")
        .read_text()
        .endswith("KNOT_REGISTRY_PASSWORD=$KNOT_REGISTRY_PASSWORD\n")
    )
    assert _accepted(knot) == {None: True, "staging": True}
    assert _run(knot, "check")[0] == 0

    code, output = _run(knot, "write", to="localhost:5555")
    assert code == 0, output
    assert _data(knot) == data
    assert _accepted(knot) == {None: True, "staging": True}
    for path, content in original.items():
        if path.name != "deploy.yml":
            assert path.read_bytes() == content, path
    assert _run(knot, "check", to="localhost:5555")[0] == 0


@pytest.mark.oracle
def test_kamal_accepts_the_example_at_every_step(knot: Path, oracle: Path) -> None:
    def verdicts() -> list[str]:
        return [oracle_verdict(oracle, knot, d, {}) for d in (None, "staging")]

    assert verdicts() == ["VALID", "VALID"]
    assert _run(knot, "write")[0] == 0
    assert verdicts() == ["VALID", "VALID"]
    assert _run(knot, "write", to="localhost:5555")[0] == 0
    assert verdicts() == ["VALID", "VALID"]
