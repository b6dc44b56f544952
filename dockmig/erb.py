"""ERB in deploy files, rendered the way Kamal would where that can be done statically.

Kamal runs every deploy file through `ERB.new(text, trim_mode: "-")` before YAML
sees it, with the full Ruby runtime. dockmig evaluates the small, side-effect
free part of that language people actually use in deploy files (string
literals, `ENV["X"]`, `ENV.fetch("X", "default")`, `||`, `.strip`) against the
current environment. Everything else is replaced by an opaque placeholder, and
the tags that could read files, run commands or raise are remembered, so that
lint says what it could not check instead of guessing.

The rendered text keeps a map back to the source, so every position YAML
reports lands on the line and column the user wrote.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

logger = logging.getLogger(__name__)

PLACEHOLDER_PREFIX = "dockmig-erb-"
_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"(\d+)-x")

# Ruby words that open a block closed by `end` in a later tag.
_BLOCK_OPENERS = re.compile(
    r"^\s*(if|unless|while|until|case|begin|for|def|class|module)\b"
    r"|\bdo\s*(\|[^|]*\|)?\s*$"
)
_BLOCK_END = re.compile(r"^\s*end\b")


@dataclass(frozen=True)
class Tag:
    """One `<% %>` tag of the source, with its 0-based source offsets."""

    kind: str  # "output" (<%=), "code" (<%), "comment" (<%#)
    code: str
    start: int
    end: int

    @property
    def text_preview(self) -> str:
        flat = " ".join(self.code.split())
        return flat if len(flat) <= 60 else flat[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """ERB that makes Kamal fail for certain, or that dockmig cannot read."""

    offset: int
    message: str
    certain: bool  # True: Kamal fails this way; False: dockmig cannot tell
    # The template does not compile, so Kamal fails before any tag runs.
    syntax: bool = False


@dataclass
class Rendered:
    source: str
    text: str
    tags: list[Tag] = field(default_factory=list)
    # Tags dockmig could not evaluate, keyed by the placeholder put in their place.
    opaque: dict[str, Tag] = field(default_factory=dict)
    # Tags that may read files, run commands, change ENV or raise.
    effectful: list[Tag] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Source offset ranges whose presence in the output depends on ERB control flow.
    conditional: list[tuple[int, int]] = field(default_factory=list)
    # (rendered start, source start, length of a 1:1 copied run, or -1 for output)
    _segments: list[tuple[int, int, int]] = field(default_factory=list)
    # The segments' rendered starts, rebuilt when segments were added: every
    # YAML node asks for its position, and rebuilding per question made a
    # file with many tags quadratic.
    _starts: list[int] = field(default_factory=list, repr=False, compare=False)

    @property
    def has_erb(self) -> bool:
        return bool(self.tags)

    def source_offset(self, rendered_offset: int) -> int:
        """Map an offset of the rendered text back to the source text."""
        if not self._segments:
            return rendered_offset
        if len(self._starts) != len(self._segments):
            self._starts = [segment[0] for segment in self._segments]
        index = max(bisect.bisect_right(self._starts, rendered_offset) - 1, 0)
        rendered_start, source_start, length = self._segments[index]
        if length < 0:
            return source_start
        return source_start + min(rendered_offset - rendered_start, max(length, 0))

    def opaque_tags_in(self, value: str) -> list[Tag]:
        """The unevaluated tags whose placeholder appears in a rendered string."""
        return [
            self.opaque[m.group(0)]
            for m in _PLACEHOLDER.finditer(value)
            if m.group(0) in self.opaque
        ]

    def is_conditional(self, source_offset: int) -> bool:
        return any(start <= source_offset < end for start, end in self.conditional)

    def moved(self, source: str, offset: int) -> Rendered:
        """This rendering of `source[offset:]`, with offsets counted in `source`.

        For a byte-order mark set aside before rendering: every source offset
        (tags, problems, conditional ranges, segments) moves by `offset`.
        """

        def tag(old: Tag) -> Tag:
            return replace(old, start=old.start + offset, end=old.end + offset)

        moved = Rendered(source=source, text=self.text)
        moved.tags = [tag(t) for t in self.tags]
        moved.opaque = {placeholder: tag(t) for placeholder, t in self.opaque.items()}
        moved.effectful = [tag(t) for t in self.effectful]
        moved.problems = [replace(p, offset=p.offset + offset) for p in self.problems]
        moved.conditional = [(a + offset, b + offset) for a, b in self.conditional]
        segments = self._segments or [(0, 0, len(self.text))]
        moved._segments = [(r, s + offset, n) for r, s, n in segments]
        return moved


class _Unknown(Exception):
    """The expression is outside what dockmig evaluates."""

    def __init__(self, pure: bool) -> None:
        super().__init__("unknown")
        self.pure = pure


class _Raises(Exception):
    """Evaluating the expression raises in Ruby, whatever else happens."""


def render(source: str, environ: Mapping[str, str]) -> Rendered:
    """Render `source` as Kamal's ERB would, as far as it can be done statically."""
    result = Rendered(source=source, text=source)
    if "<%" not in source:
        return result

    pieces: list[str] = []
    rendered_length = 0
    position = 0
    depth = 0
    block_start = 0

    def emit_copy(start: int, end: int) -> None:
        nonlocal rendered_length
        if end <= start:
            return
        result._segments.append((rendered_length, start, end - start))
        pieces.append(source[start:end])
        rendered_length += end - start

    def emit_output(text: str, source_start: int) -> None:
        nonlocal rendered_length
        result._segments.append((rendered_length, source_start, -1))
        pieces.append(text)
        rendered_length += len(text)

    for match in _tags(source):
        start, end, kind, code, trim_left, trim_right = match
        if kind == "literal":
            emit_copy(position, start)
            emit_output("<%", start)
            position = end
            continue

        copy_end = start
        if trim_left:
            line_start = source.rfind("\n", 0, start) + 1
            if source[line_start:start].strip(" \t") == "":
                copy_end = line_start
        emit_copy(position, copy_end)
        if code is None:
            result.problems.append(
                Problem(
                    start, "an ERB tag opened here is never closed with %>", True, True
                )
            )
            result.text = "".join(pieces) + source[start:]
            result._segments.append((rendered_length, start, len(source) - start))
            return result

        tag = Tag(kind=kind, code=code, start=start, end=end)
        result.tags.append(tag)
        if kind == "output":
            emit_output(_render_output(tag, environ, result), start)
        elif kind == "code":
            depth, block_start = _track_blocks(tag, depth, block_start, result)

        position = end
        if trim_right and source.startswith("\n", end):
            position = end + 1
        elif trim_right and source.startswith("\r\n", end):
            position = end + 2

    emit_copy(position, len(source))
    if depth > 0:
        result.conditional.append((block_start, len(source)))
        result.problems.append(
            Problem(block_start, "an ERB block opened here is never closed", True, True)
        )
    result.text = "".join(pieces)
    return result


