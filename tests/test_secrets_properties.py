"""Properties of dockmig.secrets over generated files, and agreement with dotenv.

The differential test feeds the same text to Kamal's own dotenv (Ruby, from the
Kamal oracle setup) through tests/data/secrets/dotenv_oracle.rb, which finds
commands with Kamal's pattern but never runs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dockmig.secrets import (
    SecretsFile,
    ValueKind,
    parse_secrets,
    resolve_references,
    secrets_instance,
)

ORACLE_SCRIPT = Path(__file__).parent / "data" / "secrets" / "dotenv_oracle.rb"
SOURCE_LINE = re.compile(r"\r\n|\r|\n")

# Characters that matter to dotenv, so that random text hits its corners often.
SYNTAX = "AB_.-=:#'\"\\$(){} \t\n\r\v\0xé\u017f"
ATOMS = [
    "A=",
    "\nB=",
    "\nexport A=",
    "A",
    "B",
    "C.d",
    "K-X",
    "export ",
    "export\n",
    "=",
    " = ",
    ": ",
    ":",
    "\n",
    "\r\n",
    "\r",
    "#",
    " # c",
    "'",
    '"',
    "\\",
    "\\n",
    "$A",
    "${B}",
    "${A:-z}",
    "$(",
    ")",
    "$(echo $A)",
    "\\$(x)",
    "$()",
    "$",
    "${",
    "}",
    "\ufeff",
    "\0",
    "x",
    " ",
    "\t",
]

# Lines shaped like assignments, with the pieces dotenv treats specially.
KEYS = ["A", "B", "C.d", "\u017f", "K-X", "export", "DOTENV_LINEBREAK_MODE"]
SEPARATORS = ["=", " = ", ": ", ":", ":\n", "=\n", " ", "\n=", "=\t", ""]
VALUE_PIECES = [
    "1",
    "'a b'",
    '"a b"',
    '"a\nb"',
    "'x",
    '"x',
    "$A",
    "${B}",
    "${A:-z}",
    "$(echo $A)",
    "\\$(x)",
    "$((1))",
    "$()",
    "a#b",
    '"q" x',
    "'q' #c",
    '"\\"x\\""',
    "'\\''",
    "\\\\",
    "\\n",
    '"\\n\\r\\t"',
    "$",
    "${}",
    "$A}",
    "x\\",
    "\0",
    " \0",
    "legacy",
    "  ",
    '"$(a (b) \\) c)"',
    "$(a\\\nb)",
    "'$(x)'",
    "$\u017f",
    "$A.B",
]
TAILS = ["", " # c", "#c", " junk", "\n# c", "\n\n", "\r\n", "\r"]

assignment_line = st.builds(
    lambda *parts: "".join(parts),
    st.sampled_from(["", "", "  ", "export ", "export\n"]),
    st.sampled_from(KEYS),
    st.sampled_from(SEPARATORS),
    st.lists(st.sampled_from(VALUE_PIECES), max_size=3).map("".join),
    st.sampled_from(TAILS),
)
assignment_text = st.lists(
    st.one_of(
        assignment_line, st.sampled_from(["# c", "", "fi", "export A", "\ufeff"])
    ),
    max_size=6,
).map("\n".join)

syntax_text = st.one_of(
    st.text(),
    st.text(alphabet=SYNTAX),
    st.lists(st.sampled_from(ATOMS), max_size=40).map("".join),
    assignment_text,
)


def source_lines(text: str) -> list[str]:
    return SOURCE_LINE.split(text)


def offset_of(text: str, line: int, column: int) -> int:
    starts = [0] + [m.end() for m in SOURCE_LINE.finditer(text)]
    return starts[line - 1] + column - 1


# -- never raises, positions ---------------------------------------------------


@given(syntax_text)
def test_parsing_never_raises_and_positions_are_inside_the_text(text: str) -> None:
    file = parse_secrets(text, "secrets")
    resolve_references(file, {"A": "a"})
    secrets_instance(file)

    lines = source_lines(text)
    for problem in file.problems:
        assert 1 <= problem.line <= len(lines)
        assert 1 <= problem.column <= len(lines[problem.line - 1]) + 1


@given(syntax_text)
def test_entry_positions_point_at_the_key_and_the_value(text: str) -> None:
    file = parse_secrets(text, "secrets")

    lines = source_lines(text)
    for entry in file.entries:
        line = lines[entry.line - 1]
        assert line[entry.column - 1 :].startswith(entry.name)
        start, end = entry.span
        assert offset_of(text, entry.value_line, entry.value_column) == start
        assert 0 <= start <= end <= len(text)


# -- well-formed files round-trip ----------------------------------------------

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,10}", fullmatch=True)
reference_names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)
plain = st.text(
    alphabet=string.ascii_letters + string.digits + "-_/+:@.,%!?~^&*[]<>|;=",
    min_size=1,
    max_size=20,
)
command_text = st.text(
    alphabet=string.ascii_letters + string.digits + " -/._", min_size=1, max_size=20
).filter(lambda s: s.strip() != "")


@dataclass(frozen=True)
class Written:
    """One generated assignment: what was written and what it should parse to."""

    name: str
    kind: ValueKind
    exported: bool
    value: str  # as written after the separator
    literal: str  # the value for literal and empty kinds; text before a reference
    reference: str  # the name a reference or mixed value refers to
    after: str = ""  # text after the reference of a mixed value


@st.composite
def assignments(draw: st.DrawFn, payload: st.SearchStrategy[str] = plain) -> Written:
    name = draw(names)
    kind = draw(st.sampled_from(list(ValueKind)))
    exported = draw(st.booleans())
    quote = draw(st.sampled_from(["", "'", '"']))
    reference = draw(reference_names)
    literal = after = ""

    if kind is ValueKind.LITERAL:
        literal = draw(payload)
        value = f"{quote}{literal}{quote}"
    elif kind is ValueKind.EMPTY:
        # `export NAME=` with nothing after it is a dotenv format error.
        quote = draw(st.sampled_from(["'", '"'] if exported else ["", "'", '"']))
        value = quote * 2
    elif kind is ValueKind.REFERENCE:
        quote = quote.replace("'", "")
        form = draw(st.sampled_from(["$", "${}"]))
        inner = f"${reference}" if form == "$" else f"${{{reference}}}"
        value = f"{quote}{inner}{quote}"
    elif kind is ValueKind.MIXED:
        quote = quote.replace("'", "")
        literal, after = draw(payload), draw(payload)
        value = f"{quote}{literal}${{{reference}}}{after}{quote}"
    else:
        quote = quote.replace("'", "")
        value = f"{quote}$({draw(command_text)}){quote}"
    return Written(name, kind, exported, value, literal, reference, after)


@st.composite
def well_formed_files(
    draw: st.DrawFn, payload: st.SearchStrategy[str] = plain
) -> tuple[str, list[tuple[Written, int, int]]]:
    written = draw(st.lists(assignments(payload), max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    placed: list[tuple[Written, int, int]] = []
    for item in written:
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# a comment", "   ", "#"])))
        indent = draw(st.sampled_from(["", "  ", "\t"]))
        prefix = indent + ("export " if item.exported else "")
        separator = draw(st.sampled_from(["=", " = ", ": "]))
        comment = draw(st.sampled_from(["", " # note"]))
        lines.append(f"{prefix}{item.name}{separator}{item.value}{comment}")
        placed.append((item, len(lines), len(prefix) + 1))
    ending = draw(st.sampled_from(["", newline]))
    return newline.join(lines) + ending, placed


@given(well_formed_files())
def test_well_formed_files_round_trip_names_kinds_and_positions(
    generated: tuple[str, list[tuple[Written, int, int]]],
) -> None:
    text, placed = generated

    file = parse_secrets(text, "secrets")

    assert [(e.name, e.kind, e.exported) for e in file.entries] == [
        (w.name, w.kind, w.exported) for w, _, _ in placed
    ]
    assert [(e.line, e.column) for e in file.entries] == [
        (line, column) for _, line, column in placed
    ]
    assert {p.code for p in file.problems} <= {"duplicate-key"}
    for written, _, _ in placed:
        assert file.get(written.name) is not None
    last = {w.name: w for w, _, _ in placed}
    assert {name: e.kind for name, e in ((n, file.get(n)) for n in last) if e} == {
        name: w.kind for name, w in last.items()
    }


@given(well_formed_files(), st.dictionaries(reference_names, plain, max_size=4))
def test_well_formed_files_resolve_as_dotenv_would(
    generated: tuple[str, list[tuple[Written, int, int]]], environ: dict[str, str]
) -> None:
    text, placed = generated

    values = resolve_references(parse_secrets(text, "secrets"), environ)

    known: dict[str, str | None] = {}
    for written, _, _ in placed:
        if written.kind is ValueKind.COMMAND:
            known[written.name] = None
        elif written.kind in (ValueKind.LITERAL, ValueKind.EMPTY):
            known[written.name] = written.literal
        else:
            name = written.reference
            used = known[name] if name in known else environ.get(name, "")
            known[written.name] = (
                None if used is None else written.literal + used + written.after
            )
    assert values == known


# -- values never leak ---------------------------------------------------------

# A token made so that it can only appear in output by being copied from a value.
secret_tokens = st.builds(
    lambda core: f"s3cr{core}!%",
    st.text(alphabet=string.ascii_letters + string.digits, min_size=4, max_size=12),
)


@st.composite
def files_with_secrets(draw: st.DrawFn) -> tuple[str, str]:
    token = draw(secret_tokens)
    text, _ = draw(well_formed_files(st.just(token)))
    broken = [
        f'BROKEN="{token}',
        f"BROKEN='{token}' trailing",
        f'BROKEN="${{X:-{token}}}"',
        f"BROKEN=$(echo {token}",
        f"BROKEN={token} $(cat {token})",
        f"BROKEN:\n{token}",
        f"{token}=1",
        f"BROKEN=\n'{token}'",
        f'BROKEN="{token}\nA=1\n"',
        f"BROKEN=\0{token}",
    ]
    extra = draw(st.lists(st.sampled_from(broken), min_size=1, max_size=4))
    return "\n".join([text, *extra, "export UNSET"]), token


def rendered(file: SecretsFile) -> str:
    parts = [repr(file), json.dumps(secrets_instance(file))]
    parts += [repr(entry) for entry in file.entries]
    parts += [repr(problem) for problem in file.problems]
    parts += [str(problem) + problem.message for problem in file.problems]
    return "\n".join(parts)


@given(files_with_secrets())
def test_no_value_appears_in_any_repr_message_or_instance(
    generated: tuple[str, str],
) -> None:
    text, token = generated

    file = parse_secrets(text, "secrets")

    assert token in text
    assert token not in rendered(file)


# -- agreement with Kamal's dotenv ---------------------------------------------


class Dotenv:
    """A running Ruby process that answers with real dotenv's reading of a text."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def read(self, text: str, environ: dict[str, str]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = json.dumps({"text": text, "env": environ})
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer


