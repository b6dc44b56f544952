"""What every codemod receives and returns.

A codemod never writes anything. It gets one file's text and the migration,
and returns the edits it would make, the notes a person should read (some of
which block the whole run), and which lines of the file carry secret values
so that no diff ever shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from dockmig import references, spans

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"


def is_local(server: str | None) -> bool:
    """Kamal's own test: the server *starts with* `localhost:` (kamal.md §3)."""
    return isinstance(server, str) and server.startswith("localhost:")


@dataclass(frozen=True)
class Migration:
    """Move image references from `old_hosts` to `new_host`, with these credentials.

    `old_hosts` are the hosts written in front of image names; Docker Hub,
    which needs no host, is not among them.
    """

    new_host: str
    old_hosts: tuple[str, ...] = ()
    username: str | None = None
    password_secret: str | None = None
    # The app's own repositories (`acme/shop`): on a shared registry such as
    # ghcr.io only these move.
    own_images: tuple[str, ...] = ()

    @property
    def to_local(self) -> bool:
        return is_local(self.new_host)

    def mentions(self, text: str) -> list[references.Mention]:
        return references.mentions(text, self.old_hosts)

    def moves(self, text: str, mention: references.Mention) -> bool:
        return references.moves(text, mention, self.own_images)

    def replace(self, text: str) -> str:
        return references.replace_images(
            text, self.old_hosts, self.new_host, self.own_images
        )

    def leftover(self, text: str, mention: references.Mention) -> str | None:
        """What to tell about a mention of an old host that does not move."""
        if mention.kind == references.IMAGE:
            return (
                f"names an image on the shared registry {mention.host} that is not "
                "this app's; left as it is"
            )

        if not references.distinctive(mention.host):
            return None
        what = "a URL" if mention.kind == references.URL else "a bare host name"

        return (
            f"names the old registry in {what}, not in an image reference; left as "
            "it is, check it by hand"
        )


@dataclass(frozen=True)
class Note:
    """Something a person should know; `blocking` ones stop `--write`."""

    path: str
    line: int
    column: int
    message: str
    blocking: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Outcome:
    """One file's planned rewrite: edits at exact spans of `text`, and notes."""

    path: str
    text: str
    edits: list[spans.Edit] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # 1-based line numbers (of the text before / after) whose value is secret.
    secret_lines_before: set[int] = field(default_factory=set)
    secret_lines_after: set[int] = field(default_factory=set)
    # Source spans of whole values an edit changes part of (for verification).
    touched: list[tuple[int, int]] = field(default_factory=list)
    # Filled in by the engine once the edits are applied and verified.
    result: str | None = None

    def note(self, offset: int, message: str, *, blocking: bool = False) -> None:
        self.notes.append(
            Note(
                self.path,
                spans.line_number(self.text, offset),
                spans.column_number(self.text, offset),
                message,
                blocking,
            )
        )

    @property
    def blocked(self) -> bool:
        return any(n.blocking for n in self.notes)

    def applied(self) -> str:
        return spans.apply(self.text, self.edits)


def redact_line(line: str) -> str:
    """Keep a line's key (`NAME=`, `password:`, `- `), hide the value after it."""
    stripped = line.rstrip()

    if stripped.endswith(":"):
        return line
    equals = line.find("=")

    if equals >= 0:
        return line[: equals + 1] + REDACTED

    for marker in (": ", ":\t", "- "):
        index = line.find(marker)
        if index >= 0:
            return line[: index + len(marker)] + REDACTED

    return line[: len(line) - len(line.lstrip())] + REDACTED
