"""Before/after pairs for every codemod, each applied twice.

Each case is a folder under tests/data/rewrite/<codemod>/<case>/ with the
input (`before/`), the expected result (`after/`) and `case.json` (the
arguments, the notes that must be reported, values that must never be shown).
`deploy_yaml` and `secrets_file` cases are whole Kamal projects run through
the command; the other codemods get one file each. Running a case's result
through the codemod again must change nothing.
"""

from __future__ import annotations

import importlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dockmig.codemod import Migration
from dockmig.rewrite_command import run

DATA = Path(__file__).resolve().parent.parent / "data" / "rewrite"
PROJECT_KINDS = ("deploy_yaml", "secrets_file")
FILE_KINDS = ("dockerfile", "compose", "workflow", "shell", "python_source")


def _cases(kinds: tuple[str, ...]) -> list[Any]:
    found = []
    for kind in kinds:
        for case in sorted((DATA / kind).iterdir()):
            found.append(pytest.param(kind, case, id=f"{kind}/{case.name}"))
    return found


def _spec(case: Path) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((case / "case.json").read_text())
    return spec


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _run(root: Path, spec: dict[str, Any], mode: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(
        root,
        to=spec.get("to"),
        from_host=spec.get("from"),
        username=spec.get("username"),
        password_secret=spec.get("password_secret"),
        mode=mode,
        out=out,
        environ={},
    )
    return code, out.getvalue()


@pytest.mark.parametrize(("kind", "case"), _cases(PROJECT_KINDS))
def test_project_case_writes_exactly_the_after_tree(
    tmp_path: Path, kind: str, case: Path
) -> None:
    spec = _spec(case)
    work = tmp_path / "project"
    shutil.copytree(case / "before", work)

    code, output = _run(work, spec, "write")

    assert code == (1 if spec.get("blocked") else 0), output
    assert _tree(work) == _tree(case / "after")
    for note in spec.get("notes", []):
        assert note in output


@pytest.mark.parametrize(("kind", "case"), _cases(PROJECT_KINDS))
def test_project_case_applied_twice_changes_nothing(
    tmp_path: Path, kind: str, case: Path
) -> None:
    spec = _spec(case)
    work = tmp_path / "project"
    shutil.copytree(case / "after", work)

    if spec.get("blocked"):
        code, output = _run(work, spec, "write")
        assert code == 1
        assert "nothing was written" in output
    else:
        code, output = _run(work, spec, "check")
        assert code == 0, output
        assert "0 files would change" in output
    assert _tree(work) == _tree(case / "after")


@pytest.mark.parametrize(("kind", "case"), _cases(PROJECT_KINDS))
def test_project_case_diff_never_shows_a_secret_value(
    tmp_path: Path, kind: str, case: Path
) -> None:
    spec = _spec(case)
    work = tmp_path / "project"
    shutil.copytree(case / "before", work)

    _code, output = _run(work, spec, "diff")

    assert _tree(work) == _tree(case / "before")
    for value in spec.get("redacted", []):
        assert value not in output
    if spec.get("redacted"):
        assert "[redacted]" in output


@pytest.mark.parametrize(("kind", "case"), _cases(FILE_KINDS))
def test_file_case_rewrites_to_the_after_file_and_verifies(
    kind: str, case: Path
) -> None:
    spec = _spec(case)
    module = importlib.import_module(f"dockmig.codemods.{kind}")
    migration = Migration(
        spec["new_host"],
        tuple(spec["old_hosts"]),
        own_images=tuple(spec.get("own_images", ())),
    )
    notes = []
    for relative, raw in _tree(case / "before").items():
        text = raw.decode("utf-8")
        outcome = module.rewrite(text, relative, migration)
        notes.extend(str(n) for n in outcome.notes)

        assert outcome.blocked == bool(spec.get("blocked"))
        result = text if outcome.blocked else outcome.applied()
        assert result.encode("utf-8") == (case / "after" / relative).read_bytes()
        if not outcome.blocked:
            assert module.check(text, result, migration) == ""

        again = module.rewrite(result, relative, migration)
        assert again.edits == [] or outcome.blocked
    for expected in spec.get("notes", []):
        assert any(expected in note for note in notes), notes
