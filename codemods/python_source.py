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

libcst's native parser (Rust) recurses for every level of nesting and
has no depth limit of its own: 2,000 nested parentheses or a dotted name
of 30,000 parts overflow the stack and kill the process (SIGSEGV), which no
`except` can catch. So before libcst sees a file, `_too_deep` estimates that
depth from the tokens (a pure-Python, non-recursive pass) and a file over
MAX_NESTING is refused with a note; what passes is parsed in a thread with a
stack much larger than the estimate needs.
"""

from __future__ import annotations

import ast
import io
import logging
import queue
import threading
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dockmig import references, spans
from dockmig.codemod import Migration, Outcome

logger = logging.getLogger(__name__)

SUFFIXES = {".py", ".pyi"}
# Real code nests a few dozen levels. Measured on libcst 1.9 with an 8 MiB
# stack: 1,500 nested parentheses or 4,000 chained lambdas crash it, and
# Python's own parser refuses 200 parentheses. The estimate counts at least
# one per level, so 1,000 leaves libcst a few MiB at most in a 64 MiB stack.
MAX_NESTING = 1000
_STACK_BYTES = 64 * 2**20
_T = TypeVar("_T")


def rewrite(text: str, display: str, migration: Migration) -> Outcome:
    import libcst as cst

    outcome = Outcome(display, text)
    moves = any(migration.moves(text, m) for m in migration.mentions(text))
    deep = _too_deep(text)
    if deep is not None:
        if moves:
            outcome.note(
                deep,
                f"nests more than {MAX_NESTING} levels deep here (brackets, operators "
                "and names chained in one expression); libcst would overflow its "
                "stack on it, so dockmig does not parse it: it names the old "
                "registry, edit it by hand",
                blocking=True,
            )
        return outcome

    try:
        wrapper, positions = _in_large_stack(lambda: _parsed(text))
        finder = _in_large_stack(lambda: _collect(wrapper.module))
    except cst.ParserSyntaxError as error:
        if moves:
            outcome.note(
                0,
                f"is not valid Python to libcst ({error.message}); it names the old "
                "registry, edit it by hand",
                blocking=True,
            )
        return outcome
    except Exception as error:
        if not _from_recursion(error):
            raise
        if moves:
            outcome.note(
                0,
                "nests too deeply for libcst's tree walk (Python's recursion "
                "limit); it names the old registry, edit it by hand",
                blocking=True,
            )
        return outcome

    index = spans.LineIndex(text)

    def span(node: Any) -> tuple[int, int]:
        where = positions[node]
        start = index.offset(where.start.line, where.start.column + 1)
        end = index.offset(where.end.line, where.end.column + 1)
        return start, end

    split = _split_pieces(finder, span, text, migration, outcome)
    for node in finder.literals:
        start, end = span(node)
        if start in split:
            continue
        _literal(text, start, end, node, migration, outcome)
    return outcome


def _parsed(text: str) -> tuple[Any, Any]:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    return wrapper, wrapper.resolve(PositionProvider)


class _LargeStack:
    """One thread, with a stack that has room for libcst's recursion, for all files.

    Started at the first file and kept: libcst in a thread of its own runs at
    half speed for the first files it parses there, so a thread per file
    doubled the time of every Python file.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._started = False

    def run(self, work: Callable[[], _T]) -> _T:
        if not self._start():
            # No room for a large stack (a tight address-space limit): the
            # nesting check keeps what passes it small enough for this one.
            return work()

        result: list[_T] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def job() -> None:
            try:
                result.append(work())
            except BaseException as error:  # re-raised in the caller's thread
                failure.append(error)
            finally:
                done.set()

        self._jobs.put(job)
        done.wait()
        if failure:
            raise failure[0]
        return result[0]

    def _start(self) -> bool:
        if self._started:
            return True

        previous = threading.stack_size()
        try:
            threading.stack_size(_STACK_BYTES)
            worker = threading.Thread(target=self._serve, name="libcst", daemon=True)
            worker.start()
        except (RuntimeError, ValueError, MemoryError):
            return False
        finally:
            threading.stack_size(previous)

        self._started = True
        return True

    def _serve(self) -> None:
        while True:
            self._jobs.get()()


