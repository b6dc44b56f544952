"""Python sources: string literals that name an image on the old registry.

libcst finds every string literal with its exact position: plain, raw,
triple-quoted and f-strings (`f"localhost:5555/{name}:1"`). The host is
replaced inside the literal as written, so prefixes, quotes and escapes stay
as they are. Reported instead, with the position:

- a bytes literal (`b"localhost:5555/app"`): its type may matter to the code
  around it, and dockmig does not guess;
- a host split across pieces (`"localhost:5555" + "/app"`, implicit
  concatenation, `"localhost:5555" + name`): no single literal holds the
  reference;
- a reference written with escapes (`"localhost\\x3a5555/app"`).

The result is parsed again with `ast`; it must equal the original tree with
exactly the intended strings changed. libcst is imported only here, and only
when a Python file names the old registry.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass, field
from typing import Any

from dockmig import references, spans
from dockmig.codemod import Migration, Outcome

logger = logging.getLogger(__name__)

SUFFIXES = {".py", ".pyi"}


def rewrite(text: str, display: str, migration: Migration) -> Outcome:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    outcome = Outcome(display, text)
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        if any(migration.moves(text, m) for m in migration.mentions(text)):
            outcome.note(
                0,
                f"is not valid Python to libcst ({error.message}); it names the old "
                "registry, edit it by hand",
                blocking=True,
            )
        return outcome

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    index = spans.LineIndex(text)

    def span(node: Any) -> tuple[int, int]:
        where = positions[node]
        start = index.offset(where.start.line, where.start.column + 1)
        end = index.offset(where.end.line, where.end.column + 1)
        return start, end

    finder = _collect(wrapper.module)
    split = _split_pieces(finder, span, text, migration, outcome)
    for node in finder.literals:
        start, end = span(node)
        if start in split:
            continue
        _literal(text, start, end, node, migration, outcome)
    return outcome


@dataclass
class _Found:
    """String literals, implicit concatenations and `+` expressions of a module."""

    literals: list[Any] = field(default_factory=list)
    concatenations: list[Any] = field(default_factory=list)
    additions: list[Any] = field(default_factory=list)


def _collect(module: Any) -> _Found:
    import libcst as cst

    found = _Found()

    class Finder(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            found.literals.append(node)

        def visit_FormattedString(self, node: cst.FormattedString) -> None:
            found.literals.append(node)

        def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
            found.concatenations.append(node)

        def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
            if isinstance(node.operator, cst.Add):
                found.additions.append(node)

    module.visit(Finder())
    return found


def _split_pieces(
    finder: _Found,
    span: Any,
    text: str,
    migration: Migration,
    outcome: Outcome,
) -> set[int]:
    """Report hosts split across pieces; the starts of the literals involved."""
    import libcst as cst

    involved: set[int] = set()
    pairs: list[tuple[Any, Any]] = []
    for node in finder.concatenations:
        pairs.append((node.left, node.right))
    for node in finder.additions:
        pairs.append((_last_piece(cst, node.left), node.right))
    for left, right in pairs:
        if not isinstance(left, cst.SimpleString | cst.FormattedString):
            continue
        start, end = span(left)
        written = text[start:end].rstrip("'\"")
        found = references.mentions(written, migration.old_hosts)
        if (
            found
            and found[-1].end == len(written)
            and found[-1].kind == references.BARE
        ):
            outcome.note(
                start + found[-1].start,
                "the old registry host is split from the image name across string "
                "pieces; join them into one literal and run dockmig again, or edit "
                "by hand",
                blocking=True,
            )
            involved.add(start)
            if isinstance(right, cst.SimpleString | cst.FormattedString):
                involved.add(span(right)[0])
    return involved


def _last_piece(cst: Any, node: Any) -> Any:
    while isinstance(node, cst.ConcatenatedString):
        node = node.right
    while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        node = node.right
    return node


def _literal(
    text: str, start: int, end: int, node: Any, migration: Migration, outcome: Outcome
) -> None:
    written = text[start:end]
    prefix = written[: len(written) - len(written.lstrip("rRbBuUfF"))].lower()
    found = migration.mentions(written)
    if not found:
        if "b" not in prefix and _value_mentions(written, migration):
            outcome.note(
                start,
                "this string names the old registry with escapes dockmig cannot "
                "edit; edit it by hand",
                blocking=True,
            )
        return
    if "b" in prefix:
        if any(migration.moves(written, m) for m in found):
            outcome.note(
                start + found[0].start,
                "a bytes literal names the old registry; dockmig does not rewrite "
                "bytes, edit it by hand",
                blocking=True,
            )
        return

    images = [m for m in found if migration.moves(written, m)]
    if "f" not in prefix and len(images) != _value_mentions(written, migration):
        outcome.note(
            start,
            "this string names the old registry partly through escapes; edit it by "
            "hand",
            blocking=True,
        )
        return
    for mention in images:
        outcome.edits.append(
            spans.Edit(start + mention.start, start + mention.end, migration.new_host)
        )
        outcome.note(
            start + mention.start, f"image reference moved to {migration.new_host}"
        )
    for mention in found:
        message = None if mention in images else migration.leftover(written, mention)
        if message:
            outcome.note(start + mention.start, message)


def _value_mentions(written: str, migration: Migration) -> int:
    try:
        value = ast.literal_eval(written)
    except (ValueError, SyntaxError):
        return 0
    if not isinstance(value, str):
        return 0
    return sum(1 for m in migration.mentions(value) if migration.moves(value, m))


class _Moved(ast.NodeTransformer):
    def __init__(self, migration: Migration) -> None:
        self.migration = migration

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, str):
            node.value = self.move(node.value)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.JoinedStr:
        for index, part in enumerate(node.values):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                # `f"host/{name}"`: the name starts where the constant ends.
                follows = index + 1 < len(node.values)
                part.value = (
                    self.move(part.value + "{")[:-1]
                    if follows
                    else self.move(part.value)
                )
            else:
                self.visit(part)

        return node

    def move(self, value: str) -> str:
        return self.migration.replace(value)


def check(before: str, after: str, migration: Migration) -> str:
    """Empty when `after` parses to `before`'s tree with the references moved."""
    try:
        expected = _Moved(migration).visit(ast.parse(before))
        actual = ast.parse(after)
    except SyntaxError as error:
        return f"does not parse as Python after the edit ({error.msg})"
    return "" if ast.dump(expected) == ast.dump(actual) else "the syntax tree differs"
