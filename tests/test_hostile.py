"""Hostile inputs through every command that reads files.

`tests/data/hostile/manifest.json` lists the cases: each puts files (or
folders, links, pipes, unreadable or vanishing files) into a copy of
`tests/data/hostile/base/` and says, for every command that reads them, the
exit code and the one line that must name the file, the position and the
problem. Every run is its own process under a memory and a CPU limit (see
`tests/sandbox.py`), so a blow-up is stopped by the kernel and fails here;
besides the expected outcome each run must show no traceback, leave no crash
report, and write nothing unless it succeeded at a job of writing
(`rewrite-registry --write`, `hooks`), in which case it leaves no temporary
file behind.

The commands and their variants (formats, rewrite modes) come from the Click
group itself: a new command, format or mode fails
`test_every_command_reads_the_corpus_or_says_why_not` until it is covered.

In CI the heavy cases (marked `heavy`) run at the size the manifest gives as
`ci_count` (10,000 keys instead of 100,000, say) and through one variant of
each command; `DOCKMIG_HOSTILE_FULL=1` runs them at full size through every
variant (tens of minutes). `xfail` in an expectation marks a known bug in a
command its owner has yet to fix, `xfail_full` one that shows only at full
size; both are strict, so a fix shows.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest

from dockmig.rewrite_command import MODES
from tests import sandbox
from tests.clicommands import commands

CORPUS = Path(__file__).resolve().parent / "data" / "hostile"
MANIFEST: dict[str, Any] = json.loads((CORPUS / "manifest.json").read_text("utf-8"))
CASES: dict[str, dict[str, Any]] = {case["id"]: case for case in MANIFEST["cases"]}
FULL = os.environ.get("DOCKMIG_HOSTILE_FULL") == "1"
# The commands that read no file of a project, and why that is so.
EXEMPT = {
    "rules": "prints the rule catalogue; reads no project file",
    "explain": "prints one rule's manual; reads no project file",
    "schema": "prints a bundled schema; reads no project file",
    "cache": "as cache report, which it runs",
    "cache report": "asks the Docker engine first and reads .dockmig.yml only once "
    "it answers; tests/cache covers it against a real engine",
    "cache prune": "as cache report",
}
PASSWORDS = {
    "KAMAL_REGISTRY_PASSWORD": "hostile-registry-password",
    "RAILS_MASTER_KEY": "hostile-master-key",
    "KNOT_REGISTRY_PASSWORD": "hostile-knot-password",
}
TEMPORARY_SUFFIX = ".dockmig"


@dataclass(frozen=True)
class Scenario:
    """How one command runs on a case: its arguments per variant."""

    command: str
    base_args: tuple[str, ...]
    variant_option: str | None  # the option whose values are the variants
    variants: tuple[str, ...]
    reduced: str  # the variant heavy cases use in CI
    writes: bool = False


def _choices(command: click.Command, name: str) -> tuple[str, ...]:
    for parameter in command.params:
        if parameter.name == name and isinstance(parameter.type, click.Choice):
            return tuple(str(choice) for choice in parameter.type.choices)
    return ()


def _mode_flags(command: click.Command) -> tuple[str, ...]:
    return tuple(
        parameter.opts[0]
        for parameter in command.params
        if isinstance(parameter, click.Option) and parameter.name in MODES
    )


def scenarios() -> dict[str, Scenario]:
    """Every command that reads project files, with the variants Click offers."""
    known = commands()
    lint, rewrite = known["lint"], known["rewrite-registry"]
    doctor, plan = known["doctor"], known["plan"]
    return {
        "lint": Scenario("lint", ("lint",), "--format", _choices(lint, "fmt"), "text"),
        "rewrite-registry": Scenario(
            "rewrite-registry",
            ("rewrite-registry",),
            "",
            _mode_flags(rewrite),
            "--check",
            writes=True,
        ),
        # Only the kamal probes: they read the project and need no network.
        "doctor": Scenario(
            "doctor",
            ("doctor", "--only", "kamal"),
            "--format",
            _choices(doctor, "fmt"),
            "text",
        ),
        # The run has no network (its own namespace, see tests/sandbox.py);
        # a DNS server that refuses makes the registry items fail at once.
        "plan": Scenario(
            "plan",
            ("plan", "--dns-server", "127.0.0.1:9", "--deadline", "30"),
            "--format",
            _choices(plan, "fmt"),
            "text",
        ),
        "registry-check": Scenario(
            "registry-check", ("registry-check",), None, ("",), ""
        ),
        "backup-volume": Scenario("backup-volume", ("backup-volume",), None, ("",), ""),
        "hooks install": Scenario(
            "hooks install", ("hooks", "install"), None, ("",), "", writes=True
        ),
        "hooks uninstall": Scenario(
            "hooks uninstall", ("hooks", "uninstall"), None, ("",), "", writes=True
        ),
    }


def readers_of(case: dict[str, Any]) -> list[str]:
    """The commands that read the files a case puts in place."""
    if not case["put"]:
        return list(scenarios())
    readers: list[str] = []
    for target in case["put"]:
        prefixes = [p for p in MANIFEST["readers"] if target.startswith(p) and p]
        chosen = max(prefixes, key=len) if prefixes else ""
        for command in MANIFEST["readers"][chosen]:
            if command not in readers:
                readers.append(command)
    return readers


def expectation(case: dict[str, Any], command: str, variant: str) -> dict[str, Any]:
    expect = case.get("expect", {})
    for key in (f"{command} {variant}".strip(), command, "*"):
        if key in expect:
            return dict(expect[key])
    raise KeyError(f"{case['id']}: no expectation for {command} {variant}".strip())


def runs() -> Iterator[tuple[str, str, str]]:
    all_scenarios = scenarios()
    for case in MANIFEST["cases"]:
        for command in readers_of(case):
            scenario = all_scenarios[command]
            variants = scenario.variants
            if case.get("heavy") and not FULL:
                variants = (scenario.reduced,)
            for variant in variants:
                yield case["id"], command, variant


# --- building a case's project


def build(case: dict[str, Any], folder: Path) -> tuple[Path, bool, str | None]:
    """The case's project under `folder`: (root, run unprivileged, vanishing file)."""
    root = folder / "project"
    shutil.copytree(CORPUS / "base", root, symlinks=True)
    outside = folder / "outside"
    outside.mkdir()
    unprivileged = False
    vanish = None
    for relative, spec in case["put"].items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        special = spec.get("special")
        if special in ("unreadable", "vanishes") and not path.exists():
            path.write_text("#!/bin/sh\n")
        if special == "unreadable":
            path.chmod(0)
            unprivileged = True
            continue
        if special == "vanishes":
            vanish = str(path)
            continue
        _remove(path)
        _put(path, spec, outside, relative)
    return root, unprivileged, vanish


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _put(path: Path, spec: dict[str, Any], outside: Path, relative: str) -> None:
    special = spec.get("special")
    if special is None:
        path.write_bytes(_content(spec, relative))
    elif special == "directory":
        path.mkdir()
        (path / "README").write_text("a folder where a file should be\n")
    elif special == "file-over-folder":
        path.write_text("a file where the config folder should be\n")
    elif special == "link-outside":
        target = outside / path.name
        text = spec.get("content") or (CORPUS / "base" / relative).read_text()
        target.write_text(text)
        path.symlink_to(target)
    elif special == "link-loop":
        path.symlink_to(path.name)
    elif special == "link-dangling":
        path.symlink_to(outside / "nothing-here.yml")
    elif special == "link-dev-zero":
        path.symlink_to("/dev/zero")
    elif special == "fifo":
        os.mkfifo(path)
    elif special == "socket":
        _bind_socket(path)
    elif special == "sparse":
        with open(path, "wb") as stream:
            stream.truncate(int(spec["size"]))
    else:
        raise ValueError(f"unknown special {special!r}")


