"""Kamal's secrets files (`.kamal/secrets*`), read the way dotenv 3.2 reads them.

Kamal hands each secrets file to dotenv, which does not read lines: it scans
the whole text with one pattern, so a value may begin on the line after its
key, a quoted value may run over many lines, and a line that does not fit is
skipped without a word. This module reproduces that scan by hand, keeping the
line and column of every key and value, and describes each value without
running anything: which `$NAME` / `${NAME}` it refers to and which `$(…)`
commands Kamal would run. A value is never logged and never put into a
message or a repr.

Problem codes (`SecretsProblem.code`):

- `format-error`: dotenv raises and Kamal stops (`export KEY` with no value and
  KEY not defined earlier in the same file).
- `ignored-line`: a line dotenv skips silently (`KEY-WITH-DASH=1`, `if [ … ]`).
- `unterminated-quote`: a value opens a quote that never closes; dotenv keeps
  the quote character and the rest of the line as the value.
- `text-after-quote`: a quoted value is followed by text other than a comment;
  dotenv then keeps the quotes and all of it.
- `quote-swallows-lines`: a quoted value runs over lines that look like
  assignments, which is usually a missing closing quote.
- `unterminated-command`: `$(` with no complete command after it; Kamal keeps
  it as text instead of running anything.
- `shell-expansion`: `${NAME:-x}` and other shell forms dotenv does not know.
- `value-on-next-line`: the separator or the value is on a later line than
  the key, which dotenv accepts (`KEY:` then `OTHER=1` makes `OTHER=1` the
  value of KEY).
- `bare-key`: a key with no separator, which dotenv defines as empty.
- `duplicate-key`: a key defined again; the last definition wins.
- `nul-byte`: a NUL character, which no environment variable can hold.

Positions are 1-based. Lines end at LF, CRLF or a lone CR (dotenv turns all
three into LF); columns count characters, a byte-order mark included, as
`dockmig.document` does for deploy files.
"""

from __future__ import annotations

import bisect
import enum
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

logger = logging.getLogger(__name__)

KEY_PATTERN = r"^[A-Za-z0-9_.]+$"
# dotenv matches reference names with /[A-Z0-9_]/i, and Ruby's case folding
# lets LONG S and KELVIN SIGN through as well (checked against Ruby 3.1).
REFERENCE_PATTERN = "^[A-Za-z0-9_\u017f\u212a]+$"

_WHITESPACE = "\t\n\v\f\r "
# Ruby's String#strip also removes NUL.
_STRIPPED = "\0" + _WHITESPACE
_WS_RUN = re.compile(r"[\t\n\v\f\r ]*")
_KEY_RUN = re.compile(r"[A-Za-z0-9_.]*")
_NAME_RUN = re.compile("[A-Za-z0-9_\u017f\u212a]*")
_COMMAND_PLAIN = re.compile(r"[^()\\]+")
_LINE_BREAK = re.compile(r"\r\n?")
_SOURCE_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LOOKS_ASSIGNED = re.compile(r"[\t\v\f\r ]*(?:export[\t\v\f\r ]+)?[A-Za-z0-9_.]+\s*=")
_BAD_NAME = re.compile(r"(?:export\s+)?[^\s=#:'\"]+\s*=")
_BAD_COLON = re.compile(r"(?:export\s+)?[A-Za-z0-9_.]+(?:\s+:|:(?=[^\s]))")
_COMMAND_MARK = "\0"
_LINEBREAK_MODE = "DOTENV_LINEBREAK_MODE"


class ValueKind(enum.Enum):
    """What a secret's value is made of, as far as it can be told statically."""

    LITERAL = "literal"
    REFERENCE = "reference"
    COMMAND = "command"
    MIXED = "mixed"
    EMPTY = "empty"


@dataclass(frozen=True)
class SecretEntry:
    """One assignment of a secrets file, as dotenv would make it.

    `references` names the `$NAME`/`${NAME}` used outside single quotes,
    inside commands too. `commands` holds the text of each `$(…)` as Kamal
    would hand it to the shell before expanding names in it; like `text` (the
    value as written, quotes removed) it is kept out of repr and comparisons
    because it is part of the value. `span` is the value's extent as written
    (quotes included), in character offsets of the text given to
    `parse_secrets`.
    """

    name: str
    line: int
    column: int
    value_line: int
    value_column: int
    kind: ValueKind
    references: tuple[str, ...] = ()
    commands: tuple[str, ...] = field(default=(), repr=False, compare=False)
    exported: bool = False
    quote: str = ""
    text: str = field(default="", repr=False, compare=False)
    span: tuple[int, int] = field(default=(0, 0), repr=False, compare=False)


