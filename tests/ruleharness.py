"""Shared pieces for rule tests: build a throwaway Kamal project and lint it."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

from dockmig import lint
from dockmig.lint import LintResult

# A config Kamal 2.12 accepts (checked with the oracle); rule examples are
# merged over it so that a docstring only shows what its rule is about.
MINIMAL = {
    "service": "shop",
    "image": "acme/shop",
    "servers": {"web": ["192.0.2.10"]},
    "registry": {"server": "localhost:5555"},
    "builder": {"arch": "amd64"},
}

_EXAMPLE = re.compile(
    r"^(Passing|Failing) example[^\n]*::\n\n((?:[ \t]+[^\n]*\n|\n)+)", re.MULTILINE
)
_FILE_MARKER = re.compile(r"^# file: (\S+)\s*$")


def examples(manual: str) -> list[tuple[str, str]]:
    """The (kind, text) examples of a rule manual, kind being Passing or Failing."""
    found = []
    for match in _EXAMPLE.finditer(manual + "\n"):
        found.append(
            (match.group(1), textwrap.dedent(match.group(2)).strip("\n") + "\n")
        )
    return found


def split_files(text: str) -> dict[str, str]:
    """An example is config/deploy.yml unless `# file: PATH` lines start others."""
    files: dict[str, list[str]] = {}
    current = "config/deploy.yml"
    for line in text.splitlines(keepends=True):
        marker = _FILE_MARKER.match(line)
        if marker:
            current = marker.group(1)
            files.setdefault(current, [])
            continue
        files.setdefault(current, []).append(line)
    return {name: "".join(lines) for name, lines in files.items()}


def write_project(
    root: Path, files: dict[str, str], *, merge_minimal: bool = True
) -> Path:
    """Write a project; deploy.yml gets MINIMAL's keys it does not set itself."""
    from ruamel.yaml import YAML

    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == "config/deploy.yml" and merge_minimal:
            text = _with_minimal(text)
        path.write_text(text, encoding="utf-8")
    if "config/deploy.yml" not in files:
        (root / "config").mkdir(exist_ok=True)
        yaml = YAML()
        with (root / "config/deploy.yml").open("w") as stream:
            yaml.dump(MINIMAL, stream)
    return root


def _with_minimal(text: str) -> str:
    from ruamel.yaml import YAML

    top_keys = set(re.findall(r"^([A-Za-z_][\w-]*):", text, re.MULTILINE))
    extra = {key: value for key, value in MINIMAL.items() if key not in top_keys}
    if not extra:
        return text
    import io

    stream = io.StringIO()
    YAML().dump(extra, stream)
    return text + ("" if text.endswith("\n") or not text else "\n") + stream.getvalue()


def lint_files(
    root: Path,
    files: dict[str, str],
    *,
    environ: dict[str, str] | None = None,
    **kw: Any,
) -> LintResult:
    write_project(root, files)
    return lint.lint(root, environ=environ or {}, **kw)


def rule_findings(result: LintResult, rule_id: str) -> list[Any]:
    return [f for f in result.findings if f.rule == rule_id]