def _bind_socket(path: Path) -> None:
    # A unix socket's path must be short; bind in the folder, then let the
    # file stay behind once the socket is closed.
    here = Path.cwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path.name)
    finally:
        os.chdir(here)


def _content(spec: dict[str, Any], relative: str, full: bool = FULL) -> bytes:
    if "file" in spec:
        return (CORPUS / spec["file"]).read_bytes()
    if "text" in spec:
        return str(spec["text"]).encode("utf-8")
    parts: list[str] = []
    for part in spec["generate"]:
        if part == "@base":
            parts.append((CORPUS / "base" / relative).read_text("utf-8"))
        elif isinstance(part, str):
            parts.append(part)
        else:
            parts.append(_repeat(part, full))
    return "".join(parts).encode("utf-8")


def _repeat(part: dict[str, Any], full: bool = FULL) -> str:
    unit, indent = part["repeat"], part.get("indent")
    count = int(part["count"] if full else part.get("ci_count", part["count"]))
    if indent:
        return "".join(indent * (i + 1) + unit.format(i=i) for i in range(count))
    if "{i}" not in unit:
        return unit * count
    return "".join(unit.format(i=i) for i in range(count))


def snapshot(root: Path) -> dict[str, tuple[str, int, bytes]]:
    """Every entry below root: its kind, mode and content (or link target)."""
    found: dict[str, tuple[str, int, bytes]] = {}
    for folder, names, files in os.walk(root):
        for name in names + files:
            path = Path(folder) / name
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                found[relative] = ("link", 0, os.readlink(path).encode())
            elif stat.S_ISREG(info.st_mode) and info.st_size < 64 * 2**20:
                found[relative] = ("file", info.st_mode, _read_as_root(path))
            else:
                found[relative] = (
                    "other",
                    info.st_mode,
                    str(info.st_size).encode(),
                )
    return found