@dataclass(frozen=True)
class SecretsProblem:
    """Something about a secrets file worth telling; the message names keys only."""

    line: int
    column: int
    message: str
    code: str
    name: str = ""

    @property
    def kamal_rejects(self) -> bool:
        """Kamal fails on this file, rather than reading it in a surprising way."""
        return self.code == "format-error"


@dataclass
class SecretsFile:
    """One secrets file: its assignments in file order, and its problems."""

    path: str
    entries: list[SecretEntry] = field(default_factory=list)
    problems: list[SecretsProblem] = field(default_factory=list)

    def names(self) -> set[str]:
        return {entry.name for entry in self.entries}

    def get(self, name: str) -> SecretEntry | None:
        """The definition dotenv keeps: the last one."""
        for entry in reversed(self.entries):
            if entry.name == name:
                return entry
        return None


class _Match(NamedTuple):
    """One successful step of dotenv's scan, in offsets of the normalised text."""

    key_start: int
    key_end: int
    exported: bool
    separator: int  # offset of "=" or ":", -1 for a bare key
    value: tuple[int, int] | None  # dotenv's value group; None when it is unset
    end: int
    quote_failure: str = ""
    quote_at: int = -1


@dataclass(frozen=True)
class _Issue:
    offset: int  # index into the value body
    code: str
    message: str


@dataclass(frozen=True)
class _Analysis:
    kind: ValueKind
    references: tuple[str, ...]
    commands: tuple[str, ...]
    issues: tuple[_Issue, ...]


class _Variable(NamedTuple):
    start: int
    end: int
    name: str
    escaped: bool
    braced: bool
    closed: bool


