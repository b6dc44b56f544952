"""Inside [ ] and { }, a ':' means what it means to Psych (libyaml, YAML 1.1).

ruamel.yaml reads flow collections as YAML 1.2 does: `[:data]` is a list
holding the text ":data", `[a:]` one holding "a:". libyaml refuses both, so
Kamal cannot load such a file, and lint must say so. Every text here is
given to real Psych (Ruby, installed with Kamal's oracle) and to dockmig's
reader; the verdicts (loads, or is a syntax error) must be the same.
"""

from __future__ import annotations

import json
import random

import pytest

from dockmig import document
from tests.ruby import ruby_lines

PSYCH_PARSES = """
require "yaml"
STDIN.read.split("\\0").each do |text|
  begin
    YAML.parse(text)
    puts "ok"
  rescue Psych::SyntaxError
    puts "error"
  end
end
"""

ATOMS = [
    "a", ":a", "a:", "::a", "a:b", ":", "a: b", "http://x", "a:,", "?a", "a?",
    "a ?b", "-a", "- a", ":a:", "a::", "a:?", "'a':b", '"a":b', "a :b", "a: ",
    "{a: :b}", "{a: b:}", "{a:b}", "{:a}", "{a: :}", "{? a}", "{a:}", "{x: 1, :a}",
    "x:y:z", "1:2",
]  # fmt: skip
FORMS = ["x: [%s]\n", "x: [q, %s]\n", "x: [%s, q]\n", "x: {k: %s}\n", "x: %s\n"]


def psych_verdicts(texts: list[str]) -> list[str]:
    return ruby_lines(PSYCH_PARSES, texts)


def loaded_as_psych_loads(script: str, texts: list[str]) -> list[document.Document]:
    """Each `x: ...` text: Psych's value of x (from `script`), or refused as Psych.

    `script` prints ["ok", value] or ["error", null] per text.
    """
    parsed_texts = []
    for text, line in zip(texts, ruby_lines(script, texts), strict=True):
        kind, expected = json.loads(line)
        parsed = document.parse(text, "config/deploy.yml", {})
        refused = [f for f in parsed.findings if f.kamal_rejects]
        if kind == "ok":
            assert not refused, text
            assert parsed.data == {"x": expected}, text
        else:
            assert refused, text
        parsed_texts.append(parsed)
    return parsed_texts


def our_verdict(text: str) -> str:
    found = document.parse(text, "config/deploy.yml", {}).findings
    return "error" if any(f.rule == "yaml-syntax" for f in found) else "ok"


def disagreements(texts: list[str]) -> list[tuple[str, str, str]]:
    return [
        (text, psych, ours)
        for text, psych in zip(texts, psych_verdicts(texts), strict=True)
        if (ours := our_verdict(text)) != psych
    ]


def test_colons_in_flow_collections_read_as_psych_reads_them() -> None:
    texts = [form % atom for atom in ATOMS for form in FORMS]
    assert not disagreements(texts)


