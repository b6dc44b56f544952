"""The deploy-file reader: Kamal's data, with the position of every key and value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockmig import document, yamlspans
from dockmig.errors import DockmigError
from dockmig.findings import Mark
from dockmig.yaml11 import Symbol


def parse(text: str, env: dict[str, str] | None = None) -> document.Document:
    return document.parse(text, "config/deploy.yml", env or {})


def test_values_are_typed_like_psych_and_positions_are_one_based() -> None:
    doc = parse("service: shop\nbuilder:\n  arch: amd64\nhooks_output: :verbose\n")
    assert doc.data == {
        "service": "shop",
        "builder": {"arch": "amd64"},
        "hooks_output": "verbose",
    }
    assert isinstance(doc.data["hooks_output"], Symbol)
    position = doc.positions[("builder", "arch")]
    assert position.key == Mark("config/deploy.yml", 3, 3)
    assert position.value == Mark("config/deploy.yml", 3, 9)


def test_merge_key_overrides_earlier_keys_and_yields_to_later_ones() -> None:
    # Psych applies `<<` with Hash#merge! in document order.
    doc = parse("base: &b {a: 1, b: 2, c: 3}\nx:\n  a: 0\n  <<: *b\n  c: 9\n")
    assert doc.data["x"] == {"a": 1, "b": 2, "c": 9}
    assert doc.positions[("x", "b")].value.line == 1
    assert doc.positions[("x", "c")].value.line == 5


def test_merge_of_a_sequence_prefers_the_first_mapping() -> None:
    doc = parse("p: &p {a: 1}\nq: &q {a: 2, b: 3}\nx:\n  <<: [*p, *q]\n")
    assert doc.data["x"] == {"a": 1, "b": 3}


def test_alias_value_points_at_the_alias_not_the_anchor() -> None:
    doc = parse("x-id: &id i-123\nservers:\n  web:\n    - *id\n")
    assert doc.data["servers"]["web"] == ["i-123"]
    assert doc.positions[("servers", "web", 0)].value == Mark("config/deploy.yml", 4, 7)


def test_duplicate_key_keeps_the_last_value_and_warns_at_the_second() -> None:
    doc = parse("env:\n  clear:\n    A: 1\n  clear:\n    B: 2\n")
    assert doc.data["env"] == {"clear": {"B": 2}}
    [finding] = [f for f in doc.findings if f.rule == "duplicate-key"]
    assert (finding.line, finding.column) == (4, 3)
    assert "first at line 2" in finding.message
    assert ("env", "clear", "A") not in doc.positions


def test_syntax_error_is_a_finding_at_the_parser_position() -> None:
    doc = parse("service: shop\n  image: x\n")
    [finding] = doc.findings
    assert finding.rule == "yaml-syntax" and finding.kamal_rejects
    assert finding.line == 2
    assert not doc.parsed


@pytest.mark.parametrize(
    ("text", "at", "hint"),
    [
        ("service: a\nservers:\n\t- 192.0.2.1\n", (3, 1), "indent with spaces"),
        ('service: a\nimage: "b\nservers: [1]\n', (2, 8), "never closed"),
        ("service: a\nimage: 'b\n", (2, 8), "never closed"),
        ("service: a\n  image: b\n", (2, 8), "quote that value"),
        ("service: a\nenv:\n  clear:\n    A: 1\n   B: 2\n", (5, 4), "indented like"),
        ("servers: [a, b\nimage: c\n", (2, 6), "opens at line 1, column 10"),
        ("service: @a\n", (1, 10), "must be quoted"),
        ("a: *x\n", (1, 4), "after its anchor"),
    ],
)
def test_a_syntax_error_says_how_to_fix_it_where_the_fix_goes(
    text: str, at: tuple[int, int], hint: str
) -> None:
    (finding,) = document.parse(text, "config/deploy.yml", {}).findings
    assert finding.rule == "yaml-syntax"
    assert (finding.line, finding.column) == at
    assert hint in finding.message


def test_positions_survive_erb_substitution() -> None:
    source = 'a: <%= ENV.fetch("H") %>\nb: [x, y]\n'
    doc = parse(source, {"H": "a-much-longer-host.example.com"})
    assert doc.data["a"] == "a-much-longer-host.example.com"
    assert doc.positions[("b", 1)].value == Mark("config/deploy.yml", 2, 8)


def test_crlf_and_bom_keep_columns_right() -> None:
    doc = parse("\ufeffservice: shop\r\nimage: acme/shop\r\n")
    assert doc.data == {"service": "shop", "image": "acme/shop"}
    assert doc.positions[("image",)].value == Mark("config/deploy.yml", 2, 8)
    assert doc.positions[("service",)].key == Mark("config/deploy.yml", 1, 2)


def test_alias_bomb_is_refused_without_expanding_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        prev = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([prev] * 10)}]")
    doc = parse("\n".join(lines) + "\n")
    assert not doc.parsed
    assert any("alias bomb" in f.message for f in doc.findings)


def test_ruby_object_tags_are_reported_and_symbols_allowed() -> None:
    doc = parse(
        "a: !ruby/object:OpenStruct {x: 1}\nb: !ruby/symbol quiet\nc: !!str 12\n"
    )
    rules = [f.rule for f in doc.findings]
    assert rules == ["ruby-object-tag"]
    assert doc.data["b"] == Symbol("quiet") and doc.data["c"] == "12"


@pytest.mark.parametrize(
    ("text", "rejects", "undecided"),
    [
        # Checked by Kamal: a Ruby object there fails its type check.
        ("builder:\n  args: !ruby/object:Object {}\n", True, False),
        ("servers:\n  web:\n    options:\n      restart: !ruby/object:Object {}\n",
         True, False),
        # Never looked at: a class every Ruby can build loads and passes...
        ("builder:\n  args:\n    A: !ruby/object:Object {}\n", False, False),
        ("x-notes: !ruby/object:Time {}\n", False, False),
        ("logging:\n  options:\n    max-size: !ruby/object:Object {}\n", False, False),
        # An env variable that happens to be called options is checked.
        ("env:\n  clear:\n    options:\n      a: !ruby/object:Object {}\n", True, False),
        # ...while whether Kamal's Ruby knows any other class, dockmig cannot tell.
        ("builder:\n  args:\n    A: !ruby/object:Acme::Thing {}\n", False, True),
        ("servers:\n  web:\n    options:\n      cpus: !ruby/object:Integer {}\n",
         False, True),
    ],
)  # fmt: skip
def test_a_ruby_object_rejects_where_kamal_looks_and_is_doubted_where_not(
    text: str, rejects: bool, undecided: bool
) -> None:
    doc = parse(text)
    (finding,) = [f for f in doc.findings if f.rule == "ruby-object-tag"]
    assert finding.kamal_rejects is rejects
    assert (doc.undecided is not None) is undecided


def test_suppression_comment_covers_its_line_or_the_next() -> None:
    doc = parse("a: 1  # dockmig: ignore[x, y]\n# dockmig: ignore[z]\n\nb: 2\n")
    assert doc.suppressions == {1: {"x", "y"}, 4: {"z"}}


@pytest.mark.parametrize(
    "text",
    [
        'a: "x # dockmig: ignore[schema]"\n',
        "a: 'x #dockmig:ignore[schema]'\n",
        "a: |\n  echo # dockmig: ignore[schema]\n",
        'a: [q, "# dockmig: ignore[schema]"]\n',
        "a: x#dockmig:ignore[schema]\n",
    ],
)
def test_ignore_text_inside_a_value_is_data_not_a_comment(text: str) -> None:
    doc = parse(text)
    assert doc.parsed
    assert doc.suppressions == {}
    assert doc.suppression_comments == []


def test_every_ignore_comment_counts_and_lines_end_only_at_line_breaks() -> None:
    # A form feed or U+2028 inside a line is no line break to the reader.
    text = (
        "a: |  # dockmig: ignore[x]\n  text\n"
        "b: 1 # note \f\u2028 # dockmig: ignore[y] # dockmig: ignore[z]\n"
    )
    doc = parse(text)
    assert doc.suppressions == {1: {"x"}, 3: {"y", "z"}}
    first, _text, third = text.split("\n")[:3]
    columns = [(c.line, c.column, c.rule) for c in doc.suppression_comments]
    assert columns == [
        (1, first.index("[x]") + 2, "x"),
        (3, third.index("[y]") + 2, "y"),
        (3, third.index("[z]") + 2, "z"),
    ]


def test_empty_file_parses_to_nothing() -> None:
    doc = parse("# only a comment\n")
    assert doc.parsed and doc.data is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"a: \xe9t\xe9\n", "not UTF-8"),
        (b"\xff\xfea\x00:\x00", "UTF-16"),
    ],
)
def test_undecodable_bytes_are_one_line_with_a_position(
    raw: bytes, message: str
) -> None:
    with pytest.raises(DockmigError) as raised:
        document.decode(raw, "config/deploy.yml")
    assert message in str(raised.value)
    assert str(raised.value).startswith("config/deploy.yml:1:")


def test_directory_instead_of_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DockmigError, match="is a directory"):
        document.read_text(tmp_path, "config/deploy.yml")


@settings(max_examples=200, deadline=None)
@given(
    comments=st.lists(
        st.text(alphabet=st.sampled_from("ab #:\t\ufeff\u00e9\u4e2d-"), max_size=30),
        min_size=1,
        max_size=6,
    )
)
def test_skipping_a_comment_at_once_keeps_every_position(comments: list[str]) -> None:
    # The scanner jumps over a comment in one step; every node must keep the
    # mark ruamel's character-by-character reader gives it.
    text = "".join(
        f"key{n}: value{n}  #{comment}\n#{comment}\n"
        for n, comment in enumerate(comments)
    )

    def marks(source: str) -> list[tuple[int, int, int]]:
        tree = yamlspans.compose(source)
        assert tree.root is not None
        found = []
        for key, value in tree.root.value:
            for node in (key, value):
                for mark in (node.start_mark, node.end_mark):
                    found.append((mark.index, mark.line, mark.column))
        return found

    fast = marks(text)
    original = document._skip_comment

    def one_at_a_time(reader: Any) -> None:
        while reader.peek() not in document._LINE_ENDS:
            reader.forward()

    document._skip_comment = one_at_a_time
    try:
        slow = marks(text)
    finally:
        document._skip_comment = original
    assert fast == slow


def test_a_reused_anchor_name_refers_to_the_later_one_without_a_warning() -> None:
    # ruamel's warning prints the lines around both anchors, values included.
    import warnings

    text = "a: &x first-value\nb: &x second-value\nc: *x\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = parse(text)
        tree = yamlspans.compose(text)

    assert parsed.data == {"a": "first-value", "b": "second-value", "c": "second-value"}
    assert tree.root is not None
    assert [str(w.message) for w in caught] == []


def test_erb_offsets_count_the_byte_order_mark_set_aside() -> None:
    source = '\ufeffservice: <%= ENV["NAME"] %>\nimage: <%= File.read("x") %>\n'
    rendered = parse(source, {"NAME": "shop"}).rendered

    assert [source[t.start : t.end] for t in rendered.tags] == [
        '<%= ENV["NAME"] %>',
        '<%= File.read("x") %>',
    ]
    assert [source[t.start : t.end] for t in rendered.effectful] == [
        '<%= File.read("x") %>'
    ]
    assert [source[t.start : t.end] for t in rendered.opaque.values()] == [
        '<%= File.read("x") %>'
    ]
