"""Dockerfiles: base images and `--from=` sources on the old registry.

The image references a Dockerfile pulls are in `FROM`, in `COPY --from=` /
`RUN --mount=…,from=…`, and in `ARG` defaults that a later `FROM ${…}`
reads. Those get the new host. The old host anywhere else (a `RUN docker
push …`, a `LABEL`) is reported with its position, because its meaning
depends on the command around it. Line continuations and the `# escape=`
parser directive are honoured; comment lines are never touched.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from dockmig import references, spans
from dockmig.codemod import Migration, Outcome

logger = logging.getLogger(__name__)

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(\S+)\s*$")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword and the source lines it covers."""

    keyword: str
    start: int
    end: int
    # (start, end) of the comment lines inside a continued instruction.
    comments: tuple[tuple[int, int], ...] = ()


def instructions(text: str) -> list[Instruction]:
    """Every instruction of a Dockerfile, continuation lines joined."""
    escape = _escape_character(text)
    found = []
    all_lines = spans.lines(text)
    index = 0
    while index < len(all_lines):
        start, end, _after = all_lines[index]
        line = text[start:end]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue

        comments = []
        while line.rstrip().endswith(escape) and index + 1 < len(all_lines):
            index += 1
            start_next, end, _after = all_lines[index]
            line = text[start_next:end]
            if line.strip().startswith("#"):
                comments.append((start_next, end))
                line = escape
        keyword = stripped.split(None, 1)[0].upper()
        found.append(Instruction(keyword, start, end, tuple(comments)))
        index += 1
    return found


def _escape_character(text: str) -> str:
    """The `# escape=` parser directive, which must come before anything else."""
    for start, end, _after in spans.lines(text):
        match = _DIRECTIVE.match(text[start:end].lstrip("\ufeff"))
        if match is None:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("`", "\\"):
            return match.group(2)
    return "\\"


def _pulls(text: str, instruction: Instruction, offset: int) -> bool:
    """True when the word holding `offset` names an image the build pulls."""
    if instruction.keyword == "FROM":
        return True
    word_start = offset

    while word_start > instruction.start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:offset]

    if instruction.keyword == "ARG":
        return "=" in word and word.index("=") == len(word) - 1

    return word.startswith(("--from=", "--mount=")) and word.endswith("from=")


def rewrite(text: str, display: str, migration: Migration) -> Outcome:
    outcome = Outcome(display, text)

    for instruction in instructions(text):
        body = text[instruction.start : instruction.end]
        for mention in migration.mentions(body):
            start = instruction.start + mention.start
            if any(a <= start < b for a, b in instruction.comments):
                continue
            pulled = _pulls(text, instruction, start)
            if pulled and migration.moves(body, mention):
                outcome.edits.append(
                    spans.Edit(start, start + len(mention.host), migration.new_host)
                )
                outcome.note(
                    start,
                    f"{instruction.keyword}: image moved to {migration.new_host}",
                )
                continue
            message = migration.leftover(body, mention)
            if mention.kind == references.IMAGE and not pulled:
                message = (
                    "names an image on the old registry outside FROM, --from= and "
                    "ARG defaults; left as it is, check it by hand"
                )
            if message:
                outcome.note(start, f"{instruction.keyword} {message}")

    return outcome


def check(before: str, after: str, migration: Migration) -> str:
    """Empty when only the planned hosts changed and the instructions did not."""
    old = instructions(before)
    new = instructions(after)
    if [i.keyword for i in old] != [i.keyword for i in new]:
        return "the instructions changed"
    expected = rewrite(before, "", migration).applied()
    return "" if expected == after else "the text differs from the planned edits"
