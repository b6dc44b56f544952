"""Read one Kamal deploy file the way Kamal does, keeping every position.

The pipeline is Kamal's: ERB first (see `erb`), then YAML. ruamel.yaml only
composes the node graph, which carries the marks; the values are built here
with Psych's rules (YAML 1.1 scalars, `<<` merge keys applied in order, the
last of duplicate keys wins) so that dockmig sees exactly the data Kamal sees.
"""

from __future__ import annotations

import bisect
import datetime as dt
import errno
import logging
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, StreamMark, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import Reader
from ruamel.yaml.scanner import Scanner, ScannerError

from dockmig import erb
from dockmig.errors import DockmigError
from dockmig.findings import Finding, Mark, Position, Severity, format_path
from dockmig.yaml11 import Symbol, resolve_plain

logger = logging.getLogger(__name__)

KeyPath = tuple[Any, ...]

# Real deploy files build a few thousand values; an alias bomb builds billions.
MAX_VALUES = 200_000
# Real deploy and secrets files are a few KiB; parsing costs about 10 s per MiB.
MAX_FILE_BYTES = 4 * 2**20
# Real deploy files nest a handful of levels. Psych stops with a stack
# overflow somewhere between several hundred and two thousand; ruamel and this
# module recurse too, and slow down sharply long before Python's limit.
MAX_DEPTH = 100

_SUPPRESSION = re.compile(r"#\s*dockmig:\s*ignore\[([^\]]*)\]")


