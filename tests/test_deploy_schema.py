"""schemas/kamal-deploy.schema.json gives Kamal 2.12's own verdict.

Each file in tests/data/schema/cases is a small deploy.yml: a complete, valid
config with one thing changed. tests/data/schema/kamal-verdicts.json pins what
Kamal's validator said about it (tests/data/schema/regenerate.py re-runs the
oracle). Every case is decided by a check the schema owns, so the schema must
agree on all of them. tests/data/schema/divergent holds the few inputs that
plain JSON Schema cannot tell apart (Ruby symbols versus strings, 5.0 versus
5, Kamal's URI and line-anchor quirks); they are pinned as expected failures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor

from dockmig.document import parse_yaml_text
from dockmig.rules.schema import string_keys
from dockmig.rules.schema import validator as lint_validator

DATA = Path(__file__).parent / "data" / "schema"
SCHEMA_FILE = Path(__file__).parents[1] / "schemas" / "kamal-deploy.schema.json"
ORACLE = Path("/tmp/kamal-oracle/bin-oracle/kamal-oracle")
IN_CI = os.environ.get("CI") == "true"

# Ten YAML 1.1 cases whose Psych typing differs from YAML 1.2 (check-jsonschema
# reads YAML 1.2); the comparability check must set them aside.
YAML11_ONLY = {
    "cases/require-destination-off",
    "cases/proxy-ssl-on-with-host",
    "cases/proxy-ssl-on-without-host",
    "cases/builder-sbom-yes",
    "cases/proxy-app-port-comma",
    "cases/deploy-timeout-sexagesimal",
    "cases/role-restart-unquoted-no",
    "cases/hooks-output-symbol",
    "cases/service-symbol",
    "cases/accessory-files-octal-mode",
}


def case_files(folder: str) -> list[Path]:
    return sorted((DATA / folder).glob("*.yml"))


def case_key(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text("utf-8"))
    return loaded


def validator() -> Draft202012Validator:
    # Exactly the validator lint uses (Kamal's strict integers included).
    return lint_validator()


@cache
def pinned() -> dict[str, dict[str, Any]]:
    document = json.loads((DATA / "kamal-verdicts.json").read_text("utf-8"))
    verdicts: dict[str, dict[str, Any]] = document["verdicts"]
    return verdicts


def psych_data(path: Path) -> Any:
    return parse_yaml_text(path.read_text("utf-8"))


def schema_accepts(path: Path) -> bool:
    # dockmig's schema rule validates with keys turned into strings (Psych
    # makes `5:` an integer key); the verdict must hold for exactly that input.
    instance, _ = string_keys(psych_data(path))
    return bool(validator().is_valid(instance))


def tool_or_skip(path: Path | None, what: str) -> Path:
    if path is not None and path.exists():
        return path
    if IN_CI:
        pytest.fail(f"{what} is required in CI but was not found")
    pytest.skip(f"{what} not found")


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(schema())

    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema()["$id"] == "urn:dockmig:schema:kamal-deploy:2.12"


def test_schema_passes_check_jsonschema_metaschema_check() -> None:
    cli = tool_or_skip(check_jsonschema_cli(), "check-jsonschema")

    result = subprocess.run(
        [str(cli), "--check-metaschema", str(SCHEMA_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def documented_properties(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every property an editor can show, with its location in the schema.

    Properties named inside if/then/else/dependentSchemas only restate a key
    that is documented where it is declared, so they are left out.
    """
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from documented_properties(item, f"{where}/{index}")
        return
    if not isinstance(node, dict):
        return
    for keyword, value in node.items():
        if keyword in ("if", "then", "else", "dependentSchemas"):
            continue
        if keyword in ("properties", "patternProperties"):
            for name, sub in value.items():
                yield f"{where}/{keyword}/{name}", sub
        yield from documented_properties(value, f"{where}/{keyword}")


def test_every_property_has_a_title_and_a_description() -> None:
    properties = list(documented_properties(schema()))

    undocumented = [
        where
        for where, sub in properties
        if not (isinstance(sub, dict) and sub.get("title") and sub.get("description"))
    ]

    assert len(properties) > 150
    assert undocumented == []


def test_every_case_has_a_pinned_kamal_verdict() -> None:
    files = {
        case_key(p) for folder in ("cases", "divergent") for p in case_files(folder)
    }

    assert files == set(pinned()), "run tests/data/schema/regenerate.py"


def test_cases_cover_both_verdicts() -> None:
    verdicts = [pinned()[case_key(p)]["valid"] for p in case_files("cases")]

    assert verdicts.count(True) >= 100
    assert verdicts.count(False) >= 200


def used_keys(data: Any) -> Iterator[str]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from used_keys(value)
    elif isinstance(data, list):
        for item in data:
            yield from used_keys(item)


