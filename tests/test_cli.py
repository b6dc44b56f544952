"""The command line: formats, exit codes, start-up cost, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockmig import __version__
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "knot"


def run(
    *args: str, cwd: Path = REPO, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")
    }
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dockmig", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


HEAVY = ("docker", "dns", "libcst", "requests", "httpx")
# What a lint of a project without schema errors has no use for: jsonschema is
# asked only to describe errors (dockmig.fastschema says yes or no), and the
# other commands' modules load only when their command runs.
NOT_FOR_LINT = ("jsonschema", "dockmig.doctor", "dockmig.cache", "dockmig.plan")


@pytest.mark.parametrize(
    ("args", "unwanted"),
    [(["--help"], HEAVY), (["lint", str(EXAMPLE)], HEAVY + NOT_FOR_LINT)],
)
def test_start_up_imports_none_of_the_heavy_libraries(
    args: list[str], unwanted: tuple[str, ...]
) -> None:
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['dockmig', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('dockmig', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = [m for m in {unwanted!r} if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "HEAVY=\n" in result.stderr, result.stderr


def test_example_lint_reports_its_planted_problems_and_fails() -> None:
    result = run("lint", "examples/knot", "--format", "parsable")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("examples/knot/.kamal/secrets:4:")
        and " committed-secret " in line
        for line in lines
    ), lines
    assert any(" secret-undefined " in line for line in lines), lines
    assert "knot-example-not-a-real-password" not in result.stdout + result.stderr


def test_json_output_has_the_documented_shape() -> None:
    result = run("lint", "examples/knot", "--format", "json")
    data = json.loads(result.stdout)
    assert data["version"] == 1
    targets = {t["destination"]: t for t in data["targets"]}
    assert set(targets) == {None, "staging"}
    assert targets[None]["kamal_accepts"] is True
    assert targets["staging"]["kamal_accepts"] is True
    finding = data["findings"][0]
    assert set(finding) >= {
        "rule",
        "severity",
        "file",
        "line",
        "column",
        "key_path",
        "message",
        "kamal_rejects",
        "targets",
    }


def test_sarif_output_is_sarif_2_1_0_with_rule_metadata() -> None:
    result = run("lint", "examples/knot", "--format", "sarif")
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    ids = {rule["id"] for rule in run_["tool"]["driver"]["rules"]}
    for item in run_["results"]:
        assert item["ruleId"] in ids
        region = item["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_github_format_is_chosen_under_github_actions() -> None:
    result = run("lint", "examples/knot", env={"GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::")
    assert "file=examples/knot/" in result.stdout


def test_text_output_has_no_colour_when_piped() -> None:
    result = run("lint", "examples/knot")
    assert "\x1b[" not in result.stdout
    assert (
        "examples/knot/config/deploy.yml" in result.stdout
        or "examples/knot/.kamal" in result.stdout
    )


def test_missing_project_is_one_line_and_exit_3(tmp_path: Path) -> None:
    result = run("lint", str(tmp_path))
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "config/deploy.yml not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_settings_file_is_exit_3_with_line_and_column(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "config").mkdir(parents=True)
    (project / "config/deploy.yml").write_text(
        (EXAMPLE / "config/deploy.yml").read_text()
    )
    (project / ".dockmig.yml").write_text(
        "registry:\n  host: registry.example.com\n  colour: blue\n"
    )
    result = run("lint", str(project))
    assert result.returncode == 3
    assert ".dockmig.yml:2:" in result.stderr or ".dockmig.yml:3:" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_is_exit_2() -> None:
    assert run("lint", "--format", "yaml").returncode == 2


def test_rules_and_explain_document_every_rule() -> None:
    listing = run("rules")
    assert listing.returncode == 0
    ids = [line.split()[0] for line in listing.stdout.splitlines()]
    assert "schema" in ids and "secret-undefined" in ids
    for rule_id in ids:
        manual = run("explain", rule_id)
        assert manual.returncode == 0
        assert "Passing example" in manual.stdout and "Failing example" in manual.stdout


@pytest.mark.parametrize("name", ["deploy", "secrets", "settings"])
def test_schema_command_prints_valid_json(name: str) -> None:
    result = run("schema", name)
    assert result.returncode == 0
    assert json.loads(result.stdout)["$schema"].endswith("2020-12/schema")


def test_interrupt_and_bug_exit_codes() -> None:
    from dockmig.cli import run_guarded

    def interrupted() -> int:
        raise KeyboardInterrupt

    def buggy() -> int:
        raise ZeroDivisionError("boom")

    assert run_guarded(interrupted) == 130
    assert run_guarded(buggy) == 4


def test_closed_pipe_is_not_reported_as_a_bug() -> None:
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dockmig", "lint", "examples/knot", "--format", "json"],
        cwd=REPO,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    assert "internal error" not in stderr
    assert process.returncode == 3


@pytest.mark.parametrize(
    "args",
    [
        ["lint", "examples/knot", "--select", "no-such-rule"],
        ["lint", "examples/knot", "--ignore", "schema,no-such-rule"],
        ["explain", "no-such-rule"],
    ],
)
def test_an_unknown_rule_id_is_a_usage_error(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert "unknown rule 'no-such-rule'" in result.stderr
    assert "--help" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("value", ["", " , "])
def test_an_empty_select_is_a_usage_error(value: str) -> None:
    result = run("lint", "examples/knot", "--select", value)
    assert result.returncode == 2
    assert "--select" in result.stderr and result.stdout == ""


def test_doctor_refuses_two_registries_to_check() -> None:
    result = run(
        "doctor", "examples/knot", "--registry", "127.0.0.1:5000", "--registry-in-use"
    )
    assert result.returncode == 2
    assert "--registry-in-use" in result.stderr and result.stdout == ""
