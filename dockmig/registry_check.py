"""Does the project still point at a registry it has moved away from?

For teams that have migrated and want to stay migrated (the pre-commit hook
`dockmig-registry-check`): every target Kamal would load (the base config
and each destination merged over it) is read as Kamal reads it, and every
string value that names the registry is reported at its file, line and
column: `registry/server` itself, and image references such as an
accessory's `localhost:5555/redis`. Comments are not values, so a note on how
to roll back does not count. Values computed by ERB cannot be read without
running it; they are reported as unchecked, not as failures. A target whose
deploy file does not load has no values to read at all: the check cannot
pass, and the reader's finding says why (exit 3).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockmig import erb, references
from dockmig.errors import DockmigError
from dockmig.findings import Mark, format_path

logger = logging.getLogger(__name__)


@dataclass
class Hit:
    mark: Mark
    key_path: str
    host: str
    targets: list[str] = field(default_factory=list)

    def line(self) -> str:
        where = f"{self.mark.file}:{self.mark.line}:{self.mark.column}"
        return (
            f"{where}: {self.key_path} still points at {self.host} "
            f"({', '.join(self.targets)})"
        )


@dataclass
class Result:
    root: Path
    hosts: list[str]
    hits: list[Hit]
    unchecked: list[str]
    targets: list[str]
    # Why a target's config did not load, to the targets it stopped: their
    # values were never read, so the check is not complete.
    unread: dict[str, list[str]] = field(default_factory=dict)

    def unread_line(self) -> str:
        return "; ".join(
            f"{why} ({', '.join(targets)})" for why, targets in self.unread.items()
        )


def normalise(host: str) -> str:
    """`localhost:5555`, as written in `registry/server`: no scheme, no slash."""
    written = host.strip().rstrip("/")
    if "://" in written or not written:
        raise DockmigError(
            f"registry {host!r}: give host[:port] as Kamal's registry/server has it"
        )
    return written


def check(root: Path, hosts: list[str], environ: Mapping[str, str]) -> Result:
    """Every value of every target of the project that names one of `hosts`."""
    from dockmig.doctor import inputs

    gathered = inputs.gather(root, environ=environ)
    if gathered.project_error:
        raise DockmigError(gathered.project_error)
    if gathered.project is None:
        raise DockmigError(
            "no config/deploy.yml here; run in the Kamal project root", path=str(root)
        )

    hits: dict[tuple[str, int, int, str], Hit] = {}
    unchecked: list[str] = []
    unread: dict[str, list[str]] = {}
    names = []
    # Without -d Kamal loads the base alone, even when destinations exist.
    targets = [gathered.base, *gathered.targets]
    seen: list[Any] = []
    for target in targets:
        if target is None or any(target is other for other in seen):
            continue
        seen.append(target)
        name = target.destination or "base"
        names.append(name)
        failure = inputs.load_failure(target)
        if failure is not None:
            unread.setdefault(failure, []).append(name)
            continue
        for path, value in _strings(target.data, ()):
            mark = target.mark(path)
            if erb.PLACEHOLDER_PREFIX in value and path[:2] == ("registry", "server"):
                unchecked.append(
                    f"{mark.file}:{mark.line}:{mark.column}: registry/server is "
                    f"computed by ERB ({name}); dockmig does not run it, not checked"
                )
            for mention in references.mentions(value, hosts):
                key = (mark.file, mark.line, mark.column, format_path(path))
                hit = hits.setdefault(
                    key, Hit(mark, format_path(path), mention.host.lower())
                )
                if name not in hit.targets:
                    hit.targets.append(name)

    if not hits:
        unchecked += _other_ports(seen, hosts)
    ordered = sorted(hits.values(), key=lambda h: (h.mark.file, h.mark.line))
    return Result(root, hosts, ordered, list(dict.fromkeys(unchecked)), names, unread)


def _other_ports(targets: list[Any], hosts: list[str]) -> list[str]:
    """Say so when a host given without a port is used with one.

    `localhost` and `localhost:5555` are two registries to Kamal (and the
    first is not its local one), so nothing matched; the person most likely
    meant the one the config names.
    """
    said = []
    for target in targets:
        data = target.data if isinstance(target.data, dict) else {}
        registry = data.get("registry")
        server = registry.get("server") if isinstance(registry, dict) else None
        if not isinstance(server, str) or ":" not in server:
            continue
        for host in hosts:
            if ":" not in host and server.lower().startswith(host.lower() + ":"):
                mark = target.mark(("registry", "server"))
                said.append(
                    f"{mark.file}:{mark.line}:{mark.column}: registry/server is "
                    f"{server}, which is not {host} (the port counts); give "
                    f"--registry {server} to check for it"
                )
    return said


def _strings(
    value: Any, path: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