class _Scanner:
    """dotenv's pattern scan over a text whose line breaks are all LF."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.size = len(text)

    def ws_end(self, offset: int) -> int:
        match = _WS_RUN.match(self.text, offset)
        return match.end() if match else offset

    def scan(self) -> tuple[list[_Match], list[int]]:
        """Every match, and the first non-blank offset of every skipped line."""
        text, size = self.text, self.size
        matches: list[_Match] = []
        skipped: list[int] = []
        position = 0
        while position < size:
            # The pattern is anchored at a line start; any other offset fails.
            if position > 0 and text[position - 1] != "\n":
                newline = text.find("\n", position)
                if newline < 0:
                    break
                position = newline + 1
                continue

            match = self.attempt(position)
            if match is not None:
                matches.append(match)
                position = match.end
                continue

            first = self.ws_end(position)
            if first >= size:
                break
            if text[first] != "#":
                skipped.append(first)
            newline = text.find("\n", first)
            if newline < 0:
                break
            position = newline + 1
        return matches, skipped

    def attempt(self, start: int) -> _Match | None:
        first = self.ws_end(start)
        if first >= self.size:
            return None
        # dotenv first reads `export` as a prefix and, when the rest does not
        # fit, as a key named export (`export =1` defines `export`).
        after = first + len("export")
        if (
            self.text.startswith("export", first)
            and after < self.size
            and self.text[after] in _WHITESPACE
        ):
            match = self.assignment(self.ws_end(after), exported=True)
            if match is not None:
                return match
        return self.assignment(first, exported=False)

    def assignment(self, key_start: int, *, exported: bool) -> _Match | None:
        text, size = self.text, self.size
        key_match = _KEY_RUN.match(text, key_start)
        key_end = key_match.end() if key_match else key_start
        if key_end == key_start:
            return None

        equals = self.ws_end(key_end)
        if equals < size and text[equals] == "=":
            return self.value(key_start, key_end, exported, equals, equals + 1)
        if (
            key_end + 1 < size
            and text[key_end] == ":"
            and text[key_end + 1] in _WHITESPACE
        ):
            return self.value(key_start, key_end, exported, key_end, key_end + 2)

        end = self.tail(key_end)
        if end is None:
            return None
        return _Match(key_start, key_end, exported, -1, None, end)

    def value(
        self, key_start: int, key_end: int, exported: bool, separator: int, start: int
    ) -> _Match:
        """The value after a separator; once a separator is found, this never fails."""
        text, size = self.text, self.size
        opening = self.ws_end(start)
        failure = ""
        if opening < size and text[opening] in "'\"":
            closed, any_candidate = self.close_quote(opening)
            if closed is not None:
                closing, end = closed
                return _Match(
                    key_start, key_end, exported, separator, (start, closing + 1), end
                )
            failure = "text-after-quote" if any_candidate else "unterminated-quote"

        if start < size and text[start] not in "#\n":
            line_end = text.find("\n", start)
            if line_end < 0:
                line_end = size
            stop = text.find("#", start, line_end)
            if stop < 0:
                stop = line_end
            # The fallback never fails: the value stops at "#", LF or the end.
            after = self.tail(stop)
            if opening >= stop:
                failure = ""
            return _Match(
                key_start,
                key_end,
                exported,
                separator,
                (start, stop),
                size if after is None else after,
                failure,
                opening if failure else -1,
            )

        after = self.tail(start)
        return _Match(
            key_start,
            key_end,
            exported,
            separator,
            None,
            size if after is None else after,
        )

    def tail(self, offset: int) -> int | None:
        """Where trailing blanks, a comment and the end of a line end, if they do."""
        text, size = self.text, self.size
        blank_end = self.ws_end(offset)
        if blank_end < size and text[blank_end] == "#":
            newline = text.find("\n", blank_end)
            return size if newline < 0 else newline
        if blank_end >= size:
            return size
        newline = text.rfind("\n", offset, blank_end)
        return newline if newline >= 0 else None

    def close_quote(self, opening: int) -> tuple[tuple[int, int] | None, bool]:
        """The closing quote dotenv settles on and the match end, if any works.

        dotenv's pattern lets `\\'` (or `\\"`) stand inside the quotes, and
        backtracks: it tries the first quote without a backslash before it,
        then each escaped quote before that one, last first.
        """
        text = self.text
        quote = text[opening]
        body = opening + 1
        escaped: list[int] = []
        candidate = text.find(quote, body)
        while candidate > body and text[candidate - 1] == "\\":
            escaped.append(candidate)
            candidate = text.find(quote, candidate + 1)

        candidates = ([candidate] if candidate >= 0 else []) + escaped[::-1]
        for closing in candidates:
            end = self.tail(closing + 1)
            if end is not None:
                return (closing, end), True
        return None, bool(candidates)


def _unescape(body: str, quote: str, legacy: bool) -> tuple[str, list[int]]:
    """dotenv's backslash handling; also the body offsets of dropped backslashes.

    A backslash disappears before any character but `$`. In double quotes
    `\\n` and `\\r` stay as written, unless DOTENV_LINEBREAK_MODE is `legacy`,
    which makes them real line breaks.
    """
    if quote == "'":
        return body, []
    if quote == '"' and legacy:
        expanded = body.replace("\\n", "\n").replace("\\r", "\r")
        text, _ = _drop_backslashes(expanded, keep_line_escapes=False)
        return text, []
    return _drop_backslashes(body, keep_line_escapes=quote == '"')


def _drop_backslashes(text: str, *, keep_line_escapes: bool) -> tuple[str, list[int]]:
    pieces: list[str] = []
    dropped: list[int] = []
    start = 0

    backslash = text.find("\\")
    while backslash >= 0:
        following = text[backslash + 1 : backslash + 2]
        # `\$` keeps its backslash: the variable pass reads it as an escape.
        if following in ("", "$"):
            backslash = text.find("\\", backslash + 1)
            continue
        if keep_line_escapes and following in ("n", "r"):
            backslash = text.find("\\", backslash + 2)
            continue
        pieces.append(text[start:backslash])
        dropped.append(backslash)
        start = backslash + 1
        backslash = text.find("\\", backslash + 2)
    pieces.append(text[start:])
    return "".join(pieces), dropped


def _body_offset(index: int, dropped: list[int]) -> int:
    for removed in dropped:
        if removed <= index:
            index += 1
        else:
            break
    return index


def _command_end(text: str, opening: int, memo: dict[int, int]) -> int:
    """The end of the parenthesised command at `opening`, or -1.

    Kamal's pattern: one or more of an escaped character (not a line break),
    a character other than a parenthesis or backslash, or a nested group.
    Results are remembered so that a run of `$($($(` stays linear.
    """
    known = memo.get(opening)
    if known is not None:
        return known

    # One frame per open parenthesis: where it opened, and how many items the
    # pattern's `+` has taken inside it so far.
    size = len(text)
    stack = [opening]
    items = [0]
    index = opening + 1
    while index < size:
        char = text[index]
        if char == "\\":
            if index + 1 >= size or text[index + 1] == "\n":
                break
            items[-1] += 1
            index += 2
        elif char == "(":
            nested = memo.get(index)
            if nested is None:
                stack.append(index)
                items.append(0)
                index += 1
                continue
            if nested < 0:
                break
            items[-1] += 1
            index = nested
        elif char == ")":
            if items[-1] == 0:
                break
            memo[stack.pop()] = index + 1
            items.pop()
            index += 1
            if not stack:
                return index
            items[-1] += 1
        else:
            plain = _COMMAND_PLAIN.match(text, index)
            index = plain.end() if plain else index + 1
            items[-1] += 1

    # The text ran out, a backslash stood before a line break, or a group was
    # empty: the innermost group fails, and no outer one can close without it.
    for start in stack:
        memo[start] = -1
    return -1


def _commands(text: str) -> tuple[list[tuple[int, int, bool]], list[int]]:
    """Kamal's `$(…)` spans (start, end, escaped) and offsets of `$(` that fail."""
    spans: list[tuple[int, int, bool]] = []
    failed: list[int] = []
    memo: dict[int, int] = {}
    done = 0

    dollar = text.find("$(")
    while dollar >= 0:
        end = _command_end(text, dollar + 1, memo)
        if end < 0:
            failed.append(dollar)
            dollar = text.find("$(", dollar + 1)
            continue
        # The backslash escapes only if the previous match did not consume it.
        escaped = dollar - 1 >= done and text[dollar - 1] == "\\"
        spans.append((dollar - 1 if escaped else dollar, end, escaped))
        done = end
        dollar = text.find("$(", end)
    return spans, failed


