"""Property tests over the readers and the span editor, with hostile generators.

They complement the existing properties (tests/test_secrets_properties.py,
tests/test_yaml11.py, tests/test_erb.py, tests/rewrite/test_properties.py)
with what those leave out:

- the span editor: every character outside the edits stays, in order; the
  order edits are given in does not matter; overlaps are refused;
- the ERB masker: text copied through is copied verbatim, and every rendered
  offset maps back into the source, never backwards;
- YAML 1.1 typing: every value it makes can be shown (an integer too long to
  print once crashed lint);
- the deploy reader and the dotenv tokenizer: never raise, whatever the text,
  and every position they give lies inside it;
- rewrite-registry over deploy files written with anchors, merge keys, flow
  mappings, quoted keys, document markers, BOMs and mixed line endings:
  either it refuses and writes nothing, or what it writes parses to the
  intended data; moving to the registry already used changes no byte; moving
  away and back restores what Kamal loads.

`benchmarks/fuzz.py` drives the same entry points with atheris.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dockmig import document, erb, spans
from dockmig.codemod import is_local
from dockmig.rewrite_command import run
from dockmig.secrets import parse_secrets
from dockmig.yaml11 import resolve_plain
from tests.tabs import tab_variants

LINE_BREAK = re.compile(r"\r\n|\r|\n")
SOME = settings(max_examples=150, deadline=None)
FEW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- the span editor


@st.composite
def texts_with_edits(draw: Any) -> tuple[str, list[spans.Edit]]:
    text = draw(st.text(alphabet="ab \n\r\t:#-é", max_size=40))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits = []
    for index, (start, end) in enumerate(zip(cuts[::2], cuts[1::2], strict=False)):
        replacement = draw(st.text(alphabet="xyz\n", max_size=5))
        edits.append(spans.Edit(start, end, replacement, order=index))
    return text, edits


@SOME
@given(texts_with_edits(), st.randoms())
def test_every_character_outside_the_edits_stays_in_order(
    case: tuple[str, list[spans.Edit]], shuffle: Any
) -> None:
    text, edits = case
    expected, position = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end > e.start, e.order)):
        expected += [text[position : edit.start], edit.replacement]
        position = edit.end
    expected.append(text[position:])

    shuffled = list(edits)
    shuffle.shuffle(shuffled)

    assert spans.apply(text, shuffled) == "".join(expected)
    assert spans.apply(text, []) == text


@SOME
@given(st.text(max_size=30), st.integers(0, 30), st.integers(1, 10))
def test_edits_claiming_the_same_characters_are_refused(
    text: str, start: int, width: int
) -> None:
    assume(start + width + 1 <= len(text))
    overlapping = [
        spans.Edit(start, start + width, "a"),
        spans.Edit(start + width - 1, start + width + 1, "b"),
    ]
    try:
        spans.apply(text, overlapping)
    except spans.OverlappingEdits:
        return
    raise AssertionError("overlapping edits were applied")


@SOME
@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=6), st.data())
def test_verified_passes_exactly_when_the_parse_is_the_intended_data(
    items: list[str], data: Any
) -> None:
    text = ",".join(items)
    index = data.draw(st.integers(0, len(items) - 1))
    new = data.draw(st.sampled_from(["a", "b", "c"]))
    start = sum(len(item) + 1 for item in items[:index])
    edit = spans.Edit(start, start + len(items[index]), new)
    wanted = data.draw(st.sampled_from(["a", "b", "c"]))

    def parse(value: str) -> list[str]:
        return value.split(",")

    def intended(before: list[str]) -> list[str]:
        return [*before[:index], wanted, *before[index + 1 :]]

    try:
        spans.verified(text, [edit], parse, intended)
    except spans.VerificationFailed:
        assert new != wanted
    else:
        assert new == wanted


# --- the ERB masker


ERB_TAGS = [
    '<%= ENV["REGISTRY"] %>',
    "<%= ENV.fetch('PORT', '80') %>",
    "<%= `hostname`.strip %>",
    "<%# a comment %>",
    "<% if ENV['CI'] %>",
    "<% end %>",
    "<%- x = 1 -%>",
    "<%% literal %>",
    '<%= "a#{ENV["B"]}c" %>',
    "<%= (((ENV['N']))) %>",
]


@st.composite
def erb_sources(draw: Any) -> str:
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(ERB_TAGS),
                st.text(alphabet="ab: -\n\r\t#%<>=\"'", max_size=12),
            ),
            max_size=12,
        )
    )
    return "".join(pieces)


@SOME
@given(
    erb_sources(),
    st.dictionaries(st.sampled_from(["REGISTRY", "B", "N"]), st.text(max_size=5)),
)
def test_copied_text_is_verbatim_and_offsets_map_back_in_order(
    source: str, environ: dict[str, str]
) -> None:
    rendered = erb.render(source, environ)

    for rendered_start, source_start, length in rendered._segments:
        if length >= 0:
            assert (
                rendered.text[rendered_start : rendered_start + length]
                == source[source_start : source_start + length]
            )
    mapped = [rendered.source_offset(i) for i in range(len(rendered.text) + 1)]
    assert all(0 <= offset <= len(source) for offset in mapped)
    assert mapped == sorted(mapped)
    for problem in rendered.problems:
        assert 0 <= problem.offset <= len(source)


@SOME
@given(st.text(max_size=60).filter(lambda t: "<%" not in t))
def test_text_without_erb_renders_as_itself(source: str) -> None:
    rendered = erb.render(source, {})
    assert rendered.text == source
    assert not rendered.problems


# --- YAML 1.1 typing and the deploy reader


NUMBERISH = st.text(alphabet="0123456789abcdefxob_,.:+-eE", min_size=1, max_size=40)
LONG_NUMBERS = st.builds(
    lambda prefix, digit, count: prefix + digit * count,
    st.sampled_from(["", "-", "+", "0x", "0b", "0", "1:"]),
    st.sampled_from(["1", "7", "9", "f"]),
    st.integers(1, 20_000),
)


@SOME
@given(st.one_of(NUMBERISH, LONG_NUMBERS))
def test_every_typed_scalar_can_be_shown(text: str) -> None:
    value = resolve_plain(text)
    assert isinstance(repr(value), str)
    assert isinstance(str(value), str)
    assert isinstance(f"{value}", str)


YAMLISH = "ab01: -\n\r\t#&*!<>|[]{},?'\"%@`~\ufeff\0"


@FEW
@given(st.text(alphabet=YAMLISH, max_size=120))
def test_the_deploy_reader_never_raises_and_points_inside_the_file(
    source: str,
) -> None:
    parsed = document.parse(source, "config/deploy.yml", {})
    lines = len(LINE_BREAK.split(source))
    for finding in parsed.findings:
        assert 1 <= finding.line <= lines, finding
        assert finding.column >= 1, finding


@FEW
@given(st.text(alphabet="AB_=$(){}'\"#\\ \t\n\r\0x", max_size=200))
def test_the_dotenv_tokenizer_never_raises_and_points_inside_the_file(
    text: str,
) -> None:
    parsed = parse_secrets(text, ".kamal/secrets")
    lines = len(LINE_BREAK.split(text))
    for entry in parsed.entries:
        assert 1 <= entry.line <= lines and 1 <= entry.value_line <= lines
    for problem in parsed.problems:
        assert 1 <= problem.line <= lines


# --- rewrite-registry over deploy files written in every way YAML allows


NEW = "registry.example.com"
SECRET = "KNOT_REGISTRY_PASSWORD"
LOCAL = "localhost:5555"


@st.composite
def deploy_files(draw: Any) -> tuple[str, str, bool]:
    """A deploy.yml on the local registry, the image a move gives it, and
    whether the image as written repeats the registry host (a move drops that
    for good, so no move back restores it)."""
    server = draw(st.sampled_from([LOCAL, f'"{LOCAL}"', f"'{LOCAL}'"]))
    # No tab before a comment here: see the test after the properties.
    comment = draw(st.sampled_from(["", "  # the Mac's registry"]))
    form = draw(st.sampled_from(["block", "flow", "quoted-keys", "anchor", "merge"]))
    if form == "block":
        registry = ["registry:", f"  server: {server}{comment}"]
    elif form == "flow":
        registry = [f"registry: {{server: {server}}}{comment}"]
    elif form == "quoted-keys":
        registry = ['"registry":', f'  "server": {server}{comment}']
    elif form == "anchor":
        registry = [
            "x-registry: &registry",
            f"  server: {server}",
            "registry: *registry",
        ]
    else:
        registry = [
            "x-registry: &registry",
            f"  server: {server}",
            "registry:",
            "  <<: *registry",
        ]

    image = draw(st.sampled_from([None, "shop", f"{LOCAL}/shop", '"shop"']))
    lines = draw(st.sampled_from([[], ["---"], ["# deploy.yml", "---"]]))
    lines += ["service: shop"]
    if image is not None:
        lines.append(f"image: {image}")
    lines += ["servers:", "  web:", "    - 192.0.2.10"]
    lines += registry
    lines += [
        "builder:",
        "  arch: amd64",
        "env:",
        "  secret:",
        "    - RAILS_MASTER_KEY",
    ]
    if draw(st.booleans()):
        lines.append("...")

    breaks = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    text = ""
    for index, line in enumerate(lines):
        trailing = draw(st.sampled_from(["", "", " "])) if line else ""
        end = ("\n", "\r\n")[index % 2] if breaks == "mixed" else breaks
        text += line + trailing + end
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    used = "shop" if image is None else image.strip('"').removeprefix(f"{LOCAL}/")
    return text, used, image is not None and LOCAL in image


def _project(root: Path, deploy: str) -> None:
    (root / "config").mkdir()
    (root / ".kamal").mkdir()
    (root / "config" / "deploy.yml").write_bytes(deploy.encode("utf-8"))
    (root / ".kamal" / "secrets-common").write_text(
        "RAILS_MASTER_KEY=$RAILS_MASTER_KEY\n"
    )


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _move(root: Path, to: str, **credentials: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(root, to=to, mode="write", out=out, environ={}, **credentials)  # type: ignore[arg-type]
    return code, out.getvalue()


def _loaded(root: Path) -> Any:
    return document.load(root / "config" / "deploy.yml", "config/deploy.yml", {}).data


def _as_kamal_reads(data: dict[str, Any]) -> dict[str, Any]:
    """What matters to Kamal: x- keys ignored; a local registry needs no login."""
    kept = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    registry = dict(kept.get("registry") or {})
    if is_local(registry.get("server")):
        registry.pop("username", None)
        registry.pop("password", None)
        kept.setdefault("image", kept["service"])
    kept["registry"] = registry
    return kept


@FEW
@given(deploy_files())
def test_a_move_either_refuses_and_writes_nothing_or_writes_the_intended_data(
    case: tuple[str, str, bool],
) -> None:
    deploy, image, _repeats = case
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _project(root, deploy)
        before = _tree(root)
        original = _loaded(root)

        code, output = _move(root, NEW, username="admin", password_secret=SECRET)

        if code != 0:
            assert code == 1 and "blocked" in output, output
            assert _tree(root) == before
            return
        moved = _as_kamal_reads(_loaded(root))
        intended = _as_kamal_reads(original)
        intended["registry"] = {
            "server": NEW,
            "username": "admin",
            "password": [SECRET],
        }
        intended["image"] = image
        assert moved == intended, output
        secrets = (root / ".kamal" / "secrets-common").read_text()
        assert f"{SECRET}=${SECRET}" in secrets


@FEW
@given(deploy_files())
def test_moving_to_the_registry_already_used_changes_no_byte(
    case: tuple[str, str, bool],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _project(root, case[0])
        before = _tree(root)

        code, output = _move(root, LOCAL)

        assert code == 0, output
        assert _tree(root) == before


@FEW
@given(deploy_files())
def test_moving_away_and_back_restores_what_kamal_loads(
    case: tuple[str, str, bool],
) -> None:
    # An image that repeats the registry host is corrected on the way out
    # (Kamal would push it to localhost:5555/localhost:5555/...) and stays so.
    assume(not case[2])
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _project(root, case[0])
        original = _as_kamal_reads(_loaded(root))

        code, output = _move(root, NEW, username="admin", password_secret=SECRET)
        assume(code == 0)
        code, output = _move(root, LOCAL)

        assert code == 0, output
        assert _as_kamal_reads(_loaded(root)) == original


# --- tabs, against real Psych


TABBED = """\
# a deploy file, with every kind of blank a tab could stand in for
service: shop # the app
image: acme/shop
servers:
  web:
    - 192.0.2.10
    - 192.0.2.11 # second
