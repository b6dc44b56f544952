"""run-directory: a key Kamal 2 accepts and then ignores."""

from __future__ import annotations

from pathlib import Path

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "run-directory"


def test_the_key_is_reported_where_it_is_written(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path, {"config/deploy.yml": "service: shop\nrun_directory: /srv/shop\n"}
    )

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == ("config/deploy.yml", 2, 1)
    assert finding.severity is Severity.WARNING
    assert ".kamal" in finding.message
    assert result.targets[0].kamal_accepts is True


def test_a_destination_setting_it_is_reported_in_that_file(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "service: shop\n",
            "config/deploy.staging.yml": "run_directory: .kamal-staging\n",
        },
    )

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line) == ("config/deploy.staging.yml", 1)
    assert finding.targets == ("staging",)


def test_a_config_without_it_passes(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "service: shop\n"})

    assert rule_findings(result, ID) == []