def _variables(text: str) -> list[_Variable]:
    """dotenv's `$NAME`, `${NAME}` matches, in order, as its gsub finds them."""
    found: list[_Variable] = []
    done = 0
    size = len(text)
    dollar = text.find("$")
    while dollar >= 0:
        if text.startswith("(", dollar + 1):
            dollar = text.find("$", dollar + 1)
            continue

        escaped = dollar - 1 >= done and text[dollar - 1] == "\\"
        index = dollar + 1
        braced = index < size and text[index] == "{"
        if braced:
            index += 1
        name_match = _NAME_RUN.match(text, index)
        name_end = name_match.end() if name_match else index
        name = text[index:name_end]
        closed = name_end < size and text[name_end] == "}"
        end = name_end + 1 if closed else name_end

        found.append(
            _Variable(
                dollar - 1 if escaped else dollar, end, name, escaped, braced, closed
            )
        )
        done = end
        dollar = text.find("$", end)
    return found


def _is_shell_expansion(variable: _Variable) -> bool:
    return (
        variable.braced
        and not variable.escaped
        and not (variable.name and variable.closed)
    )


_UNTERMINATED_COMMAND = (
    "`$(` does not open a complete command (its parentheses are unbalanced or"
    " empty), so Kamal keeps it as text and runs nothing"
)
_SHELL_EXPANSION = (
    "`${` here does not enclose just a name; dotenv knows no shell forms such as"
    " `${NAME:-default}`, substitutes at most the name and keeps the rest as text"
)


@dataclass(frozen=True)
class _CommandPass:
    """A value after Kamal's command pass, as dotenv's variable pass sees it.

    A command's output is unknown here, so it stands as one placeholder
    character; an escaped `\\$(…)` loses its backslash and stays as text.
    """

    text: str
    spans: list[tuple[int, int, bool]]
    failed: list[int]
    starts: list[int]
    origins: list[int]

    @property
    def runs_commands(self) -> bool:
        return any(not escaped for _, _, escaped in self.spans)

    def origin(self, index: int) -> int:
        """The offset in the unescaped value that `index` of `text` came from."""
        at = bisect.bisect_right(self.starts, index) - 1
        return self.origins[at] + index - self.starts[at]


