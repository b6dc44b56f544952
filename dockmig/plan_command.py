"""`dockmig plan`: Click parses here; dockmig.plan does the work.

Only click and dockmig.errors are imported with this module; the probes
load when the command runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from dockmig.errors import EXIT_OK

logger = logging.getLogger(__name__)


@click.command("plan")
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown pastes into an issue or a pull request as a task list.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=0, min_open=True, max=600),
    metavar="SECONDS",
    help="Seconds all probes together may take (default 10, or .dockmig.yml).",
)
@click.option(
    "--context",
    "docker_context",
    metavar="NAME",
    help="Docker context to look at, as `docker --context` would use it.",
)
@click.option(
    "--dns-server",
    metavar="IP[:PORT]",
    help="Ask this DNS server instead of the system resolver.",
)
@click.option(
    "-d",
    "--destination",
    metavar="DEST",
    help="Kamal destination whose credentials to check (default: the base).",
)
@click.option("-v", "--verbose", count=True, help="-v progress, -vv debug, on stderr.")
def plan_command(
    path: Path | None,
    fmt: str,
    deadline: float | None,
    docker_context: str | None,
    dns_server: str | None,
    destination: str | None,
    verbose: int,
) -> None:
    """The migration checklist, ticked from real evidence.

    Phase 1 moves Docker Desktop to OrbStack, phase 2 the registry. Exit 0
    whenever the plan could be made, however many items are open.
    """
    from dockmig.cli import configure_logging, run_guarded

    configure_logging(verbose)

    def work() -> int:
        from dockmig import plan

        root = path or Path(".")
        plan.require_folder(root)
        made = plan.make(
            root,
            deadline=deadline,
            docker_context=docker_context,
            dns_server=dns_server,
            destination=destination,
        )
        writer = {
            "text": plan.write_text,
            "markdown": plan.write_markdown,
            "json": plan.write_json,
        }[fmt]
        writer(made, sys.stdout)
        return EXIT_OK

    sys.exit(run_guarded(work))
