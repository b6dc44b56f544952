"""The issue's acceptance test on the shared corpus of real Kamal projects.

Each case is copied to a temporary folder (the corpus is never written),
moved to `registry.example.net` (user `admin`, secret KNOT_REGISTRY_PASSWORD)
and back to `localhost:5555`. Kamal's own validator's verdicts on every
target, before, after the move and after the move back, are pinned in
tests/data/rewrite/corpus/verdicts.json (made by regenerate.py there), so a
run without the validator still checks them through `dockmig lint`; with the
validator installed (always in CI) they are checked against Kamal itself.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockmig import lint, project
from dockmig.rewrite_command import run
from dockmig.secrets import parse_secrets
from tests.conftest import corpus_dir

PINNED = Path(__file__).resolve().parent.parent / "data/rewrite/corpus/verdicts.json"
VERDICTS: dict[str, Any] = json.loads(PINNED.read_text())
FORWARD = {
    "to": "registry.example.net",
    "username": "admin",
    "password_secret": "KNOT_REGISTRY_PASSWORD",
}
BACK = {"to": "localhost:5555"}
SECRET_LINE = "KNOT_REGISTRY_PASSWORD=$KNOT_REGISTRY_PASSWORD"


def _cases() -> list[str]:
    return sorted(VERDICTS)


def _copy(corpus: Path, case: str, tmp_path: Path) -> Path:
    root = tmp_path / case
    shutil.copytree(corpus / "kamal" / case, root)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _move(root: Path, env: dict[str, str], arguments: dict[str, str]) -> int:
    out = io.StringIO()
    return run(root, mode="write", out=out, environ=env, **arguments)  # type: ignore[arg-type]


def _label(destination: str | None) -> str:
    return "config/deploy.yml" + (f" -d {destination}" if destination else "")


def _destinations(root: Path) -> list[str | None]:
    return [None, *project.found_destinations(root, "config/deploy.yml")]


def oracle_verdict(oracle: Path, root: Path, destination: str | None, env: Any) -> str:
    """Kamal's verdict on one target: VALID, or INVALID with its first line."""
    command = [str(oracle), "-C", str(root)]
    if destination:
        command += ["-d", destination]
    command.append(str(root / "config/deploy.yml"))
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else f"ORACLE-FAILED: {result.stderr.strip()[:200]}"


def _registry_lines(text: str) -> range:
    """1-based lines of the top-level `registry:` section, its comments included."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.match(r"registry\s*:", line)), None
    )
    if start is None:
        return range(0)
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or lines[end][:1] in (" ", "\t")
    ):
        end += 1
    return range(start + 1, end + 1)


def _assert_only_registry_lines_changed(before: str, after: str, name: str) -> None:
    """Every line outside the registry's edits is byte-identical."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    allowed = _registry_lines(before)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        touched = range(i1 + 1, i2 + 1) if i2 > i1 else range(i1, i1 + 2)
        inserted = new[j1:j2]
        if all(line.startswith("image: ") for line in inserted) and i1 == i2:
            continue
        assert any(n in allowed for n in touched), (name, tag, old[i1:i2], inserted)


def _assert_secrets_only_gained_the_secret(before: bytes | None, after: bytes) -> None:
    old = (before or b"").decode("utf-8").splitlines()
    new = after.decode("utf-8").splitlines()
    added = [line for line in new if line not in old]
    assert added == [SECRET_LINE]
    assert [line for line in new if line != SECRET_LINE] == old


@pytest.mark.parametrize("case", _cases())
def test_a_case_moves_to_a_remote_registry_and_back(
    corpus: Path, corpus_env: dict[str, str], tmp_path: Path, case: str
) -> None:
    pinned = VERDICTS[case]
    root = _copy(corpus, case, tmp_path)
    original = _tree(root)

    code = _move(root, corpus_env, FORWARD)

    assert code == pinned["forward_exit"]
    if code != 0:
        assert _tree(root) == original
        return
    moved = _tree(root)
    for name, data in moved.items():
        if name.startswith(".kamal/secrets"):
            if original.get(name) != data:
                _assert_secrets_only_gained_the_secret(original.get(name), data)
        elif name.startswith("config/deploy") and original[name] != data:
            _assert_only_registry_lines_changed(
                original[name].decode(), data.decode(), name
            )
        else:
            assert original[name] == data, name

    accepted = [d for d in _destinations(root) if _accepted(pinned, d, "before")]
    for destination in accepted:
        files = project.secrets_files(root, ".kamal/secrets", destination)
        names = set().union(
            *(
                parse_secrets(path.read_text("utf-8"), path.name).names()
                for path in files
                if path.exists()
            )
        )
        assert "KNOT_REGISTRY_PASSWORD" in names, _label(destination)
    _assert_lint_accepts(root, corpus_env, accepted, pinned, "forward")

    out = io.StringIO()
    assert run(root, mode="check", out=out, environ=corpus_env, **FORWARD) == 0  # type: ignore[arg-type]
    assert _tree(root) == moved

    assert _move(root, corpus_env, BACK) == 0
    _assert_lint_accepts(root, corpus_env, accepted, pinned, "back")
    out = io.StringIO()
    assert run(root, mode="check", out=out, environ=corpus_env, **BACK) == 0  # type: ignore[arg-type]


def _accepted(pinned: dict[str, Any], destination: str | None, stage: str) -> bool:
    return bool(pinned["targets"][_label(destination)][stage] == "VALID")


def _assert_lint_accepts(
    root: Path,
    env: dict[str, str],
    accepted: list[str | None],
    pinned: dict[str, Any],
    stage: str,
) -> None:
    verdicts = {t.destination: t for t in lint.lint(root, environ=env).targets}
    for destination in accepted:
        assert _accepted(pinned, destination, stage), (_label(destination), stage)
        verdict = verdicts[destination]
        assert verdict.kamal_accepts is True, (
            _label(destination),
            stage,
            [f.message for f in verdict.findings if f.kamal_rejects],
        )


@pytest.mark.oracle
@pytest.mark.slow
@pytest.mark.parametrize("case", _cases())
def test_kamal_gives_the_pinned_verdicts_before_and_after_the_moves(
    corpus: Path,
    corpus_env: dict[str, str],
    oracle: Path,
    tmp_path: Path,
    case: str,
) -> None:
    pinned = VERDICTS[case]
    root = _copy(corpus, case, tmp_path)
    destinations = _destinations(root)

    def verdicts(stage: str) -> None:
        # VALID or INVALID is the verdict; the reason for INVALID may depend on
        # what the ERB finds on this machine (an `aws` binary, a file).
        for destination in destinations:
            label = _label(destination)
            expected = pinned["targets"][label][stage].split()[0]
            actual = oracle_verdict(oracle, root, destination, corpus_env)
            assert actual.split()[0] == expected, (label, stage, actual)

    verdicts("before")
    if _move(root, corpus_env, FORWARD) != 0:
        return
    verdicts("forward")
    _move(root, corpus_env, BACK)
    verdicts("back")


def test_every_corpus_case_with_a_base_config_is_pinned() -> None:
    root = corpus_dir() / "kamal"
    if not root.is_dir():
        pytest.skip(f"the corpus is not at {root}")
    cases = sorted(p.name for p in root.iterdir() if (p / "config/deploy.yml").exists())

    assert cases == _cases()