def _substitute_commands(text: str) -> _CommandPass:
    spans, failed = _commands(text)

    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    length = 0
    previous = 0
    for start, end, escaped in spans:
        for piece, origin in (
            (text[previous:start], previous),
            (text[start + 1 : end] if escaped else _COMMAND_MARK, start + escaped),
        ):
            pieces.append(piece)
            starts.append(length)
            origins.append(origin)
            length += len(piece)
        previous = end
    pieces.append(text[previous:])
    starts.append(length)
    origins.append(previous)

    return _CommandPass("".join(pieces), spans, failed, starts, origins)


def _analyse(body: str, quote: str, legacy: bool) -> _Analysis:
    """Kind, references and commands of a value body, without running anything."""
    if quote == "'" or ("$" not in body and "\\" not in body):
        kind = ValueKind.LITERAL if body else ValueKind.EMPTY
        return _Analysis(kind, (), (), ())
    text, dropped = _unescape(body, quote, legacy)
    substituted = _substitute_commands(text)

    # Kamal expands names inside a command before handing it to the shell.
    found: list[tuple[int, str]] = []
    expansions: list[int] = []
    commands: list[str] = []
    for start, end, escaped in substituted.spans:
        if escaped:
            continue
        inner = text[start + 2 : end - 1]
        commands.append(inner)
        for variable in _variables(inner):
            offset = start + 2 + variable.start
            if variable.name and not variable.escaped:
                found.append((offset, variable.name))
            if _is_shell_expansion(variable):
                expansions.append(offset)

    variables = _variables(substituted.text)
    for variable in variables:
        offset = substituted.origin(variable.start)
        if variable.name and not variable.escaped:
            found.append((offset, variable.name))
        if _is_shell_expansion(variable):
            expansions.append(offset)

    issues: list[_Issue] = []
    if substituted.failed:
        offset = _body_offset(substituted.failed[0], dropped)
        issues.append(_Issue(offset, "unterminated-command", _UNTERMINATED_COMMAND))
    if expansions:
        offset = _body_offset(min(expansions), dropped)
        issues.append(_Issue(offset, "shell-expansion", _SHELL_EXPANSION))

    references = tuple(dict.fromkeys(name for _, name in sorted(found)))
    if commands:
        kind = ValueKind.COMMAND
    elif not text:
        kind = ValueKind.EMPTY
    elif not references:
        kind = ValueKind.LITERAL
    elif (
        len(variables) == 1
        and variables[0].start == 0
        and variables[0].end == len(substituted.text)
    ):
        kind = ValueKind.REFERENCE
    else:
        kind = ValueKind.MIXED
    return _Analysis(kind, references, tuple(commands), tuple(issues))


class _Locator:
    """Turns offsets of the normalised text into positions in the given text."""

    def __init__(self, source: str, normalised: str, bom: bool) -> None:
        self.bom = bom
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", normalised)]
        self.source_line_starts = [0] + [
            m.end() for m in _SOURCE_LINE_BREAK.finditer(source)
        ]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        column = offset - self.line_starts[line - 1] + 1
        if line == 1 and self.bom:
            column += 1
        return line, column

    def source_offset(self, offset: int) -> int:
        line, column = self.position(offset)
        return self.source_line_starts[line - 1] + column - 1


class _Problems:
    """Problems found while reading one file, kept in the order of the text."""

    def __init__(self, locator: _Locator) -> None:
        self.locator = locator
        self.found: list[tuple[int, SecretsProblem]] = []

    def add(self, offset: int, code: str, message: str, name: str = "") -> None:
        line, column = self.locator.position(offset)
        self.found.append((offset, SecretsProblem(line, column, message, code, name)))

    def in_order(self) -> list[SecretsProblem]:
        return [problem for _, problem in sorted(self.found, key=lambda p: p[0])]


