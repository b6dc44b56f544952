"""Whether a secret Kamal will look up has a value in this shell, and the value.

Kamal 2 reads `.kamal/secrets-common` and then `.kamal/secrets` (or
`.kamal/secrets.DEST`), each with dotenv: a `$NAME` resolves from keys defined
earlier in the same file, then from the process environment, else to an
empty string, silently. Kamal 2 does not read `.env` any more (Kamal 1 did),
so a value that lives only there is missing at deploy time even though the
project "has" it. A `$(…)` runs only when asked (`--resolve-secrets`).

Values are wrapped in `Secret` and appear in no message: reasons name the
secret, the file and the variables, nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockmig.doctor.inputs import Credential, Inputs, Secret
from dockmig.secrets import SecretEntry, SecretsFile, ValueKind, resolve_references

logger = logging.getLogger(__name__)

AVAILABLE = "available"
MISSING = "missing"
EMPTY = "empty"
NOT_RUN = "not-run"
BROKEN = "broken"


@dataclass(frozen=True)
class Availability:
    name: str
    state: str
    reason: str
    value: Secret | None = None
    where: str = ""
    only_in_dotenv: bool = False

    @property
    def available(self) -> bool:
        return self.state == AVAILABLE


def lookup(
    name: str,
    files: Sequence[SecretsFile],
    environ: Mapping[str, str],
    *,
    dotenv_names: frozenset[str] = frozenset(),
    run_commands: bool = False,
    cwd: Path | None = None,
    timeout: float = 5.0,
    environment_fallback: bool = False,
) -> Availability:
    """The value Kamal would find for secret `name`, or why it would not.

    `environment_fallback` accepts a variable of the same name when no secrets
    file defines it: that is how a registry password is used during a
    migration, before `.kamal/secrets` names it.
    """
    defining = [f for f in files if name in f.names()]
    if not defining:
        listed = ", ".join(f.path for f in files) or "no secrets file"
        if environment_fallback and environ.get(name):
            return Availability(
                name,
                AVAILABLE,
                f"{name} is set in this shell but defined in none of {listed}",
                Secret(environ[name]),
                "environment",
            )
        reason = (
            f"{name} is defined in none of the secrets files Kamal reads ({listed})"
        )
        if name in dotenv_names:
            reason += "; it is only in .env, which Kamal 2 does not read"
        return Availability(
            name, MISSING, reason, where=listed, only_in_dotenv=name in dotenv_names
        )

    # Files are read one after another and later ones win.
    file = defining[-1]
    entry = file.get(name)
    assert entry is not None
    earlier = _earlier_names(file, entry)
    absent = [r for r in entry.references if r not in earlier and r not in environ]
    if absent:
        shown = ", ".join(f"${r}" for r in absent)
        reason = f"{name} in {file.path} uses {shown}, not set in this shell"
        in_dotenv = [r for r in absent if r in dotenv_names]
        if in_dotenv:
            reason += (
                f"; {', '.join(in_dotenv)} is only in .env, which Kamal 2 does not read"
            )
        return Availability(
            name, MISSING, reason, where=file.path, only_in_dotenv=bool(in_dotenv)
        )

    if entry.kind in (ValueKind.COMMAND, ValueKind.MIXED) and entry.commands:
        return _by_command(name, file, entry, environ, run_commands, cwd, timeout)

    value = resolve_references(file, environ).get(name)
    if value is None:
        return Availability(
            name,
            NOT_RUN,
            f"{name} in {file.path} depends on a command dockmig did not run",
            where=file.path,
        )
    if not value:
        return Availability(
            name, EMPTY, f"{name} in {file.path} is empty", where=file.path
        )
    return Availability(
        name, AVAILABLE, f"{name} from {file.path}", Secret(value), file.path
    )


def _earlier_names(file: SecretsFile, entry: SecretEntry) -> set[str]:
    names: set[str] = set()
    for other in file.entries:
        if other is entry:
            break
        names.add(other.name)
    return names


def _by_command(
    name: str,
    file: SecretsFile,
    entry: SecretEntry,
    environ: Mapping[str, str],
    run_commands: bool,
    cwd: Path | None,
    timeout: float,
) -> Availability:
    if not run_commands:
        return Availability(
            name,
            NOT_RUN,
            f"{name} in {file.path} comes from a command dockmig did not run",
            where=file.path,
        )

    # The shell expands $NAME inside the command, as Kamal does before running
    # it; earlier keys of the same file count, as in dotenv.
    earlier = _earlier_names(file, entry)
    resolved = resolve_references(file, environ)
    shell_env = dict(environ)
    shell_env.update({k: v for k, v in resolved.items() if k in earlier and v})
    outputs = []
    for number, command in enumerate(entry.commands, start=1):
        completed = _run_command(command, cwd, shell_env, timeout)
        if completed is None:
            return Availability(
                name,
                BROKEN,
                f"the command for {name} in {file.path} did not finish in "
                f"{timeout:.1f} s",
                where=file.path,
            )
        returncode, stdout = completed
        if returncode != 0:
            # Its output and errors may hold the value: neither is shown.
            return Availability(
                name,
                BROKEN,
                f"command {number} for {name} in {file.path} exited with {returncode}",
                where=file.path,
            )
        outputs.append(stdout.removesuffix("\n"))

    if not any(outputs):
        return Availability(
            name, EMPTY, f"the command for {name} in {file.path} printed nothing"
        )
    # The password itself is needed only when the whole value is one command.
    value = outputs[0] if entry.kind is ValueKind.COMMAND and len(outputs) == 1 else ""
    return Availability(
        name,
        AVAILABLE,
        f"{name} from a command in {file.path}",
        Secret(value) if value else None,
        file.path,
    )


def _run_command(
    command: str, cwd: Path | None, environ: Mapping[str, str], timeout: float
) -> tuple[int, str] | None:
    """Its exit status and output, or None when it did not finish in time.

    The command gets its own process group: killing only the shell at the
    time-out would leave what it started (`sleep`, a password manager's CLI
    waiting for a prompt) running after dockmig has gone. It reads nothing
    from dockmig's stdin, which in a Kamal hook is Kamal's.
    """
    with subprocess.Popen(
        ["/bin/sh", "-c", command],
        cwd=cwd,
        env=dict(environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None
    return process.returncode, stdout


def credential(
    source: Credential, inputs: Inputs, *, timeout: float = 5.0
) -> Availability:
    """The value of a registry username or password, wherever it comes from."""
    if source.kind == "literal" and source.literal is not None:
        return Availability(source.origin, AVAILABLE, source.origin, source.literal)
    if source.kind == "environment":
        value = inputs.environ.get(source.name)
        if value:
            return Availability(source.name, AVAILABLE, source.origin, Secret(value))
        reason = f"{source.name} ({source.origin}) is not set in this shell"
        if source.name in inputs.dotenv_names:
            reason += "; it is only in .env, which Kamal 2 does not read"
        return Availability(source.name, MISSING, reason)

    target = inputs.target()
    files = target.secrets_files if target is not None else []
    found = lookup(
        source.name,
        files,
        inputs.environ,
        dotenv_names=inputs.dotenv_names,
        run_commands=inputs.resolve_secrets,
        cwd=inputs.root,
        timeout=timeout,
        environment_fallback=True,
    )
    if found.available and found.value is None:
        return Availability(
            source.name,
            NOT_RUN,
            f"{source.name} mixes text and commands; pass the password with "
            "--password-env instead",
        )
    return found