def _tags(
    source: str,
) -> list[tuple[int, int, str, str | None, bool, bool]]:
    """ERB tags as (start, end, kind, code, trim_left, trim_right)."""
    found: list[tuple[int, int, str, str | None, bool, bool]] = []
    index = 0
    while True:
        start = source.find("<%", index)
        if start < 0:
            return found
        if source.startswith("<%%", start):
            found.append((start, start + 3, "literal", "", False, False))
            index = start + 3
            continue

        body_start = start + 2
        trim_left = False
        kind = "code"
        if source.startswith("-", body_start):
            trim_left = True
            body_start += 1
        if source.startswith("=", body_start):
            kind = "output"
            body_start += 1
        elif source.startswith("#", body_start):
            kind = "comment"
            body_start += 1

        close = _find_close(source, body_start)
        if close < 0:
            found.append((start, len(source), kind, None, trim_left, False))
            return found
        trim_right = source[close - 1] == "-" and close - 1 >= body_start
        code_end = close - 1 if trim_right else close
        code = source[body_start:code_end].replace("%%>", "%>")
        found.append((start, close + 2, kind, code, trim_left, trim_right))
        index = close + 2


def _find_close(source: str, index: int) -> int:
    # `%%>` inside a tag is an escaped `%>`, not the end of the tag.
    while True:
        close = source.find("%>", index)
        if close < 0:
            return -1
        if close > 0 and source[close - 1] == "%":
            index = close + 2
            continue
        return close


