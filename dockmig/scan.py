"""Which files of a project name a registry host, without parsing any of them.

`rewrite-registry` visits every file of the project once; only the few that
contain the old host's bytes go on to a codemod.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from dockmig import references

logger = logging.getLogger(__name__)

# Folders that belong to tools, not to the project's own files.
SKIPPED_FOLDERS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".tox",
    ".nox",
    ".venv",
    ".bundle",
}


def walk(root: Path) -> Iterator[tuple[str, str]]:
    """(relative, absolute) of every regular file under `root`.

    Tool folders and virtual environments are skipped, and so is every
    symbolic link: a link inside the project points at a file visited under
    its own name, and one leading out of it is never read or written.
    """
    stack = [("", str(root))]

    while stack:
        prefix, folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            logger.warning("cannot list %s: %s", folder, error.strerror)
            continue
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in SKIPPED_FOLDERS and not os.path.exists(
                    os.path.join(entry.path, "pyvenv.cfg")
                ):
                    stack.append((relative + "/", entry.path))
            elif entry.is_file():
                yield relative, entry.path


class HostScan:
    """The files under `root` (but those in `skip`) that name one of `hosts`.

    Iterating yields (relative, content); `files_read` counts every file
    looked at, whether it named a host or not.
    """

    def __init__(self, root: Path, hosts: Iterable[str], skip: set[str]) -> None:
        self.root = root
        self.skip = skip
        encoded = {h.encode() for h in hosts}
        self.hosts = encoded | {h.lower() for h in encoded}
        self.files_read = 0

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        if not self.hosts:
            return

        for relative, path in walk(self.root):
            if relative in self.skip:
                continue
            try:
                with open(path, "rb") as stream:
                    data = stream.read()
            except OSError as error:
                logger.warning("cannot read %s: %s", relative, error.strerror)
                continue
            self.files_read += 1
            if references.contains_any(data, self.hosts):
                yield relative, data