def _read_as_root(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError:
        return b"<unreadable>"


# --- running everything once


@dataclass
class Run:
    case: str
    command: str
    variant: str
    root: Path
    before: dict[str, tuple[str, int, bytes]]
    after: dict[str, tuple[str, int, bytes]]
    outcome: sandbox.Outcome
    crash_reports: list[str]
    vanished: bool | None


def _environment(home: Path, scratch: Path) -> dict[str, str]:
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(scratch),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "DOCKER_HOST": f"unix://{scratch}/no-engine.sock",
        "DOCKER_CONFIG": str(home / ".docker"),
        "MALLOC_ARENA_MAX": "2",
    }
    environ.update(PASSWORDS)
    return environ


def arguments(command: str, variant: str) -> list[str]:
    scenario = scenarios()[command]
    args = list(scenario.base_args)
    if scenario.variant_option:
        args += [scenario.variant_option, variant]
    elif variant:
        args.append(variant)
    return args


@pytest.fixture(scope="module")
def results(
    request: pytest.FixtureRequest,
) -> Iterator[dict[tuple[str, str, str], Run]]:
    # Only the runs of the tests pytest selected (all of them, usually).
    wanted = {
        (item.callspec.params["case_id"], item.callspec.params["command"],
         item.callspec.params["variant"])
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_hostile_input_gets_its_documented_outcome"
    }  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="dm-hostile-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield _run_all(folder, wanted)
    finally:
        for path in folder.rglob("*"):
            if not path.is_symlink() and path.exists():
                path.chmod(0o700 if path.is_dir() else 0o600)
        shutil.rmtree(folder, ignore_errors=True)


def _run_all(
    folder: Path, wanted: set[tuple[str, str, str]] | None = None
) -> dict[tuple[str, str, str], Run]:
    home = folder / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text("{}")
    home.chmod(0o755)
    prepared: dict[str, tuple[tuple[str, str, str], Path, Path, str | None]] = {}
    before = {}
    jobs = []
    for index, key in enumerate(runs()):
        if wanted is not None and key not in wanted:
            continue
        place = folder / f"run{index}"
        scratch = place / "tmp"
        scratch.mkdir(parents=True)
        scratch.chmod(0o1777)
        root, unprivileged, vanish = build(CASES[key[0]], place)
        job = sandbox.Job(
            name=str(index),
            args=arguments(key[1], key[2]),
            cwd=str(root),
            env=_environment(home, scratch),
            no_override=unprivileged,
            vanish=vanish,
        )
        jobs.append(job)
        prepared[job.name] = (key, root, scratch, vanish)
        before[job.name] = snapshot(root)

    outcomes = sandbox.run_many(jobs)
    found = {}
    for name, (key, root, scratch, vanish) in prepared.items():
        vanished = None
        if vanish is not None:
            # The vanishing file is the one change the run itself did not make.
            vanished = not os.path.lexists(vanish)
            before[name].pop(Path(vanish).relative_to(root).as_posix(), None)
        found[key] = Run(
            *key,
            root,
            before[name],
            snapshot(root),
            outcomes[name],
            sorted(p.name for p in scratch.glob("dockmig-crash-*")),
            vanished,
        )
    return found


