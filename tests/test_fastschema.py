"""dockmig.fastschema says yes or no exactly where jsonschema does.

`dockmig lint` trusts fastschema's "valid" without asking jsonschema, so a
single disagreement would hide an error. The verdicts are compared on every
deploy file the tests hold (schema cases, rule examples, the corpus, merged
destinations), on generated mutations of them, and on generated instances
of the settings and secrets schemas and of single keywords.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, validators

from dockmig import bundled, fastschema, project
from dockmig.document import parse_yaml_text
from dockmig.rules.schema import string_keys
from dockmig.rules.schema import validator as kamal_validator
from dockmig.yaml11 import Symbol
from tests.conftest import corpus_dir

DATA = Path(__file__).parent / "data"


def _deploy_files() -> Iterator[Path]:
    yield from sorted((DATA / "schema").rglob("*.yml"))
    yield from sorted((DATA / "rules").rglob("deploy*.yml"))
    corpus = corpus_dir()
    if corpus is not None:
        yield from sorted(corpus.rglob("config/deploy*.yml"))


@cache
def deploy_instances() -> dict[str, Any]:
    """Every deploy file's data, and each destination merged over its base."""
    environ = dict(os.environ)
    found: dict[str, Any] = {}
    for path in _deploy_files():
        try:
            data = parse_yaml_text(path.read_text("utf-8"), environ)
        except (UnicodeDecodeError, OSError):
            continue
        found[str(path)] = data
        base = path.with_name("deploy.yml")
        if path.name != "deploy.yml" and base.exists():
            base_data = parse_yaml_text(base.read_text("utf-8"), environ)
            merged, _positions = project.deep_merge(base_data, {}, data, {})
            found[f"{path} over {base.name}"] = merged
    return found


def kamal_verdict(instance: Any) -> bool:
    return bool(kamal_validator().is_valid(instance))


def test_the_files_compared_include_both_verdicts() -> None:
    verdicts = {
        kamal_verdict(string_keys(data)[0]) for data in deploy_instances().values()
    }
    assert len(deploy_instances()) > 300
    assert verdicts == {True, False}


def test_every_deploy_file_gets_jsonschemas_verdict() -> None:
    schema = bundled.load("deploy")
    disagree = {}
    for name, data in deploy_instances().items():
        instance, _originals = string_keys(data)
        ours = fastschema.is_valid(schema, instance, strict_integers=True)
        theirs = kamal_verdict(instance)
        if ours is not theirs:
            disagree[name] = (ours, theirs)
    assert not disagree


# --- generated instances

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.sampled_from([0, 1, 1.0, 0.0, 5.0, 65535, 65536, -1, True, False]),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "amd64",
            "arm64",
            "localhost:5555",
            "registry.example.com",
            "web",
            "192.0.2.10",
            "x-extra",
            "KAMAL_REGISTRY_PASSWORD",
            "tls",
            "auto",
            "local",
            "remote",
        ]
    ),
    st.dates(),
    st.builds(Symbol, st.sampled_from(["web", "service", "host", "amd64"])),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any, how: str) -> Any:
    if not path:
        if how == "add" and isinstance(value, dict) and isinstance(new, dict):
            return {**value, **new}
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if how == "delete" and not rest:
            del copy[head]
        else:
            copy[head] = _replaced(value[head], rest, new, how)
        return copy
    copy_list = list(value)
    if how == "delete" and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replaced(value[head], rest, new, how)
    return copy_list


@cache
def _seeds() -> list[Any]:
    return [string_keys(data)[0] for data in deploy_instances().values()]


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_deploy_configs_get_jsonschemas_verdict(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(_seeds()))
    path = data.draw(st.sampled_from(list(_paths(seed))))
    how = data.draw(st.sampled_from(["replace", "add", "delete"]))
    if how == "delete" and not path:
        how = "replace"
    new = data.draw(_VALUES)
    instance = _replaced(seed, path, new, how)
    expected = kamal_verdict(instance)
    ours = fastschema.is_valid(bundled.load("deploy"), instance, strict_integers=True)
    # A non-string key sends the question to jsonschema; otherwise an answer.
    assert ours is expected or ours is None


