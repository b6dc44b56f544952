"""Where a text names a registry host, and whether it is an image reference.

An image reference puts the registry host in front of the repository:
`localhost:5555/app:tag`. Only those are rewritten. The same host inside a
URL (`http://localhost:5555/v2/`, the registry's API) or on its own
(`REGISTRY=localhost:5555`, later glued to a name) is reported instead: the
text around it decides what it means, and a codemod cannot see that far.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

logger = logging.getLogger(__name__)

IMAGE = "image"
URL = "url"
BARE = "bare"

_HOST_CHARS = "A-Za-z0-9_.-"
# What may follow `host/` in an image reference: a repository name, or the
# start of a substitution that computes one ($NAME, ${…}, {name}, %s).
_NAME_START = re.compile(r"[A-Za-z0-9$%{]")
# The registry's HTTP API lives under /v2/; that is a URL path, not an image.
_API_PATH = re.compile(r"v2(?![A-Za-z0-9_.-])")


@dataclass(frozen=True)
class Mention:
    """One occurrence of a registry host: `text[start:end]` is the host."""

    start: int
    end: int
    host: str
    kind: str


@lru_cache(maxsize=32)
def _pattern(hosts: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so `registry.example.com/ns` wins over `registry.example.com`.
    alternatives = "|".join(re.escape(h) for h in sorted(hosts, key=len, reverse=True))
    return re.compile(
        rf"(?<![{_HOST_CHARS}])(?P<host>{alternatives})(?![{_HOST_CHARS}:])",
        re.IGNORECASE,
    )


def mentions(text: str, hosts: Iterable[str]) -> list[Mention]:
    """Every occurrence of one of `hosts` in `text`, classified."""
    wanted = tuple(sorted({h for h in hosts if h}))
    if not wanted:
        return []
    found = []
    for match in _pattern(wanted).finditer(text):
        start, end = match.span("host")
        found.append(Mention(start, end, match.group("host"), _kind(text, start, end)))
    return found


def _kind(text: str, start: int, end: int) -> str:
    before = text[max(0, start - 3) : start]
    if before.endswith("://") or before.endswith("@"):
        return URL
    if not text.startswith("/", end):
        return BARE
    if _API_PATH.match(text, end + 1):
        return URL
    return IMAGE if _NAME_START.match(text, end + 1) else BARE


def distinctive(host: str) -> bool:
    """A host worth reporting on its own; `localhost` alone is everywhere."""
    return "." in host or ":" in host


def replace_images(text: str, hosts: Iterable[str], new_host: str) -> str:
    """`text` with the host of every image reference to `hosts` set to `new_host`."""
    pieces = []
    position = 0
    for mention in mentions(text, hosts):
        if mention.kind != IMAGE:
            continue
        pieces.append(text[position : mention.start])
        pieces.append(new_host)
        position = mention.end
    pieces.append(text[position:])
    return "".join(pieces)


def contains_any(data: bytes, hosts: Iterable[bytes]) -> bool:
    """The cheap test every file goes through before anything parses it."""
    return any(host in data for host in hosts)
