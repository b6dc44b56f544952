"""ERB is rendered as Kamal renders it where that is static, and masked otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockmig import erb

ENV = {"APP_HOST": "app.example.com", "PADDED": "  x  ", "EMPTY": ""}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('ENV["APP_HOST"]', "app.example.com"),
        ("ENV['APP_HOST']", "app.example.com"),
        ('ENV.fetch("APP_HOST")', "app.example.com"),
        ('ENV.fetch("MISSING", "fallback")', "fallback"),
        ("ENV.fetch('MISSING', '')", ""),
        ('ENV["MISSING"]', ""),
        ('ENV["MISSING"] || "dflt"', "dflt"),
        ('ENV["APP_HOST"] || File.read("x")', "app.example.com"),
        ('ENV["PADDED"].strip', "x"),
        ('"#{ENV["APP_HOST"]}:443"', "app.example.com:443"),
        ('"a\\"b"', 'a"b'),
        ("nil", ""),
        ("(ENV['APP_HOST'])", "app.example.com"),
    ],
)
def test_static_expressions_render_like_ruby(code: str, expected: str) -> None:
    rendered = erb.render(f"v: <%= {code} %>\n", ENV)
    assert rendered.text == f"v: {expected}\n"
    assert not rendered.effectful
    assert not rendered.problems


@pytest.mark.parametrize(
    "code",
    [
        "%x(aws ecr get-login-password)",
        "`git describe`",
        "File.read('.ruby-version').strip",
        "SERVER_IP",
        "Rails.env",
    ],
)
def test_code_that_reads_files_or_runs_commands_is_masked_not_run(code: str) -> None:
    rendered = erb.render(f"password: <%= {code} %>\nnext: 1\n", ENV)
    assert rendered.effectful and rendered.effectful[0].code.strip() == code
    token = next(iter(rendered.opaque))
    assert rendered.text == f"password: {token}\nnext: 1\n"
    assert rendered.opaque_tags_in(f"x{token}y")[0].code.strip() == code


def test_pure_but_unknown_value_is_masked_without_making_the_file_effectful() -> None:
    rendered = erb.render("v: <%= RUBY_VERSION %>\n", ENV)
    assert rendered.opaque and not rendered.effectful


def test_fetch_of_an_unset_variable_is_a_certain_failure() -> None:
    rendered = erb.render('a: 1\nb: <%= ENV.fetch("NOPE") %>\n', ENV)
    assert len(rendered.problems) == 1
    problem = rendered.problems[0]
    assert problem.certain and "NOPE" in problem.message
    assert problem.offset == len("a: 1\nb: ")


def test_unclosed_tag_is_reported_where_it_opens() -> None:
    rendered = erb.render("a: 1\nb: <%= ENV['X']\n", ENV)
    assert rendered.problems[0].offset == 8
    assert "never closed" in rendered.problems[0].message


def test_control_flow_marks_the_lines_it_governs_as_conditional() -> None:
    source = "a: 1\n<% if ENV['X'] %>\nb: 2\n<% end %>\nc: 3\n"
    rendered = erb.render(source, ENV)
    assert rendered.text == "a: 1\n\nb: 2\n\nc: 3\n"
    assert rendered.is_conditional(source.index("b: 2"))
    assert not rendered.is_conditional(source.index("c: 3"))
    assert not rendered.is_conditional(source.index("a: 1"))


def test_trim_markers_remove_indentation_and_newline() -> None:
    rendered = erb.render("a: 1\n  <%- x = 1 -%>\nb: 2\n", ENV)
    assert rendered.text == "a: 1\nb: 2\n"


def test_comment_tags_and_escaped_openers() -> None:
    rendered = erb.render("a: <%# note %>1\nb: <%%= x %>\n", ENV)
    assert rendered.text == "a: 1\nb: <%= x %>\n"


def test_positions_map_back_to_the_source() -> None:
    source = 'h: ssh://root@<%= ENV.fetch("APP_HOST") %>/x\nnext: 1\n'
    rendered = erb.render(source, ENV)
    after = rendered.text.index("/x")
    assert source[rendered.source_offset(after)] == "/"
    assert rendered.source_offset(rendered.text.index("next")) == source.index("next")
    inside = rendered.text.index("app.example")
    assert rendered.source_offset(inside) == source.index("<%=")


@given(st.text(alphabet="<%=-#>abc \n\"'()", max_size=60))
def test_rendering_never_raises_and_offsets_stay_in_the_source(source: str) -> None:
    rendered = erb.render(source, ENV)
    for offset in range(len(rendered.text)):
        assert 0 <= rendered.source_offset(offset) <= len(source)