# --- what every run must show


def readable_lines(output: str) -> list[str]:
    """The output's lines; JSON and SARIF findings as `file:line:col: message`."""
    try:
        data = json.loads(output)
    except ValueError:
        return [_github_line(line) for line in output.splitlines()]
    lines: list[str] = []
    _flatten(data, lines)
    return lines


def _github_line(line: str) -> str:
    if not line.startswith("::") or "::" not in line[2:]:
        return line
    head, message = line[2:].split("::", 1)
    fields = dict(
        item.split("=", 1) for item in head.split(" ", 1)[-1].split(",") if "=" in item
    )
    where = f"{fields.get('file', '')}:{fields.get('line', '')}:{fields.get('col', '')}"
    return _unescape(f"{where}: {message}")


def _unescape(text: str) -> str:
    for code, character in (("%3A", ":"), ("%2C", ","), ("%0A", "\n"), ("%25", "%")):
        text = text.replace(code, character)
    return text


def _flatten(data: Any, lines: list[str]) -> None:
    if isinstance(data, dict):
        if {"file", "line", "message"} <= set(data):
            column = data.get("column")
            where = f"{data['file']}:{data['line']}" + (f":{column}" if column else "")
            lines.append(f"{where}: {data['message']}")
        location = data.get("physicalLocation")
        if isinstance(location, dict):
            region = location.get("region", {})
            uri = location.get("artifactLocation", {}).get("uri")
            lines.append(
                f"{uri}:{region.get('startLine')}:{region.get('startColumn')}: "
                f"{data.get('_message', '')}"
            )
        if "locations" in data and isinstance(data.get("message"), dict):
            for place in data["locations"]:
                place = dict(place, _message=data["message"].get("text", ""))
                _flatten(place, lines)
            return
        for value in data.values():
            _flatten(value, lines)
    elif isinstance(data, list):
        for item in data:
            _flatten(item, lines)
    elif isinstance(data, str):
        lines.extend(data.splitlines())


def names_place(line: str, at: str) -> bool:
    """`line` names `at` (file, file:line or file:line:col) and no other place."""
    index = line.find(at)
    while index >= 0:
        after = line[index + len(at) : index + len(at) + 1]
        if not after.isdigit():
            return True
        index = line.find(at, index + 1)
    return False


def check(run: Run, expected: dict[str, Any]) -> None:
    outcome = run.outcome
    everything = outcome.stdout + outcome.stderr
    assert outcome.bounded, outcome.describe()
    assert "Traceback (most recent call last)" not in everything, outcome.describe()
    assert not run.crash_reports, outcome.describe()

    wanted = expected["exit"]
    allowed = wanted if isinstance(wanted, list) else [wanted]
    assert outcome.exit_code in allowed, outcome.describe()

    if "at" in expected or "says" in expected:
        at = expected.get("at", "")
        says = str(expected.get("says", "")).lower()
        lines = readable_lines(outcome.stdout) + outcome.stderr.splitlines()
        assert any(names_place(line, at) and says in line.lower() for line in lines), (
            f"no line names {at!r} and says {says!r}\n{outcome.describe()}"
        )

    if outcome.exit_code == 3:
        said = [line for line in outcome.stderr.splitlines() if line.strip()]
        assert len(said) == 1 and said[0].startswith("dockmig: "), outcome.describe()

    if run.vanished is not None:
        assert run.vanished, "the vanishing file was never opened"

    # Only a run that succeeded may have written, and only where writing is
    # its job; a failed one leaves every file as it was.
    scenario = scenarios()[run.command]
    writes = (
        scenario.writes
        and outcome.exit_code == 0
        and (run.command.startswith("hooks") or run.variant == "--write")
    )
    if not writes:
        assert run.after == run.before, _changes(run)
    else:
        leftovers = [name for name in run.after if name.endswith(TEMPORARY_SUFFIX)]
        assert not leftovers, leftovers


