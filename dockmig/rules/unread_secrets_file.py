"""A file that looks like a secrets file sits where Kamal never reads it.

Kamal reads exactly two secrets files per command: `.kamal/secrets-common`,
then `.kamal/secrets` without a destination or `.kamal/secrets.DEST` with
`-d DEST` (the folder and the `secrets` part move with `secrets_path`).
Anything else is skipped without a word: `secrets-staging` or `secrets_staging`
instead of `secrets.staging`, `secrets.prod` when the destination is called
`production` (there is no `config/deploy.prod.yml`), a Kamal 1 style `.env`
next to the secrets, or `.kamal/secrets` after `secrets_path` moved them.
Secrets defined only there are missing at deploy time. Templates
(`*.example`, `*.sample`, `*.template`, `*.dist`) are left alone.

Passing example::

    env:
      secret:
        - RAILS_MASTER_KEY
    # file: .kamal/secrets
    RAILS_MASTER_KEY=$(cat config/master.key)

Failing example (Kamal wants a dot before the destination)::

    env:
      secret:
        - RAILS_MASTER_KEY
    # file: .kamal/secrets
    RAILS_MASTER_KEY=$(cat config/master.key)
    # file: .kamal/secrets-staging
    RAILS_MASTER_KEY=$(cat config/master.key)
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from dockmig import project as kamal_project
from dockmig.findings import Mark, Severity

if TYPE_CHECKING:
    from dockmig.lint import ProjectContext

logger = logging.getLogger(__name__)

ID = "unread-secrets-file"
SEVERITY = Severity.WARNING
KAMAL = False

_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".tmpl")
_DEFAULT_FOLDER = PurePosixPath(kamal_project.DEFAULT_SECRETS_PATH).parent


def _secrets_paths(project: ProjectContext) -> set[str]:
    """Each `secrets_path` in use, as written relative to the project root."""
    paths = set()
    for target in project.targets:
        if target.secrets_paths:
            common = target.secrets_paths[0]
            paths.add(common.removesuffix("-common"))
    return paths or {kamal_project.DEFAULT_SECRETS_PATH}


def _read_by_kamal(bases: set[str], destinations: list[str]) -> set[str]:
    """Every file Kamal reads for some destination that exists on disk."""
    read = set()
    for base in bases:
        read.add(f"{base}-common")
        read.add(base)
        read.update(f"{base}.{name}" for name in destinations)
    return read


def _candidates(root: Path, folder: PurePosixPath) -> list[PurePosixPath]:
    directory = root / folder
    if not directory.is_dir():
        return []

    found = []
    for path in sorted(directory.iterdir()):
        name = path.name
        if (
            not path.is_file()
            or name.endswith(_TEMPLATE_SUFFIXES)
            or name.endswith("~")
        ):
            continue
        if name.startswith("secrets") or name == ".env" or name.startswith(".env."):
            found.append(folder / name)
    return found


def _advice(
    project: ProjectContext, name: str, bases: set[str], destinations: list[str]
) -> str:
    """Why Kamal skips `name`, and the file it would read in its place."""
    for base in sorted(bases, key=len, reverse=True):
        rest = name[len(base) :] if name.startswith(base) else ""
        if len(rest) < 2 or rest[0] not in "-_." or "/" in rest:
            continue
        wanted = rest[1:]
        if wanted == "common":
            return f"the shared file is {base}-common, with a hyphen; rename it"
        if wanted in destinations:
            return f"for -d {wanted} Kamal reads {base}.{wanted}; rename it to that"
        close = difflib.get_close_matches(wanted, destinations, n=1, cutoff=0.4)
        missing = project.project.destination_config(wanted)
        if close:
            return (
                f"there is no {missing}; for -d {close[0]} Kamal reads "
                f"{base}.{close[0]}, so rename it to that"
            )
        return (
            f"there is no {missing}, and with one Kamal would read "
            f"{base}.{wanted}; rename it or move its lines into a file Kamal reads"
        )

    base = sorted(bases)[0]
    if PurePosixPath(name).name.startswith(".env"):
        return (
            f"Kamal 2 reads secrets only from {base}-common and {base} (or "
            f"{base}.DEST); move its lines there"
        )
    return (
        f"Kamal reads {base}-common, {base} without -d and {base}.DEST with "
        "-d DEST; rename it or move its lines into one of those"
    )


def check_project(project: ProjectContext) -> None:
    bases = _secrets_paths(project)
    destinations = kamal_project.found_destinations(
        project.root, project.project.config
    )
    read = _read_by_kamal(bases, destinations)
    folders = {PurePosixPath(base).parent for base in bases} | {_DEFAULT_FOLDER}

    for folder in sorted(folders):
        for candidate in _candidates(project.root, folder):
            name = candidate.as_posix()
            if name in read:
                continue
            project.report(
                ID,
                Mark(name, 1, 1),
                f"{name} looks like a secrets file, but Kamal never reads it: "
                f"{_advice(project, name, bases, destinations)}",
            )
