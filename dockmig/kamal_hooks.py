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

from dockmig import document, erb, project
from dockmig.errors import DockmigError
from dockmig.findings import Mark, Severity

logger = logging.getLogger(__name__)

MARKER = "# managed by dockmig (dockmig hooks install)"
ORIGINAL_SUFFIX = ".dockmig-orig"
# The marker is the script's second line; this much of a hook shows it.
_HEAD_BYTES = 4096

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
    """`hooks_path` from config/deploy.yml when set, else `.kamal/hooks`.

    A deploy file that cannot be read may set hooks_path: hooks written to
    the default folder would then never run, and removing them there would
    leave the real ones. So a file that does not read or parse stops here
    with the reader's finding.
    """
    default = root / ".kamal" / "hooks"
    config = root / project.DEFAULT_CONFIG
    if not (config.exists() or config.is_symlink()):
        return default

    loaded = document.load(config, project.DEFAULT_CONFIG, os.environ)
    if not loaded.parsed:
        errors = [f for f in loaded.findings if f.severity >= Severity.ERROR]
        where = errors[0].mark if errors else Mark(project.DEFAULT_CONFIG, 1, 1)
        said = f"{errors[0].message}; " if errors else ""
        raise DockmigError(
            f"{said}dockmig cannot tell where Kamal looks for hooks (hooks_path) "
            "until the file loads",
            path=where.file,
            line=where.line,
            column=where.column,
        )

    data = loaded.data if isinstance(loaded.data, dict) else {}
    hooks_path = data.get("hooks_path")
    if hooks_path is None:
        return default
    position = loaded.positions.get(("hooks_path",))
    mark = position.value if position is not None else Mark(loaded.path, 1, 1)
    if not isinstance(hooks_path, str) or not hooks_path.strip():
        problem = "is empty" if isinstance(hooks_path, str) else "is not a string"
        raise DockmigError(
            f"hooks_path {problem}; write the hooks folder, e.g. .kamal/hooks",
            path=mark.file,
            line=mark.line,
            column=mark.column,
        )
    if erb.PLACEHOLDER_PREFIX in hooks_path:
        raise DockmigError(
            "hooks_path is computed by ERB, which dockmig does not run; write the "
            "folder out to install hooks into it",
            path=mark.file,
            line=mark.line,
            column=mark.column,
        )
    return root / hooks_path


def script(name: str) -> str:
    original = f"{name}{ORIGINAL_SUFFIX}"
    return f"""#!/bin/sh
{MARKER}
# Runs the project's own {name} hook first (kept as {original}), then
# `dockmig doctor` for the destination Kamal deploys to. A failure stops Kamal.
# Kamal runs a hook that exists, executable or not, so this does too.
set -e
hook_dir=$(dirname "$0")
if [ -e "$hook_dir/{original}" ]; then
  "$hook_dir/{original}" "$@"
fi
dockmig=${{DOCKMIG:-dockmig}}
if ! command -v "$dockmig" >/dev/null 2>&1; then
  echo "{name}: dockmig is not on PATH; install it or" \\
    "run 'dockmig hooks uninstall'" >&2
  exit 1
fi
# Kamal runs hooks from the project root. The registry checked is the one
# this deploy pushes to, not the one .dockmig.yml plans to move to.
if [ -n "${{KAMAL_DESTINATION:-}}" ]; then
  exec "$dockmig" doctor . --registry-in-use \\
    --destination "$KAMAL_DESTINATION" --only {HOOKS[name]}
fi
exec "$dockmig" doctor . --registry-in-use --only {HOOKS[name]}
"""


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        # hooks_path may name a folder outside the project.
        return str(path)