def _changes(run: Run) -> str:
    names = sorted(set(run.before) | set(run.after))
    changed = [n for n in names if run.before.get(n) != run.after.get(n)]
    return f"files changed by a run that must write nothing: {changed}"


def _params() -> list[Any]:
    params = []
    for case_id, command, variant in runs():
        case = CASES[case_id]
        marks = []
        try:
            expected = expectation(case, command, variant)
        except KeyError:
            expected = {}
        reason = expected.get("xfail") or (FULL and expected.get("xfail_full"))
        if reason:
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        label = f"{case_id}:{command}{' ' + variant if variant else ''}"
        params.append(pytest.param(case_id, command, variant, id=label, marks=marks))
    return params


@pytest.mark.slow
@pytest.mark.parametrize(("case_id", "command", "variant"), _params())
def test_hostile_input_gets_its_documented_outcome(
    results: dict[tuple[str, str, str], Run], case_id: str, command: str, variant: str
) -> None:
    expected = expectation(CASES[case_id], command, variant)
    check(results[(case_id, command, variant)], expected)


# --- the corpus itself


def test_every_command_reads_the_corpus_or_says_why_not() -> None:
    covered = set(scenarios()) | set(EXEMPT)
    missing = sorted(set(commands()) - covered)
    assert not missing, f"commands with no hostile scenario and no exemption: {missing}"


def test_every_case_expects_an_outcome_from_every_command_that_reads_it() -> None:
    missing = []
    for case_id, command, variant in runs():
        try:
            expectation(CASES[case_id], command, variant)
        except KeyError as error:
            missing.append(str(error))
    assert not missing, missing


def test_the_corpus_covers_every_kind_the_issue_names() -> None:
    kinds = {case["covers"] for case in MANIFEST["cases"]}
    wanted = {
        "billion-laughs aliases",
        "nesting thousands deep",
        "a 2 MB single line",
        "100,000 keys",
        "binary data",
        "Latin-1 files",
        "UTF-16 files",
        "a BOM",
        "CRLF",
        "tabs",
        "unclosed quotes",
        "unclosed ERB tags",
        "unbalanced ERB control lines",
        "`!ruby/object` tags",
        "duplicate keys",
        "NUL bytes in secrets files",
        "a directory where a file should be",
        "a symbolic link out of the project",
        "a file that vanishes between listing and reading",
        "an unreadable file",
    }
    assert wanted <= kinds, wanted - kinds
    assert len(MANIFEST["cases"]) >= 60


def test_generated_inputs_are_as_large_as_the_issue_asks_in_full() -> None:
    deploy = "config/deploy.yml"
    line = _content(CASES["single-line-2mb"]["put"][deploy], deploy, full=True)
    assert max(len(part) for part in line.split(b"\n")) >= 2_000_000
    keys = _content(CASES["keys-100000"]["put"][deploy], deploy, full=True)
    assert keys.count(b"\nx-k") >= 100_000 - 1


# --- what the corpus found, pinned in-process as well


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    from dockmig import document
    from dockmig.errors import DockmigError

    pipe = tmp_path / "deploy.yml"
    os.mkfifo(pipe)
    with pytest.raises(DockmigError, match="is a named pipe, not a regular file"):
        document.read_text(pipe, "config/deploy.yml")


def test_an_endless_device_and_a_huge_file_are_refused_before_reading(
    tmp_path: Path,
) -> None:
    from dockmig import document
    from dockmig.errors import DockmigError

    with pytest.raises(DockmigError, match="is a device"):
        document.read_text(Path("/dev/zero"), "config/deploy.yml")
    huge = tmp_path / "deploy.yml"
    with open(huge, "wb") as stream:
        stream.truncate(document.MAX_FILE_BYTES + 1)
    with pytest.raises(DockmigError, match="dockmig reads none over 4 MiB"):
        document.read_text(huge, "config/deploy.yml")


