"""Command line: Click parses, plain functions do the work and return exit codes.

Start-up stays light: this module imports only click and dockmig's own small
modules; each command imports what it needs when it runs, so `dockmig --help`
and `dockmig lint` never load docker, dnspython, libcst or requests.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from dockmig import __version__
from dockmig.errors import (
    EXIT_BUG,
    EXIT_CANNOT,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    DockmigError,
    UsageMistake,
)

logger = logging.getLogger(__name__)


def configure_logging(verbose: int) -> None:
    """-v INFO, -vv DEBUG, on stderr; results stay alone on stdout."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(
        level=level,
        format="dockmig: %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("dockmig").setLevel(level)


def run_guarded(work: Callable[[], int]) -> int:
    """Run a command: the user's problems are one line, bugs leave a report."""
    try:
        return work()
    except UsageMistake as error:
        context = click.get_current_context(silent=True)
        command = context.command_path if context else "dockmig"
        click.echo(f"Error: {error}\nTry '{command} --help' for help.", err=True)
        return EXIT_USAGE
    except DockmigError as error:
        click.echo(f"dockmig: {error}", err=True)
        return EXIT_CANNOT
    except KeyboardInterrupt:
        click.echo("dockmig: interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`dockmig lint | head`): not a bug, and nothing
        # more can be written. Point stdout at /dev/null so exit does not fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_CANNOT
    except Exception:
        report = _write_crash_report()
        click.echo(
            f"dockmig: internal error (a bug in dockmig); details in {report}", err=True
        )
        return EXIT_BUG


def _write_crash_report() -> str:
    # Imported here, where a crash needs it: every start would pay for it.
    import tempfile

    handle, path = tempfile.mkstemp(prefix="dockmig-crash-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(f"dockmig {__version__}, Python {sys.version.split()[0]}\n")
        stream.write(f"argv: {' '.join(sys.argv[1:2])} …\n\n")
        error = sys.exc_info()[1]
        if error is not None:
            stream.write(traceback_without_messages(error))
    return path


def traceback_without_messages(error: BaseException) -> str:
    """Where each exception in the chain was raised, without what it said.

    An exception's message often quotes the value it choked on (`int('…')`,
    a KeyError's key), and that value may be a secret; the type and the
    frames (files, lines, dockmig's own source) are what a bug report needs.
    """
    chain: list[traceback.TracebackException] = []
    current: traceback.TracebackException | None = (
        traceback.TracebackException.from_exception(error)
    )
    while current is not None and len(chain) < 20:
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__suppress_context__:
            current = None
        else:
            current = current.__context__

    parts: list[str] = []
    for link in reversed(chain):
        if parts:
            parts.append("\nwhich led to:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(link.stack.format())
        kind = link.exc_type
        name = f"{kind.__module__}.{kind.__qualname__}" if kind else "exception"
        parts.append(f"{name} (message left out: it may quote a secret value)\n")
    return "".join(parts)


class _Commands(click.Group):
    """A group whose commands from other modules load only when asked for.

    `dockmig lint` in a pre-commit hook runs on every commit; importing the
    doctor, cache and plan modules there would cost it time for nothing.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: dict[str, tuple[str, str]] = {}

    def defer(self, name: str, module: str, attribute: str) -> None:
        self.deferred[name] = (module, attribute)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.deferred})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.deferred:
            import importlib

            module, attribute = self.deferred[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dockmig")
def main() -> None:
    """Keep Kamal 2 deployments correct while moving engines and registries."""


@main.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-c", "--config", help="Deploy config, relative to the project root.")
@click.option(
    "-d",
    "--destination",
    "destinations",
    multiple=True,
    help="Lint this destination (repeatable); default: base and all found.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "parsable", "json", "sarif", "github"]),
    help="Output format (github is chosen automatically under GitHub Actions).",
)
@click.option(
    "--select", multiple=True, help="Only report these rule IDs (repeatable)."
)
@click.option(
    "--ignore", multiple=True, help="Do not report these rule IDs (repeatable)."
)
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("-v", "--verbose", count=True, help="-v progress, -vv debug, on stderr.")
def lint_command(
    paths: tuple[Path, ...],
    config: str | None,
    destinations: tuple[str, ...],
    fmt: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool,
    verbose: int,
) -> None:
    """Check deploy.yml, its destinations and .kamal/secrets* like Kamal would."""
    configure_logging(verbose)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    if select and not split_values(select):
        # An empty selection would silently mean "every rule".
        raise click.BadParameter("names no rule", param_hint="--select")
    code = run_guarded(
        lambda: lint_paths(
            list(paths) or [Path(".")],
            config,
            list(destinations),
            fmt,
            split_values(select),
            split_values(ignore),
            strict,
        )
    )
    sys.exit(code)


def split_values(values: tuple[str, ...]) -> list[str]:
    """Repeatable options that also take comma-separated lists."""
    return [
        part.strip() for value in values for part in value.split(",") if part.strip()
    ]


def lint_paths(
    paths: list[Path],
    config: str | None,
    destinations: list[str],
    fmt: str,
    select: list[str],
    ignore: list[str],
    strict: bool,
) -> int:
    from dockmig import lint, project, report, settings

    results = []
    for root in project.group_by_root(paths):
        logger.info("linting the Kamal project at %s", root)
        project_settings = settings.load(root)
        result = lint.lint(
            root,
            config=config,
            destinations=destinations,
            settings=project_settings,
            select=select,
            ignore=ignore,
        )
        results.append((_relocate(result, root), project_settings.strict))

    combined = lint.LintResult(
        root=Path.cwd(),
        targets=[t for result, _ in results for t in result.targets],
        findings=[f for result, _ in results for f in result.findings],
    )
    report.write(combined, fmt, sys.stdout, colour=report.use_colour(sys.stdout))
    failed = any(result.failed(strict or configured) for result, configured in results)
    return EXIT_FINDINGS if failed else EXIT_OK


def _relocate(result: Any, root: Path) -> Any:
    """Name files relative to where dockmig runs, as editors and pre-commit expect."""
    try:
        prefix = root.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        prefix = root.resolve()
    if str(prefix) == ".":
        return result

    def move(finding: Any) -> Any:
        mark = replace(finding.mark, file=(prefix / finding.mark.file).as_posix())
        return replace(finding, mark=mark)

    targets = [
        replace(
            t,
            config=(prefix / t.config).as_posix(),
            findings=[move(f) for f in t.findings],
        )
        for t in result.targets
    ]
    return replace(result, targets=targets, findings=[move(f) for f in result.findings])


@main.command("rules")
def rules_command() -> None:
    """List every rule with its ID, default severity and summary."""

    def work() -> int:
        from dockmig import rules

        for rule in rules.all_rules():
            origin = "kamal  " if rule.kamal else "dockmig"
            click.echo(f"{rule.id:<32} {rule.severity!s:<8} {origin}  {rule.summary}")
        return EXIT_OK

    sys.exit(run_guarded(work))


@main.command("explain")
@click.argument("rule_id")
def explain_command(rule_id: str) -> None:
    """Print the manual of one rule."""

    def work() -> int:
        from dockmig import rules

        rule = rules.by_id().get(rule_id)
        if rule is None:
            raise UsageMistake(
                f"unknown rule {rule_id!r}; `dockmig rules` lists them all"
            )
        origin = "a check Kamal itself makes" if rule.kamal else "dockmig's own advice"
        click.echo(f"{rule.id} ({rule.severity}, {origin})\n")
        click.echo(rule.manual)
        return EXIT_OK

    sys.exit(run_guarded(work))


@main.command("schema")
@click.argument("name", type=click.Choice(["deploy", "secrets", "settings"]))
def schema_command(name: str) -> None:
    """Print a bundled JSON Schema (for editors and check-jsonschema)."""

    def work() -> int:
        from dockmig import bundled

        click.echo(bundled.text(name), nl=False)
        return EXIT_OK

    sys.exit(run_guarded(work))


@main.group("hooks")
def hooks_group() -> None:
    """Install or remove Kamal hooks that run dockmig doctor before deploys."""


@hooks_group.command("install")
@click.argument("path", default=".", type=click.Path(path_type=Path))
def hooks_install_command(path: Path) -> None:
    """Write .kamal/hooks/pre-build and pre-deploy (an existing hook is kept)."""
    sys.exit(run_guarded(lambda: _hooks(path, install=True)))


@hooks_group.command("uninstall")
@click.argument("path", default=".", type=click.Path(path_type=Path))
def hooks_uninstall_command(path: Path) -> None:
    """Remove dockmig's Kamal hooks and restore what was there before."""
    sys.exit(run_guarded(lambda: _hooks(path, install=False)))


def _hooks(path: Path, *, install: bool) -> int:
    from dockmig import kamal_hooks, project

    root = project.find_root(path)
    changes = kamal_hooks.install(root) if install else kamal_hooks.uninstall(root)
    for change in changes:
        click.echo(f"{change.path}: {change.action}")
    if not changes:
        click.echo("no dockmig hooks installed here; nothing to do")
    return EXIT_OK


def _register_commands(group: _Commands) -> None:
    """Commands that live in their own modules, imported on first use."""
    for name, module, attribute in (
        ("rewrite-registry", "dockmig.rewrite_command", "rewrite_registry_command"),
        ("doctor", "dockmig.doctor.command", "doctor_command"),
        ("plan", "dockmig.plan_command", "plan_command"),
        ("cache", "dockmig.cache_command", "cache_group"),
        ("backup-volume", "dockmig.backup_command", "backup_volume_command"),
        ("registry-check", "dockmig.registry_check_command", "registry_check_command"),
    ):
        group.defer(name, module, attribute)


_register_commands(main)
