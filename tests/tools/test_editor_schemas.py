"""The bundled schemas as editors and check-jsonschema use them.

Every key of the settings and secrets schemas carries a title and a
description (what an editor shows on hover), each schema passes
check-jsonschema's metaschema check, and the yaml-language-server modeline
the README shows works with `check-jsonschema --schemafile` on the example
project.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockmig import bundled
from dockmig.cli import main
from tests.conftest import REPO, require

MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)\s*$", re.M)
# Keywords whose value is a schema describing a key or a value of a key.
_SUBSCHEMAS = ("additionalProperties", "propertyNames", "items")


def check_jsonschema() -> str:
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    found = found or shutil.which("check-jsonschema")
    require(found is not None, "check-jsonschema (pip install -e '.[test]')")
    assert found is not None
    return found


def documented(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    """Every schema that describes a key (or its name or items), by location."""
    if not isinstance(node, dict):
        return
    for keyword in ("properties", "patternProperties", "$defs"):
        for name, child in (node.get(keyword) or {}).items():
            yield f"{where}/{keyword}/{name}", child
            yield from documented(child, f"{where}/{keyword}/{name}")
    for keyword in _SUBSCHEMAS:
        child = node.get(keyword)
        if isinstance(child, dict) and "$ref" not in child:
            yield f"{where}/{keyword}", child
            yield from documented(child, f"{where}/{keyword}")
    for keyword in ("anyOf", "oneOf", "allOf"):
        for index, child in enumerate(node.get(keyword) or []):
            yield from documented(child, f"{where}/{keyword}/{index}")


@pytest.mark.parametrize("name", ["settings", "secrets"])
def test_every_key_has_a_title_and_a_description(name: str) -> None:
    schema = bundled.load(name)
    assert schema.get("title") and schema.get("description")
    found = list(documented(schema))
    assert len(found) >= 5
    bare = [
        where
        for where, child in found
        if not (child.get("title") and child.get("description")) and "$ref" not in child
    ]
    assert bare == []


@pytest.mark.parametrize("name", ["deploy", "settings", "secrets"])
def test_schema_passes_check_jsonschema_metaschema_check(
    name: str, tmp_path: Path
) -> None:
    # The schema as `dockmig schema NAME` prints it, which is what users save.
    printed = CliRunner().invoke(main, ["schema", name])
    assert printed.exit_code == 0
    saved = tmp_path / f"{name}.schema.json"
    saved.write_text(printed.stdout)
    result = subprocess.run(
        [check_jsonschema(), "--check-metaschema", str(saved)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["deploy", "secrets", "settings"])
def test_schema_has_a_stable_id(name: str) -> None:
    assert bundled.load(name)["$id"].startswith("urn:dockmig:schema:")


def with_modeline(path: Path, schema: str) -> None:
    path.write_text(f"# yaml-language-server: $schema={schema}\n{path.read_text()}")


def check_as_the_modeline_says(path: Path) -> subprocess.CompletedProcess[str]:
    """What the YAML language server does: the schema relative to the file."""
    match = MODELINE.search(path.read_text())
    assert match is not None
    schema = (path.parent / match.group(1)).resolve()
    return subprocess.run(
        [check_jsonschema(), "--schemafile", str(schema), str(path)],
        capture_output=True,
        text=True,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example project with the schemas saved as the README says."""
    root = tmp_path / "knot"
    shutil.copytree(REPO / "examples" / "knot", root)
    (root / ".dockmig").mkdir()
    for name, file in (
        ("deploy", "kamal-deploy.schema.json"),
        ("settings", "dockmig-settings.schema.json"),
    ):
        printed = CliRunner().invoke(main, ["schema", name])
        (root / ".dockmig" / file).write_text(printed.stdout)
    with_modeline(root / "config/deploy.yml", "../.dockmig/kamal-deploy.schema.json")
    with_modeline(
        root / "config/deploy.staging.yml", "../.dockmig/kamal-deploy.schema.json"
    )
    with_modeline(root / ".dockmig.yml", ".dockmig/dockmig-settings.schema.json")
    return root


@pytest.mark.parametrize(
    "file", ["config/deploy.yml", ".dockmig.yml"], ids=["deploy", "settings"]
)
def test_modeline_schema_validates_the_example_project(
    project: Path, file: str
) -> None:
    result = check_as_the_modeline_says(project / file)
    assert result.returncode == 0, result.stdout + result.stderr


def test_modeline_schema_flags_an_unknown_key(project: Path) -> None:
    deploy = project / "config/deploy.yml"
    deploy.write_text(deploy.read_text() + "multiarch: false\n")
    settings = project / ".dockmig.yml"
    settings.write_text(settings.read_text() + "backups: weekly\n")
    for path, key in ((deploy, "multiarch"), (settings, "backups")):
        result = check_as_the_modeline_says(path)
        assert result.returncode == 1
        assert key in result.stdout


def test_lint_still_reads_a_deploy_file_with_a_modeline(project: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "lint",
            str(project),
            "--ignore",
            "committed-secret,secret-undefined",
            "--format",
            "parsable",
        ],
    )
    assert result.exit_code == 0, result.output