def test_broken_links_say_what_is_wrong_with_them(tmp_path: Path) -> None:
    from dockmig import document
    from dockmig.errors import DockmigError

    loop = tmp_path / "loop.yml"
    loop.symlink_to(loop.name)
    dangling = tmp_path / "dangling.yml"
    dangling.symlink_to(tmp_path / "nothing")
    with pytest.raises(DockmigError, match="leads back to itself"):
        document.read_text(loop, "loop.yml")
    with pytest.raises(DockmigError, match="to a file that does not exist"):
        document.read_text(dangling, "dangling.yml")


def test_deeply_nested_erb_is_left_unevaluated_not_a_crash() -> None:
    from dockmig import erb

    code = "(" * 5000 + '"a"' + ")" * 5000
    rendered = erb.render(f"x: <%= {code} %>\n", {})
    assert rendered.opaque and not rendered.problems


def test_an_erb_end_that_closes_nothing_is_a_certain_failure() -> None:
    from dockmig import erb

    rendered = erb.render("a: 1\n<% end %>\n", {})
    assert [(p.message, p.certain, p.syntax) for p in rendered.problems] == [
        ("this ERB `end` closes no block opened before it", True, True)
    ]
    assert not erb.render("<% def x %>\n<% end %>\n", {}).problems


def test_broken_erb_makes_the_verdict_a_rejection_even_with_unrun_tags(
    tmp_path: Path,
) -> None:
    from dockmig import lint

    root = tmp_path
    (root / "config").mkdir()
    source = (CORPUS / "base" / "config" / "deploy.yml").read_text()
    (root / "config" / "deploy.yml").write_text("<% if ENV['X'] %>\n" + source)
    result = lint.lint(root, environ={})
    assert [target.kamal_accepts for target in result.targets] == [False]


def test_an_integer_too_long_to_print_in_decimal_still_shows() -> None:
    from dockmig.yaml11 import LongInteger, resolve_plain

    value = resolve_plain("0x" + "f" * 20_000)
    assert isinstance(value, LongInteger) and value == int("f" * 20_000, 16)
    assert repr(value) == "<an integer of 80,000 bits>" == f"{value}"
    assert isinstance(resolve_plain("9" * 5000), LongInteger)


def test_a_destination_replacing_many_keys_keeps_the_right_positions() -> None:
    from dockmig import project
    from dockmig.findings import Mark, Position

    def at(line: int) -> Position:
        return Position(Mark("f", line, 1))

    base = {"a": {"b": 1, "c": 2}, "d": [1, 2]}
    base_positions = {
        ("a",): at(1), ("a", "b"): at(2), ("a", "c"): at(3),
        ("d",): at(4), ("d", 0): at(5), ("d", 1): at(6),
    }  # fmt: skip
    overlay = {"a": {"c": 3}, "d": [9]}
    overlay_positions = {
        ("a",): at(10),
        ("a", "c"): at(11),
        ("d",): at(12),
        ("d", 0): at(13),
    }

    merged, positions = project.deep_merge(
        base, base_positions, overlay, overlay_positions
    )

    assert merged == {"a": {"b": 1, "c": 3}, "d": [9]}
    assert {path: p.value.line for path, p in positions.items()} == {
        ("a",): 10, ("a", "b"): 2, ("a", "c"): 11, ("d",): 12, ("d", 0): 13,
    }  # fmt: skip


def test_a_crash_report_names_frames_but_never_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockmig import cli

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)

    secret = "-".join(["hostile", "secret", "value"])

    def bug() -> int:
        try:
            int(secret)
        except ValueError as error:
            raise KeyError(secret.upper()) from error
        return 0

    assert cli.run_guarded(bug) == 4
    (report,) = tmp_path.glob("dockmig-crash-*.txt")
    text = report.read_text()
    assert "builtins.ValueError" in text and "builtins.KeyError" in text
    assert "int(secret)" in text  # the source line is shown, the data is not
    assert secret not in text.lower()
    assert "invalid literal" not in text