def test_every_schema_key_appears_in_a_case_kamal_accepts() -> None:
    forbidden: dict[str, Any] = {"not": {}}
    declared = {
        where.rsplit("/", 1)[1]
        for where, sub in documented_properties(schema())
        if "/properties/" in where and not forbidden.items() <= sub.items()
    }
    accepted = [p for p in case_files("cases") if pinned()[case_key(p)]["valid"]]

    used = {key for path in accepted for key in used_keys(psych_data(path))}

    assert declared - used == set()


@pytest.mark.parametrize("path", case_files("cases"), ids=lambda p: p.stem)
def test_schema_verdict_matches_kamal(path: Path) -> None:
    kamal = pinned()[case_key(path)]

    assert schema_accepts(path) == kamal["valid"], kamal["message"]


@pytest.mark.parametrize("path", case_files("divergent"), ids=lambda p: p.stem)
@pytest.mark.xfail(strict=True, reason="JSON Schema cannot express this Kamal check")
def test_known_divergence_from_kamal(path: Path) -> None:
    kamal = pinned()[case_key(path)]

    assert schema_accepts(path) == kamal["valid"], kamal["message"]


@pytest.mark.oracle
def test_live_kamal_oracle_agrees_with_pins_and_schema() -> None:
    oracle = tool_or_skip(ORACLE, "kamal-oracle")
    files = case_files("cases") + case_files("divergent")

    with tempfile.TemporaryDirectory(prefix="kamal-oracle-root-") as root:
        completed = subprocess.run(
            [str(oracle), "-C", root, "--jsonl", *(str(f) for f in files)],
            capture_output=True,
            text=True,
            check=False,
        )
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    live = {
        case_key(Path(record["path"])): record["valid"]
        for record in map(json.loads, completed.stdout.splitlines())
    }

    assert live == {key: verdict["valid"] for key, verdict in pinned().items()}
    disagreements = [
        case_key(p)
        for p in case_files("cases")
        if schema_accepts(p) != live[case_key(p)]
    ]
    assert disagreements == []


class _TimestampsAsText(SafeConstructor):
    """check-jsonschema keeps YAML timestamps as strings."""


_TimestampsAsText.add_constructor(
    "tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str
)


def yaml12_data(text: str) -> Any:
    """The instance check-jsonschema builds from a YAML file."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _TimestampsAsText
    return text_keys(yaml.load(text))


def text_keys(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): text_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [text_keys(item) for item in data]
    return data


def same_typed(one: Any, two: Any) -> bool:
    """Equal values of exactly the same types (True is not 1, a Symbol not a str)."""
    if type(one) is not type(two):
        return False
    if isinstance(one, dict):
        return one.keys() == two.keys() and all(same_typed(one[k], two[k]) for k in one)
    if isinstance(one, list):
        return len(one) == len(two) and all(map(same_typed, one, two))
    return bool(one == two)


def typed_alike_in_yaml_1_1_and_1_2(path: Path) -> bool:
    text = path.read_text("utf-8")
    try:
        yaml12 = yaml12_data(text)
    except Exception:  # ruamel refuses what Psych accepts, e.g. duplicate keys
        return False
    return same_typed(text_keys(parse_yaml_text(text)), yaml12)


def has_falsy_key(data: Any) -> bool:
    """A `~:` or `no:` key, which Kamal's env check passes over unseen."""
    if isinstance(data, dict):
        return any(k is None or k is False or has_falsy_key(v) for k, v in data.items())
    if isinstance(data, list):
        return any(has_falsy_key(item) for item in data)
    return False


def check_jsonschema_cli() -> Path | None:
    beside_python = Path(sys.executable).with_name("check-jsonschema")
    if beside_python.exists():
        return beside_python
    found = shutil.which("check-jsonschema")
    return Path(found) if found else None


def test_check_jsonschema_agrees_where_yaml_typing_is_the_same() -> None:
    cli = tool_or_skip(check_jsonschema_cli(), "check-jsonschema")
    files = case_files("cases")
    # dockmig's integers are Kamal's (no 3000.0); standard JSON Schema's are not.
    # A null or false key is text to check-jsonschema; dockmig's schema rule
    # drops it where Kamal never looks at it (string_keys).
    comparable = [
        p
        for p in files
        if typed_alike_in_yaml_1_1_and_1_2(p)
        and "integral-float" not in p.stem
        and not has_falsy_key(psych_data(p))
    ]

    completed = subprocess.run(
        [str(cli), "--schemafile", str(SCHEMA_FILE), "--output-format", "json"]
        + [str(p) for p in comparable],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(completed.stdout)
    refused = {Path(error["filename"]).stem for error in report["errors"]}

    assert report["parse_errors"] == []
    assert {case_key(p) for p in files} - {case_key(p) for p in comparable} >= (
        YAML11_ONLY
    )
    assert len(comparable) > 0.8 * len(files)
    disagreements = [
        p.stem for p in comparable if (p.stem not in refused) != schema_accepts(p)
    ]
    assert disagreements == []
