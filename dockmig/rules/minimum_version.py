"""`minimum_version` is newer than Kamal 2.12.0, or not a version Kamal can read.

Kamal compares `minimum_version` with its own version using RubyGems'
version rules and refuses to load a config that asks for a newer Kamal.
The value must be what RubyGems calls a version: digits separated by dots,
optionally followed by letters (`2.13.0.rc1`) or a `-suffix`; a leading `v`
or any other word makes Kamal crash while loading instead of reporting a
clear error. Unquoted `2.1` and `3` work (YAML reads them as numbers and
Kamal turns them back into text); an empty value means 0.

dockmig checks against Kamal 2.12.0, the version whose behaviour it mirrors.

Passing example::

    minimum_version: 2.8.0

Failing example (a leading v is not a version number)::

    minimum_version: v2.8.0
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from dockmig.findings import Severity
from dockmig.topology import ruby_to_s, truthy

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "minimum-version"
SEVERITY = Severity.ERROR
KAMAL = True

KAMAL_VERSION = "2.12.0"

# RubyGems' ANCHORED_VERSION_PATTERN with Ruby's ASCII-only \s. Its atomic
# group cannot change the outcome here (giving letters back never helps the
# rest match), so a plain group is used.
_VERSION = re.compile(
    r"[ \t\n\v\f\r]*"
    r"([0-9]+(?:\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?"
    r"[ \t\n\v\f\r]*"
)

Segment = int | str


def check(target: TargetContext) -> None:
    value = target.get("minimum_version", default=None)
    # Kamal skips the comparison for false and nil; dates, lists and maps
    # are the schema's to report.
    if not truthy(value) or not isinstance(value, (str, int, float)):
        return

    text = ruby_to_s(value)
    if not is_version(text):
        target.report(ID, ("minimum_version",), _malformed(text))
        return
    if compare(text, KAMAL_VERSION) > 0:
        target.report(
            ID,
            ("minimum_version",),
            f"minimum_version {text.strip()} is newer than Kamal {KAMAL_VERSION}, "
            "which refuses this config; upgrade Kamal or lower minimum_version",
        )


def is_version(text: str) -> bool:
    """RubyGems' Gem::Version.correct?."""
    return _VERSION.fullmatch(text) is not None


def compare(left: str, right: str) -> int:
    """Gem::Version#<=> for two correct version strings: -1, 0 or 1."""
    left_text, right_text = _normal(left), _normal(right)
    if left_text == right_text:
        return 0
    lhs, rhs = _canonical(left_text), _canonical(right_text)
    if lhs == rhs:
        return 0

    for index in range(max(len(lhs), len(rhs))):
        a: Segment = lhs[index] if index < len(lhs) else 0
        b: Segment = rhs[index] if index < len(rhs) else 0
        if a == b:
            continue
        # A letter segment marks a pre-release, older than any number.
        if isinstance(a, int) and isinstance(b, int):
            return -1 if a < b else 1
        if isinstance(a, str) and isinstance(b, str):
            return -1 if a < b else 1
        return -1 if isinstance(a, str) else 1
    return 0


def _normal(text: str) -> str:
    if re.fullmatch(r"[ \t\n\v\f\r]*", text):
        return "0"
    return text.strip(" \t\n\v\f\r").replace("-", ".pre.")


def _canonical(text: str) -> list[Segment]:
    segments: list[Segment] = [
        int(part) if part.isdigit() else part
        for part in re.findall(r"[0-9]+|[a-zA-Z]+", text)
    ]
    first_letter = next(
        (i for i, part in enumerate(segments) if isinstance(part, str)),
        len(segments),
    )
    numbers, letters = segments[:first_letter], segments[first_letter:]
    return _without_trailing_zeros(numbers) + _without_trailing_zeros(letters)


def _without_trailing_zeros(segments: list[Segment]) -> list[Segment]:
    trimmed = list(segments)
    while trimmed and trimmed[-1] == 0:
        trimmed.pop()
    return trimmed


def _malformed(text: str) -> str:
    shown = text.strip() or text
    hint = "write digits separated by dots, e.g. `minimum_version: 2.8.0`"
    candidate = text.strip().lstrip("vV")
    if candidate != text.strip() and is_version(candidate):
        hint = f"drop the v: `minimum_version: {candidate}`"
    return (
        f"minimum_version {shown!r} is not a version number, and Kamal crashes "
        f"reading it; {hint}"
    )