_LARGE_STACK = _LargeStack()


def _in_large_stack(work: Callable[[], _T]) -> _T:
    """`work()` in the thread whose stack has room for libcst's recursion."""
    return _LARGE_STACK.run(work)


def _from_recursion(error: BaseException) -> bool:
    """True when Python's recursion limit is behind `error`.

    libcst's position metadata catches the RecursionError of a deep tree and
    raises a KeyError in its place, hundreds of times over; the cause is at
    the end of the chain.
    """
    seen: set[int] = set()
    current: BaseException | None = error

    while current is not None and id(current) not in seen:
        if isinstance(current, RecursionError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__

    return False


# Tokens that never add a level: commas and semicolons separate siblings.
_SEPARATORS = {",", ";"}
_OPENERS = {"(", "[", "{"}
_CLOSERS = {")", "]", "}"}


def _too_deep(text: str) -> int | None:
    """The offset where nesting first passes MAX_NESTING, or None.

    An over-estimate of how deep a parser recurses: per open bracket, every
    token written since the last comma (a chain such as `a.b.c` or
    `x + y + z` nests one level per link), plus the indentation, plus each
    `elif` (libcst nests the chain), plus the length of the longest
    replacement field of an f-string (one token before Python 3.12). A long
    list of items separated by commas stays flat, as it does in the tree.
    """
    starts: list[int] = []
    consumed = 0
    lines = io.StringIO(text)

    def readline() -> str:
        nonlocal consumed
        line = lines.readline()
        starts.append(consumed)
        consumed += len(line)
        return line

    runs = [0]
    indent = 0
    elifs: dict[int, int] = {}
    statement_start = True
    try:
        for token in tokenize.generate_tokens(readline):
            kind, string = token.type, token.string
            if kind in (tokenize.NL, tokenize.COMMENT):
                continue
            if kind == tokenize.INDENT:
                indent += 1
                continue
            if kind == tokenize.DEDENT:
                elifs.pop(indent, None)
                indent -= 1
                continue
            if kind in (tokenize.NEWLINE, tokenize.ENDMARKER) or (
                string == ";" and len(runs) == 1
            ):
                runs = [0]
                statement_start = True
                continue

            if statement_start:
                chained = string in ("elif", "else")
                elifs[indent] = elifs.get(indent, 0) + 1 if chained else 0
                statement_start = False
            if string in _OPENERS and kind == tokenize.OP:
                runs[-1] += 1
                runs.append(0)
            elif string in _CLOSERS and kind == tokenize.OP and len(runs) > 1:
                runs.pop()
            elif string in _SEPARATORS and kind == tokenize.OP:
                runs[-1] = 0
            else:
                runs[-1] += 1 + _field_length(kind, string)

            depth = sum(runs) + len(runs) + indent + sum(elifs.values())
            if depth > MAX_NESTING:
                row, column = token.start
                return starts[row - 1] + column if row <= len(starts) else 0
    except (tokenize.TokenError, SyntaxError):
        # Not valid Python: libcst says so itself, and what the tokens up
        # to here nest is within the limit.
        return None
    return None


def _field_length(kind: int, string: str) -> int:
    """For an f-string token, the longest `{...}` in it; 0 for anything else."""
    if kind != tokenize.STRING:
        return 0
    prefix = string[: len(string) - len(string.lstrip("rRbBuUfF"))]
    if "f" not in prefix.lower():
        return 0
    longest = depth = opened = 0

    for index, character in enumerate(string):
        if character == "{":
            if depth == 0:
                opened = index
            depth += 1
        elif character == "}" and depth:
            depth -= 1
            if depth == 0:
                longest = max(longest, index - opened)

    return longest if not depth else max(longest, len(string) - opened)


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
        same = ast.dump(expected) == ast.dump(actual)
    except SyntaxError as error:
        return f"does not parse as Python after the edit ({error.msg})"
    except (RecursionError, MemoryError):
        # CPython's parser and the tree walk refuse what nests too deeply.
        return "nests too deeply for Python's own parser to compare the trees"
    return "" if same else "the syntax tree differs"
