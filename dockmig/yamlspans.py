"""Where each YAML node was written, as offsets into the file's own text.

ruamel.yaml composes the node graph of the (ERB-rendered) text; this module
maps every node back to the source so that a codemod can edit exactly the
characters of one value. A node whose text came out of an ERB tag has no
source span: the codemod must then report it, not edit it.

Aliases are composed as copies that keep the content of the anchored node
but carry the alias's own marks, so a lookup can tell "written here" from
"reached through `*name`" and name every place that shares an anchor.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockmig import erb, spans
from dockmig.codemod import Migration, Outcome
from dockmig.document import Alias, MarkingComposer, PsychReader, PsychScanner
from dockmig.yaml11 import resolve_plain

logger = logging.getLogger(__name__)

Path = tuple[Any, ...]

_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_TEMPLATE_KEY = re.compile(r"#\s?([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s|$)")


class _SiteComposer(MarkingComposer):
    """Composes aliases as marked copies and remembers every alias site."""

    sites: dict[str, list[int]]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.parser.check_event(AliasEvent):
            event = self.parser.peek_event()
            if not hasattr(self, "sites"):
                self.sites = {}
            self.sites.setdefault(str(event.anchor), []).append(event.start_mark.index)
        return super().compose_node(parent, index)


def is_alias(node: Node) -> bool:
    return isinstance(node, Alias)


def alias_name(node: Node) -> str:
    return node.alias_name if isinstance(node, Alias) else ""


def target(node: Node) -> Node:
    """The anchored node an alias stands for (the node itself otherwise)."""
    return node.alias_of if isinstance(node, Alias) else node


@dataclass
class Entry:
    """One key of a mapping as Psych resolves it, and how it was reached."""

    key: ScalarNode
    value: Node
    mapping: MappingNode  # the mapping that holds the pair as written
    # Anchors passed through to get here (`*reg`, `<<: *base`), outermost first.
    via: tuple[str, ...] = ()


@dataclass
class Tree:
    """One YAML document: its source, its rendering, its nodes and anchors."""

    source: str
    rendered: erb.Rendered
    root: Node | None
    alias_sites: dict[str, list[int]] = field(default_factory=dict)
    error: str | None = None
    # Source offset of what `error` is about.
    error_at: int = 0

    # --- offsets

    def src(self, rendered_offset: int) -> int:
        return self.rendered.source_offset(rendered_offset)

    def span(self, node: Node) -> tuple[int, int] | None:
        """The source characters of `node` as written, or None if ERB made them."""
        start, end = node.start_mark.index, node.end_mark.index
        return self.text_span(start, end)

    def text_span(self, start: int, end: int) -> tuple[int, int] | None:
        text = self.rendered.text

        if not self.rendered.has_erb:
            shift = self.src(0)
            return start + shift, end + shift
        source_start, source_end = self.src(start), self.src(end)

        if end > start and source_end == self.src(end - 1):
            source_end = self.src(end - 1) + 1

        if self.source[source_start:source_end] != text[start:end]:
            return None

        if self.rendered.is_conditional(source_start):
            return None

        return source_start, source_end

    def content_end(self, node: Node) -> int:
        """Source offset just after the last character that belongs to `node`."""
        return self.src_end(self._content_end(node))

    def src_end(self, rendered_offset: int) -> int:
        if rendered_offset <= 0:
            return 0
        return self.src(rendered_offset - 1) + 1

    def _content_end(self, node: Node) -> int:
        if is_alias(node):
            return int(node.end_mark.index)

        if isinstance(node, ScalarNode):
            start, end = node.start_mark.index, node.end_mark.index
            if node.style in ("|", ">"):
                header = self.rendered.text[
                    start : spans.line_end(self.rendered.text, start)
                ]
                if "+" not in header:
                    body = self.rendered.text[start:end].rstrip(" \t\r\n")
                    return int(start + len(body))
            return int(end)

        if getattr(node, "flow_style", False) or not node.value:
            return int(node.end_mark.index)
        children: list[Node] = []

        if isinstance(node, MappingNode):
            for key, value in node.value:
                children.extend((key, value))
        else:
            children.extend(node.value)

        return max(self._content_end(child) for child in children)

    # --- structure

    def lookup(self, mapping: Node | None, key: str) -> Entry | None:
        """The pair Psych keeps for `key`: merge keys resolved, the last one wins."""
        if mapping is None:
            return None
        found = self.resolved(mapping)
        return found.get(key)

    def resolved(self, mapping: Node) -> dict[Any, Entry]:
        via = (mapping.alias_name,) if isinstance(mapping, Alias) else ()
        node = target(mapping)
        if not isinstance(node, MappingNode):
            return {}
        return self._resolve(node, via, 0)

    def _resolve(
        self, node: MappingNode, via: tuple[str, ...], depth: int
    ) -> dict[Any, Entry]:
        result: dict[Any, Entry] = {}

        if depth > 20:
            return result

        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                continue
            if key_node.value == "<<" and key_node.style is None:
                # Psych merges in document order: keys written before `<<` are
                # overwritten by merged ones, keys after it win.
                for merged_key, entry in self._merged(value_node, via, depth).items():
                    result[merged_key] = entry
                continue
            result[self.key_value(key_node)] = Entry(key_node, value_node, node, via)

        return result

    def _merged(
        self, value: Node, via: tuple[str, ...], depth: int
    ) -> dict[Any, Entry]:
        sources = [value]

        if isinstance(target(value), SequenceNode):
            sources = list(reversed(target(value).value))
        merged: dict[Any, Entry] = {}

        for source in sources:
            inner = target(source)
            if not isinstance(inner, MappingNode):
                continue
            name = (source.alias_name,) if isinstance(source, Alias) else ()
            merged.update(self._resolve(inner, via + name, depth + 1))

        return merged

    @staticmethod
    def key_value(node: ScalarNode) -> Any:
        value = node.value
        return resolve_plain(value) if node.style is None else value

    def anchors(self) -> dict[str, Node]:
        """Every anchored node, by anchor name (the last definition wins)."""
        found: dict[str, Node] = {}
        stack = [self.root] if self.root is not None else []

        while stack:
            node = stack.pop()
            if is_alias(node):
                continue
            name = getattr(node, "anchor", None)
            if name:
                found[str(name)] = node
            if isinstance(node, MappingNode):
                for key, value in node.value:
                    stack.extend((key, value))
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)

        return found

    def sites_of(self, anchors: tuple[str, ...]) -> list[int]:
        """Source offsets of every alias naming one of `anchors`."""
        return sorted(
            self.src(o) for name in anchors for o in self.alias_sites.get(name, [])
        )

    def scalars(
        self, node: Node | None, path: Path = ()
    ) -> Iterator[tuple[Path, ScalarNode]]:
        """Every scalar value written in the file, once each (aliases skipped)."""
        if node is None or is_alias(node):
            return

        if isinstance(node, ScalarNode):
            yield path, node
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                yield from self.scalars(item, (*path, index))
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                label = self.key_value(key) if isinstance(key, ScalarNode) else "?"
                yield from self.scalars(value, (*path, label))

    def sequences(self, node: Node | None) -> Iterator[tuple[ScalarNode, SequenceNode]]:
        """Every sequence written as the value of a mapping key, with that key."""
        if node is None or is_alias(node):
            return

        if isinstance(node, MappingNode):
            for key, value in node.value:
                if (
                    isinstance(value, SequenceNode)
                    and not is_alias(value)
                    and isinstance(key, ScalarNode)
                ):
                    yield key, value
                yield from self.sequences(value)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                yield from self.sequences(item)


def compose(source: str, environ: Mapping[str, str] | None = None) -> Tree:
    """Compose `source` (rendered as ERB first when `environ` is given).

    Scanned with libyaml's rules for tabs, which Psych (and so Kamal) uses:
    a file Kamal loads must not be refused here. Comments are not collected;
    no codemod reads them from the tree, only from the text.
    """
    body = source[1:] if source.startswith("\ufeff") else source

    if environ is None:
        rendered = erb.Rendered(source=body, text=body)
    else:
        rendered = erb.render(body, environ)

    if len(body) != len(source):
        rendered = rendered.moved(source, 1)
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _SiteComposer
    yaml.Reader = PsychReader
    yaml.Scanner = PsychScanner

    try:
        # Psych's load reads the first document of a stream; so does this.
        root = next(iter(yaml.compose_all(rendered.text)), None)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = (error.problem or "invalid YAML").strip()
        context = f" ({error.context.strip()})" if error.context else ""
        offset = rendered.source_offset(mark.index) if mark is not None else 0
        return Tree(source, rendered, None, error=problem + context, error_at=offset)
    except (YAMLError, RecursionError) as error:
        # The reader refuses a character (NUL, a control character) with an
        # offset into the text instead of a mark.
        position = getattr(error, "position", None)
        offset = rendered.source_offset(position) if isinstance(position, int) else 0
        message = (
            "nesting too deep to parse"
            if isinstance(error, RecursionError)
            else str(error).splitlines()[0]
        )
        return Tree(source, rendered, None, error=message, error_at=offset)
    sites = getattr(yaml.composer, "sites", {})

    return Tree(source, rendered, root, alias_sites=sites)


# --- scalars: reading and writing them the way the file already does


def plain_safe(value: str) -> bool:
    """True when `value` written unquoted reads back as the same string in Psych."""
    if not value or value != value.strip() or value[0] in _INDICATORS:
        return False
    if ": " in value or " #" in value or value.endswith(":") or "\n" in value:
        return False
    if any(ord(c) < 32 for c in value):
        return False
    return resolve_plain(value) == value and isinstance(resolve_plain(value), str)


def format_scalar(value: str, style: str | None) -> str:
    """`value` as a YAML scalar in `style` (None: plain when that is safe)."""
    if style is None and plain_safe(value):
        return value
    if style == "'" or (style is None and "\\" in value and '"' not in value):
        return "'" + value.replace("'", "''") + "'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped + '"'


def template_key(line: str) -> str | None:
    """`username` for a commented-out `# username: …` line."""
    match = _TEMPLATE_KEY.match(line.lstrip(" \t"))
    return match.group(1) if match else None


def is_blank(line: str) -> bool:
    return not line.strip()


def is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def column_of(text: str, offset: int) -> int:
    """0-based column (characters) of a source offset, a byte-order mark not counted."""
    start = spans.line_start(text, offset)
    if start == 0 and text.startswith("\ufeff") and offset > 0:
        start = 1
    return offset - start


def rewrite_scalar(
    tree: Tree,
    node: ScalarNode,
    path: tuple[Any, ...],
    migration: Migration,
    outcome: Outcome,
) -> None:
    """Give the image references to the old hosts in one scalar the new host."""
    label = "/".join(str(p) for p in path) or "the document"
    value = str(node.value)
    value_mentions = migration.mentions(value)
    wanted = [m for m in value_mentions if migration.moves(value, m)]
    found = tree.span(node)
    if found is None:
        if wanted:
            outcome.note(
                tree.src(node.start_mark.index),
                f"{label} names the old registry through ERB; edit it by hand",
                blocking=True,
            )
        return

    start, end = found
    source = tree.source[start:end]
    everywhere = migration.mentions(source)
    written = [m for m in everywhere if migration.moves(source, m)]
    if len(written) != len(wanted):
        outcome.note(
            start,
            f"{label} writes the old registry with escapes dockmig cannot edit; "
            "edit it by hand",
            blocking=True,
        )
        return
    for mention in written:
        outcome.edits.append(
            spans.Edit(start + mention.start, start + mention.end, migration.new_host)
        )
    if written:
        outcome.touched.append((start, end))
        outcome.note(
            start + written[0].start,
            f"{label}: image reference moved to {migration.new_host}",
        )
    exact = len(everywhere) == len(value_mentions)
    for index, mention in enumerate(value_mentions):
        message = None if mention in wanted else migration.leftover(value, mention)
        if message:
            at = start + everywhere[index].start if exact else start
            outcome.note(at, f"{label} {message}")
