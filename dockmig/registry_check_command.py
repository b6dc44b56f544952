"""`dockmig registry-check`: fail while a Kamal project still points at a registry.

Only click and dockmig.errors are imported with this module.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from dockmig.errors import EXIT_FINDINGS, EXIT_OK, DockmigError, UsageMistake

logger = logging.getLogger(__name__)


@click.command("registry-check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--registry",
    "registries",
    multiple=True,
    metavar="HOST[:PORT]",
    help="The registry the project must no longer use (repeatable); "
    "default: .dockmig.yml registry/previous.",
)
@click.option("-v", "--verbose", count=True, help="-v progress, -vv debug, on stderr.")
def registry_check_command(
    paths: tuple[Path, ...], registries: tuple[str, ...], verbose: int
) -> None:
    """Fail while the project points at a registry left behind.

    Exit 1 and every place at file:line:col while any target (the base or a
    destination) names the registry; exit 0 once none does; exit 3 when a
    target's deploy file does not load, so its values could not be checked.
    """
    from dockmig.cli import configure_logging, run_guarded

    configure_logging(verbose)
    sys.exit(run_guarded(lambda: check_paths(list(paths), list(registries))))


def check_paths(paths: list[Path], registries: list[str]) -> int:
    """Check each project the paths belong to; exit 1 if any points there."""
    from dockmig import project, registry_check, settings

    failed = False
    unread: list[str] = []
    for root in project.group_by_root(paths or [Path(".")]):
        try:
            hosts = [registry_check.normalise(r) for r in registries]
        except DockmigError as error:
            # On the command line it is a usage mistake; in .dockmig.yml
            # (below) it stays bad input.
            raise UsageMistake(error.message) from None
        if not hosts:
            previous = settings.load(root).previous_registry
            if previous is None:
                raise DockmigError(
                    "name the registry to check for with --registry, or set "
                    "registry/previous in .dockmig.yml",
                    path=str(root),
                )
            hosts = [registry_check.normalise(previous)]

        result = registry_check.check(root, hosts, os.environ)
        prefix = _prefix(root)
        for note in result.unchecked:
            click.echo(f"dockmig: warning: {prefix}{note}", err=True)
        for hit in result.hits:
            click.echo(f"{prefix}{hit.line()}")
        if result.unread:
            unread.append(f"{prefix}{result.unread_line()}")
        if result.hits:
            failed = True
        elif not result.unread:
            logger.info(
                "%s: no target (%s) points at %s",
                root,
                ", ".join(result.targets),
                ", ".join(hosts),
            )
    if unread:
        # Values that were never read may name the registry: "no hits" is
        # not a pass, whatever the other targets showed.
        raise DockmigError(
            "; ".join(unread) + "; registry-check could not read these targets' "
            "values (`dockmig lint` names every problem)"
        )
    return EXIT_FINDINGS if failed else EXIT_OK


def _prefix(root: Path) -> str:
    """File names relative to where dockmig runs, as pre-commit and editors expect."""
    try:
        relative = root.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return f"{root.resolve()}/"
    return "" if str(relative) == "." else f"{relative.as_posix()}/"