def _track_blocks(
    tag: Tag, depth: int, block_start: int, result: Rendered
) -> tuple[int, int]:
    code = tag.code.strip()
    if not code or code.startswith("#"):
        return depth, block_start

    result.effectful.append(tag)
    statements = [part.strip() for part in re.split(r";|\n", code) if part.strip()]
    for statement in statements:
        if _BLOCK_END.match(statement) and depth == 0:
            # Ruby refuses to compile an `end` that closes nothing.
            result.problems.append(
                Problem(
                    tag.start,
                    "this ERB `end` closes no block opened before it",
                    True,
                    True,
                )
            )
        elif _BLOCK_END.match(statement):
            depth -= 1
            if depth == 0:
                result.conditional.append((block_start, tag.end))
        elif _BLOCK_OPENERS.search(statement):
            if depth == 0:
                block_start = tag.start
            depth += 1
    return max(depth, 0), block_start


def _render_output(tag: Tag, environ: Mapping[str, str], result: Rendered) -> str:
    try:
        value = _Evaluator(tag.code, environ).evaluate()
    except _Raises as error:
        result.problems.append(Problem(tag.start, str(error), True))
        return ""
    except _Unknown as unknown:
        if not unknown.pure:
            result.effectful.append(tag)
        token = f"{PLACEHOLDER_PREFIX}{len(result.opaque)}-x"
        result.opaque[token] = tag
        return token
    return "" if value is None else value


