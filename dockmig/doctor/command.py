"""`dockmig doctor`: Click parses here; `doctor` does the work and returns a code.

Only click and dockmig.errors are imported with this module: `dockmig --help`
and `dockmig lint` load it too, and must not pay for docker or dnspython.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from dockmig.errors import EXIT_FINDINGS, EXIT_OK, DockmigError, UsageMistake

logger = logging.getLogger(__name__)


def _check_only(
    context: click.Context, parameter: click.Parameter, values: tuple[str, ...]
) -> list[str]:
    from dockmig import doctor
    from dockmig.cli import split_values

    names = split_values(values)
    try:
        doctor.select(names)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return names


def _check_with(function_name: str) -> Any:
    def check(
        context: click.Context, parameter: click.Parameter, value: str | None
    ) -> str | None:
        if value is None:
            return None
        from dockmig.doctor import inputs

        try:
            getattr(inputs, function_name)(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
        return value

    return check


@click.command("doctor")
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--registry",
    metavar="HOST[:PORT]",
    callback=_check_with("parse_registry_option"),
    help="Registry to check; default: .dockmig.yml, then config/deploy.yml.",
)
@click.option(
    "--registry-in-use",
    "in_use",
    is_flag=True,
    help="Check the registry config/deploy.yml uses now (what `kamal deploy` "
    "pushes to), not the one .dockmig.yml moves to; the Kamal hooks use this.",
)
@click.option(
    "--expect-ip",
    metavar="IP",
    callback=_check_with("parse_ip"),
    help="Address the registry name must resolve to.",
)
@click.option("--username", metavar="USER", help="Registry user to log in as.")
@click.option(
    "--password-env",
    metavar="VAR",
    help="Take the registry password from this environment variable.",
)
@click.option(
    "--ca-file",
    metavar="PEM",
    type=click.Path(exists=True, dir_okay=False),
    help="Trust these CA certificates for the registry (default: system trust).",
)
@click.option(
    "--dns-server",
    metavar="IP[:PORT]",
    callback=_check_with("parse_dns_server"),
    help="Ask this DNS server instead of the system resolver.",
)
@click.option(
    "--context",
    "docker_context",
    metavar="NAME",
    help="Docker context to check, as `docker --context` would use it.",
)
@click.option(
    "-d",
    "--destination",
    metavar="DEST",
    help="Kamal destination (default: $KAMAL_DESTINATION, as in a Kamal hook).",
)
@click.option(
    "--only",
    multiple=True,
    metavar="GROUP|PROBE,...",
    callback=_check_only,
    help="Run only these groups or probes (and what they need).",
)
@click.option(
    "--deadline",
    type=click.FloatRange(min=0, min_open=True, max=600),
    metavar="SECONDS",
    help="Seconds all probes together may take (default 10, or .dockmig.yml).",
)
@click.option(
    "--resolve-secrets",
    is_flag=True,
    help="Run the $(...) commands of .kamal/secrets* to check their values.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--list",
    "list_probes",
    is_flag=True,
    help="List the probes (ID, what each needs, time-out) and exit.",
)
@click.option("-v", "--verbose", count=True, help="-v details, -vv debug, on stderr.")
def doctor_command(
    path: Path | None,
    registry: str | None,
    in_use: bool,
    expect_ip: str | None,
    username: str | None,
    password_env: str | None,
    ca_file: str | None,
    dns_server: str | None,
    docker_context: str | None,
    destination: str | None,
    only: list[str],
    deadline: float | None,
    resolve_secrets: bool,
    fmt: str,
    list_probes: bool,
    verbose: int,
) -> None:
    """Check the engine, the registry and the deploy before `kamal deploy`.

    Exit 0 when no probe failed, 1 when one did (or could not run).
    """
    from dockmig.cli import configure_logging, run_guarded

    configure_logging(verbose)
    if list_probes:
        sys.exit(run_guarded(list_all))
    code = run_guarded(
        lambda: doctor(
            path or Path("."),
            registry=registry,
            in_use=in_use,
            expect_ip=expect_ip,
            username=username,
            password_env=password_env,
            ca_file=ca_file,
            dns_server=dns_server,
            docker_context=docker_context,
            destination=destination,
            only=only,
            deadline=deadline,
            resolve_secrets=resolve_secrets,
            fmt=fmt,
            verbose=verbose,
        )
    )
    sys.exit(code)


def list_all() -> int:
    from dockmig import doctor as probes

    for probe in probes.all_probes():
        waits = [f"needs {', '.join(probe.needs)}"] if probe.needs else []
        waits += [f"reads {', '.join(probe.after)}"] if probe.after else []
        click.echo(f"{probe.id:<22} {probe.timeout:>4g} s  {'; '.join(waits)}")
        click.echo(f"{'':<22}         {probe.description}")
    return EXIT_OK


def doctor(
    root: Path,
    *,
    registry: str | None = None,
    in_use: bool = False,
    expect_ip: str | None = None,
    username: str | None = None,
    password_env: str | None = None,
    ca_file: str | None = None,
    dns_server: str | None = None,
    docker_context: str | None = None,
    destination: str | None = None,
    only: list[str] | None = None,
    deadline: float | None = None,
    resolve_secrets: bool = False,
    fmt: str = "text",
    verbose: int = 0,
) -> int:
    """Run the probes and write the report to stdout; the exit code."""
    from dockmig import doctor as probes
    from dockmig import project
    from dockmig.doctor import inputs, output

    started = time.monotonic()
    if not root.is_dir():
        raise DockmigError("is not a folder", path=str(root))
    # From a subfolder, check the project it belongs to, as lint does.
    root = project.find_root(root)
    if in_use and registry:
        raise UsageMistake("--registry and --registry-in-use cannot be combined")
    gathered = inputs.gather(
        root,
        registry=registry,
        in_use=in_use,
        expect_ip=expect_ip,
        username=username,
        password_env=password_env,
        ca_file=ca_file,
        dns_server=dns_server,
        docker_context=docker_context,
        destination=destination,
        resolve_secrets=resolve_secrets,
    )
    chosen = probes.select(only or [])
    limit = deadline if deadline is not None else gathered.settings.deadline
    logger.info("running %d probes under a %g s deadline", len(chosen), limit)

    results = probes.Runner(chosen, gathered, limit).run()
    report = probes.Report(
        root=str(root),
        results=results,
        elapsed=time.monotonic() - started,
        registry=gathered.registry.netloc if gathered.registry else None,
    )
    if fmt == "json":
        output.write_json(report, sys.stdout)
    else:
        output.write_text(
            report,
            sys.stdout,
            colour=output.use_colour(sys.stdout),
            details=verbose > 0,
        )
    return EXIT_FINDINGS if report.failed else EXIT_OK
