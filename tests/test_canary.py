"""No secret value ever leaves dockmig: canaries through every command and format.

Canary values are planted where secrets live in a Kamal project: literal
passwords in the deploy files, committed values in secrets files, the
output of a `$(…)` command in a secrets file, `.env`, and environment
variables. Every command the Click group offers then runs in every format
and mode it offers, quietly and at `-vv`, and nothing it prints, no file it
writes outside what it was asked to change, no crash report and no log may
contain a canary, in clear or in the encodings a leak would take (Basic
auth, URL quoting).

The commands, formats and modes are read from the Click group, so a new one
fails `test_every_command_has_a_canary_scenario` until it has a scenario here.

Crash reports are forced two ways, each in the child process only: a bug
raised after a command's own work with a canary in its message, and a bug
while a secrets file is parsed, whose message quotes the file.
"""

from __future__ import annotations

import base64
import itertools
import os
import secrets
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from dockmig.rewrite_command import MODES
from tests import sandbox
from tests.clicommands import commands

TOKEN = secrets.token_hex(6)
CANARIES = {
    "deploy literal password": f"canary-deploy-{TOKEN}",
    "deploy literal in a destination": f"canary-destination-{TOKEN}",
    "deploy literal in a URL": f"canary-url-{TOKEN}",
    "deploy build argument": f"canary-buildarg-{TOKEN}",
    "numeric literal": str(700_000_000_000 + int(TOKEN[:6], 16)),
    "committed secrets value": f"canary-committed-{TOKEN}",
    "destination secrets value": f"canary-dest-secrets-{TOKEN}",
    "secrets command output": f"canary-command-{TOKEN}",
    ".env value": f"canary-dotenv-{TOKEN}",
    "environment variable": f"canary-environ-{TOKEN}",
    "environment variable read by ERB": f"canary-erb-{TOKEN}",
}
USERS = ("deploy", "admin", "")
# A registry the project uses and one it moves to, neither reachable: the
# runs have no network (tests/sandbox.py), so nothing can leave this machine.
OLD_REGISTRY = "registry.example.net"
NEW_REGISTRY = "registry.example.com"


# --- what the Click group offers


def variants(command: click.Command) -> list[list[str]]:
    """Every format x every mode x (quiet, -vv) the command's options offer."""
    formats: list[list[str]] = [[]]
    modes: list[list[str]] = [[]]
    verbosity: list[list[str]] = [[]]
    for parameter in command.params:
        if not isinstance(parameter, click.Option):
            continue
        if isinstance(parameter.type, click.Choice) and parameter.name == "fmt":
            formats = [[parameter.opts[-1], str(c)] for c in parameter.type.choices]
        elif parameter.name in MODES:
            modes = modes if modes != [[]] else []
            modes.append([parameter.opts[0]])
        elif parameter.count:
            verbosity = [[], ["-vv"]]
    return [[*f, *m, *v] for f, m, v in itertools.product(formats, modes, verbosity)]


# What each command runs with on the canary project. Paths are relative to it.
SCENARIOS: dict[str, list[str]] = {
    "lint": ["lint"],
    "rules": ["rules"],
    "explain": ["explain", "literal-credential"],
    "schema": ["schema", "deploy"],
    "hooks install": ["hooks", "install"],
    "hooks uninstall": ["hooks", "uninstall"],
    "rewrite-registry": [
        "rewrite-registry",
        "--to",
        NEW_REGISTRY,
        "--username",
        "admin",
        "--password-secret",
        "KNOT_REGISTRY_PASSWORD",
    ],
    "doctor": [
        "doctor",
        "--resolve-secrets",
        "--password-env",
        "KAMAL_REGISTRY_PASSWORD",
        "--username",
        "admin",
        "--dns-server",
        "127.0.0.1:9",
        "--deadline",
        "8",
    ],
    "plan": ["plan", "--dns-server", "127.0.0.1:9", "--deadline", "8"],
    "cache": ["cache"],
    "cache report": ["cache", "report"],
    "cache prune": ["cache", "prune", "--dry-run"],
    "backup-volume": ["backup-volume", "falkordb_data", "--to", "backups"],
    "registry-check": ["registry-check", "--registry", OLD_REGISTRY],
}
# Commands whose work starts by reading a secrets file.
READ_SECRETS = ("lint", "rewrite-registry", "doctor", "plan")
# Commands that run doctor's probes, which catch a probe's own bug and report it.
RUN_PROBES = ("doctor", "plan")


