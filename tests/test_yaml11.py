"""Scalars are typed as Kamal's parser (Psych, YAML 1.1) types them."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockmig.yaml11 import Symbol, resolve_plain
from tests.conftest import require

CASES = [
    ("yes", True),
    ("Yes", True),
    ("ON", True),
    ("off", False),
    ("no", False),
    ("y", "y"),
    ("n", "n"),
    ("~", None),
    ("null", None),
    ("Null", None),
    ("", None),
    ("0600", 384),
    ("010", 8),
    ("0o10", "0o10"),
    ("0x1F", 31),
    ("0b101", 5),
    ("1_000", 1000),
    ("1,000", 1000),
    ("1,2,3", 123),
    ("22:22", 80520),
    ("1:30", 5400),
    ("80:80", "80:80"),
    ("3306:3306", "3306:3306"),
    ("1e3", "1e3"),
    ("1.0e3", "1.0e3"),
    ("1.0e+3", 1000.0),
    (".5", 0.5),
    ("12_34.5", 1234.5),
    (":verbose", Symbol("verbose")),
    ("2001-01-01", dt.date(2001, 1, 1)),
    ("2001-01-01T10:00:00Z", dt.datetime(2001, 1, 1, 10, 0, 0)),
    ("192.0.2.10", "192.0.2.10"),
    ("localhost:5555", "localhost:5555"),
    ("v2.8.0", "v2.8.0"),
    ("2.1", 2.1),
    ("-5", -5),
    ("amd64", "amd64"),
    ("truex", "truex"),
]


@pytest.mark.parametrize(
    ("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES]
)
def test_plain_scalar_is_typed_as_psych_types_it(text: str, expected: object) -> None:
    value = resolve_plain(text)
    assert value == expected
    assert type(value) is type(expected)


def test_infinities_and_nan_are_floats() -> None:
    assert resolve_plain(".inf") == math.inf
    assert resolve_plain("-.Inf") == -math.inf
    nan = resolve_plain(".NaN")
    assert isinstance(nan, float) and math.isnan(nan)


@given(st.text(max_size=40))
def test_resolution_never_raises(text: str) -> None:
    resolve_plain(text)


# --- against real Psych -------------------------------------------------


class _Psych:
    def __init__(self) -> None:
        script = Path(__file__).with_name("psych_scalars.rb")
        self.process = subprocess.Popen(
            ["ruby", "-W0", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def type_of(self, text: str) -> tuple[str, str]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(text) + "\n")
        self.process.stdin.flush()
        kind, value = json.loads(self.process.stdout.readline())
        return kind, value

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def psych() -> Iterator[_Psych]:
    require(shutil.which("ruby") is not None, "ruby (installed by the oracle setup)")
    runner = _Psych()
    yield runner
    runner.close()


def _as_psych(value: object) -> tuple[str, str]:
    if value is None:
        return "NilClass", ""
    if isinstance(value, bool):
        return ("TrueClass" if value else "FalseClass"), str(value).lower()
    if isinstance(value, Symbol):
        return "Symbol", str(value)
    if isinstance(value, str):
        return "String", value
    if isinstance(value, int):
        return "Integer", str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "Float", "nan"
        if math.isinf(value):
            return "Float", "inf" if value > 0 else "-inf"
        return "Float", repr(value)
    if isinstance(value, dt.datetime):
        return "Time", value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return "Date", value.strftime("%Y-%m-%d 00:00:00")
    raise AssertionError(value)


def _same(ours: tuple[str, str], theirs: tuple[str, str]) -> bool:
    if (
        ours[0] == "Float"
        and theirs[0] == "Float"
        and ours[1] not in ("nan", "inf", "-inf")
    ):
        return float(ours[1]) == float(theirs[1])
    if ours[0] == "Time" and theirs[0] == "Time":
        # Psych applies the local zone to timestamps; only the type matters to Kamal.
        return True
    return ours == theirs


@pytest.mark.parametrize(
    ("text", "expected"), CASES, ids=[c[0] or "empty" for c in CASES]
)
def test_table_agrees_with_real_psych(
    psych: _Psych, text: str, expected: object
) -> None:
    assert _same(_as_psych(resolve_plain(text)), psych.type_of(text))


_ALPHABET = "0123456789_,:.-+eExXbBoyesnotrufalYNT~ :"
_SCALARS = st.text(alphabet=_ALPHABET, min_size=1, max_size=12).filter(
    lambda s: (
        s == s.strip()
        and not s.startswith(("-", ":", "?", ",", "#"))
        and ": " not in s
        and not s.endswith(":")
        and " #" not in s
    )
)


@settings(max_examples=400, deadline=None)
@given(_SCALARS)
def test_generated_scalars_agree_with_real_psych(psych: _Psych, text: str) -> None:
    theirs = psych.type_of(text)
    if theirs[0] == "Error":
        return
    assert _same(_as_psych(resolve_plain(text)), theirs), text
