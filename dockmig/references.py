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

# What may follow `host/` in an image reference: a repository name, or the
# start of a substitution that computes one ($NAME, ${…}, {name}, %s).
_NAME_START = re.compile(r"[A-Za-z0-9$%{]")
_REPOSITORY = re.compile(
    r"[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*"
    r"(?:/[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*)*"
)
_SHARED_HOSTS = {
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
    "hub.docker.com",
    "ghcr.io",
    "docker.pkg.github.com",
    "quay.io",
    "gcr.io",
    "mcr.microsoft.com",
    "public.ecr.aws",
    "registry.gitlab.com",
    "nvcr.io",
    "registry.k8s.io",
}
_SHARED_SUFFIXES = (".gcr.io", "-docker.pkg.dev")
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
        # A shell default (`${REGISTRY:-host}`) puts `-` before the host.
        rf"(?:(?<=:-)|(?<=:=)|(?<![A-Za-z0-9_.-]))"
        rf"(?P<host>{alternatives})(?![A-Za-z0-9_.:-])",
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


def shared(host: str) -> bool:
    """A registry many unrelated owners push to, where a host alone says little."""
    host = host.lower()
    if "/" in host:
        return False
    return host in _SHARED_HOSTS or host.endswith(_SHARED_SUFFIXES)


def repository(text: str, start: int) -> str:
    """The repository path written at `start` (after `host/`), lowercased."""
    match = _REPOSITORY.match(text, start)
    return match.group(0).lower() if match else ""


def moves(text: str, mention: Mention, own: Iterable[str]) -> bool:
    """True for an image reference that belongs to the registry being left.

    On a private registry every image is the project's own. On a shared one
    (Docker Hub, ghcr.io, quay.io, …) only the app's own repositories move;
    `ghcr.io/someone/tool` stays where its owner publishes it.
    """
    if mention.kind != IMAGE:
        return False

    if not shared(mention.host):
        return True

    return repository(text, mention.end + 1) in {o.lower() for o in own}


def replace_images(
    text: str, hosts: Iterable[str], new_host: str, own: Iterable[str] = ()
) -> str:
    """`text` with the host of every moving image reference set to `new_host`."""
    pieces = []
    position = 0
    own = tuple(own)

    for mention in mentions(text, hosts):
        if not moves(text, mention, own):
            continue
        pieces.append(text[position : mention.start])
        pieces.append(new_host)
        position = mention.end
    pieces.append(text[position:])

    return "".join(pieces)