@pytest.fixture(scope="module")
def dotenv() -> Iterator[Dotenv]:
    home = Path(os.environ.get("KAMAL_ORACLE_HOME", "/tmp/kamal-oracle"))
    ruby = shutil.which(os.environ.get("KAMAL_ORACLE_RUBY", "ruby"))
    include = home / "inc.txt"
    if ruby is None or not include.is_file() or not (home / "lib").is_dir():
        reason = f"Ruby with Kamal's vendored dotenv is not set up under {home}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires it")
        pytest.skip(reason)

    command = [ruby, "-W0", *include.read_text().split(), str(ORACLE_SCRIPT)]
    process = subprocess.Popen(
        [*command, str(home / "lib")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={},
    )
    try:
        yield Dotenv(process)
    finally:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


# dotenv reads files as UTF-8 (no lone surrogates) and the oracle's command
# marker is U+F8FF; the process environment cannot hold NUL.
def fits_the_oracle(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\uf8ff" not in text


oracle_text = syntax_text.filter(fits_the_oracle)
ORACLE_ENVIRON = {"A": "env-a", "B": "env-$A", "\u017f": "long-s", "EMPTY": ""}


@pytest.mark.oracle
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.one_of(oracle_text, well_formed_files().map(lambda g: g[0])))
def test_names_and_values_agree_with_kamals_dotenv(dotenv: Dotenv, text: str) -> None:
    file = parse_secrets(text, "secrets")
    answer = dotenv.read(text, ORACLE_ENVIRON)

    refused = any(problem.kamal_rejects for problem in file.problems)
    assert refused == (not answer["ok"])
    if refused:
        return
    values = resolve_references(file, ORACLE_ENVIRON)
    # A line-break mode that comes from a command could be anything.
    assume(values.get("DOTENV_LINEBREAK_MODE", "") is not None)
    assert file.names() == set(answer["values"])
    assert values == answer["values"]


@pytest.mark.oracle
@pytest.mark.parametrize(
    "text",
    [
        "A=1\nexport B\n",
        "A:\nB=2\n",
        "A='a\\' #1\\' #2' x\nB=$A\n",
        'A="x\\ny \\$A \\q"\nB=${A:-d}\nC=\\\\$A\n',
        "A=$(echo $B)\nB=$A\nC=\\$(echo $A)\n",
    ],
)
def test_corner_cases_agree_with_kamals_dotenv(dotenv: Dotenv, text: str) -> None:
    file = parse_secrets(text, "secrets")
    answer = dotenv.read(text, ORACLE_ENVIRON)

    assert any(p.kamal_rejects for p in file.problems) == (not answer["ok"])
    if answer["ok"]:
        assert resolve_references(file, ORACLE_ENVIRON) == answer["values"]