# --- a tiny evaluator for the side-effect free part of Ruby seen in deploy files


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<dq>"(?:[^"\\]|\\.)*")
      | (?P<sq>'(?:[^'\\]|\\.)*')
      | (?P<op>\|\||\.|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*[?!]?)
      | (?P<num>\d+)
    )""",
    re.VERBOSE | re.DOTALL,
)
_PURE_CONSTANTS = {"RUBY_ENGINE": "ruby"}
_PURE_UNKNOWN = {"RUBY_VERSION", "RUBY_ENGINE_VERSION", "RUBY_PLATFORM"}
# Ruby's whitespace for strip: no Unicode spaces, but NUL.
_RUBY_BLANKS = "\0\t\n\v\f\r "


def _chomp(text: str) -> str:
    # One line ending, not all of them: "x\n\n".chomp is "x\n".
    for ending in ("\r\n", "\n", "\r"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


_STRING_METHODS: dict[str, Callable[[str], str]] = {
    "strip": lambda text: text.strip(_RUBY_BLANKS),
    "to_s": lambda text: text,
    "downcase": str.lower,
    "upcase": str.upper,
    "chomp": _chomp,
}
# Of those, the ones nil has too (nil.to_s is ""); the others raise on nil.
_NIL_METHODS = {"to_s": ""}


# Deeper nesting than this is not what deploy files hold; evaluating it would
# only risk Python's recursion limit.
_MAX_DEPTH = 50


class _Evaluator:
    def __init__(self, code: str, environ: Mapping[str, str], depth: int = 0) -> None:
        self.environ = environ
        self.depth = depth
        self.tokens = self._tokenize(code)
        self.index = 0

    def _tokenize(self, code: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        position = 0
        stripped = code.rstrip()
        while position < len(stripped):
            if stripped[position].isspace():
                position += 1
                continue
            if stripped[position] == '"':
                end = _double_quote_end(stripped, position)
                if end < 0:
                    raise _Unknown(pure=False)
                tokens.append(("dq", stripped[position : end + 1]))
                position = end + 1
                continue
            match = _TOKEN.match(stripped, position)
            if match is None or match.end() == position:
                raise _Unknown(pure=False)
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            position = match.end()
        return tokens

    def evaluate(self) -> str | None:
        if not self.tokens:
            return None
        value = self._expression()
        if self.index != len(self.tokens):
            raise _Unknown(pure=False)
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self, text: str) -> None:
        token = self._peek()
        if token is None or token[1] != text:
            raise _Unknown(pure=False)
        self.index += 1

    def _expression(self) -> str | None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Unknown(pure=False)
        try:
            return self._alternatives()
        finally:
            self.depth -= 1

    def _alternatives(self) -> str | None:
        value = self._postfix()
        while self._peek() == ("op", "||"):
            self.index += 1
            # Ruby evaluates the right side only when the left is nil or false,
            # so an unknown right side does not matter when the left is set.
            if value is not None:
                self._skip_operand()
            else:
                value = self._postfix()
        return value

    def _skip_operand(self) -> None:
        depth = 0
        while self.index < len(self.tokens):
            kind, text = self.tokens[self.index]
            if kind == "op" and text == "||" and depth == 0:
                return
            if kind == "op" and text in "([":
                depth += 1
            elif kind == "op" and text in ")]":
                if depth == 0:
                    return
                depth -= 1
            self.index += 1

    def _postfix(self) -> str | None:
        value = self._primary()
        while self._peek() == ("op", "."):
            self.index += 1
            token = self._peek()
            if token is None or token[0] != "name" or token[1] not in _STRING_METHODS:
                raise _Unknown(pure=False)
            self.index += 1
            if value is None and token[1] in _NIL_METHODS:
                value = _NIL_METHODS[token[1]]
            elif value is None:
                raise _Raises(f"ERB calls .{token[1]} on nil")
            else:
                value = _STRING_METHODS[token[1]](value)
        return value

    def _primary(self) -> str | None:
        token = self._peek()
        if token is None:
            raise _Unknown(pure=False)
        kind, text = token
        self.index += 1
        if kind == "dq":
            return self._double_quoted(text[1:-1])
        if kind == "sq":
            return re.sub(r"\\([\\'])", r"\1", text[1:-1])
        if kind == "num":
            return text
        if kind == "op" and text == "(":
            value = self._expression()
            self._take(")")
            return value
        if kind == "name":
            return self._name(text)
        raise _Unknown(pure=False)

    def _name(self, name: str) -> str | None:
        if name == "nil":
            return None
        if name in _PURE_CONSTANTS:
            return _PURE_CONSTANTS[name]
        if name in _PURE_UNKNOWN:
            raise _Unknown(pure=True)
        if name != "ENV":
            raise _Unknown(pure=False)

        token = self._peek()
        if token == ("op", "["):
            self.index += 1
            key = self._expression()
            self._take("]")
            return None if key is None else self.environ.get(key)
        if token == ("op", "."):
            self.index += 1
            self._take("fetch")
            self._take("(")
            key = self._expression()
            default: str | None = None
            has_default = False
            if self._peek() == ("op", ","):
                self.index += 1
                default = self._expression()
                has_default = True
            self._take(")")
            if key is not None and key in self.environ:
                return self.environ[key]
            if has_default:
                return default
            raise _Raises(
                f"ERB reads ENV.fetch({key!r}) but the environment variable "
                f"{key} is not set"
            )
        raise _Unknown(pure=False)

    def _double_quoted(self, body: str) -> str:
        out: list[str] = []
        index = 0
        while index < len(body):
            char = body[index]
            if char == "\\" and index + 1 < len(body):
                escaped = body[index + 1]
                out.append({"n": "\n", "t": "\t", "s": " "}.get(escaped, escaped))
                index += 2
            elif body.startswith("#{", index):
                close = _matching_brace(body, index + 2)
                if close < 0:
                    raise _Unknown(pure=False)
                inner = _Evaluator(
                    body[index + 2 : close], self.environ, self.depth + 1
                ).evaluate()
                out.append("" if inner is None else inner)
                index = close + 1
            else:
                out.append(char)
                index += 1
        return "".join(out)


def _double_quote_end(text: str, start: int) -> int:
    """Index of the quote closing the string at `start`, past any #{...}."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if text.startswith("#{", index):
            close = _matching_brace(text, index + 2)
            if close < 0:
                return -1
            index = close + 1
            continue
        if char == '"':
            return index
        index += 1
    return -1


def _matching_brace(text: str, index: int) -> int:
    depth = 1
    while index < len(text):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1
