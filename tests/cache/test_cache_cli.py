"""`dockmig cache` takes the report's options itself: report is the default."""

from __future__ import annotations

from click.testing import CliRunner

from dockmig.cache_command import cache_group


def test_options_on_the_group_are_the_default_reports_options() -> None:
    # No engine is needed: an unknown context stops both before any probe.
    environ = {"DOCKER_CONFIG": "/nonexistent-dockmig-test", "DOCKER_HOST": ""}
    short = CliRunner().invoke(cache_group, ["--context", "no-such"], env=environ)
    long = CliRunner().invoke(
        cache_group, ["report", "--context", "no-such"], env=environ
    )
    assert short.exit_code == long.exit_code == 3
    assert "'no-such'" in short.output
    assert short.output == long.output


def test_group_options_before_a_subcommand_are_a_usage_error() -> None:
    result = CliRunner().invoke(cache_group, ["--context", "x", "prune"])
    assert result.exit_code == 2
    assert "dockmig cache prune --context" in result.output
