"""Shell scripts (deploy scripts, Kamal hooks): image references on the old host.

A small scanner follows the shell's quoting well enough to tell comments
from code: single and double quotes, backslash escapes and here-documents.
Image references in code and in here-document bodies get the new host;
comments are left alone. A host glued to the rest of a reference across
quotes (`"localhost:5555""/app"`) is split across pieces and reported, as is
the host on its own (`REGISTRY=localhost:5555`), whose use comes later.
"""

from __future__ import annotations

import logging
import re
from pathlib import PurePosixPath

from dockmig import references, spans
from dockmig.codemod import Migration, Outcome

logger = logging.getLogger(__name__)

SUFFIXES = {".sh", ".bash", ".zsh", ".ksh", ".dash"}
_SHEBANG = re.compile(
    rb"^#![ \t]*\S*(?:/|env[ \t]+(?:-\S+[ \t]+)*)(?:ba|z|k|da|a)?sh\b"
)
_HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")


def is_shell(relative: str, head: bytes) -> bool:
    """By suffix, or by a `#!` line naming a shell (bin/ scripts, Kamal hooks)."""
    if PurePosixPath(relative).suffix in SUFFIXES:
        return True
    return bool(_SHEBANG.match(head))


def comments(text: str) -> list[tuple[int, int]]:
    """(start, end) of every comment, as the shell would see them."""
    found: list[tuple[int, int]] = []
    quote = ""
    pending: list[tuple[str, bool]] = []
    index = 0
    length = len(text)

    while index < length:
        char = text[index]
        if char == "\\" and quote != "'":
            index += 2
            continue
        if quote:
            if char == quote:
                quote = ""
            index += 1
            continue
        if char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t\n\r;&|()"):
            end = spans.line_end(text, index)
            found.append((index, end))
            index = end
            continue
        elif (
            char == "<"
            and text.startswith("<<", index)
            and not text.startswith("<<<", index)
        ):
            match = _HEREDOC.match(text, index)
            if match:
                pending.append((match.group(3), match.group(1) == "-"))
                index = match.end()
                continue
        elif char in "\r\n" and pending:
            index = _skip_heredocs(text, spans.next_line(text, index), pending)
            pending = []
            continue
        index += 1

    return found


def _skip_heredocs(text: str, start: int, pending: list[tuple[str, bool]]) -> int:
    """Past the bodies of the here-documents opened on the line just ended."""
    position = start

    for delimiter, tabs in pending:
        while position < len(text):
            end = spans.line_end(text, position)
            line = text[position:end]
            position = spans.next_line(text, position)
            if (line.lstrip("\t") if tabs else line) == delimiter:
                break

    return position


def rewrite(text: str, display: str, migration: Migration) -> Outcome:
    outcome = Outcome(display, text)
    skipped = comments(text)

    for mention in migration.mentions(text):
        if any(a <= mention.start < b for a, b in skipped):
            continue
        if migration.moves(text, mention):
            outcome.edits.append(
                spans.Edit(mention.start, mention.end, migration.new_host)
            )
            outcome.note(
                mention.start, f"image reference moved to {migration.new_host}"
            )
            continue

        if mention.kind == references.BARE and _split(text, mention.end):
            outcome.note(
                mention.start,
                "the old registry host is split from the image name across quoted "
                "pieces; join them and run dockmig again, or edit by hand",
                blocking=True,
            )
            continue
        message = migration.leftover(text, mention)
        if message:
            outcome.note(mention.start, message)

    return outcome


def _split(text: str, end: int) -> bool:
    position = end
    while position < len(text) and text[position] in "'\"":
        position += 1
    return position > end and text.startswith("/", position)


def check(before: str, after: str, migration: Migration) -> str:
    """Empty when the comments are the same and only planned hosts changed."""
    old = [before[a:b] for a, b in comments(before)]
    new = [after[a:b] for a, b in comments(after)]
    if old != new:
        return "the comments changed, so the quoting changed"
    expected = rewrite(before, "", migration).applied()
    return "" if expected == after else "the text differs from the planned edits"
