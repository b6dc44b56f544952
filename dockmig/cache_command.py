"""`dockmig cache [report | prune]`: Click parses here; dockmig.cache does the work.

Only click and dockmig.errors are imported with this module; the docker SDK
loads when a subcommand runs.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from dockmig.errors import EXIT_OK, DockmigError

logger = logging.getLogger(__name__)

_PATH = click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
_CONTEXT = click.option(
    "--context",
    "docker_context",
    metavar="NAME",
    help="Docker context to inspect, as `docker --context` would use it.",
)
_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
_VERBOSE = click.option(
    "-v", "--verbose", count=True, help="-v every record, -vv debug, on stderr."
)


def _parse_keep(
    context: click.Context, parameter: click.Parameter, value: str | None
) -> int | None:
    if value is None:
        return None
    from dockmig.settings import parse_size

    try:
        return parse_size(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.group("cache", invoke_without_command=True)
@_CONTEXT
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    help="Output format of the report (default: text).",
)
@_VERBOSE
@click.pass_context
def cache_group(
    context: click.Context, docker_context: str | None, fmt: str | None, verbose: int
) -> None:
    """BuildKit cache and builder volumes: report (the default), safe prune.

    `dockmig cache --context NAME` is `dockmig cache report --context NAME`.
    """
    given = docker_context is not None or fmt is not None or verbose
    if context.invoked_subcommand is None:
        context.invoke(
            report_command,
            docker_context=docker_context,
            fmt=fmt or "text",
            verbose=verbose,
        )
    elif given:
        raise click.UsageError(
            f"options for `{context.invoked_subcommand}` go after it: "
            f"dockmig cache {context.invoked_subcommand} --context NAME ..."
        )


@cache_group.command("report")
@_PATH
@_CONTEXT
@_FORMAT
@_VERBOSE
def report_command(
    path: Path | None = None,
    docker_context: str | None = None,
    fmt: str = "text",
    verbose: int = 0,
) -> None:
    """Build cache records and every buildx state volume, with its builder."""
    from dockmig.cli import configure_logging, run_guarded

    configure_logging(verbose)
    sys.exit(run_guarded(lambda: report(path, docker_context, fmt, verbose)))


@cache_group.command("prune")
@_PATH
@click.option(
    "--keep",
    metavar="SIZE",
    callback=_parse_keep,
    help="Also trim the engine's build cache so the total is at most SIZE (20GB).",
)
@click.option("--dry-run", is_flag=True, help="Only show what would be removed.")
@click.option("--yes", is_flag=True, help="Remove without asking (required to act).")
@_CONTEXT
@_FORMAT
@_VERBOSE
def prune_command(
    path: Path | None,
    keep: int | None,
    dry_run: bool,
    yes: bool,
    docker_context: str | None,
    fmt: str,
    verbose: int,
) -> None:
    """Remove orphaned builder state first; nothing a running container uses.

    Shows the plan; removes only with --yes (and never with --dry-run).
    """
    from dockmig.cli import configure_logging, run_guarded

    configure_logging(verbose)
    sys.exit(
        run_guarded(
            lambda: prune(
                path,
                keep,
                apply=yes and not dry_run,
                docker_context=docker_context,
                fmt=fmt,
            )
        )
    )


def report(
    path: Path | None, docker_context: str | None, fmt: str, verbose: int
) -> int:
    """Write the cache report; always exit 0 when it could be made."""
    from dockmig import cache, docker_engine

    with docker_engine.connected(docker_context) as engine:
        found = _gather(engine, path)
    if fmt == "json":
        json.dump(cache.report_json(found), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        cache.write_report(found, sys.stdout, verbose=verbose > 0)
    return EXIT_OK


def prune(
    path: Path | None,
    keep: int | None,
    *,
    apply: bool,
    docker_context: str | None = None,
    fmt: str = "text",
) -> int:
    """Show the prune plan, and carry it out when `apply`; exit 3 if a step failed."""
    from dockmig import cache, docker_engine

    with docker_engine.connected(docker_context) as engine:
        plan = cache.plan_prune(_gather(engine, path), keep)
        done = cache.execute(engine.client, plan) if apply and plan.steps else None

    if fmt == "json":
        json.dump(cache.plan_json(plan, done), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        cache.write_plan(plan, sys.stdout, applied=done is not None)
        for result in done or []:
            mark = "ok" if result.ok else "failed"
            click.echo(f"{mark}: {result.step.target}: {result.message}")
        if done is None and plan.steps:
            click.echo("Nothing was removed; run again with --yes to remove it.")
    if done is not None and not all(result.ok for result in done):
        raise DockmigError("some removals failed (listed above); nothing else changed")
    return EXIT_OK


def _gather(engine: Any, path: Path | None) -> Any:
    from dockmig import cache, project, settings

    root = project.find_root(path or Path("."))
    limit = settings.load(root).cache_limit_bytes
    return cache.gather(engine.client, root, limit, dict(os.environ), engine.where)
