"""Kamal hooks that run `dockmig doctor` before a build and before a deploy.

Kamal runs `<hooks_path>/<name>` as a local executable when it exists and
stops the command when it exits non-zero (kamal.md §17). dockmig installs
`pre-build` and `pre-deploy`; a hook the project already had is moved aside
to `<name>.dockmig-orig` and called first, so installing never loses it, and
uninstalling puts it back.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from dockmig import document, project
from dockmig.errors import DockmigError

logger = logging.getLogger(__name__)

MARKER = "# managed by dockmig (dockmig hooks install)"
ORIGINAL_SUFFIX = ".dockmig-orig"

# What each hook asks of doctor: before a build the engine and the registry
# matter; before the deploy the image is built, so the engine no longer does.
HOOKS = {
    "pre-build": "docker,registry,kamal",
    "pre-deploy": "registry,kamal",
}


@dataclass(frozen=True)
class Change:
    path: str
    action: str  # "installed", "kept original as …", "unchanged", "removed", "restored"


def hooks_dir(root: Path) -> Path:
    """`hooks_path` from config/deploy.yml when set, else `.kamal/hooks`."""
    config = root / project.DEFAULT_CONFIG
    if config.exists():
        try:
            data = document.load(config, project.DEFAULT_CONFIG, os.environ).data
        except DockmigError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("hooks_path"), str):
            return root / str(data["hooks_path"])
    return root / ".kamal" / "hooks"


def script(name: str) -> str:
    original = f"{name}{ORIGINAL_SUFFIX}"
    return f"""#!/bin/sh
{MARKER}
# Runs the project's own {name} hook first (kept as {original}), then
# `dockmig doctor` for the destination Kamal deploys to. A failure stops Kamal.
set -e
hook_dir=$(dirname "$0")
if [ -x "$hook_dir/{original}" ]; then
  "$hook_dir/{original}" "$@"
fi
dockmig=${{DOCKMIG:-dockmig}}
if ! command -v "$dockmig" >/dev/null 2>&1; then
  echo "{name}: dockmig is not on PATH; install it or" \
    "run 'dockmig hooks uninstall'" >&2
  exit 1
fi
# Kamal runs hooks from the project root.
if [ -n "${{KAMAL_DESTINATION:-}}" ]; then
  exec "$dockmig" doctor . --destination "$KAMAL_DESTINATION" --only {HOOKS[name]}
fi
exec "$dockmig" doctor . --only {HOOKS[name]}
"""


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(root: Path) -> list[Change]:
    if not (root / project.DEFAULT_CONFIG).exists():
        raise DockmigError(
            f"{project.DEFAULT_CONFIG} not found: this is not a Kamal project; "
            "run `dockmig hooks install` in its root",
            path=str(root),
        )
    folder = hooks_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    changes = []
    for name in HOOKS:
        target = folder / name
        display = target.relative_to(root).as_posix()
        wanted = script(name)
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise DockmigError(
                "is not a regular file; move it away before installing hooks",
                path=display,
            )
        if target.exists() and _is_ours(target):
            if target.read_text(encoding="utf-8") == wanted:
                changes.append(Change(display, "unchanged"))
                continue
        elif target.exists():
            original = folder / f"{name}{ORIGINAL_SUFFIX}"
            if original.exists():
                raise DockmigError(
                    f"both {name} and {original.name} exist; remove one first",
                    path=display,
                )
            target.rename(original)
            changes.append(Change(display, f"kept the original as {original.name}"))
        _write_executable(target, wanted)
        changes.append(Change(display, "installed"))
    return changes


def uninstall(root: Path) -> list[Change]:
    folder = hooks_dir(root)
    changes = []
    for name in HOOKS:
        target = folder / name
        original = folder / f"{name}{ORIGINAL_SUFFIX}"
        display = target.relative_to(root).as_posix()
        if target.exists() and _is_ours(target):
            target.unlink()
            changes.append(Change(display, "removed"))
        if original.exists() and not target.exists():
            original.rename(target)
            changes.append(Change(display, "restored"))
    return changes


def _write_executable(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.dockmig-tmp")
    temporary.write_text(text, encoding="utf-8")
    mode = temporary.stat().st_mode
    temporary.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(temporary, path)