def test_random_flow_texts_read_as_psych_reads_them() -> None:
    # Flow collections used as keys inside flow collections (`[[a]:b]`) are
    # left out: Psych takes them, ruamel's parser refuses them, and no Kamal
    # key can be a list.
    pieces = [*":,ab -'\"#", ": ", ", ", "x:y", "{", "}"]
    rng = random.Random(20261204)
    texts = []
    for _ in range(3000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        texts.append(rng.choice(["x: [%s]\n", "x: {%s}\n", "- [%s]\n"]) % body)
    texts = [t for t in texts if "{{" not in t and "{[" not in t]
    assert not disagreements(texts)


@pytest.mark.parametrize(
    ("text", "at"),
    [("volumes: [:data]\n", (1, 11)), ("volumes: [a, b:]\n", (1, 15))],
)
def test_a_colon_libyaml_refuses_is_a_syntax_error_at_that_colon(
    text: str, at: tuple[int, int]
) -> None:
    (finding,) = document.parse(text, "config/deploy.yml", {}).findings
    assert finding.rule == "yaml-syntax"
    assert (finding.line, finding.column) == at


PSYCH_FLOATS = """
require "json"
require "yaml"
STDIN.read.split("\\0").each do |text|
  begin
    puts JSON.generate(["ok", YAML.unsafe_load(text)["x"]])
  rescue ArgumentError, TypeError
    puts JSON.generate(["error", nil])
  end
end
"""


def test_a_float_tag_makes_what_psych_makes() -> None:
    values = [
        "3", '"3"', "1_000", "abc", "yes", "", "0x1A", "2.5", "-7", "1e3", ".5",
        "5.", "1_0e1_0", "'+1.5E-2'", "0b11", "0o7", "017", "1,000", "12:30",
        "1__0", "'0x1_f'", "1e",
    ]  # fmt: skip
    texts = [f"x: !!float {value}\n" for value in values]
    for parsed in loaded_as_psych_loads(PSYCH_FLOATS, texts):
        if not parsed.findings:
            assert isinstance(parsed.data["x"], float), parsed.source


def test_directives_read_as_psych_reads_them() -> None:
    texts = [
        "%YAML 1.1\n---\na: 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
        "%FOO bar\n---\na: 1\n",
        "%sbuilder:\n",
        "%my-dir\n---\na: 1\n",
        "%\n---\na: 1\n",
        "a: 1\n%x\n",
        "a: '%x'\n",
    ]
    assert not disagreements(texts)
    (finding,) = document.parse("%sbuilder:\n", "config/deploy.yml", {}).findings
    assert (finding.line, finding.column) == (1, 1)
    assert "starts with %" in finding.message


PSYCH_STRINGS = """
require "json"
require "yaml"
STDIN.read.split("\\0").each do |text|
  begin
    puts JSON.generate(["ok", YAML.load(text)], ascii_only: true)
  rescue Psych::SyntaxError
    puts JSON.generate(["error", nil])
  end
end
"""
# libyaml ends a line at NEL, LS and PS too, and so reads indentation after them.
BREAKS = ["\x85", "\u2028", "\u2029"]


def test_nel_ls_and_ps_end_lines_as_they_do_for_psych() -> None:
    forms = [
        "x: a{b}b\n", "x: a{b} b\n", "x: a{b}  b\n", "x:{b}  - a\n", "x: 'a{b}b'\n",
        'x: "a{b}b"\n', "x: |{b}  a{b}  b\n", "a: 1{b}b: 2\n", "x: [a,{b}b]\n",
        "x: a # c{b}y: b\n", "- a{b}- b\n", "x:{b}  y: 1{b}  z: 2\n",
    ]  # fmt: skip
    texts = [form.format(b=b) for form in forms for b in BREAKS]
    for text, line in zip(texts, ruby_lines(PSYCH_STRINGS, texts), strict=True):
        kind, expected = json.loads(line)
        parsed = document.parse(text, "config/deploy.yml", {})
        syntax = [f for f in parsed.findings if f.rule == "yaml-syntax"]
        if kind == "ok":
            assert not syntax, repr(text)
            assert parsed.data == expected, repr(text)
        else:
            assert syntax, repr(text)


def test_random_texts_with_unusual_line_breaks_read_as_psych_reads_them() -> None:
    # Lines a deploy file is made of, joined by any of libyaml's line breaks.
    lines = [
        "a: b", "  c: d", "- e", "  - f", "x: |", "  text", "# note", "y: 'q", "  r'",
        "z: \"s", "  t\"", "k:", "  v", "w: one", "   two", "",
    ]  # fmt: skip
    rng = random.Random(20261205)
    texts = []
    for _ in range(3000):
        chosen = [rng.choice(lines) for _ in range(rng.randint(1, 6))]
        texts.append("".join(line + rng.choice([*BREAKS, "\n"]) for line in chosen))
    assert not disagreements(texts)


PSYCH_VALUES = """
require "json"
require "yaml"
STDIN.read.split("\\0").each do |text|
  begin
    value = YAML.unsafe_load(text)["x"]
    value = value.bytes if value.is_a?(String)
    puts JSON.generate(["ok", value])
  rescue StandardError
    puts JSON.generate(["error", nil])
  end
end
"""


def test_binary_is_decoded_as_psych_decodes_it() -> None:
    rng = random.Random(20261206)
    alphabet = "ABCabc0189+/=@ -_\\"
    values = ["c2hvcA==", "c2h=vcA", "c2hvcA==c2hv", "c", "c2", "//79", ""]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
               for _ in range(300)]  # fmt: skip
    texts = [f"x: !!binary {json.dumps(value)}\n" for value in values]
    for text, line in zip(texts, ruby_lines(PSYCH_VALUES, texts), strict=True):
        kind, expected = json.loads(line)
        parsed = document.parse(text, "config/deploy.yml", {})
        assert kind == "ok", text
        assert not parsed.findings, text
        # Psych's bytes, as text the way dockmig keeps them.
        data = bytes(expected)
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            decoded = data.decode("latin-1")
        assert parsed.data == {"x": decoded}, text


def test_an_ordered_map_is_the_hash_psych_builds() -> None:
    values = [
        "!!omap [{a: 1}, {b: 2}]", "!!omap [{a: 1, c: 3}, {b: 2}]", "!omap [{a: 1}]",
        "!!omap [{a: 1}, {a: 2}]", "!!omap {a: 1}", "!!omap []", "!!omap [a, {b: 2}]",
        "!!omap [{}, {b: 2}]", "!!omap [[a], {b: 2}]", "!!omap [{a: [1, 2]}]",
        "!!omap [[a, b, c]]", "!!omap [[]]", "{m: &m {a: 1}, y: !!omap [*m]}",
    ]  # fmt: skip
    loaded_as_psych_loads(PSYCH_VALUES, [f"x: {value}\n" for value in values])
