"""What every codemod receives and returns.

A codemod never writes anything. It gets one file's text and the migration,
and returns the edits it would make, the notes a person should read (some of
which block the whole run), and which lines of the file carry secret values
so that no diff ever shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from dockmig import spans

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

    @property
    def to_local(self) -> bool:
        return is_local(self.new_host)


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
