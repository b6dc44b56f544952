"""dockmig.secrets: Kamal's dotenv dialect, positions, kinds, problems, resolution."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dockmig.secrets import (
    KEY_PATTERN,
    SecretEntry,
    SecretsFile,
    ValueKind,
    parse_secrets,
    resolve_references,
    secrets_instance,
)
from tests.conftest import corpus_dir

CORPUS = corpus_dir()
KAMAL_CORPUS = CORPUS / "kamal"


def secrets_schema() -> dict[str, Any]:
    schema = resources.files("dockmig.schemas").joinpath("kamal-secrets.schema.json")
    loaded: dict[str, Any] = json.loads(schema.read_text("utf-8"))
    return loaded


def parse(text: str) -> SecretsFile:
    return parse_secrets(text, ".kamal/secrets")


def codes(file: SecretsFile) -> list[tuple[str, int, int]]:
    return [(p.code, p.line, p.column) for p in file.problems]


def only(file: SecretsFile, name: str) -> SecretEntry:
    entry = file.get(name)
    assert entry is not None, f"{name} not parsed; names: {sorted(file.names())}"
    return entry


def resolved(text: str, environ: dict[str, str] | None = None) -> dict[str, str | None]:
    return resolve_references(parse(text), environ or {})


# -- line syntax ---------------------------------------------------------------


def test_the_three_assignment_forms_define_secrets_at_their_key() -> None:
    file = parse("A=1\nexport B=2\nC: 3\n")

    assert [(e.name, e.line, e.column, e.exported) for e in file.entries] == [
        ("A", 1, 1, False),
        ("B", 2, 8, True),
        ("C", 3, 1, False),
    ]
    assert resolved("A=1\nexport B=2\nC: 3\n") == {"A": "1", "B": "2", "C": "3"}
    assert file.problems == []


def test_value_position_is_the_first_character_of_the_value() -> None:
    file = parse('A =   x\nB="y"\n  C:  z\n')

    assert (only(file, "A").value_line, only(file, "A").value_column) == (1, 7)
    assert (only(file, "B").value_line, only(file, "B").value_column) == (2, 3)
    assert (only(file, "C").line, only(file, "C").column) == (3, 3)
    assert (only(file, "C").value_line, only(file, "C").value_column) == (3, 7)


def test_keys_may_hold_letters_digits_underscore_and_dot() -> None:
    file = parse("a.b_C9=1\n")

    assert file.names() == {"a.b_C9"}
    assert re.fullmatch(KEY_PATTERN.strip("^$"), "a.b_C9")


@pytest.mark.parametrize(
    "line",
    ["KEY-WITH-DASH=1", "KÉY=1", "KEY : 1", "KEY:1", "if [ -n x ]; then", "echo hi"],
)
def test_lines_dotenv_does_not_match_are_reported_as_ignored(line: str) -> None:
    file = parse(f"A=1\n  {line}\nB=2\n")

    assert file.names() == {"A", "B"}
    assert codes(file) == [("ignored-line", 2, 3)]


def test_comment_and_blank_lines_are_not_problems() -> None:
    file = parse("# a comment\n\n   \n\t# indented comment\nA=1 # trailing\n")

    assert file.names() == {"A"}
    assert file.problems == []


def test_unquoted_value_ends_at_the_first_hash_even_without_a_space() -> None:
    assert resolved("A=abc#def\nB=  spaced out  # note\n") == {
        "A": "abc",
        "B": "spaced out",
    }


def test_a_hash_inside_quotes_is_part_of_the_value() -> None:
    assert resolved("A='x#y'\nB=\"x # y\"\n") == {"A": "x#y", "B": "x # y"}


def test_export_without_value_is_a_format_error_when_the_key_is_new() -> None:
    file = parse("export TOKEN\n")

    assert file.entries == []
    assert codes(file) == [("format-error", 1, 8)]
    assert file.problems[0].kamal_rejects
    assert file.problems[0].name == "TOKEN"


def test_export_with_an_empty_value_is_also_a_format_error() -> None:
    # dotenv checks whether its value group matched, and `=` alone leaves it unset.
    assert codes(parse("export TOKEN=\n")) == [("format-error", 1, 8)]


def test_export_without_value_after_a_definition_changes_nothing() -> None:
    file = parse("TOKEN=1\nexport TOKEN\n")

    assert [(e.name, e.line) for e in file.entries] == [("TOKEN", 1)]
    assert file.problems == []
    assert resolve_references(file, {}) == {"TOKEN": "1"}


def test_a_key_named_export_is_still_a_key() -> None:
    assert resolved("export =1\n") == {"export": "1"}


def test_a_bare_key_defines_an_empty_secret() -> None:
    file = parse("fi\n")

    assert only(file, "fi").kind is ValueKind.EMPTY
    assert codes(file) == [("bare-key", 1, 1)]
    assert resolve_references(file, {}) == {"fi": ""}


def test_a_colon_line_takes_the_next_line_as_its_value() -> None:
    file = parse("USER:\nPASSWORD=x\n")

    assert file.names() == {"USER"}
    assert only(file, "USER").kind is ValueKind.LITERAL
    assert (only(file, "USER").value_line, only(file, "USER").value_column) == (2, 1)
    assert codes(file) == [("value-on-next-line", 1, 1)]


def test_a_quoted_value_may_start_on_the_line_after_equals() -> None:
    file = parse("A=\n  'x'\nB=\n")

    assert resolve_references(file, {}) == {"A": "x", "B": ""}
    assert codes(file) == [("value-on-next-line", 1, 1)]


def test_a_key_defined_twice_keeps_the_last_definition() -> None:
    file = parse("A=first\nB=1\nA=$B\n")

    assert [e.name for e in file.entries] == ["A", "B", "A"]
    assert only(file, "A").line == 3
    assert only(file, "A").kind is ValueKind.REFERENCE
    assert codes(file) == [("duplicate-key", 3, 1)]
    assert "first at line 1" in file.problems[0].message
    assert resolve_references(file, {}) == {"A": "1", "B": "1"}


def test_get_returns_none_for_an_unknown_name() -> None:
    assert parse("A=1\n").get("B") is None


# -- quotes and escapes --------------------------------------------------------


def test_single_quotes_are_literal() -> None:
    file = parse("A='$B ${C} $(rm -rf /) \\n \\q'\n")

    entry = only(file, "A")
    assert entry.kind is ValueKind.LITERAL
    assert entry.quote == "'"
    assert entry.references == ()
    assert entry.commands == ()
    assert resolve_references(file, {"B": "b"}) == {"A": "$B ${C} $(rm -rf /) \\n \\q"}


def test_double_quotes_span_lines_and_later_positions_stay_right() -> None:
    text = 'CERT="-----BEGIN-----\nline two\n-----END-----"\nNEXT=1\n  LAST: 2\n'
    file = parse(text)

    assert [(e.name, e.line, e.column) for e in file.entries] == [
        ("CERT", 1, 1),
        ("NEXT", 4, 1),
        ("LAST", 5, 3),
    ]
    assert resolve_references(file, {})["CERT"] == (
        "-----BEGIN-----\nline two\n-----END-----"
    )
    assert file.problems == []


def test_double_quote_escapes_follow_dotenv() -> None:
    # \" is a quote, \q loses its backslash, \$ stays escaped, \n stays as written.
    assert resolved('A="say \\"hi\\" \\q \\$HOME \\n"\n', {"HOME": "/root"}) == {
        "A": 'say "hi" q $HOME \\n'
    }


def test_backslashes_are_dropped_in_unquoted_values_too() -> None:
    assert resolved("A=a\\qb\\\\c\\$D\n") == {"A": "aqb\\c$D"}


def test_linebreak_mode_legacy_turns_backslash_n_into_a_line_break() -> None:
    text = 'DOTENV_LINEBREAK_MODE=legacy\nA="x\\ny"\n'

    assert resolved(text)["A"] == "x\ny"
    assert resolved('A="x\\ny"\n', {"DOTENV_LINEBREAK_MODE": "legacy"}) == {"A": "x\ny"}


def test_linebreak_mode_from_a_command_leaves_escaped_newlines_unresolved() -> None:
    text = 'DOTENV_LINEBREAK_MODE=$(cat mode)\nA="x\\ny"\nB="x"\n'

    assert resolved(text) == {"DOTENV_LINEBREAK_MODE": None, "A": None, "B": "x"}


def test_unterminated_double_quote_keeps_the_quote_and_the_rest_of_the_line() -> None:
    file = parse('A="abc\nB=1\n')

    assert resolve_references(file, {}) == {"A": '"abc', "B": "1"}
    assert only(file, "A").quote == ""
    assert only(file, "B").line == 2
    assert codes(file) == [("unterminated-quote", 1, 3)]


def test_unterminated_single_quote_is_reported_at_the_quote() -> None:
    file = parse("A=1\nTOKEN=  'abc # note\n")

    assert resolve_references(file, {}) == {"A": "1", "TOKEN": "'abc"}
    assert codes(file) == [("unterminated-quote", 2, 9)]


def test_text_after_a_closing_quote_keeps_the_quotes() -> None:
    file = parse("A='x' y\n")

    assert resolve_references(file, {}) == {"A": "'x' y"}
    assert codes(file) == [("text-after-quote", 1, 3)]


def test_an_escaped_quote_may_close_the_value_trying_the_last_one_first() -> None:
    # dotenv backtracks from the last escaped quote, so the value runs to the
    # one before `#2`, not the one before `#1`; checked against dotenv 3.2.
    assert resolved("A='a\\' #1\\' #2' x\n") == {"A": "a\\' #1\\"}
    assert resolved('A="a\\" #1\\" #2" x\nB=2\n') == {"A": 'a" #1\\', "B": "2"}


def test_a_quote_that_swallows_assignments_is_reported() -> None:
    file = parse('A="abc\nB=1\nC="\nD=2\n')

    assert file.names() == {"A", "D"}
    assert codes(file) == [("quote-swallows-lines", 1, 3)]
    assert "line 3" in file.problems[0].message


def test_crlf_and_lone_cr_line_endings_are_normalised() -> None:
    file = parse('A=1\r\nB="x\r\ny"\r\nC=3\rD=4')

    assert [(e.name, e.line) for e in file.entries] == [
        ("A", 1),
        ("B", 2),
        ("C", 4),
        ("D", 5),
    ]
    assert resolve_references(file, {}) == {"A": "1", "B": "x\ny", "C": "3", "D": "4"}
    assert file.problems == []


def test_crlf_value_span_excludes_the_carriage_return() -> None:
    text = "A=abc\r\nB='de'\r\n"
    file = parse(text)

    start, end = only(file, "A").span
    assert text[start:end] == "abc"
    start, end = only(file, "B").span
    assert text[start:end] == "'de'"


def test_byte_order_mark_is_skipped_and_counted_as_a_column() -> None:
    file = parse("\ufeffA=1\nB=2\n")

    assert [(e.name, e.line, e.column) for e in file.entries] == [
        ("A", 1, 2),
        ("B", 2, 1),
    ]
    assert file.problems == []


def test_nul_bytes_are_reported_and_never_break_parsing() -> None:
    file = parse("A=x\0y\nB\0=1\nC=\0\0z\0\n")

    assert file.names() == {"A", "C"}
    assert codes(file) == [
        ("nul-byte", 1, 4),
        ("ignored-line", 2, 1),
        ("nul-byte", 2, 2),
        ("nul-byte", 3, 3),
    ]
    # Ruby's strip removes NUL as it removes blanks.
    assert resolve_references(file, {})["C"] == "z"


# -- references and commands ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "references"),
    [
        ("plain", ValueKind.LITERAL, ()),
        ("", ValueKind.EMPTY, ()),
        ('""', ValueKind.EMPTY, ()),
        ("''", ValueKind.EMPTY, ()),
        ("$PW", ValueKind.REFERENCE, ("PW",)),
        ("${PW}", ValueKind.REFERENCE, ("PW",)),
        ('"${PW}"', ValueKind.REFERENCE, ("PW",)),
        ("postgres://u:${PW}@h", ValueKind.MIXED, ("PW",)),
        ("$A$B", ValueKind.MIXED, ("A", "B")),
        ("\\$PW", ValueKind.LITERAL, ()),
        ("$", ValueKind.LITERAL, ()),
        ("${}", ValueKind.LITERAL, ()),
        ("$(cat key)", ValueKind.COMMAND, ()),
        ('"$(kamal secrets extract X $SECRETS)"', ValueKind.COMMAND, ("SECRETS",)),
        ("x-$(echo ${A})-$B", ValueKind.COMMAND, ("A", "B")),
        ("\\$(cat key)", ValueKind.LITERAL, ()),
        ("\\$(echo $B)", ValueKind.MIXED, ("B",)),
    ],
)
def test_value_kinds_and_references(
    value: str, kind: ValueKind, references: tuple[str, ...]
) -> None:
    entry = only(parse(f"S={value}\n"), "S")

    assert entry.kind is kind
    assert entry.references == references


def test_commands_keep_their_text_with_nested_and_escaped_parentheses() -> None:
    text = "A=$(printf '%s' \"$(date)\")\nB=$(echo \\\\( x \\\\))\nC=$(a)-$(b (c))\n"
    file = parse(text)

    assert only(file, "A").commands == ("printf '%s' \"$(date)\"",)
    # Backslashes go first, so a doubled one is what escapes a parenthesis.
    assert only(file, "B").commands == ("echo \\( x \\)",)
    assert only(file, "C").commands == ("a", "b (c)")
    assert file.problems == []


def test_an_unclosed_command_is_text_and_reported() -> None:
    file = parse("A=x $(echo\nB=$()\n")

    assert [e.kind for e in file.entries] == [ValueKind.LITERAL, ValueKind.LITERAL]
    assert codes(file) == [
        ("unterminated-command", 1, 5),
        ("unterminated-command", 2, 3),
    ]
    assert resolve_references(file, {}) == {"A": "x $(echo", "B": "$()"}


def test_shell_default_syntax_is_reported_where_it_starts() -> None:
    file = parse('D="${KAMAL_DESTINATION:-staging}"\n')

    assert only(file, "D").references == ("KAMAL_DESTINATION",)
    assert codes(file) == [("shell-expansion", 1, 4)]
    assert resolve_references(file, {"KAMAL_DESTINATION": "prod"}) == {
        "D": "prod:-staging}"
    }


def test_reference_names_follow_rubys_case_folding() -> None:
    entry = only(parse("A=$\u017f-$B.C\n"), "A")

    assert entry.references == ("\u017f", "B")


def test_positions_inside_a_multiline_value_map_back_to_the_source() -> None:
    file = parse('A="first\n  \\q $(oops"\n')

    assert codes(file) == [("unterminated-command", 2, 6)]


# -- resolution ----------------------------------------------------------------


def test_names_resolve_from_earlier_keys_then_environment_then_empty() -> None:
    text = "HOST=db\nURL=postgres://$USER@${HOST}/$MISSING\nUSER=late\n"

    assert resolved(text, {"USER": "env-user", "HOST": "env-host"}) == {
        "HOST": "db",
        "URL": "postgres://env-user@db/",
        "USER": "late",
    }


def test_commands_are_never_run_and_their_dependents_stay_unknown() -> None:
    text = "KEY=$(touch /tmp/dockmig-must-not-exist)\nCOPY=$KEY\nOTHER=x\n"

    assert resolved(text) == {"KEY": None, "COPY": None, "OTHER": "x"}
    assert not Path("/tmp/dockmig-must-not-exist").exists()


@pytest.mark.usefixtures("corpus")
def test_corpus_environment_resolves_references() -> None:
    environ = _corpus_environ()
    environ["DB_PASSWORD"] = "from-shell"
    text = (
        KAMAL_CORPUS / "003-local-registry-port5000-auth/.kamal/secrets"
    ).read_text()

    values = resolve_references(parse(text), environ)

    assert values["RAILS_MASTER_KEY"] is None
    assert values["BACKEND_DATABASE_PASSWORD"] == "from-shell"
    assert values["KAMAL_REGISTRY_PASSWORD"] == ""


# -- robustness ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "\ufeff",
        "\0",
        "=",
        ":",
        "export",
        "export ",
        '"',
        "A=\\",
        "A='\\",
        "A=\ud800",
        "A=$(" + "(" * 200_000,
        "A=$" + "(x" * 50_000 + ")" * 50_000,
        "A=" + "${" * 50_000,
        'A="' + '\\"' * 50_000,
    ],
)
def test_odd_input_never_raises(text: str) -> None:
    file = parse(text)

    for problem in file.problems:
        assert problem.line >= 1 and problem.column >= 1


def test_deeply_nested_command_is_one_command() -> None:
    depth = 100_000
    file = parse("A=$" + "(x" * depth + ")" * depth + "\n")

    assert only(file, "A").kind is ValueKind.COMMAND
    assert len(only(file, "A").commands) == 1


def test_a_two_megabyte_line_is_read_whole() -> None:
    value = "k" * 2_000_000
    file = parse(f"BIG={value}\nNEXT=1\n")

    assert resolve_references(file, {}) == {"BIG": value, "NEXT": "1"}
    assert only(file, "NEXT").line == 2


# -- schema instance -----------------------------------------------------------


def test_instance_validates_and_holds_no_values() -> None:
    text = "A=hunter2\nexport B=${A}\nC=$(cat hunter3)\nD=pre-$A\nE=\nA=again\n"
    instance = secrets_instance(parse(text))

    jsonschema.Draft202012Validator(secrets_schema()).validate(instance)
    assert instance == {
        "A": {"kind": "literal", "line": 6, "exported": False, "references": []},
        "B": {"kind": "reference", "line": 2, "exported": True, "references": ["A"]},
        "C": {"kind": "command", "line": 3, "exported": False, "references": []},
        "D": {"kind": "mixed", "line": 4, "exported": False, "references": ["A"]},
        "E": {"kind": "empty", "line": 5, "exported": False, "references": []},
    }
    dumped = json.dumps(instance)
    assert "hunter" not in dumped and "again" not in dumped


@pytest.mark.parametrize(
    "instance",
    [
        {
            "BAD-NAME": {
                "kind": "literal",
                "line": 1,
                "exported": False,
                "references": [],
            }
        },
        {"A": {"kind": "secret", "line": 1, "exported": False, "references": []}},
        {"A": {"kind": "literal", "line": 0, "exported": False, "references": []}},
        {"A": {"kind": "literal", "line": 1, "exported": False}},
        {
            "A": {
                "kind": "literal",
                "line": 1,
                "exported": False,
                "references": [],
                "value": "x",
            }
        },
        {"A": {"kind": "mixed", "line": 1, "exported": False, "references": ["B.C"]}},
    ],
)
def test_schema_rejects_what_dotenv_cannot_produce(instance: object) -> None:
    validator = jsonschema.Draft202012Validator(secrets_schema())

    assert not validator.is_valid(instance)


def test_schema_describes_every_property() -> None:
    schema = secrets_schema()
    assert schema["$id"] == "urn:dockmig:schema:kamal-secrets"
    jsonschema.Draft202012Validator.check_schema(schema)

    secret = schema["$defs"]["secret"]
    described = [schema, schema["propertyNames"], secret]
    described += list(secret["properties"].values())
    described.append(secret["properties"]["references"]["items"])
    for part in described:
        assert part.get("title") and part.get("description"), part


# -- the corpus ----------------------------------------------------------------


def _corpus_environ() -> dict[str, str]:
    lines = (CORPUS / "corpus.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _corpus_secrets() -> list[Path]:
    return sorted(KAMAL_CORPUS.glob("*/.kamal/secrets*"))


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize(
    "path", _corpus_secrets(), ids=lambda p: f"{p.parts[-3]}/{p.name}"
)
def test_corpus_assignment_lines_become_entries_at_their_key(path: Path) -> None:
    # An independent reading: every `NAME=` line at the start of a line.
    text = _read(path)
    expected = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = re.match(r"(\s*(?:export\s+)?)([A-Za-z0-9_.]+)=", line)
        if found:
            expected.append((found.group(2), number, len(found.group(1)) + 1))

    file = parse_secrets(text, str(path))

    # The bash script's `fi` and `else` are bare keys, with no `=` to find.
    assignments = [(e.name, e.line, e.column) for e in file.entries]
    assert [a for a in assignments if a[0] not in {"fi", "else"}] == expected


CORPUS_KINDS: dict[str, dict[str, ValueKind]] = {
    "001-rails81-default-local/.kamal/secrets": {
        "RAILS_MASTER_KEY": ValueKind.COMMAND,
    },
    "003-local-registry-port5000-auth/.kamal/secrets": {
        "RAILS_MASTER_KEY": ValueKind.COMMAND,
        "BACKEND_DATABASE_PASSWORD": ValueKind.REFERENCE,
        "POSTGRES_PASSWORD": ValueKind.REFERENCE,
        "KAMAL_REGISTRY_PASSWORD": ValueKind.REFERENCE,
    },
    "033-drupal-local-destination/.kamal/secrets-common": {
        "DRUPAL_HASH_SALT": ValueKind.REFERENCE,
        "SECRETS": ValueKind.COMMAND,
        "KAMAL_REGISTRY_PASSWORD": ValueKind.COMMAND,
    },
    "036-hub-explicit-tiny-secrets/.kamal/secrets": {},
    "039-anchors-tags-block-scalars/.kamal/secrets": {
        "SECRETS": ValueKind.COMMAND,
        "KAMAL_REGISTRY_PASSWORD": ValueKind.COMMAND,
        "RAILS_MASTER_KEY": ValueKind.COMMAND,
    },
    "049-vultr-empty-secrets/.kamal/secrets.production": {},
    "052-ghcr-servers-in-destination/.kamal/secrets.production": {
        "KAMAL_REGISTRY_PASSWORD": ValueKind.REFERENCE,
        "SECRETS": ValueKind.COMMAND,
        "RAILS_MASTER_KEY": ValueKind.COMMAND,
        "POSTGRES_PASSWORD": ValueKind.COMMAND,
    },
}


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize("name", sorted(CORPUS_KINDS))
def test_corpus_secrets_have_the_kinds_read_by_hand(name: str) -> None:
    file = parse_secrets(_read(KAMAL_CORPUS / name), name)

    assert {e.name: e.kind for e in file.entries} == CORPUS_KINDS[name]
    assert file.problems == []


@pytest.mark.usefixtures("corpus")
@pytest.mark.parametrize(
    "path",
    [p for p in _corpus_secrets() if "047-" not in str(p)],
    ids=lambda p: f"{p.parts[-3]}/{p.name}",
)
def test_corpus_files_other_than_the_bash_script_have_no_problems(path: Path) -> None:
    assert parse_secrets(_read(path), str(path)).problems == []


@pytest.mark.usefixtures("corpus")
def test_corpus_large_files_mix_commands_with_a_few_plain_values() -> None:
    scout = parse(_read(KAMAL_CORPUS / "043-multi-config-ecr-erb/.kamal/secrets"))
    prod = parse(_read(KAMAL_CORPUS / "045-large-commented-prod/.kamal/secrets.prod"))

    assert {
        e.name: e.kind for e in scout.entries if e.kind is not ValueKind.COMMAND
    } == {
        "MANAGED_DATABASE_URL": ValueKind.REFERENCE,
        "REDIS_URL": ValueKind.MIXED,
    }
    assert {
        e.name: e.kind for e in prod.entries if e.kind is not ValueKind.COMMAND
    } == {
        "AWS_REGION": ValueKind.LITERAL,
        "AWS_DEFAULT_REGION": ValueKind.LITERAL,
        "AWS_PAGER": ValueKind.EMPTY,
    }
    values = resolve_references(scout, _corpus_environ())
    assert values["REDIS_URL"] == "redis://:6379/0"
    assert values["MANAGED_DATABASE_URL"] is None
    assert only(prod, "KAMAL_REGISTRY_PASSWORD").references == ("GITHUB_TOKEN",)


@pytest.mark.usefixtures("corpus")
def test_corpus_quoted_commands_are_commands_with_their_references() -> None:
    text = _read(
        KAMAL_CORPUS / "052-ghcr-servers-in-destination/.kamal/secrets.production"
    )

    entry = only(parse(text), "RAILS_MASTER_KEY")

    assert entry.quote == '"'
    assert entry.commands == ("kamal secrets extract RAILS_MASTER_KEY $SECRETS",)
    assert entry.references == ("SECRETS",)


@pytest.mark.usefixtures("corpus")
def test_corpus_bash_script_as_secrets_file() -> None:
    file = parse(_read(KAMAL_CORPUS / "047-bash-secrets-noeol/.kamal/secrets"))

    # dotenv ignores the shell's control flow: both branches assign, the later
    # (staging) one wins, and the words fi and else become empty secrets.
    exported = [
        "KAMAL_REGISTRY_USERNAME",
        "KAMAL_REGISTRY_PASSWORD",
        "RAILS_MASTER_KEY",
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
    ]
    assert file.names() == {*exported, "DESTINATION", "fi", "else"}
    for offset, name in enumerate(exported):
        assert [e.line for e in file.entries if e.name == name] == [
            9 + offset,
            37 + offset,
            44 + offset,
        ]
        assert only(file, name).kind is ValueKind.COMMAND
        assert only(file, name).exported
        assert only(file, name).column == 10
        assert only(file, name).references == ("BWS_ACCESS_TOKEN",)
    assert only(file, "DESTINATION").kind is ValueKind.MIXED

    problems = codes(file)
    ignored = [7, 14, 18, 19, 20, 21, 24, 25, 26, 27, 28, 35, 52, 53, 54]
    assert [line for code, line, _ in problems if code == "ignored-line"] == ignored
    assert [line for code, line, _ in problems if code == "bare-key"] == [
        15,
        22,
        29,
        42,
        49,
        55,
    ]
    duplicates = [line for code, line, _ in problems if code == "duplicate-key"]
    assert duplicates == [*range(37, 42), *range(44, 49)]
    assert ("shell-expansion", 33, 14) in problems
    assert {code for code, _, _ in problems} == {
        "ignored-line",
        "bare-key",
        "duplicate-key",
        "shell-expansion",
    }
