"""Kamal secrets files: define the registry password secret, or drop it again.

dockmig only ever writes `NAME=$NAME`: the secret's value stays where it is
(the environment of whoever runs `kamal`) and never enters a file. The new
line goes next to the old registry password's definition when there is one,
fills in a commented-out `# NAME=$NAME` template when there is one, and is
otherwise appended, keeping the file's line breaks and its (missing) final
newline. Going back to a local registry removes exactly such a line again
when nothing else uses the name.

Every line whose value could be a secret is listed so that no diff shows it.
"""

from __future__ import annotations

import logging
import re

from dockmig import spans
from dockmig.codemod import Outcome
from dockmig.secrets import SecretEntry, SecretsFile, ValueKind, parse_secrets

logger = logging.getLogger(__name__)

_COMMENTED = re.compile(
    r"^[ \t]*#[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z0-9_.]+)"
    r"[ \t]*=[ \t]*(?P<value>.*)$"
)
# `NAME=$NAME`, `NAME=${NAME}`, either in double quotes (which expand it too),
# with or without a comment after it.
_PASS_THROUGH = (
    r"^[ \t]*(?:export[ \t]+)?{name}[ \t]*=[ \t]*"
    r"(?P<quote>\"?)(?:\${name}|\$\{{{name}\}})(?P=quote)(?:[ \t]+#.*|[ \t]*)$"
)


def parse(text: str, display: str) -> SecretsFile:
    return parse_secrets(text, display)


def defines(text: str, display: str, name: str) -> bool:
    return name in parse(text, display).names()


def pass_through(name: str, text: str) -> str:
    """`NAME=$NAME`, or `NAME=${NAME}` in a file that writes references so."""
    braces = len(re.findall(r"=\s*\"?\$\{[A-Za-z0-9_]+\}", text))
    plain = len(re.findall(r"=\s*\"?\$[A-Za-z0-9_]+", text))
    return f"{name}=${{{name}}}" if braces > plain else f"{name}=${name}"


def add(outcome: Outcome, name: str, near: str | None = None) -> None:
    """Plan `NAME=$NAME` in this file, next to `near` (the old password secret)."""
    text = outcome.text
    line = pass_through(name, text)
    parsed = parse(text, outcome.path)

    anchor = parsed.get(near) if near else None
    if anchor is not None:
        at = spans.next_line(text, _entry_end(anchor))
        _insert(outcome, at, line)
        outcome.note(min(at, max(len(text) - 1, 0)), f"{name} defined next to {near}")
        return

    for start, end, _after in spans.lines(text):
        match = _COMMENTED.match(text[start:end])
        if match and match.group("name") == name and _is_reference(match, name):
            outcome.edits.append(spans.Edit(start, end, line))
            outcome.note(start, f"{name} defined on its commented-out template line")
            return

    for start, end, _after in spans.lines(text):
        match = _COMMENTED.match(text[start:end])
        if (
            match
            and match.group("name").endswith("REGISTRY_PASSWORD")
            and _is_reference(match, match.group("name"))
        ):
            at = spans.next_line(text, end)
            _insert(outcome, at, line)
            outcome.note(start, f"{name} defined below the registry password template")
            return

    _insert(outcome, len(text), line)
    outcome.note(
        spans.line_start(text, len(text)),
        f"{name} defined as {line}: export it where you run kamal",
    )


def remove(outcome: Outcome, name: str) -> bool:
    """Plan the removal of a `NAME=$NAME` line (or a form of it); False if none."""
    text = outcome.text
    pattern = re.compile(_PASS_THROUGH.format(name=re.escape(name)))

    for start, end, after in spans.lines(text):
        if not pattern.match(text[start:end]):
            continue
        if after == end and start > 0:
            # The last line has no line break: take the one before it instead.
            previous = spans.previous_line(text, start)
            outcome.edits.append(spans.Edit(spans.line_end(text, previous), end, ""))
        else:
            outcome.edits.append(spans.Edit(start, after, ""))
        outcome.note(start, f"{name} removed: no deploy config uses it any more")
        return True

    return False


def secret_lines(text: str, display: str) -> set[int]:
    """Lines that may show a secret's value: literals, commands, commented values."""
    found: set[int] = set()

    for entry in parse(text, display).entries:
        if entry.kind in (ValueKind.REFERENCE, ValueKind.EMPTY):
            continue
        last = spans.line_number(text, max(entry.span[0], entry.span[1] - 1))
        found.update(range(entry.line, last + 1))

    for number, (start, end, _after) in enumerate(spans.lines(text), start=1):
        match = _COMMENTED.match(text[start:end])
        if match and match.group("value") and not match.group("value").startswith("$"):
            found.add(number)

    return found


def _is_reference(match: re.Match[str], name: str) -> bool:
    return match.group("value").strip() in (f"${name}", f"${{{name}}}")


def _entry_end(entry: SecretEntry) -> int:
    return max(entry.span[1] - 1, entry.span[0])


def _insert(outcome: Outcome, at: int, line: str) -> None:
    text = outcome.text
    eol = spans.line_ending(text)
    if at >= len(text) and text and not text.endswith(("\n", "\r")):
        outcome.edits.append(spans.Edit(len(text), len(text), eol + line))
    else:
        outcome.edits.append(spans.Edit(at, at, line + eol))


def check(
    before: str, after: str, display: str, added: set[str], removed: set[str]
) -> str:
    """Empty when the edited file defines exactly the intended names, unchanged."""
    old = parse(before, display)
    new = parse(after, display)
    old_entries = {e.name: (e.kind, e.references, e.text) for e in old.entries}
    new_entries = {e.name: (e.kind, e.references, e.text) for e in new.entries}

    for name in added:
        entry = new.get(name)
        if (
            entry is None
            or entry.references != (name,)
            or entry.kind is not ValueKind.REFERENCE
        ):
            return f"{display}: {name} is not defined as ${name} after the edit"

    for name in removed:
        if name in new_entries:
            return f"{display}: {name} is still defined after the edit"

    for name, value in old_entries.items():
        if name in removed:
            continue
        if new_entries.get(name) != value:
            return f"{display}: the definition of {name} changed"
    unexpected = set(new_entries) - set(old_entries) - added

    if unexpected:
        return f"{display}: unexpected new definitions {', '.join(sorted(unexpected))}"

    return ""
