"""`dockmig backup-volume`: Click parses here; `backup_volumes` does the work.

Only click and dockmig.errors are imported with this module; the docker SDK
loads when the command runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from dockmig.errors import EXIT_CANNOT, EXIT_OK, DockmigError

logger = logging.getLogger(__name__)


@click.command("backup-volume")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the archives (default: .dockmig.yml backup/dir, or backups/).",
)
@click.option(
    "--helper-image",
    metavar="IMAGE",
    help="A local image for the helper container (default: .dockmig.yml "
    "backup/helper_image, or busybox:latest); never pulled.",
)
@click.option(
    "--context",
    "docker_context",
    metavar="NAME",
    help="Docker context to read from, as `docker --context` would use it.",
)
@click.option("-v", "--verbose", count=True, help="-v progress, -vv debug, on stderr.")
def backup_volume_command(
    names: tuple[str, ...],
    folder: Path | None,
    helper_image: str | None,
    docker_context: str | None,
    verbose: int,
) -> None:
    """Back up Docker volumes to verified .tar.gz archives.

    Each archive is read back and checked against the volume; the exact
    restore command is printed.

    Without NAME, backs up the volumes listed under volumes: in .dockmig.yml.
    """
    from dockmig.cli import configure_logging, run_guarded

    configure_logging(verbose)
    code = run_guarded(
        lambda: backup_volumes(
            list(names),
            folder=folder,
            helper_image=helper_image,
            docker_context=docker_context,
        )
    )
    sys.exit(code)


def backup_volumes(
    names: list[str],
    *,
    folder: Path | None = None,
    helper_image: str | None = None,
    docker_context: str | None = None,
    root: Path | None = None,
) -> int:
    """Back up each volume; one that fails does not stop the others (exit 3)."""
    from dockmig import backup, docker_engine, project, settings

    root = root or project.find_root(Path("."))
    configured = settings.load(root)
    volumes = names or configured.volumes
    if not volumes:
        raise DockmigError(
            "name the volumes to back up, or list them under volumes: in .dockmig.yml"
        )
    target = folder if folder is not None else root / configured.backup_dir
    image = helper_image or configured.backup_helper_image
    image = image or backup.DEFAULT_HELPER_IMAGE

    failed = 0
    with docker_engine.connected(docker_context, backup.READ_TIMEOUT) as engine:
        backup.check_helper_image(engine.client, image)
        for volume in dict.fromkeys(volumes):
            try:
                made = backup.backup(engine.client, volume, target, image)
            except DockmigError as error:
                click.echo(f"dockmig: {volume}: {error}", err=True)
                failed += 1
                continue
            for warning in made.warnings:
                click.echo(f"dockmig: warning: {warning}", err=True)
            click.echo(
                f"{volume}: {_shown(made.archive)} ({made.files} files, "
                f"{made.bytes} bytes; verified)"
            )
            click.echo(f"  restore: {made.restore}")
    return EXIT_CANNOT if failed else EXIT_OK


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