# --- the project holding the canaries


DEPLOY = f"""\
service: shop
image: acme/shop
servers:
  web:
    - 192.0.2.10
registry:
  server: {OLD_REGISTRY}
  # A reused anchor: ruamel warns with the lines around both, values included.
  username: &credential deploy
  password: &credential {CANARIES["deploy literal password"]}
builder:
  arch: amd64
  args:
    GITHUB_TOKEN: {CANARIES["deploy build argument"]}
env:
  clear:
    DATABASE_URL: postgres://app:{CANARIES["deploy literal in a URL"]}@db:5432/shop
    SMTP_PASSWORD: <%= ENV["SMTP_PASSWORD"] %>
    PAYMENT_PIN: {CANARIES["numeric literal"]}
  secret:
    - RAILS_MASTER_KEY
    - API_TOKEN
    - DB_PASSWORD
accessories:
  db:
    image: {OLD_REGISTRY}/acme/postgres:16
    host: 192.0.2.10
    env:
      clear:
        POSTGRES_PASSWORD: {CANARIES["deploy literal password"]}
"""
DESTINATION = f"""\
servers:
  web:
    - 192.0.2.20
env:
  clear:
    SMTP_PASSWORD: {CANARIES["deploy literal in a destination"]}
"""
SECRETS_COMMON = f"""\
KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD
RAILS_MASTER_KEY={CANARIES["committed secrets value"]}
API_TOKEN=$(printf '%s' {CANARIES["secrets command output"]})
DB_PASSWORD=$DB_PASSWORD
"""
SECRETS_STAGING = f"DB_PASSWORD={CANARIES['destination secrets value']}\n"
DOTENV = (
    f"DB_PASSWORD={CANARIES['.env value']}\n"
    f"KAMAL_REGISTRY_PASSWORD={CANARIES['.env value']}\n"
    f"REGISTRY={OLD_REGISTRY}\n"
)
SETTINGS = f"""\
registry:
  host: {NEW_REGISTRY}
  username: admin
  password_secret: KNOT_REGISTRY_PASSWORD
  previous: {OLD_REGISTRY}
volumes:
  - falkordb_data
"""
FILES = {
    "config/deploy.yml": DEPLOY,
    "config/deploy.staging.yml": DESTINATION,
    ".kamal/secrets-common": SECRETS_COMMON,
    ".kamal/secrets.staging": SECRETS_STAGING,
    ".env": DOTENV,
    ".dockmig.yml": SETTINGS,
    "Dockerfile": f"FROM {OLD_REGISTRY}/acme/base:1\nENV PORT=3000\n",
    "bin/deploy": f"#!/bin/sh\nexport REGISTRY={OLD_REGISTRY}\nkamal deploy\n",
}


def environment(home: Path, scratch: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "DOCKER_HOST": f"unix://{scratch}/no-engine.sock",
        "DOCKER_CONFIG": str(home / ".docker"),
        "KAMAL_REGISTRY_PASSWORD": CANARIES["environment variable"],
        "KNOT_REGISTRY_PASSWORD": CANARIES["environment variable"],
        "SMTP_PASSWORD": CANARIES["environment variable read by ERB"],
        # DB_PASSWORD is left unset: its only values are in .env and the
        # destination's secrets file, so a probe that reports it must name it.
    }


def leaked_forms(canary: str) -> list[str]:
    """The canary as a leak would carry it: in clear, URL-quoted, in Basic auth."""
    forms = {canary, urllib.parse.quote(canary, safe="")}
    for user in USERS:
        pair = f"{user}:{canary}".encode()
        forms.add(base64.b64encode(pair).decode())
    return sorted(forms)


