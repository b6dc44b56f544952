"""A Kamal project on disk: its root, deploy files, destinations and secrets files.

Kamal's rules for which files a command reads (kamal.md §0 and §12):
`-d D` reads the main config path with its extension swapped for `.D.yml`;
secrets come from `<secrets_path>-common` plus `<secrets_path>` without a
destination, or `<secrets_path>.D` with one, and the plain file is then not
read at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockmig import document
from dockmig.errors import DockmigError
from dockmig.findings import Position

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = "config/deploy.yml"
DEFAULT_SECRETS_PATH = ".kamal/secrets"
_DESTINATION_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Project:
    root: Path
    config: str  # relative to root, as the user would write it
    destinations: list[str] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.root / self.config

    def destination_config(self, destination: str) -> str:
        """`config/deploy.yml` with `-d staging` reads `config/deploy.staging.yml`."""
        config = Path(self.config)
        return str(config.with_suffix(f".{destination}.yml"))

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def find_root(path: Path) -> Path:
    """The Kamal project a directory or a file (as pre-commit passes it) belongs to."""
    start = path if path.is_dir() else path.parent
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / "config").is_dir() and any(
            (candidate / "config").glob("deploy*.y*ml")
        ):
            return candidate
        if (candidate / ".kamal").is_dir():
            return candidate
    return path.resolve() if path.is_dir() else start


def group_by_root(paths: Iterable[Path]) -> dict[Path, list[Path]]:
    """Several files may belong to several projects (a monorepo): one lint each."""
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        if not path.exists():
            raise DockmigError("does not exist", path=str(path))
        groups.setdefault(find_root(path), []).append(path)
    return groups


def discover(root: Path, config: str | None, destinations: list[str]) -> Project:
    """The project at `root`, with the destinations to lint."""
    project = Project(root=root, config=config or DEFAULT_CONFIG)
    if project.config_path.is_symlink() and not project.config_path.exists():
        # A loop or a link to nothing: say so rather than "not found".
        document.read_bytes(project.config_path, project.config)
    if not project.config_path.exists():
        hint = (
            "run dockmig in the Kamal project root or pass --config"
            if config is None
            else "check the --config path"
        )
        raise DockmigError(f"{project.config} not found; {hint}", path=str(root))

    if destinations:
        for destination in destinations:
            if not _DESTINATION_NAME.match(destination):
                raise DockmigError(
                    f"destination {destination!r} is not a name Kamal accepts "
                    "(letters, digits, - and _)"
                )
            if not (root / project.destination_config(destination)).exists():
                raise DockmigError(
                    f"{project.destination_config(destination)} not found for "
                    f"destination {destination!r}",
                    path=str(root),
                )
        project.destinations = list(destinations)
    else:
        project.destinations = found_destinations(root, project.config)
    return project


def found_destinations(root: Path, config: str) -> list[str]:
    config_path = Path(config)
    stem = config_path.stem
    folder = root / config_path.parent
    names = []
    for candidate in sorted(folder.glob(f"{stem}.*.yml")):
        name = candidate.name[len(stem) + 1 : -len(".yml")]
        if _DESTINATION_NAME.match(name):
            names.append(name)
    return names


def secrets_files(root: Path, secrets_path: str, destination: str | None) -> list[Path]:
    """The secrets files Kamal reads for a target, in the order it reads them."""
    base = root / secrets_path
    names = [
        f"{base.name}-common",
        base.name if destination is None else f"{base.name}.{destination}",
    ]
    return [base.parent / name for name in names]


def deep_merge(
    base: Any,
    base_positions: dict[tuple[Any, ...], Position],
    overlay: Any,
    overlay_positions: dict[tuple[Any, ...], Position],
) -> tuple[Any, dict[tuple[Any, ...], Position]]:
    """ActiveSupport's deep_merge!: maps merge, everything else (null too) replaces."""
    replaced: set[tuple[Any, ...]] = set()
    moved: set[tuple[Any, ...]] = set()
    merged = _merge(base, overlay, (), replaced, moved)

    # One pass over each side's positions, not one per replaced key: a
    # destination replacing thousands of keys made that quadratic.
    positions = {
        path: position
        for path, position in base_positions.items()
        if not _under(path, replaced)
    }
    for path, position in overlay_positions.items():
        if path in moved or _under(path, replaced):
            positions[path] = position
    return merged, positions


def _merge(
    base: Any,
    overlay: Any,
    path: tuple[Any, ...],
    replaced: set[tuple[Any, ...]],
    moved: set[tuple[Any, ...]],
) -> Any:
    """Merge `overlay` into `base`; note the paths it replaced and merged into.

    Below a replaced path every position comes from the overlay; of a mapping
    merged into, only the key's own position does.
    """
    if isinstance(base, dict) and isinstance(overlay, dict):
        result = dict(base)
        for key, value in overlay.items():
            child = (*path, key)
            if (
                key in result
                and isinstance(result[key], dict)
                and isinstance(value, dict)
            ):
                moved.add(child)
                result[key] = _merge(result[key], value, child, replaced, moved)
            else:
                replaced.add(child)
                result[key] = value
        return result
    replaced.add(path)
    return overlay


def _under(path: tuple[Any, ...], prefixes: set[tuple[Any, ...]]) -> bool:
    return any(path[:length] in prefixes for length in range(len(path) + 1))
