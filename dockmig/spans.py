"""Edit text at exact offsets, and prove the edit did what was meant.

Every codemod works the same way: it decides *where* (offsets into the
original text) and *what* (the replacement), never re-serialises anything,
and hands the edits to `apply`. `verified` then parses the result again and
compares it with the data the codemod intended; any difference means the
edit is not what it looks like, and nothing gets written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Edit:
    """Replace `text[start:end]` with `replacement`; `start == end` inserts."""

    start: int
    end: int
    replacement: str
    # Edits at one offset are applied in `order`; the plan decides it.
    order: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span {self.start}..{self.end}")


class OverlappingEdits(Exception):
    """Two edits claim the same characters: a bug in the codemod that made them."""


class VerificationFailed(Exception):
    """The edited text does not parse back to the intended data."""


def apply(text: str, edits: Iterable[Edit]) -> str:
    """The text with every edit made; every other character stays where it was."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end > e.start, e.order))
    pieces: list[str] = []
    position = 0

    for edit in ordered:
        if edit.end > len(text):
            raise OverlappingEdits(f"edit {edit.start}..{edit.end} past the end")
        if edit.start < position:
            raise OverlappingEdits(
                f"edit {edit.start}..{edit.end} overlaps one ending at {position}"
            )
        pieces.append(text[position : edit.start])
        pieces.append(edit.replacement)
        position = edit.end
    pieces.append(text[position:])

    return "".join(pieces)


def verified(
    text: str,
    edits: Sequence[Edit],
    parse: Callable[[str], T],
    intended: Callable[[T], T],
    describe: Callable[[T, T], str] | None = None,
) -> str:
    """Apply `edits`, then check that parsing the result gives `intended(before)`."""
    result = apply(text, edits)
    before = parse(text)
    expected = intended(before)
    after = parse(result)

    if after != expected:
        detail = describe(expected, after) if describe else "the data differs"
        raise VerificationFailed(detail)

    return result


def first_difference(expected: Any, actual: Any, path: str = "") -> str:
    """Where two nested values part, as a key path (never the values: secrets)."""
    if type(expected) is not type(actual):
        return f"{path or '/'}: {type(expected).__name__} != {type(actual).__name__}"

    if isinstance(expected, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            if key not in actual or key not in expected:
                return f"{path}/{key}: present on one side only"
            found = first_difference(expected[key], actual[key], f"{path}/{key}")
            if found:
                return found
        return ""

    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path or '/'}: {len(expected)} items != {len(actual)}"
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found = first_difference(left, right, f"{path}/{index}")
            if found:
                return found
        return ""

    return "" if expected == actual else f"{path or '/'}: values differ"


# --- lines: every codemod needs the same few questions answered about them


def line_ending(text: str) -> str:
    """The line break this file uses most; LF for a file without any."""
    counts = {"\r\n": 0, "\n": 0, "\r": 0}
    for match in _LINE_BREAK.finditer(text):
        counts[match.group(0)] += 1
    best = max(counts, key=lambda k: (counts[k], k == "\n"))
    return best if counts[best] else "\n"


def _inside_crlf(text: str, offset: int) -> bool:
    return 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"


def line_start(text: str, offset: int) -> int:
    """Offset of the first character of the line holding `offset`."""
    if _inside_crlf(text, offset):
        offset -= 1
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def line_end(text: str, offset: int) -> int:
    """Offset of the line break ending the line holding `offset` (or the end)."""
    match = _LINE_BREAK.search(text, offset)
    return match.start() if match else len(text)


def next_line(text: str, offset: int) -> int:
    """Offset just after the line break that ends the line holding `offset`."""
    match = _LINE_BREAK.search(text, offset)
    return match.end() if match else len(text)


def previous_line(text: str, start: int) -> int:
    """The start of the line before the line starting at `start` (-1 if none)."""
    if start <= 0:
        return -1
    end = start - 1
    if text[end] == "\n" and end > 0 and text[end - 1] == "\r":
        end -= 1
    return line_start(text, end)


def lines(text: str) -> list[tuple[int, int, int]]:
    """Every line as (start, end before the break, end after the break)."""
    found = []
    position = 0

    for match in _LINE_BREAK.finditer(text):
        found.append((position, match.start(), match.end()))
        position = match.end()

    if position < len(text):
        found.append((position, len(text), len(text)))

    return found


def line_number(text: str, offset: int) -> int:
    """1-based line of `offset`, counting LF, CRLF and lone CR as one break."""
    if _inside_crlf(text, offset):
        offset -= 1
    return len(_LINE_BREAK.findall(text, 0, offset)) + 1 if offset else 1


def column_number(text: str, offset: int) -> int:
    """1-based column of `offset`."""
    return offset - line_start(text, offset) + 1


class LineIndex:
    """Line starts of one text, for turning marks into offsets many times."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]

    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based line and column."""
        if line - 1 >= len(self.starts):
            return len(self.text)
        return self.starts[max(line, 1) - 1] + column - 1