class MarkingComposer(Composer):
    """A composer that remembers where each alias was written.

    ruamel hands back the anchored node itself for an alias, so a finding on
    `- *instance-id` would point at the anchor. A shallow copy carrying the
    alias's own marks keeps the content shared and the position honest.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            node = super().compose_node(parent, index)
            return alias_copy(node, event)
        anchor = self.parser.peek_event().anchor
        if anchor is not None:
            # A reused name: the later anchor wins, silently, as in Psych.
            # ruamel would warn, printing the lines of both, values and all.
            self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


class PsychReader(Reader):
    """ruamel's reader with libyaml's line breaks, which Psych uses.

    libyaml ends a line at NEL, LS and PS as well as at CR and LF; ruamel's
    YAML 1.2 reader counts only CR and LF, so after a NEL it keeps counting
    columns, and `x: a<NEL>b` loaded as "a b" where Psych finds `b` at
    column 0, a key without a colon.
    """

    def forward(self, length: int = 1) -> None:
        if self.pointer + length + 1 >= len(self.buffer):
            self.update(length + 1)
        buffer = self.buffer
        while length:
            character = buffer[self.pointer]
            self.pointer += 1
            self.index += 1
            if character in _BREAKS_BUT_CR or (
                character == "\r" and buffer[self.pointer] != "\n"
            ):
                self.line += 1
                self.column = 0
            elif character != "\ufeff":
                self.column += 1
            length -= 1


class PsychScanner(Scanner):
    """ruamel's scanner with libyaml's rule for tabs, which Psych uses.

    ruamel treats a tab outside flow collections as an error, while libyaml
    skips it as blank wherever no key can start (after a value, before a
    comment) and keeps it between the words of a plain scalar. Kamal accepts
    `arch: amd64<TAB># comment`, so lint must too.
    """

    def scan_to_next_token(self) -> None:
        # No byte-order mark is skipped here: `parse` sets aside the one Psych
        # ignores, and Psych reads a second one as text.
        reader = self.reader
        while True:
            while reader.peek() == " " or (
                reader.peek() == "\t" and (self.flow_level or not self.allow_simple_key)
            ):
                reader.forward()
            if reader.peek() == "#":
                _skip_comment(reader)
            if not self.scan_line_break():
                return
            if not self.flow_level:
                self.allow_simple_key = True

    def check_value(self) -> Any:
        # libyaml reads YAML 1.1 here: inside [ ] and { } every ':' is a value
        # indicator, so `[:data]` is an error and `['a':b]` a pair, where
        # ruamel's YAML 1.2 reading wants a space after it.
        if self.flow_level:
            return True
        return super().check_value()

    def scan_directive(self) -> Any:
        # libyaml knows two directives and names of letters, digits, - and _;
        # ruamel skips any other `%...` line, so `%sbuilder:` loaded there.
        peek = self.reader.peek
        start_mark = self.reader.get_mark()
        length = 0
        while peek(1 + length).isascii() and (
            peek(1 + length).isalnum() or peek(1 + length) in "-_"
        ):
            length += 1
        name = self.reader.prefix(1 + length)[1:]
        if not length or peek(1 + length) not in "\0 \t" + _LINE_ENDS:
            problem = "found unexpected non-alphabetical character"
        elif name not in ("YAML", "TAG"):
            problem = "found unknown directive name"
        else:
            return super().scan_directive()
        raise ScannerError(
            "while scanning a directive", start_mark, problem, start_mark
        )

    def fetch_value(self) -> Any:
        if self.flow_level:
            # A ':' where a key should begin (`{:a}`, `{x: 1, :a}`) is no node
            # to libyaml; ruamel's YAML 1.2 reading makes it an empty key.
            buffer = self.reader.buffer
            index = self.reader.pointer - 1
            while index >= 0 and buffer[index] in " \t\r\n":
                index -= 1
            if index >= 0 and buffer[index] in "{,":
                mark = self.reader.get_mark()
                raise ScannerError(
                    "while parsing a flow node",
                    mark,
                    "did not find expected node content",
                    mark,
                )
        return super().fetch_value()

    def scan_plain(self) -> Any:
        token = super().scan_plain()
        if not self.flow_level:
            return token
        # libyaml refuses a ':' that a flow indicator follows inside a plain
        # scalar (`[a:]`, `{k: a:?}`); ruamel keeps it as text.
        buffer = self.reader.buffer
        for index in range(token.start_mark.index, token.end_mark.index):
            following = buffer[index + 1 : index + 2]
            if buffer[index] == ":" and following and following in ",?[]{}":
                raise ScannerError(
                    "while scanning a plain scalar",
                    token.start_mark,
                    "found unexpected ':'",
                    StreamMark(token.start_mark.name, index, 0, 0),
                )
        return token

    def scan_plain_spaces(self, indent: Any, start_mark: Any) -> Any:
        peek = self.reader.peek
        length = 0
        while peek(length) in " \t":
            length += 1
        blanks = self.reader.prefix(length)
        if "\t" not in blanks:
            return super().scan_plain_spaces(indent, start_mark)

        self.reader.forward(length)
        if peek() in _LINE_ENDS:
            # Blanks before a line break end the line: the usual rules apply.
            return super().scan_plain_spaces(indent, start_mark)
        return [blanks]


_BREAKS_BUT_CR = "\n\x85\u2028\u2029"
_LINE_ENDS = "\0\r" + _BREAKS_BUT_CR
_LINE_END = re.compile(f"[{_LINE_ENDS}]")


def _skip_comment(reader: Any) -> None:
    """Move past a comment to its line's end in one step.

    ruamel's reader moves a character at a time; comments are most of many
    files' text. A comment holds no line break, so only the column moves
    (a byte-order mark, as in ruamel's reader, takes no column). The text is
    composed from a string, so the buffer holds all of it.
    """
    buffer = reader.buffer
    start = reader.pointer
    found = _LINE_END.search(buffer, start)
    end = len(buffer) if found is None else found.start()
    reader.pointer = end
    reader.index += end - start
    reader.column += end - start - buffer.count("\ufeff", start, end)


class Alias:
    """Marker base: this node is where `*name` was written, not the anchor."""

    alias_of: Node
    alias_name: str


class AliasScalar(ScalarNode, Alias):
    pass


class AliasSequence(SequenceNode, Alias):
    pass


class AliasMapping(MappingNode, Alias):
    pass


_ALIAS_TYPES: dict[type, type] = {
    ScalarNode: AliasScalar,
    SequenceNode: AliasSequence,
    MappingNode: AliasMapping,
}


def alias_copy(node: Any, event: Any) -> Any:
    """A node sharing `node`'s content, marked where the alias `event` was written."""
    target = getattr(node, "alias_of", node)
    alias_type = _ALIAS_TYPES.get(type(target))
    if alias_type is None:
        return node
    alias: Any = object.__new__(alias_type)
    for klass in type(target).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if hasattr(target, slot):
                setattr(alias, slot, getattr(target, slot))
    alias.start_mark = event.start_mark
    alias.end_mark = event.end_mark
    alias.alias_of = target
    alias.alias_name = str(event.anchor)
    return alias


class _TooLarge(Exception):
    def __init__(self, node: Node | None = None) -> None:
        super().__init__("aliases expand too far")
        self.node = node


@dataclass
class Document:
    """One deploy file: its source, its rendering and the data Kamal would get."""

    path: str
    source: str
    rendered: erb.Rendered
    data: Any = None
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    parsed: bool = False
    suppression_comments: list[Suppression] = field(default_factory=list)
    # Why dockmig cannot tell what Kamal does with this file, when it cannot.
    undecided: str | None = None
    _line_starts: list[int] = field(default_factory=list)

    @property
    def suppressions(self) -> dict[int, set[str]]:
        """The rule IDs silenced on each line."""
        return suppressions_by_line(self.suppression_comments)

    def mark_at(self, source_offset: int) -> Mark:
        if not self._line_starts:
            self._line_starts = [0] + [
                m.end() for m in re.finditer(r"\r\n|\r|\n", self.source)
            ]
        line = bisect.bisect_right(self._line_starts, source_offset)
        column = source_offset - self._line_starts[line - 1] + 1
        return Mark(self.path, line, column)

    def mark_rendered(self, rendered_offset: int) -> Mark:
        return self.mark_at(self.rendered.source_offset(rendered_offset))

    def position(self, path: KeyPath) -> Position | None:
        return self.positions.get(path)

    def line_is_conditional(self, line: int) -> bool:
        """True when ERB control flow decides whether this line is in the output."""
        if not self.rendered.conditional:
            return False
        self.mark_at(0)
        start = (
            self._line_starts[line - 1] if 0 < line <= len(self._line_starts) else -1
        )
        return start >= 0 and self.rendered.is_conditional(start)


def read_text(path: Path, display: str) -> str:
    """Read a file as Kamal would (UTF-8), or explain in one line why not."""
    return decode(read_bytes(path, display), display)


def read_bytes(path: Path, display: str) -> bytes:
    """A regular file's bytes, up to MAX_FILE_BYTES, or one line saying why not.

    The file is opened without blocking and checked before anything is read:
    a named pipe would wait forever for a writer, and a link to /dev/zero or
    a huge file would fill memory before any parser saw a byte.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise _unreadable(path, display, error) from None

    try:
        kind = os.fstat(descriptor)
        if stat.S_ISDIR(kind.st_mode):
            raise DockmigError("is a directory, expected a file", path=display)
        if not stat.S_ISREG(kind.st_mode):
            raise DockmigError(
                f"is {_file_kind(kind.st_mode)}, not a regular file; dockmig reads "
                "only regular files",
                path=display,
            )
        if kind.st_size > MAX_FILE_BYTES:
            raise _too_big(kind.st_size, display)
        with os.fdopen(os.dup(descriptor), "rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _unreadable(path, display, error) from None
    finally:
        os.close(descriptor)
    if len(raw) > MAX_FILE_BYTES:
        raise _too_big(len(raw), display)
    return raw


def _unreadable(path: Path, display: str, error: OSError) -> DockmigError:
    if error.errno == errno.ENOENT:
        if os.path.islink(path):
            return DockmigError(
                "is a symbolic link to a file that does not exist", path=display
            )
        # Listed a moment ago (a destination, a secrets file) or named by the
        # user: either way the path no longer leads to a file.
        return DockmigError("file not found; check the path", path=display)
    if error.errno == errno.ELOOP:
        return DockmigError(
            "is a symbolic link that leads back to itself (a loop)", path=display
        )
    if error.errno == errno.EISDIR:
        return DockmigError("is a directory, expected a file", path=display)
    if error.errno in (errno.EACCES, errno.EPERM):
        return DockmigError("permission denied; make the file readable", path=display)
    if error.errno == errno.ENXIO:
        # open() refuses a unix socket with ENXIO.
        return DockmigError(
            "is a socket, not a regular file; dockmig reads only regular files",
            path=display,
        )
    return DockmigError(f"cannot be read ({error.strerror or error})", path=display)


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_big(size: int, display: str) -> DockmigError:
    return DockmigError(
        f"is {size / 2**20:.1f} MiB; deploy, secrets and settings files are a few "
        f"KiB, and dockmig reads none over {MAX_FILE_BYTES // 2**20} MiB",
        path=display,
    )


def decode(raw: bytes, display: str) -> str:
    # UTF-32's marks begin with UTF-16's, so they are tested first.
    for encoding, marks in (
        ("UTF-32", (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")),
        ("UTF-16", (b"\xff\xfe", b"\xfe\xff")),
    ):
        if raw.startswith(marks):
            raise DockmigError(
                f"is {encoding}; Kamal reads these files as UTF-8, re-save it as UTF-8",
                path=display,
                line=1,
                column=1,
            )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise DockmigError(
            f"byte 0x{raw[error.start]:02x} is not UTF-8; re-save the file as UTF-8",
            path=display,
            line=line,
            column=column,
        ) from None


def load(path: Path, display: str, environ: Mapping[str, str]) -> Document:
    """Read, render and parse one deploy file."""
    return parse(read_text(path, display), display, environ)


def parse(source: str, display: str, environ: Mapping[str, str]) -> Document:
    body = source[1:] if source.startswith("\ufeff") else source
    offset = len(source) - len(body)
    rendered = erb.render(body, environ)
    if offset:
        rendered = rendered.moved(source, offset)
    document = Document(path=display, source=source, rendered=rendered)
    _suppress(document, [])

    for problem in rendered.problems:
        document.findings.append(
            Finding(
                rule="erb",
                severity=Severity.ERROR if problem.certain else Severity.WARNING,
                mark=document.mark_at(problem.offset),
                message=problem.message,
                kamal_rejects=problem.certain,
            )
        )
    if any(p.certain and "never closed" in p.message for p in rendered.problems):
        return document
    deep = _too_deep(rendered.text)
    if deep is not None:
        _refuse_depth(document, document.mark_rendered(deep))
        return document

    before = len(document.findings)
    root = _compose(document)
    if root is not None:
        _suppress(document, _value_spans(document, root))
    if root is None:
        # An empty or comment-only file is valid YAML that loads as nothing.
        document.parsed = len(document.findings) == before
        return document
    builder = _Builder(document)
    try:
        crossing: list[Node] = []
        if _expanded_size(root, {}, set(), crossing) > MAX_VALUES:
            raise _TooLarge(crossing[0] if crossing else None)
        document.data = builder.build(root, ())
        builder.drop_forgotten()
    except _TooLarge as too_large:
        document.data = None
        document.positions.clear()
        node = too_large.node
        document.findings.append(
            Finding(
                rule="yaml-syntax",
                severity=Severity.ERROR,
                mark=(
                    document.mark_rendered(node.start_mark.index)
                    if node is not None
                    else document.mark_at(0)
                ),
                message=(
                    f"aliases expand to more than {MAX_VALUES:,} values by here; "
                    "this looks like an alias bomb, not a deploy file"
                ),
                kamal_rejects=True,
            )
        )
        return document
    document.parsed = True
    return document


def _refuse_depth(document: Document, where: Mark) -> None:
    document.undecided = (
        f"{where.file}:{where.line}:{where.column} nests deeper than dockmig reads"
    )
    document.findings.append(
        Finding(
            rule="yaml-syntax",
            severity=Severity.ERROR,
            mark=where,
            message=(
                f"lists and mappings nest more than {MAX_DEPTH} levels deep here; "
                "dockmig reads no deeper (and Kamal fails with a stack overflow "
                "some hundreds of levels down): flatten it"
            ),
        )
    )


_BLOCK_SCALAR_HEADER = re.compile(r"(?:^|[ \t])[|>][-+0-9]*[ \t]*(?:#.*)?$")
_COMPACT_ENTRIES = re.compile(r"(?:-[ \t]+)+")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _too_deep(text: str) -> int | None:
    """Where collections first nest deeper than MAX_DEPTH, or None.

    A cheap look at indentation and brackets, made before the parser
    recurses into them. It may count a level too few (a `|` ending a plain
    scalar hides the lines after it) but never one too many.
    """
    indents: list[int] = []
    flow = 0
    scalar_indent: int | None = None
    for match in _LINES.finditer(text):
        line = match.group(0).rstrip("\r\n")
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if scalar_indent is not None:
            if not stripped.strip() or indent > scalar_indent:
                continue
            scalar_indent = None
        if not stripped or stripped.startswith("#"):
            continue

        if flow == 0:
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            entries = _COMPACT_ENTRIES.match(stripped)
            nested = entries.group(0).count("-") if entries else 0
            if len(indents) + nested > MAX_DEPTH:
                return match.start() + indent

        deeper = _flow_depth(line, indent, flow, len(indents))
        if isinstance(deeper, tuple):
            return match.start() + deeper[0]
        flow = deeper
        if flow == 0 and _BLOCK_SCALAR_HEADER.search(line):
            scalar_indent = indent
    return None


def _flow_depth(line: str, start: int, flow: int, block: int) -> int | tuple[int]:
    """The flow depth after `line`, or (column,) where it got too deep."""
    index = start
    while index < len(line):
        character = line[index]
        at_token = index == start or line[index - 1] in " \t[{,:"
        if character == "#" and (index == 0 or line[index - 1] in " \t"):
            break
        if character in "'\"" and at_token:
            close = line.find(character, index + 1)
            index = len(line) if close < 0 else close + 1
            continue
        if character in "[{" and at_token:
            flow += 1
            if flow + block > MAX_DEPTH:
                return (index,)
        elif character in "]}" and flow:
            flow -= 1
        index += 1
    return flow


def _expanded_size(
    node: Node, sizes: dict[int, int], open_nodes: set[int], crossing: list[Node]
) -> int:
    """How many values building `node` makes, aliases expanded, without building.

    Each anchored node is sized once, so a billion-laughs file is recognised
    in a few hundred steps instead of after building the first cap's worth.
    The first child that takes a collection past MAX_VALUES goes into
    `crossing`, so that the finding points at an alias rather than the file.
    """
    target = getattr(node, "alias_of", node)
    key = id(target)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        return 1  # a recursive alias; the builder reports it
    open_nodes.add(key)
    children: list[Node] = []
    if isinstance(target, SequenceNode):
        children = list(target.value)
    elif isinstance(target, MappingNode):
        children = [value for _key, value in target.value]

    size = 1
    for child in children:
        size += _expanded_size(child, sizes, open_nodes, crossing)
        if size > MAX_VALUES:
            if not crossing:
                crossing.append(child)
            break
    open_nodes.discard(key)
    sizes[key] = size
    return size


@dataclass(frozen=True)
class Suppression:
    """One rule ID written in a `# dockmig: ignore[...]` comment."""

    line: int  # where the comment is
    column: int  # where the ID is
    rule: str
    covers: int  # the line whose findings it silences


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def find_suppressions(
    source: str, values: Iterable[tuple[int, int]] = ()
) -> list[Suppression]:
    """Every ID in an ignore comment of `source`, outside the `values` spans.

    `values` are the (start, end) offsets of what the file's reader took as
    values (quoted strings, block scalars, dotenv values): text there that
    looks like an ignore comment is data, and must not silence anything. A
    comment covers its own line, or when it stands alone on its line, the
    next line that is not blank. Lines end at LF, CRLF or CR, as everywhere
    else positions are counted.
    """
    starts = [0] + [m.end() for m in _LINE_BREAK.finditer(source)]
    spans = sorted(values)
    span_starts = [start for start, _end in spans]
    found: list[Suppression] = []

    for match in _SUPPRESSION.finditer(source):
        at = match.start()
        inside = bisect.bisect_right(span_starts, at) - 1
        if inside >= 0 and spans[inside][1] > at:
            continue
        line = bisect.bisect_right(starts, at)
        covers = line
        if not source[starts[line - 1] : at].strip():
            covers = _next_written_line(source, starts, line)
        offset = match.start(1)
        for part in match.group(1).split(","):
            name = part.strip()
            if name:
                column = offset + part.index(name) - starts[line - 1] + 1
                found.append(Suppression(line, column, name, covers))
            offset += len(part) + 1
    return found


def _next_written_line(source: str, starts: list[int], line: int) -> int:
    target = line + 1
    while target <= len(starts):
        end = starts[target] if target < len(starts) else len(source)
        if source[starts[target - 1] : end].strip():
            break
        target += 1
    return target


def _suppress(document: Document, values: list[tuple[int, int]]) -> None:
    document.suppression_comments = find_suppressions(document.source, values)


def suppressions_by_line(found: Iterable[Suppression]) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {}
    for suppression in found:
        result.setdefault(suppression.covers, set()).add(suppression.rule)
    return result


def _value_spans(document: Document, root: Node) -> list[tuple[int, int]]:
    """Where each scalar of the file is written, in offsets of its source."""
    rendered: list[tuple[int, int]] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        node = getattr(node, "alias_of", node)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            start = node.start_mark.index
            if node.style in ("|", ">"):
                # The header line (`|-  # comment`) may hold a real comment.
                newline = document.rendered.text.find("\n", start)
                start = newline if newline >= 0 else start
            rendered.append((start, node.end_mark.index))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return [
        (document.rendered.source_offset(start), document.rendered.source_offset(end))
        for start, end in rendered
        if end > start
    ]


def _compose(document: Document) -> Node | None:
    # Only the node graph and its marks are needed, and scalars are typed
    # here, so the plain base loader does (the round-trip one gathers
    # comments nobody reads and costs a third more).
    yaml = YAML(typ="base")
    yaml.Composer = MarkingComposer
    yaml.Reader = PsychReader
    yaml.Scanner = PsychScanner
    try:
        nodes = yaml.compose_all(document.rendered.text)
        root = next(iter(nodes), None)
    except MarkedYAMLError as error:
        problem = (error.problem or "invalid YAML").strip()
        context = (error.context or "").strip()
        mark = error.problem_mark or error.context_mark
        if "end" in problem and "stream" in problem and error.context_mark:
            # The end of the file is where the scanner gave up; the quote
            # that never closes is what the person has to find.
            mark = error.context_mark
        where = document.mark_rendered(mark.index) if mark else document.mark_at(0)
        said = f" ({context})" if context else ""
        hint = _syntax_hint(f"{problem} {context}")
        opened = error.context_mark
        if opened is not None and mark is not opened and "expected ','" in problem:
            start = document.mark_rendered(opened.index)
            said += f"; it opens at line {start.line}, column {start.column}"
        document.findings.append(
            Finding(
                rule="yaml-syntax",
                severity=Severity.ERROR,
                mark=where,
                message=f"YAML syntax error: {problem}{said}{hint}",
                kamal_rejects=True,
                uncertain=document.rendered.has_erb
                and bool(document.rendered.effectful),
            )
        )
        return None
    except (YAMLError, RecursionError) as error:
        message = (
            "nesting too deep to parse"
            if isinstance(error, RecursionError)
            else f"YAML error: {error}"
        )
        # The reader refuses a character (NUL, a control character) with its
        # offset in the rendered text rather than a mark.
        position = getattr(error, "position", None)
        where = (
            document.mark_rendered(position)
            if isinstance(position, int)
            else document.mark_at(0)
        )
        document.findings.append(
            Finding(
                rule="yaml-syntax",
                severity=Severity.ERROR,
                mark=where,
                message=message.splitlines()[0],
                kamal_rejects=True,
            )
        )
        return None
    return root


# What Ruby's Float() takes beyond YAML 1.1's own numbers: `1e3`, `.5`, `0x1A`.
_RUBY_FLOAT = re.compile(
    r"\s*[+-]?(?:\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?|\.\d+(?:_\d+)*)"
    r"(?:[eE][+-]?\d+(?:_\d+)*)?\s*\Z"
)
_RUBY_HEX = re.compile(r"\s*[+-]?0[xX][0-9A-Fa-f]+(?:_[0-9A-Fa-f]+)*\s*\Z")

# What to do about ruamel's scanner and parser messages, in plain words.
_SYNTAX_HINTS = (
    ("'\\t' that cannot start", "indent with spaces; YAML does not allow tabs there"),
    (
        "end of stream",
        "something opened here is never closed (a quote, [ or {); close it",
    ),
    (
        "mapping values are not allowed",
        "if this line starts a new key, indent it like the keys beside it; if "
        "it is part of a value, quote that value (it contains ': ')",
    ),
    (
        "could not find expected ':'",
        "this line belongs to a mapping but has no `key: `; add the colon and a "
        "space, or fix its indentation",
    ),
    (
        "expected <block end>",
        "check that this line is indented like the keys or items beside it, "
        "and that no text follows a closing quote or bracket, and no quote "
        "above is left open",
    ),
    (
        "did not find expected key",
        "this line is indented differently from the keys around it; align it",
    ),
    (
        "did not find expected '-'",
        "every item of this list must start with '- ' at the same indentation",
    ),
    ("expected ',' or ']'", "close the [ list with ], or separate items with ', '"),
    ("expected ',' or '}'", "close the { map with }, or separate entries with ', '"),
    (
        "found undefined alias",
        "an alias (*name) must come after its anchor (&name) in the same file",
    ),
    (
        "cannot start any token",
        "a value that starts with @, ` or % must be quoted",
    ),
    (
        "directive",
        "a line that starts with % is a YAML directive (only %YAML and %TAG "
        "exist); quote or indent text that starts with %",
    ),
    (
        "found unexpected ':'",
        "inside [ ] or { } a ':' starts a value; quote text that contains one",
    ),
    (
        "expected alphabetic or numeric character",
        "& and * start an anchor or alias; quote a value that starts with them",
    ),
)


def _syntax_hint(problem: str) -> str:
    for needle, hint in _SYNTAX_HINTS:
        if needle in problem:
            return f"; {hint}"
    return ""


class _Builder:
    """Builds Psych's values from ruamel nodes and records each one's position."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.count = 0
        self.active: set[int] = set()
        # A value replaced by a duplicate key or a merge loses the positions
        # below it. Dropping them at once costs a scan of every position per
        # replaced key (quadratic with many duplicates), so each position and
        # each forgotten key path is stamped and the stale ones go at the end.
        self.clock = 0
        self.written: dict[KeyPath, int] = {}
        self.forgotten: dict[KeyPath, int] = {}

    def mark(self, node: Node) -> Mark:
        return self.document.mark_rendered(node.start_mark.index)

    def build(self, node: Node, path: KeyPath, key: Node | None = None) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooLarge
        self.document.positions[path] = Position(
            value=self.mark(node),
            key=self.mark(key) if key is not None else None,
        )
        self.clock += 1
        self.written[path] = self.clock

        target = getattr(node, "alias_of", node)
        if id(target) in self.active:
            # A recursive alias (&a [*a]) is legal YAML; Psych builds a cyclic
            # object, which Kamal accepts where it ignores the key (x-...) and
            # no check here can walk. It is read as null, with a warning.
            self._add(
                node,
                "yaml-syntax",
                "an alias refers to the collection it is in; Psych builds a value "
                "that contains itself, which dockmig reads as null here",
                path,
                severity=Severity.WARNING,
            )
            return None
        self.active.add(id(target))
        try:
            if isinstance(node, ScalarNode):
                return self._scalar(node, path)
            if isinstance(node, SequenceNode):
                self._check_tag(node, path)
                if self._explicit_tag(node) in _OMAP_TAGS:
                    return self._omap(node, path)
                return [
                    self.build(item, (*path, index))
                    for index, item in enumerate(node.value)
                ]
            if isinstance(node, MappingNode):
                self._check_tag(node, path)
                return self._mapping(node, path)
        finally:
            self.active.discard(id(target))
        return None

    def _explicit_tag(self, node: Node) -> str | None:
        text = self.document.rendered.text
        node = getattr(node, "alias_of", node)
        index = node.start_mark.index
        if text.startswith("&", index):
            match = re.match(r"&\S+\s+", text[index:])
            index += match.end() if match else 0
        if text.startswith("!", index):
            tag = getattr(node, "tag", None)
            return str(getattr(tag, "value", tag))
        return None

    def _check_tag(self, node: Node, path: KeyPath) -> None:
        tag = self._explicit_tag(node)
        if tag and tag.startswith("!ruby/"):
            self._ruby_tag(node, tag, path)

    def _ruby_tag(self, node: Node, tag: str, path: KeyPath) -> None:
        # Kamal's unsafe_load stops on a class Ruby does not know; a class it
        # does know builds an object, which fails Kamal's checks wherever
        # Kamal looks but passes where it never looks: under a top-level x-
        # key, and inside the free-form options and args maps.
        ignored = (bool(path) and str(path[0]).startswith("x-")) or _uninspected(path)
        if ignored and tag.removeprefix("!ruby/object:") not in _ALWAYS_LOADABLE:
            where = self.mark(node)
            self.document.undecided = (
                f"{where.file}:{where.line}:{where.column} {tag} loads only if "
                "Ruby knows the class; dockmig cannot tell"
            )
        self._add(
            node,
            "ruby-object-tag",
            f"the tag {tag} makes Kamal's YAML loader build a Ruby object here; "
            "write a plain value instead",
            path,
            severity=Severity.ERROR,
            kamal_rejects=not ignored,
        )

    def _scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        value: str = node.value
        tag = self._explicit_tag(node)
        if tag is not None:
            return self._tagged_scalar(node, tag, value, path)
        if node.style is None:
            return resolve_plain(value)
        return value

    def _tagged_scalar(
        self, node: ScalarNode, tag: str, value: str, path: KeyPath
    ) -> Any:
        short = tag.replace("tag:yaml.org,2002:", "!!")
        if short in ("!!str", "!"):
            return value
        if short in ("!ruby/symbol", "!ruby/sym"):
            return Symbol(value)
        if short.startswith("!ruby/"):
            self._ruby_tag(node, tag, path)
            return value
        if short == "!!float":
            return self._float(node, value, path)
        if short in ("!!int", "!!bool", "!!null", "!!timestamp"):
            resolved = resolve_plain(value)
            return resolved
        if short in ("!!binary", "!binary"):
            return _unpack_base64(value)
        return resolve_plain(value) if node.style is None else value

    def _omap(self, node: SequenceNode, path: KeyPath) -> dict[Any, Any]:
        # Psych builds a Hash from an ordered map: for each item, the first of
        # its children is the key and the last the value (a mapping's children
        # are its keys and values in turn, a list's its items). An item with
        # no children, a scalar or an alias, stops the load.
        result: dict[Any, Any] = {}
        for item in node.value:
            children: list[Node] = []
            if isinstance(item, Alias):
                pass
            elif isinstance(item, MappingNode):
                children = [child for pair in item.value for child in pair]
            elif isinstance(item, SequenceNode):
                children = list(item.value)
            if not children:
                self._add(
                    item,
                    "yaml-syntax",
                    "an item of an !!omap holds no key and value (a scalar, an "
                    "alias or an empty collection), so Kamal's YAML loader stops "
                    "here; write each item as `- key: value`",
                    path,
                    severity=Severity.ERROR,
                    kamal_rejects=True,
                )
                continue
            key = self._key(children[0], path)
            result[key] = self.build(children[-1], (*path, key), children[0])
        return result

    def _float(self, node: ScalarNode, value: str, path: KeyPath) -> Any:
        # Psych types the text as if it were plain, then calls Float() on
        # the result: `!!float 3` is 3.0, and anything not a number stops
        # the load (ArgumentError or TypeError).
        resolved = resolve_plain(value)
        if isinstance(resolved, (int, float)) and not isinstance(resolved, bool):
            return float(resolved)
        if isinstance(resolved, str) and _RUBY_FLOAT.match(resolved):
            return float(resolved.replace("_", ""))
        if isinstance(resolved, str) and _RUBY_HEX.match(resolved):
            return float(int(resolved.replace("_", ""), 16))
        self._add(
            node,
            "yaml-syntax",
            "the value tagged !!float is not a number, so Kamal's YAML loader stops "
            "here; write a number or drop the tag",
            path,
            severity=Severity.ERROR,
            kamal_rejects=True,
        )
        return value

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, Node] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key == "<<" and not self._explicit_tag(key_node):
                self._merge(result, key_node, value_node, path)
                continue

            if key in seen:
                earlier = self.mark(seen[key])
                self._add(
                    key_node,
                    "duplicate-key",
                    f"duplicate key {_show(key)} (first at line {earlier.line}); "
                    "Kamal keeps this later value and silently drops the first",
                    (*path, key),
                    severity=Severity.WARNING,
                )
                self._forget((*path, key))
                result.pop(key, None)
            seen[key] = key_node
            result[key] = self.build(value_node, (*path, key), key_node)
        return result

    def _merge(
        self, result: dict[Any, Any], key_node: Node, value_node: Node, path: KeyPath
    ) -> None:
        # Psych merges with Hash#merge!, in document order: keys written before
        # `<<` are overwritten by the merged ones, keys after it win.
        if isinstance(value_node, MappingNode):
            sources = [value_node]
        elif isinstance(value_node, SequenceNode) and all(
            isinstance(item, MappingNode) for item in value_node.value
        ):
            sources = list(reversed(value_node.value))
        else:
            result["<<"] = self.build(value_node, (*path, "<<"), key_node)
            return

        merged: dict[Any, tuple[Node, Node]] = {}
        for source in sources:
            for sub_key, sub_value in source.value:
                merged[self._key(sub_key, path)] = (sub_key, sub_value)
        for key, (sub_key, sub_value) in merged.items():
            if key == "<<":
                self._merge(result, sub_key, sub_value, path)
                continue
            if key in result:
                self._forget((*path, key))
            result[key] = self.build(sub_value, (*path, key), sub_key)

    def _key(self, node: Node, path: KeyPath) -> Any:
        if isinstance(node, ScalarNode):
            key = self._scalar(node, ())
        else:
            self._add(
                node,
                "yaml-syntax",
                "a mapping key is itself a list or mapping; use a plain key",
                path,
                severity=Severity.ERROR,
                kamal_rejects=True,
            )
            key = f"<complex key at line {self.mark(node).line}>"
        if isinstance(key, float) and key != key:
            key = "NaN"
        try:
            hash(key)
        except TypeError:
            key = str(key)
        return key

    def _forget(self, prefix: KeyPath) -> None:
        self.clock += 1
        self.forgotten[prefix] = self.clock

    def drop_forgotten(self) -> None:
        """Remove the positions written before a key path above them was forgotten."""
        if not self.forgotten:
            return
        positions = self.document.positions
        for path in list(positions):
            written = self.written[path]
            if any(
                self.forgotten.get(path[:length], 0) > written
                for length in range(1, len(path) + 1)
            ):
                del positions[path]

    def _add(
        self,
        node: Node,
        rule: str,
        message: str,
        path: KeyPath,
        *,
        severity: Severity = Severity.ERROR,
        kamal_rejects: bool = False,
    ) -> None:
        self.document.findings.append(
            Finding(
                rule=rule,
                severity=severity,
                mark=self.mark(node),
                message=message,
                key_path=format_path(path),
                kamal_rejects=kamal_rejects,
            )
        )