def parse_secrets(text: str, path: str) -> SecretsFile:
    """Read a secrets file's text as Kamal's dotenv would; never raises."""
    bom = text.startswith("\ufeff")
    normalised = _LINE_BREAK.sub("\n", text[1:] if bom else text)
    locator = _Locator(text, normalised, bom)
    result = SecretsFile(path=path)
    matches, skipped = _Scanner(normalised).scan()

    problems = _Problems(locator)
    for offset in skipped:
        problems.add(offset, "ignored-line", _ignored_message(normalised, offset))
    _report_nul_bytes(normalised, problems)

    first_lines: dict[str, int] = {}
    legacy = False
    for match in matches:
        entry = _entry(normalised, match, problems, first_lines, legacy)
        if entry is None:
            continue
        if entry.name == _LINEBREAK_MODE:
            written = _unescape(entry.text, entry.quote, False)[0]
            legacy = entry.kind is ValueKind.LITERAL and written == "legacy"
        first_lines.setdefault(entry.name, entry.line)
        result.entries.append(entry)

    result.problems = problems.in_order()
    logger.debug(
        "%s: %d secrets, %d problems", path, len(result.entries), len(result.problems)
    )
    return result


def _entry(
    text: str,
    match: _Match,
    problems: _Problems,
    first_lines: Mapping[str, int],
    legacy: bool,
) -> SecretEntry | None:
    """The entry dotenv makes from one match, reporting what is odd about it."""
    locator = problems.locator
    name = text[match.key_start : match.key_end]
    line, column = locator.position(match.key_start)

    # dotenv refuses `export KEY` only when KEY has no value yet; with one, the
    # line changes nothing.
    if match.value is None and match.exported:
        if name not in first_lines:
            problems.add(
                match.key_start,
                "format-error",
                f"`export {name}` gives no value and {name} is not defined earlier"
                " in this file; Kamal stops with a format error when it reads it",
                name,
            )
        return None

    raw_start, raw_end = match.value or (match.key_end, match.key_end)
    if match.value is not None:
        while raw_start < raw_end and text[raw_start] in _STRIPPED:
            raw_start += 1
        while raw_end > raw_start and text[raw_end - 1] in _STRIPPED:
            raw_end -= 1
    elif match.separator >= 0:
        raw_start = raw_end = match.separator + 1
    quote = ""
    body_start, body_end = raw_start, raw_end
    if (
        raw_end - raw_start >= 2
        and text[raw_start] in "'\""
        and text[raw_end - 1] == text[raw_start]
    ):
        quote = text[raw_start]
        body_start, body_end = raw_start + 1, raw_end - 1
    body = text[body_start:body_end]
    analysis = _analyse(body, quote, legacy)

    for issue in analysis.issues:
        problems.add(body_start + issue.offset, issue.code, issue.message, name)
    _report_shape(text, match, name, (raw_start, raw_end), quote, problems)
    if name in first_lines and match.separator >= 0:
        problems.add(
            match.key_start,
            "duplicate-key",
            f"{name} is defined again (first at line {first_lines[name]});"
            " Kamal keeps only this last definition",
            name,
        )

    value_line, value_column = locator.position(raw_start)
    return SecretEntry(
        name=name,
        line=line,
        column=column,
        value_line=value_line,
        value_column=value_column,
        kind=analysis.kind,
        references=analysis.references,
        commands=analysis.commands,
        exported=match.exported,
        quote=quote,
        text=body,
        span=(locator.source_offset(raw_start), locator.source_offset(raw_end)),
    )


def _report_shape(
    text: str,
    match: _Match,
    name: str,
    span: tuple[int, int],
    quote: str,
    problems: _Problems,
) -> None:
    """Problems with how an assignment is laid out, as opposed to its value."""
    raw_start, raw_end = span
    locator = problems.locator
    key_line = locator.position(match.key_start)[0]

    if match.quote_failure == "unterminated-quote":
        problems.add(
            match.quote_at,
            "unterminated-quote",
            f"the quote opening the value of {name} is never closed; dotenv keeps"
            " the quote character and the rest of the line as the value",
            name,
        )
    elif match.quote_failure == "text-after-quote":
        problems.add(
            match.quote_at,
            "text-after-quote",
            f"the quoted value of {name} is followed by text that is not a comment;"
            " dotenv then keeps the quotes and that text as part of the value",
            name,
        )

    if match.separator < 0:
        problems.add(
            match.key_start,
            "bare-key",
            f"{name} has no `=`; dotenv defines it as an empty secret",
            name,
        )
    elif locator.position(match.separator)[0] != key_line or (
        raw_end > raw_start and locator.position(raw_start)[0] != key_line
    ):
        problems.add(
            match.key_start,
            "value-on-next-line",
            f"the value of {name} starts on a later line than the key; dotenv"
            " still takes it as the value, which is rarely what was meant",
            name,
        )

    if quote:
        inner = text[raw_start + 1 : raw_end - 1]
        first_break = inner.find("\n")
        if first_break >= 0:
            for line in inner[first_break + 1 :].split("\n"):
                if _LOOKS_ASSIGNED.match(line):
                    end_line = locator.position(raw_end - 1)[0]
                    problems.add(
                        raw_start,
                        "quote-swallows-lines",
                        f"the quoted value of {name} runs on to line {end_line}"
                        " over lines that look like assignments; a closing quote"
                        " is probably missing",
                        name,
                    )
                    break