def leaks(text: str) -> list[str]:
    return [
        label
        for label, canary in CANARIES.items()
        if any(form in text for form in leaked_forms(canary))
        or (canary.startswith("canary-") and _cut_short(canary) in text)
    ]


def _cut_short(canary: str) -> str:
    """What is left of a canary a snippet cut short (`canary-deploy-66 ...`).

    A value clipped to fit a line still gives half of it away.
    """
    return canary[: len(canary) - len(TOKEN) + 4]


# --- running every scenario


@dataclass
class Seen:
    """Everything a run put where a person or a log collector could read it."""

    label: str
    outcome: sandbox.Outcome
    written: dict[str, str]  # path -> text, for files outside the project's own


def _write_project(root: Path) -> None:
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "bin/deploy").chmod(0o755)


def _canaries_by_file(root: Path) -> dict[str, set[str]]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            found[path.relative_to(root).as_posix()] = set(leaks(text))
    return found


def _files_written(
    place: Path, root: Path, before: dict[str, set[str]]
) -> dict[str, str]:
    """Files a run left outside its project, and project files that gained a canary."""
    written = {}
    for path in sorted(place.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        if path.is_relative_to(root):
            relative = path.relative_to(root).as_posix()
            if set(leaks(text)) <= before.get(relative, set()):
                continue
        written[str(path.relative_to(place))] = text
    return written


CRASH_AFTER_WORK = """
import os
import dockmig.cli as cli

_real = cli.run_guarded

def _crashing(work):
    def bug():
        try:
            work()
        finally:
            secret = os.environ["KAMAL_REGISTRY_PASSWORD"]
            raise RuntimeError(f"simulated bug holding {secret!r}")
    return _real(bug)

cli.run_guarded = _crashing
"""
CRASH_IN_SECRETS = """
import os
import dockmig.secrets as kamal_secrets

def _broken(self):
    # A bug of the most common kind: the text it choked on, in the message.
    open(os.path.join(os.environ["TMPDIR"], "injected-bug-raised"), "w").close()
    int(self.text)

kamal_secrets._Scanner.scan = _broken
"""
CRASH_IN_PROBE = """
import os
import dockmig.doctor.probes.kamal_secrets as probe

_real = probe.lookup

def _broken(*args, **options):
    found = _real(*args, **options)
    if found.value is not None:
        # A bug of the most common kind: the value it choked on, in the message.
        open(os.path.join(os.environ["TMPDIR"], "injected-bug-raised"), "w").close()
        int(found.value.reveal())
    return found

probe.lookup = _broken
"""


def _jobs() -> Iterator[tuple[str, list[str], str | None]]:
    """(label, arguments, prelude) of every run: variants, then forced crashes."""
    known = commands()
    for name in sorted(known):
        if name not in SCENARIOS:
            continue
        for variant in variants(known[name]):
            label = " ".join([name, *variant])
            yield label, SCENARIOS[name] + variant, None
        yield f"{name} crash after its work", SCENARIOS[name], CRASH_AFTER_WORK
        if name in READ_SECRETS:
            yield f"{name} crash reading secrets", SCENARIOS[name], CRASH_IN_SECRETS
        if name in RUN_PROBES:
            yield (
                f"{name} probe fails on a secret",
                [*SCENARIOS[name], "-vv"],
                CRASH_IN_PROBE,
            )


@pytest.fixture(scope="module")
def seen() -> Iterator[dict[str, Seen]]:
    folder = Path(tempfile.mkdtemp(prefix="dm-canary-"))
    try:
        yield _run_all(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_all(folder: Path) -> dict[str, Seen]:
    jobs = []
    places: dict[str, tuple[str, Path, Path, dict[str, set[str]]]] = {}
    for index, (label, args, prelude) in enumerate(_jobs()):
        place = folder / f"run{index}"
        home, scratch, root = place / "home", place / "tmp", place / "project"
        for path in (home / ".docker", scratch, root):
            path.mkdir(parents=True)
        (home / ".docker" / "config.json").write_text("{}")
        _write_project(root)
        jobs.append(
            sandbox.Job(
                name=str(index),
                args=args,
                cwd=str(root),
                env=environment(home, scratch),
                prelude=prelude,
                memory_bytes=1024 * sandbox.MIB,
                cpu_seconds=60,
            )
        )
        places[str(index)] = (label, place, root, _canaries_by_file(root))

    outcomes = sandbox.run_many(jobs)
    return {
        label: Seen(label, outcomes[name], _files_written(place, root, before))
        for name, (label, place, root, before) in places.items()
    }


def _labels() -> list[str]:
    return [label for label, _args, _prelude in _jobs()]


# --- the tests


def test_every_command_has_a_canary_scenario() -> None:
    missing = sorted(set(commands()) - set(SCENARIOS))
    assert not missing, f"commands no canary test runs: {missing}"


def test_the_formats_and_modes_are_the_ones_click_offers() -> None:
    offered = {label for label in _labels() if "crash" not in label}
    assert "lint --format sarif -vv" in offered
    assert "rewrite-registry --diff -vv" in offered
    assert "doctor --format json -vv" in offered
    assert len([label for label in offered if label.startswith("lint ")]) == 10


# Known leaks, left to the owner of the code; strict, so a fix is noticed.
KNOWN_LEAKS: dict[str, str] = {}


def _params() -> list[object]:
    return [
        pytest.param(
            label,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_LEAKS[label])]
            if label in KNOWN_LEAKS
            else [],
        )
        for label in _labels()
    ]


