"""The `rewrite-registry` command: Click parses, `run` does the work.

Only click and dockmig.errors are imported here, so that registering the
command costs `dockmig --help` nothing; the engine (and ruamel, and libcst
for Python sources) loads when the command runs.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import IO

import click

from dockmig.errors import EXIT_FINDINGS, EXIT_OK

logger = logging.getLogger(__name__)


# The mode flags, by Click parameter name: one at most, --diff by default.
MODES = {"show_diff": "diff", "check": "check", "write": "write"}


@click.command("rewrite-registry")
@click.argument(
    "path", required=False, type=click.Path(path_type=Path), default=Path(".")
)
@click.option(
    "--to",
    "to",
    metavar="HOST[:PORT]",
    help="The registry to move to (default: registry.host in .dockmig.yml).",
)
@click.option(
    "--from",
    "from_host",
    metavar="HOST",
    help="Only move what uses this registry (default: whatever the config uses).",
)
@click.option("--username", help="Registry user (default: settings, then the config).")
@click.option(
    "--password-secret",
    metavar="NAME",
    help="Secret holding the registry password (default: settings, then the config).",
)
@click.option("-c", "--config", help="Deploy config, relative to the project root.")
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Show what would change as a unified diff (the default).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Only say whether anything would change: exit 1 if so (for CI).",
)
@click.option("--write", is_flag=True, help="Apply the changes.")
@click.option("-v", "--verbose", count=True, help="-v progress, -vv debug, on stderr.")
def rewrite_registry_command(
    path: Path,
    to: str | None,
    from_host: str | None,
    username: str | None,
    password_secret: str | None,
    config: str | None,
    show_diff: bool,
    check: bool,
    write: bool,
    verbose: int,
) -> None:
    """Move a Kamal project to another registry: every file that names it."""
    from dockmig.cli import configure_logging, run_guarded

    given = {"show_diff": show_diff, "check": check, "write": write}
    chosen = [MODES[flag] for flag, on in given.items() if on]
    if len(chosen) > 1:
        raise click.UsageError(
            f"--{chosen[0]} and --{chosen[1]} cannot be combined: choose one mode"
        )
    mode = chosen[0] if chosen else "diff"
    configure_logging(verbose)
    code = run_guarded(
        lambda: run(
            path,
            to=to,
            from_host=from_host,
            username=username,
            password_secret=password_secret,
            config=config,
            mode=mode,
            out=sys.stdout,
            err=sys.stderr,
        )
    )
    sys.exit(code)


def run(
    path: Path,
    *,
    to: str | None = None,
    from_host: str | None = None,
    username: str | None = None,
    password_secret: str | None = None,
    config: str | None = None,
    mode: str = "diff",
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    environ: dict[str, str] | None = None,
) -> int:
    """Plan the move, then show it, check it or write it; the exit code."""
    from dockmig import rewrite

    stream = out if out is not None else sys.stdout
    if from_host is not None:
        rewrite.check_host(from_host, "--from")
    options = rewrite.Options(
        root=path,
        to=to,
        from_host=from_host,
        username=username,
        password_secret=password_secret,
        config=config,
        environ=dict(os.environ if environ is None else environ),
    )
    result = rewrite.plan(options)

    colour = _colour(stream)
    if mode == "diff":
        for change in result.changes:
            stream.write(rewrite.diff(change, colour=colour))
        # The diff alone on stdout, so it can be piped or saved; what is
        # said about it goes beside it, on stderr.
        stream = err if err is not None else stream
    # --check says only what CI needs: the summary and what blocks.
    shown = [n for n in result.notes if n.blocking or mode != "check"]
    for note in sorted(shown, key=lambda n: (n.path, n.line, n.column)):
        label = "blocked" if note.blocking else "note"
        stream.write(f"{label}: {note}\n")

    if mode == "write" and not result.blocked:
        rewrite.write(result)
        stream.write(rewrite.summary(result, written=True) + "\n")
        return EXIT_OK
    stream.write(rewrite.summary(result) + "\n")
    if result.blocked:
        if mode == "write":
            stream.write("nothing was written: resolve the blocking notes first\n")
        return EXIT_FINDINGS
    if mode == "check" and result.changes:
        return EXIT_FINDINGS
    return EXIT_OK


def _colour(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