def _is_ours(path: Path, display: str) -> bool:
    """Whether dockmig wrote this hook: its marker sits near the top.

    Only the head is read, without blocking: a hook may be a large binary,
    and whatever cannot be read cannot be told apart from someone's own hook.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError as error:
        raise DockmigError(
            f"cannot be read ({error.strerror or error}); dockmig must read a hook "
            "to tell its own from the project's",
            path=display,
        ) from None
    return MARKER.encode() in head


def _refuse_other_kinds(path: Path, display: str) -> None:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise DockmigError(
            "is not a regular file; move it away before installing hooks",
            path=display,
        )


def install(root: Path) -> list[Change]:
    """Write the hooks, keeping any the project had; nothing is written on refusal."""
    config = root / project.DEFAULT_CONFIG
    if not (config.exists() or config.is_symlink()):
        raise DockmigError(
            f"{project.DEFAULT_CONFIG} not found: this is not a Kamal project; "
            "run `dockmig hooks install` in its root",
            path=str(root),
        )
    folder = hooks_dir(root)
    if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
        raise DockmigError(
            "is not a folder; Kamal runs hooks from the folder hooks_path names",
            path=_display(folder, root),
        )

    # Every hook is checked before any is written: a refusal leaves the
    # folder exactly as it was.
    planned: list[tuple[str, Path, str, bool]] = []
    for name in HOOKS:
        target = folder / name
        display = _display(target, root)
        _refuse_other_kinds(target, display)
        wanted = script(name)
        keep_original = False
        if target.exists() and _is_ours(target, display):
            if target.read_text(encoding="utf-8", errors="replace") == wanted:
                planned.append((display, target, "unchanged", False))
                continue
        elif target.exists():
            original = folder / f"{name}{ORIGINAL_SUFFIX}"
            if original.exists() or original.is_symlink():
                raise DockmigError(
                    f"both {name} and {original.name} exist; remove one first",
                    path=display,
                )
            keep_original = True
        planned.append((display, target, "installed", keep_original))

    changes = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for display, target, action, keep_original in planned:
            if action == "unchanged":
                changes.append(Change(display, action))
                continue
            # The new hook is written in full before the project's own moves
            # aside: a full disk must not leave the project without its hook.
            prepared = _prepare_executable(target, script(target.name))
            original = target.with_name(f"{target.name}{ORIGINAL_SUFFIX}")
            try:
                if keep_original:
                    target.rename(original)
                os.replace(prepared, target)
            except OSError:
                prepared.unlink(missing_ok=True)
                if keep_original and not target.exists() and original.exists():
                    original.rename(target)
                raise
            if keep_original:
                changes.append(Change(display, f"kept the original as {original.name}"))
            changes.append(Change(display, action))
    except OSError as error:
        done = "; ".join(f"{c.path}: {c.action}" for c in changes) or "nothing"
        raise DockmigError(
            f"cannot write the hooks ({error.strerror or error}); done so far: {done}",
            path=_display(folder, root),
        ) from None
    return changes


def uninstall(root: Path) -> list[Change]:
    """Remove dockmig's hooks and put back what they replaced."""
    folder = hooks_dir(root)

    # Decide everything first, as install does.
    planned: list[tuple[str, Path, bool, Path | None]] = []
    for name in HOOKS:
        target = folder / name
        original = folder / f"{name}{ORIGINAL_SUFFIX}"
        display = _display(target, root)
        ours = (
            target.is_file() and not target.is_symlink() and _is_ours(target, display)
        )
        there = target.exists() or target.is_symlink()
        restore = original if original.exists() and (ours or not there) else None
        planned.append((display, target, ours, restore))

    changes = []
    try:
        for display, target, ours, restore in planned:
            if ours:
                target.unlink()
                changes.append(Change(display, "removed"))
            if restore is not None:
                restore.rename(target)
                changes.append(Change(display, "restored"))
    except OSError as error:
        done = "; ".join(f"{c.path}: {c.action}" for c in changes) or "nothing"
        raise DockmigError(
            f"cannot change the hooks ({error.strerror or error}); done so far: {done}",
            path=_display(folder, root),
        ) from None
    return changes


def _prepare_executable(path: Path, text: str) -> Path:
    """The hook written beside `path` under a temporary name, executable."""
    temporary = path.with_name(f".{path.name}.dockmig-tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        mode = temporary.stat().st_mode
        temporary.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return temporary
