"""`dockmig registry-check`: every place a target still points at a registry."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockmig.registry_check_command import registry_check_command
from tests.conftest import REPO

MIGRATED = """\
registry:
  # Rolled back? server: localhost:5555
  server: registry.example.com
  username: admin
  password:
    - KNOT_REGISTRY_PASSWORD
"""


@pytest.fixture
def knot(tmp_path: Path) -> Path:
    """The example project: still on Kamal's local registry, localhost:5555."""
    root = tmp_path / "knot"
    shutil.copytree(REPO / "examples" / "knot", root)
    return root


def run(*args: str, cwd: Path) -> Any:
    before = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(registry_check_command, list(args))
    finally:
        os.chdir(before)


def position(path: Path, text: str) -> tuple[int, int]:
    """1-based line and column of the first `text` in a file."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(f"{text!r} not in {path}")


def migrate(root: Path) -> None:
    deploy = root / "config/deploy.yml"
    text = deploy.read_text()
    start = text.index("registry:\n")
    end = text.index("# Inject ENV")
    deploy.write_text(text[:start] + MIGRATED + "\n" + text[end:])


def test_project_on_the_registry_fails_at_the_server_value(knot: Path) -> None:
    result = run("--registry", "localhost:5555", cwd=knot)
    assert result.exit_code == 1
    line, column = position(knot / "config/deploy.yml", "localhost:5555")
    assert result.stdout == (
        f"config/deploy.yml:{line}:{column}: registry/server still points at "
        "localhost:5555 (base, staging)\n"
    )


def test_migrated_project_passes_and_comments_do_not_count(knot: Path) -> None:
    migrate(knot)
    result = run("--registry", "localhost:5555", cwd=knot)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_destination_that_keeps_the_old_registry_is_named(knot: Path) -> None:
    migrate(knot)
    staging = knot / "config/deploy.staging.yml"
    staging.write_text(staging.read_text() + "registry:\n  server: localhost:5555\n")
    result = run("--registry", "localhost:5555", cwd=knot)
    assert result.exit_code == 1
    line, column = position(staging, "localhost:5555")
    assert result.stdout == (
        f"config/deploy.staging.yml:{line}:{column}: registry/server still points "
        "at localhost:5555 (staging)\n"
    )


def test_image_references_to_the_registry_count_too(knot: Path) -> None:
    migrate(knot)
    deploy = knot / "config/deploy.yml"
    deploy.write_text(
        deploy.read_text().replace(
            "falkordb/falkordb:v4.4.1", "localhost:5555/falkordb:v4.4.1"
        )
    )
    result = run("--registry", "localhost:5555", cwd=knot)
    assert result.exit_code == 1
    assert "accessories/falkordb/image still points at localhost:5555" in result.stdout


def test_another_port_on_the_same_host_is_another_registry(knot: Path) -> None:
    result = run("--registry", "localhost:555", cwd=knot)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_the_host_without_its_port_matches_nothing_and_says_which_was_meant(
    knot: Path,
) -> None:
    result = run("--registry", "localhost", cwd=knot)
    assert result.exit_code == 0, result.output
    assert (
        "registry/server is localhost:5555, which is not localhost (the port "
        "counts); give --registry localhost:5555 to check for it"
    ) in result.stderr


def test_registry_defaults_to_the_previous_one_in_the_settings(knot: Path) -> None:
    result = run(cwd=knot)
    assert result.exit_code == 1
    assert "still points at localhost:5555" in result.stdout

    (knot / ".dockmig.yml").write_text("volumes: [falkordb_data]\n")
    result = run(cwd=knot)
    assert result.exit_code == 3
    assert "--registry" in result.stderr


def test_files_pre_commit_passes_find_their_project(knot: Path, tmp_path: Path) -> None:
    result = run(
        "--registry", "localhost:5555", "knot/config/deploy.yml", "knot/.dockmig.yml",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout.startswith("knot/config/deploy.yml:")
    assert result.stdout.count("\n") == 1


def test_registry_computed_by_erb_is_reported_unchecked(knot: Path) -> None:
    deploy = knot / "config/deploy.yml"
    deploy.write_text(
        deploy.read_text().replace(
            "server: localhost:5555", 'server: <%= File.read(".registry").strip %>'
        )
    )
    result = run("--registry", "localhost:5555", cwd=knot)
    assert result.exit_code == 0, result.output
    assert "computed by ERB" in result.stderr


def test_registry_with_a_scheme_is_a_usage_mistake_on_the_command_line(
    knot: Path,
) -> None:
    # DESIGN: a command line dockmig cannot take exits 2, as Click's own do.
    result = run("--registry", "https://localhost:5555", cwd=knot)
    assert result.exit_code == 2
    assert "host[:port]" in result.stderr


def test_registry_with_a_scheme_in_the_settings_is_bad_input(knot: Path) -> None:
    settings = knot / ".dockmig.yml"
    settings.write_text(
        settings.read_text().replace(
            "previous: localhost:5555", "previous: https://localhost:5555"
        )
    )
    result = run(cwd=knot)
    assert result.exit_code == 3
    assert "host[:port]" in result.stderr


def test_deploy_file_that_does_not_parse_stops_the_check_at_the_reader_s_finding(
    knot: Path,
) -> None:
    deploy = knot / "config/deploy.yml"
    text = deploy.read_text().replace("server: localhost:5555", "server: *nowhere")
    deploy.write_text(text)
    line, column = position(deploy, "*nowhere")
    result = run("--registry", "localhost:5555", cwd=knot)
    assert result.exit_code == 3
    assert result.stdout == ""
    [said] = result.stderr.splitlines()
    assert said.startswith(f"dockmig: config/deploy.yml:{line}:{column}: ")
    assert "undefined alias 'nowhere'" in said
    assert "(base, staging)" in said


def test_destination_that_does_not_load_fails_the_check_after_the_base_s_hits(
    knot: Path,
) -> None:
    staging = knot / "config/deploy.staging.yml"
    staging.write_text("servers: [192.0.2.20\n")
    result = run("--registry", "localhost:5555", cwd=knot)
    # The base was read and still points there; staging could not be read.
    assert result.exit_code == 3
    assert "registry/server still points at localhost:5555 (base)" in result.stdout
    [said] = result.stderr.splitlines()
    assert said.startswith("dockmig: config/deploy.staging.yml:")
    assert "(staging)" in said


def test_deploy_file_that_is_a_broken_link_is_named_as_such(knot: Path) -> None:
    deploy = knot / "config/deploy.yml"
    deploy.unlink()
    deploy.symlink_to("deploy.yml")
    result = run("--registry", "localhost:5555", cwd=knot)
    assert result.exit_code == 3
    assert result.stderr == (
        "dockmig: config/deploy.yml: is a symbolic link that leads back to itself "
        "(a loop)\n"
    )
