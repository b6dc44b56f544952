"""Which strings Ruby's `URI()` parses, following RFC 3986 as Ruby's parser does.

Kamal hands a few configuration values to `URI()`: `builder.remote` (whose
scheme must be ssh with a local registry) and `output.otel.endpoint`. A
string the parser refuses makes Kamal crash while it loads the config, so
lint needs the same yes or no: an absolute URI or a relative reference,
ASCII only, with percent signs followed by two hex digits.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache

logger = logging.getLogger(__name__)

_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_NO_COLON = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}@]|{_PCT})"
_AUTHORITY = (
    rf"(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*@)?"
    rf"(?P<host>\[[^\]]*\]|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*)"
    r"(?::[0-9]*)?"
)
_TAIL = rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?"


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Compiled at first use: most projects have no URI to check, and these
    # two cost every lint a millisecond to compile.
    absolute = re.compile(
        rf"(?P<scheme>[A-Za-z][A-Za-z0-9+\-.]*):"
        rf"(?://{_AUTHORITY}(?:/{_PCHAR}*)*"
        rf"|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"
        rf"|{_PCHAR}+(?:/{_PCHAR}*)*"
        r"|)" + _TAIL
    )
    relative = re.compile(
        rf"(?://{_AUTHORITY}(?:/{_PCHAR}*)*"
        rf"|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?"
        rf"|{_NO_COLON}+(?:/{_PCHAR}*)*"
        r"|)" + _TAIL
    )
    return absolute, relative


_IP_FUTURE = rf"v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+"


@dataclass(frozen=True)
class Reference:
    scheme: str | None  # lower case, as Ruby reports it; None for a relative one


def parse(text: str) -> Reference | None:
    """The parsed reference, or None where Ruby's URI() raises."""
    if not text.isascii():
        return None
    for pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        host = match.group("host") or ""
        if host.startswith("[") and not _ip_literal(host[1:-1]):
            return None
        scheme = match.groupdict().get("scheme")
        return Reference(scheme.lower() if scheme else None)
    return None


def _ip_literal(text: str) -> bool:
    import ipaddress

    if re.fullmatch(_IP_FUTURE, text):
        return True
    if "%" in text:
        return False  # a zone id is not RFC 3986
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