_OMAP_TAGS = ("tag:yaml.org,2002:omap", "!omap")
_BASE64 = {
    character: value
    for value, character in enumerate(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    )
}


def _unpack_base64(text: str) -> str:
    """`text` decoded as Ruby's unpack("m") decodes it, which Psych uses.

    Ruby skips characters outside the alphabet; an `=` where the third or
    fourth character of a group is due ends the data, and an incomplete last
    group gives the bytes it holds. Ruby keeps the bytes as a binary string;
    here they are text, as UTF-8 where they are UTF-8 and one character per
    byte where not.
    """
    data = bytearray()
    index, end = 0, len(text)
    first = second = third = -1

    def skip(stop_at_pad: bool) -> int:
        nonlocal index
        while index < end and text[index] not in _BASE64:
            if stop_at_pad and text[index] == "=":
                return -1
            index += 1
        if index >= end:
            return -1
        index += 1
        return _BASE64[text[index - 1]]

    while index < end:
        first = skip(stop_at_pad=False)
        second = skip(stop_at_pad=False) if first >= 0 else -1
        third = skip(stop_at_pad=True) if second >= 0 else -1
        fourth = skip(stop_at_pad=True) if third >= 0 else -1
        if fourth < 0:
            break
        data += bytes(
            (
                (first << 2 | second >> 4) & 0xFF,
                (second << 4 | third >> 2) & 0xFF,
                (third << 6 | fourth) & 0xFF,
            )
        )
        first = -1

    if first >= 0 and second >= 0:
        data.append((first << 2 | second >> 4) & 0xFF)
        if third >= 0:
            data.append((second << 4 | third >> 2) & 0xFF)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# Classes every Ruby with Psych has and can build from `!ruby/object:NAME {}`
# (Integer, Symbol or Struct have no allocator, Set or Date need a require).
_ALWAYS_LOADABLE = {
    "Object", "Hash", "Array", "String", "Exception", "StandardError", "Range",
    "Regexp", "Time",
}  # fmt: skip


def _uninspected(path: KeyPath) -> bool:
    """Inside a free-form map whose values Kamal never checks (kamal.md §4.3).

    `builder/args`, the `options` of a role or an accessory (but `restart`),
    and any `logging/options`; each map itself must still be a map.
    """
    for index, key in enumerate(path[:-1]):
        parent = path[:index]
        if key == "args" and parent == ("builder",):
            return True
        if key == "options" and parent[-1:] == ("logging",):
            return True
        owner = parent[0] if len(parent) == 2 else None
        if key == "options" and owner in ("servers", "accessories"):
            return bool(path[index + 1] != "restart")
    return False


def _show(key: Any) -> str:
    if isinstance(key, str):
        return f"'{key}'"
    return repr(key)


def parse_yaml_text(text: str, environ: Mapping[str, str] | None = None) -> Any:
    """The data Kamal would load from `text` (no file, no positions needed)."""
    return parse(text, "<text>", environ or {}).data


def is_date(value: object) -> bool:
    return isinstance(value, dt.date)