@pytest.mark.slow
@pytest.mark.parametrize("label", _params())
def test_no_canary_in_any_output_report_or_file(
    seen: dict[str, Seen], label: str
) -> None:
    run = seen[label]
    outcome = run.outcome
    assert outcome.bounded, outcome.describe()
    if "probe fails" not in label:  # at -vv a probe's bug may show its frames
        assert "Traceback (most recent" not in outcome.stderr, outcome.describe()

    assert not leaks(outcome.stdout), (leaks(outcome.stdout), outcome.describe())
    assert not leaks(outcome.stderr), (leaks(outcome.stderr), outcome.describe())
    for path, text in run.written.items():
        assert not leaks(text), f"{path} holds {leaks(text)}:\n{text[-2000:]}"

    if "probe fails" in label or "reading secrets" in label:
        assert any("injected-bug-raised" in path for path in run.written)
    if "crash" in label:
        reports = [p for p in run.written if "dockmig-crash-" in p]
        assert outcome.exit_code == 4, outcome.describe()
        assert len(reports) == 1, (run.written.keys(), outcome.describe())


@pytest.mark.slow
def test_the_runs_saw_the_canaries(seen: dict[str, Seen]) -> None:
    """The scenarios reach the secrets: lint reports the literal ones, by name."""
    lint = seen["lint --format text"].outcome.stdout
    assert "registry/password is a literal password" in lint
    assert "RAILS_MASTER_KEY" in lint and "committed-secret" in lint
    assert "SMTP_PASSWORD" in lint
    rewrite = seen["rewrite-registry --diff"].outcome.stdout
    assert "[redacted]" in rewrite
    doctor = seen["doctor --format text -vv"].outcome
    assert "kamal.secrets" in doctor.stdout, doctor.describe()


def test_leaks_are_found_in_every_form_they_take() -> None:
    canary = CANARIES["environment variable"]
    basic = base64.b64encode(f"admin:{canary}".encode()).decode()
    assert leaks(f"Authorization: Basic {basic}") == ["environment variable"]
    assert leaks(f"password: {canary[:-6]} ...") == ["environment variable"]
    assert leaks(urllib.parse.quote(f"x {canary}")) == ["environment variable"]
    assert not leaks("nothing to see")