@pytest.mark.parametrize("name", ["settings", "secrets"])
@settings(max_examples=300, deadline=None, derandomize=True)
@given(instance=_VALUES)
def test_other_bundled_schemas_get_jsonschemas_verdict(
    name: str, instance: Any
) -> None:
    schema = bundled.load(name)
    expected = Draft202012Validator(schema).is_valid(instance)
    assert fastschema.is_valid(schema, instance) in (expected, None)


# Kamal's integers, as dockmig.rules.schema builds its validator.
KamalIntegers = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "integer",
        lambda _checker, value: isinstance(value, int) and not isinstance(value, bool),
    ),
)

_KEYWORD_SCHEMAS = [
    {"enum": [1, True, "1", [1], {"a": 1}, None, 0.0]},
    {"const": 1},
    {"const": [True, {"a": 0}]},
    {"uniqueItems": True},
    {"type": "integer"},
    {"type": ["number", "null"]},
    {"minimum": 1, "exclusiveMaximum": 10},
    {"minLength": 2, "maxLength": 3, "pattern": "^a"},
    {"minItems": 1, "maxItems": 2, "items": {"type": "string"}},
    {"minProperties": 1, "maxProperties": 2, "propertyNames": {"pattern": "^x"}},
    {
        "properties": {"a": {"type": "string"}},
        "patternProperties": {"^b": {"type": "integer"}},
        "additionalProperties": False,
    },
    {"additionalProperties": {"type": "boolean"}},
    {"if": {"required": ["a"]}, "then": {"required": ["b"]}, "else": {"not": {}}},
    {"oneOf": [{"type": "string"}, {"minLength": 1}]},
    {"anyOf": [{"type": "array"}, {"type": "object"}], "allOf": [{"not": False}]},
    {"dependentSchemas": {"a": {"required": ["c"]}}},
    {"$defs": {"s": {"type": "string"}}, "items": {"$ref": "#/$defs/s"}},
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("schema", _KEYWORD_SCHEMAS, ids=repr)
@settings(max_examples=150, deadline=None, derandomize=True)
@given(instance=_VALUES)
def test_each_keyword_reads_as_jsonschema_reads_it(
    schema: dict[str, Any], strict: bool, instance: Any
) -> None:
    expected = (KamalIntegers if strict else Draft202012Validator)(schema).is_valid(
        instance
    )
    assert fastschema.is_valid(schema, instance, strict_integers=strict) in (
        expected,
        None,
    )


def test_what_it_does_not_cover_goes_to_jsonschema() -> None:
    assert fastschema.is_valid({"format": "email"}, "x") is None
    assert fastschema.is_valid({"$ref": "https://example.com/s.json"}, 1) is None
    assert fastschema.is_valid({"prefixItems": [], "items": {}}, [1]) is None
    assert fastschema.is_valid({"patternProperties": {"^a": {}}}, {1: 2}) is None
    assert fastschema.is_valid({"type": "string"}, "x") is True


def test_true_is_not_one_and_dates_are_no_strings() -> None:
    assert fastschema.is_valid({"enum": [1]}, True) is False
    assert fastschema.is_valid({"const": 1}, 1.0) is True
    assert fastschema.is_valid({"uniqueItems": True}, [1, True]) is True
    assert fastschema.is_valid({"uniqueItems": True}, [1, 1.0]) is False
    assert fastschema.is_valid({"type": "string"}, dt.date(2024, 1, 1)) is False
    assert fastschema.is_valid({"type": "integer"}, 5.0) is True
    assert fastschema.is_valid({"type": "integer"}, 5.0, strict_integers=True) is False