registry: {server: localhost:5555, username: deploy}
env:
  clear:
    GREETING: hello there world
    QUOTED: "a b"
  secret: [RAILS_MASTER_KEY, DB_PASSWORD]
"""
PSYCH_DOCUMENTS = """
require "json"
require "yaml"
STDIN.read.split("\\0").each do |text|
  begin
    data = YAML.safe_load(text, aliases: true)
    puts JSON.generate(["ok", data])
  rescue Psych::SyntaxError
    puts JSON.generate(["error", nil])
  end
end
"""


def test_tabs_are_read_as_psych_reads_them() -> None:
    import json

    from tests.ruby import ruby_lines

    variants = tab_variants(TABBED)
    verdicts = [json.loads(line) for line in ruby_lines(PSYCH_DOCUMENTS, variants)]

    disagree = []
    for text, (kind, data) in zip(variants, verdicts, strict=True):
        parsed = document.parse(text, "config/deploy.yml", {})
        ours = ["ok", parsed.data] if parsed.parsed else ["error", None]
        if ours != [kind, data]:
            disagree.append((text, ours, [kind, data]))
    assert not disagree, disagree[:3]


def test_a_tab_before_a_comment_does_not_block_a_move(tmp_path: Path) -> None:
    deploy = (
        "service: shop\nservers:\n  - 192.0.2.10\n"
        f"registry:\n  server: {LOCAL}\t# the Mac's registry\n"
        "builder:\n  arch: amd64\n"
    )
    assert document.parse(deploy, "config/deploy.yml", {}).parsed
    _project(tmp_path, deploy)

    code, output = _move(tmp_path, NEW, username="admin", password_secret=SECRET)

    assert code == 0, output
    assert _loaded(tmp_path)["registry"]["server"] == NEW
