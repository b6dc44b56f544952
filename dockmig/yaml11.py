"""Scalar typing as Kamal sees it: Ruby's Psych, YAML 1.1, the libyaml backend.

ruamel.yaml follows YAML 1.2 by default, where `yes` is a string and `0600` a
decimal. Kamal reads deploy files with Psych, so dockmig resolves every plain
scalar itself, following psych's ScalarScanner rule for rule, in its order.
"""

from __future__ import annotations

import datetime as dt
import math
import re


class Symbol(str):
    """A Ruby Symbol (`:verbose`): Kamal's string checks accept it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Symbol({str.__repr__(self)})"


class LongInteger(int):
    """An integer too long for Python to write in decimal (Psych reads any length).

    Python refuses to turn an integer of more than 4,300 digits into text, so
    the first message quoting one (a schema error does) would crash dockmig.
    It shows its size instead; no Kamal setting takes such a number, and a
    decimal literal that long keeps only its size, not its digits.
    """

    def __repr__(self) -> str:
        sign = "a negative" if self < 0 else "an"
        return f"<{sign} integer of {self.bit_length():,} bits>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else int.__format__(self, spec)


# 10 ** 4300, Python's default limit for printing, is just over 2 ** 14284.
_PRINTABLE_BITS = 14_000

# Psych applies the "looks like a word" test first, so that hash keys, hex
# values and special floats are not mistaken for strings.
_WORDISH = re.compile(r"[^\d.:-]?(?:[^\W\d_]|[_\s!@#$%^&*(){}<>|/\\~;=])+")
_TIME = re.compile(
    r"-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?"
    r"(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$"
)
_DATE = re.compile(r"\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$")
_SEXAGESIMAL_INT = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$")
_SEXAGESIMAL_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$")
_FLOAT = re.compile(
    r"(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?"
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$"
)
# psych's INTEGER_LEGACY, the default: commas are digit separators.
_INTEGER = re.compile(
    r"(?:[-+]?0b[0-1_,]+"
    r"|[-+]?0[0-7_,]+"
    r"|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)"
    r"|[-+]?0x[0-9a-fA-F_,]+)$"
)

Scalar = str | int | float | bool | None | dt.date | dt.datetime


def resolve_plain(text: str) -> Scalar:
    """Type an unquoted scalar exactly as Psych's ScalarScanner#tokenize does."""
    if text == "":
        return None

    if _WORDISH.match(text) or "\n" in text:
        if len(text) > 5:
            return text
        if text[0].lower() not in "ytonf~":
            return text
        if text == "~" or text.lower() == "null":
            return None
        if text.lower() in ("yes", "true", "on"):
            return True
        if text.lower() in ("no", "false", "off"):
            return False
        return text

    if _TIME.match(text):
        parsed = _parse_time(text)
        return text if parsed is None else parsed
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(_zero_pad_date(text))
        except ValueError:
            return text
    if re.fullmatch(r"\+?\.inf", text, re.IGNORECASE):
        return math.inf
    if re.fullmatch(r"-\.inf", text, re.IGNORECASE):
        return -math.inf
    if re.fullmatch(r"\.nan", text, re.IGNORECASE):
        return math.nan
    if len(text) > 1 and text[0] == ":":
        quoted = re.match(r":([\"'])(.*)\1", text)
        return Symbol(quoted.group(2) if quoted else text[1:])
    if _SEXAGESIMAL_INT.match(text):
        return _sexagesimal(text, int)
    if _SEXAGESIMAL_FLOAT.match(text):
        return _sexagesimal(text, float)
    if _FLOAT.match(text):
        if re.fullmatch(r"[-+]?\.", text):
            return text
        return _ruby_float(text)
    if _INTEGER.match(text):
        return _ruby_integer(text)
    return text


def _zero_pad_date(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _parse_time(text: str) -> dt.datetime | None:
    match = re.match(
        r"(-?\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]|\s+)(\d{1,2}):(\d\d):(\d\d)(\.\d*)?"
        r"\s*(Z|[-+]\d{1,2}:?(?:\d\d)?)?",
        text,
    )
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _sexagesimal(text: str, kind: type[int] | type[float]) -> int | float:
    # psych multiplies each group by 60 ** |index - 2|, which is only the
    # textbook base-60 value for three groups; two groups give odd numbers
    # (22:22 -> 80520) and Kamal sees exactly those.
    total: float = 0
    for index, group in enumerate(text.split(":")):
        total += _ruby_to_number(group, kind) * 60 ** abs(index - 2)
    return _printable(int(total)) if kind is int else float(total)


def _printable(value: int) -> int:
    return LongInteger(value) if value.bit_length() > _PRINTABLE_BITS else value


def _ruby_to_number(text: str, kind: type[int] | type[float]) -> float:
    match = re.match(r"[-+]?[0-9_]*(\.[0-9_]*)?", text)
    digits = (match.group(0) if match else "").replace("_", "")
    if kind is int:
        digits = digits.split(".")[0]
    try:
        return float(digits) if kind is float else _decimal(digits or "0")
    except ValueError:
        return 0


def _ruby_float(text: str) -> float:
    cleaned = re.sub(r"\.([Ee]|$)", r"\1", text.replace(",", "").replace("_", ""))
    try:
        return float(cleaned)
    except ValueError:
        return float(cleaned + "0") if cleaned.endswith(".") else 0.0


def _ruby_integer(text: str) -> int | str:
    cleaned = text.replace(",", "").replace("_", "")
    sign = -1 if cleaned.startswith("-") else 1
    body = cleaned.lstrip("+-")
    try:
        if body.startswith(("0b", "0B")):
            return _printable(sign * int(body[2:], 2))
        if body.startswith(("0x", "0X")):
            return _printable(sign * int(body[2:], 16))
        if len(body) > 1 and body.startswith("0"):
            return _printable(sign * int(body[1:], 8))
        return _printable(sign * _decimal(body))
    except ValueError:
        # Ruby's Integer() refuses what the regex let through (`0b`, `0x_`);
        # psych then raises, which Kamal reports as a parse failure.
        return text


def _decimal(digits: str) -> int:
    """int() of decimal digits; past Python's digit limit, a number of that size."""
    unsigned = digits.lstrip("+-")
    if len(unsigned) <= 4000:
        return int(digits)
    if not unsigned.isdigit():
        raise ValueError(digits)
    # About 3.32 bits per decimal digit; only the size is kept (see LongInteger).
    size = LongInteger(1 << (len(unsigned) * 332 // 100))
    return LongInteger(-size) if digits.startswith("-") else size


def ruby_type_name(value: object) -> str:
    """How Kamal's messages would describe a value's type, in plain words."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Symbol):
        return "a symbol"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, dt.datetime):
        return "a timestamp"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
