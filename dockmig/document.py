"""Read one Kamal deploy file the way Kamal does, keeping every position.

The pipeline is Kamal's: ERB first (see `erb`), then YAML. ruamel.yaml only
composes the node graph, which carries the marks; the values are built here
with Psych's rules (YAML 1.1 scalars, `<<` merge keys applied in order, the
last of duplicate keys wins) so that dockmig sees exactly the data Kamal sees.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockmig import erb
from dockmig.errors import DockmigError
from dockmig.findings import Finding, Mark, Position, Severity, format_path
from dockmig.yaml11 import Symbol, resolve_plain

logger = logging.getLogger(__name__)

KeyPath = tuple[Any, ...]

# Real deploy files build a few thousand values; an alias bomb builds billions.
MAX_VALUES = 200_000

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
        return super().compose_node(parent, index)


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
    pass


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
    suppressions: dict[int, set[str]] = field(default_factory=dict)
    _line_starts: list[int] = field(default_factory=list)

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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DockmigError(
            "file not found; check the path or pass --config", path=display
        ) from None
    except IsADirectoryError:
        raise DockmigError("is a directory, expected a file", path=display) from None
    except PermissionError:
        raise DockmigError(
            "permission denied; make the file readable", path=display
        ) from None
    except OSError as error:
        raise DockmigError(f"cannot be read ({error.strerror})", path=display) from None
    return decode(raw, display)


def decode(raw: bytes, display: str) -> str:
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        raise DockmigError(
            "is UTF-16; Kamal reads deploy files as UTF-8, re-save it as UTF-8",
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
        rendered = _shift(rendered, source, offset)
    document = Document(path=display, source=source, rendered=rendered)
    document.suppressions = suppressions_in(source)

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

    before = len(document.findings)
    root = _compose(document)
    if root is None:
        # An empty or comment-only file is valid YAML that loads as nothing.
        document.parsed = len(document.findings) == before
        return document
    builder = _Builder(document)
    try:
        document.data = builder.build(root, ())
    except _TooLarge:
        document.data = None
        document.positions.clear()
        document.findings.append(
            Finding(
                rule="yaml-syntax",
                severity=Severity.ERROR,
                mark=document.mark_at(0),
                message=(
                    f"aliases expand to more than {MAX_VALUES:,} values; "
                    "this looks like an alias bomb, not a deploy file"
                ),
                kamal_rejects=True,
            )
        )
        return document
    document.parsed = True
    return document


def _shift(rendered: erb.Rendered, source: str, offset: int) -> erb.Rendered:
    """Account for a byte-order mark that was set aside before rendering."""
    shifted = erb.Rendered(source=source, text=rendered.text)
    shifted.tags = rendered.tags
    shifted.opaque = rendered.opaque
    shifted.effectful = rendered.effectful
    shifted.problems = [
        erb.Problem(p.offset + offset, p.message, p.certain) for p in rendered.problems
    ]
    shifted.conditional = [(a + offset, b + offset) for a, b in rendered.conditional]
    segments = rendered._segments or [(0, 0, len(rendered.text))]
    shifted._segments = [(r, s + offset, n) for r, s, n in segments]
    return shifted


def suppressions_in(source: str) -> dict[int, set[str]]:
    """`# dockmig: ignore[ID]` on a line, or alone on the line above it."""
    result: dict[int, set[str]] = {}
    lines = source.splitlines()
    for number, line in enumerate(lines, start=1):
        match = _SUPPRESSION.search(line)
        if match is None:
            continue
        ids = {part.strip() for part in match.group(1).split(",") if part.strip()}
        target = number
        if line.lstrip().startswith("#"):
            target = number + 1
            while target <= len(lines) and not lines[target - 1].strip():
                target += 1
        result.setdefault(target, set()).update(ids)
    return result


def _compose(document: Document) -> Node | None:
    # Only the node graph and its marks are needed, and scalars are typed
    # here, so the plain base loader does (the round-trip one gathers
    # comments nobody reads and costs a third more).
    yaml = YAML(typ="base")
    yaml.Composer = MarkingComposer
    try:
        nodes = yaml.compose_all(document.rendered.text)
        root = next(iter(nodes), None)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = document.mark_rendered(mark.index) if mark else document.mark_at(0)
        problem = (error.problem or "invalid YAML").strip()
        context = f" ({error.context.strip()})" if error.context else ""
        document.findings.append(
            Finding(
                rule="yaml-syntax",
                severity=Severity.ERROR,
                mark=where,
                message=f"YAML syntax error: {problem}{context}",
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
        document.findings.append(
            Finding(
                rule="yaml-syntax",
                severity=Severity.ERROR,
                mark=document.mark_at(0),
                message=message,
                kamal_rejects=True,
            )
        )
        return None
    return root


class _Builder:
    """Builds Psych's values from ruamel nodes and records each one's position."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.count = 0
        self.active: set[int] = set()

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

        target = getattr(node, "alias_of", node)
        if id(target) in self.active:
            # A recursive alias (&a [*a]) is legal YAML; Psych builds a cyclic
            # object that no Kamal check can walk. Treat it as a string.
            self._add(node, "recursive-alias", "an alias refers to itself", path)
            return None
        self.active.add(id(target))
        try:
            if isinstance(node, ScalarNode):
                return self._scalar(node, path)
            if isinstance(node, SequenceNode):
                self._check_tag(node, path)
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
        self._add(
            node,
            "ruby-object-tag",
            f"the tag {tag} makes Kamal's YAML loader build a Ruby object here; "
            "write a plain value instead",
            path,
            severity=Severity.ERROR,
            kamal_rejects=True,
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
        if short in ("!!int", "!!float", "!!bool", "!!null", "!!timestamp"):
            resolved = resolve_plain(value)
            return resolved
        if short == "!!binary":
            return value
        return resolve_plain(value) if node.style is None else value

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
        for stored in [
            p for p in self.document.positions if p[: len(prefix)] == prefix
        ]:
            del self.document.positions[stored]

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


def _show(key: Any) -> str:
    if isinstance(key, str):
        return f"'{key}'"
    return repr(key)


def parse_yaml_text(text: str, environ: Mapping[str, str] | None = None) -> Any:
    """The data Kamal would load from `text` (no file, no positions needed)."""
    return parse(text, "<text>", environ or {}).data


def is_date(value: object) -> bool:
    return isinstance(value, dt.date)