def _ignored_message(text: str, offset: int) -> str:
    line_end = text.find("\n", offset)
    line = text[offset : len(text) if line_end < 0 else line_end]
    if _BAD_NAME.match(line):
        return (
            "the name before `=` uses a character a key cannot have (only A-Z,"
            " a-z, 0-9, `_` and `.`), so Kamal skips this line silently"
        )
    if _BAD_COLON.match(line):
        return (
            "a `:` separator needs the key right before it and a space after it;"
            " as written, Kamal skips this line silently"
        )
    return (
        "not an assignment dotenv understands (`KEY=VALUE`, `export KEY=VALUE`"
        " or `KEY: VALUE`), so Kamal skips this line silently"
    )


def _report_nul_bytes(text: str, problems: _Problems) -> None:
    nul = text.find("\0")
    while nul >= 0:
        problems.add(
            nul,
            "nul-byte",
            "NUL character: no environment variable can hold it, and it usually"
            " means the file is not text",
        )
        line_end = text.find("\n", nul)
        if line_end < 0:
            break
        nul = text.find("\0", line_end)


def resolve_references(
    file: SecretsFile, environ: Mapping[str, str]
) -> dict[str, str | None]:
    """Each secret's value as dotenv would compute it, without running commands.

    A name resolves from keys defined earlier in the same file, then from
    `environ`, else to "". A value that contains `$(…)`, or refers to one that
    does, is None: only running the command would tell.
    """
    known: dict[str, str | None] = {}
    for entry in file.entries:
        known[entry.name] = _resolve_entry(entry, known, environ)
    return known


def _resolve_entry(
    entry: SecretEntry, known: Mapping[str, str | None], environ: Mapping[str, str]
) -> str | None:
    if entry.kind is ValueKind.COMMAND:
        return None
    if entry.quote == "'":
        return entry.text

    # dotenv asks the file's own earlier keys first, then the environment.
    if _LINEBREAK_MODE in known:
        mode = known[_LINEBREAK_MODE]
    else:
        mode = environ.get(_LINEBREAK_MODE)
    if (
        mode is None
        and _LINEBREAK_MODE in known
        and entry.quote == '"'
        and re.search(r"\\[nr]", entry.text)
    ):
        return None
    text, _ = _unescape(entry.text, entry.quote, mode == "legacy")
    substituted = _substitute_commands(text)
    if substituted.runs_commands:
        return None
    text = substituted.text

    pieces: list[str] = []
    previous = 0
    for variable in _variables(text):
        pieces.append(text[previous : variable.start])
        previous = variable.end
        written = text[variable.start : variable.end]
        if variable.escaped:
            pieces.append(written[1:])
        elif not variable.name:
            pieces.append(written)
        elif variable.name in known:
            value = known[variable.name]
            if value is None:
                return None
            pieces.append(value)
        else:
            pieces.append(environ.get(variable.name, ""))
    pieces.append(text[previous:])
    return "".join(pieces)


def secrets_instance(file: SecretsFile) -> dict[str, dict[str, object]]:
    """The file as `kamal-secrets.schema.json` describes it; holds no values."""
    instance: dict[str, dict[str, object]] = {}
    for entry in file.entries:
        instance[entry.name] = {
            "kind": entry.kind.value,
            "line": entry.line,
            "exported": entry.exported,
            "references": list(entry.references),
        }
    return instance
