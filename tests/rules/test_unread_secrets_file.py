"""unread-secrets-file: secrets-looking files no Kamal command reads."""

from __future__ import annotations

from pathlib import Path

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "unread-secrets-file"
LINE = "TOKEN=$TOKEN\n"


def _messages(result: object) -> dict[str, str]:
    return {f.file: f.message for f in rule_findings(result, ID)}


def test_files_kamal_reads_pass(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.staging.yml": "servers:\n  web:\n    - 192.0.2.30\n",
            ".kamal/secrets": LINE,
            ".kamal/secrets-common": LINE,
            ".kamal/secrets.staging": LINE,
            ".kamal/secrets.example": LINE,
            ".kamal/hooks/pre-deploy": "#!/bin/sh\n",
        },
    )

    assert rule_findings(result, ID) == []


def test_a_dash_instead_of_a_dot_names_the_right_file(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.staging.yml": "servers:\n  web:\n    - 192.0.2.30\n",
            ".kamal/secrets-staging": LINE,
        },
    )

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == (
        ".kamal/secrets-staging",
        1,
        1,
    )
    assert finding.severity is Severity.WARNING
    assert "for -d staging Kamal reads .kamal/secrets.staging" in finding.message


def test_a_file_for_a_destination_that_does_not_exist(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.production.yml": "servers:\n  web:\n    - 192.0.2.40\n",
            ".kamal/secrets.prod": LINE,
            ".kamal/secrets_qa": LINE,
        },
    )

    messages = _messages(result)
    assert set(messages) == {".kamal/secrets.prod", ".kamal/secrets_qa"}
    assert "there is no config/deploy.prod.yml" in messages[".kamal/secrets.prod"]
    assert ".kamal/secrets.production" in messages[".kamal/secrets.prod"]
    assert "config/deploy.qa.yml" in messages[".kamal/secrets_qa"]
    assert ".kamal/secrets.qa" in messages[".kamal/secrets_qa"]


def test_a_kamal1_env_file_next_to_the_secrets(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {".kamal/.env": LINE, ".kamal/secrets": LINE})

    [finding] = rule_findings(result, ID)
    assert finding.file == ".kamal/.env"
    assert "Kamal 2 reads secrets only from" in finding.message


def test_a_common_file_with_a_dot(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {".kamal/secrets.common": LINE})

    [finding] = rule_findings(result, ID)
    assert ".kamal/secrets-common, with a hyphen" in finding.message


def test_moving_secrets_path_leaves_the_old_file_unread(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "secrets_path: config/secrets\n",
            ".kamal/secrets": LINE,
            "config/secrets": LINE,
        },
    )

    [finding] = rule_findings(result, ID)
    assert finding.file == ".kamal/secrets"
    assert "config/secrets" in finding.message


def test_a_file_read_for_an_explicit_destination_only_is_not_unread(
    tmp_path: Path,
) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.staging.yml": "servers:\n  web:\n    - 192.0.2.30\n",
            "config/deploy.production.yml": "servers:\n  web:\n    - 192.0.2.40\n",
            ".kamal/secrets.staging": LINE,
            ".kamal/secrets.production": LINE,
        },
        destinations=["production"],
    )

    assert rule_findings(result, ID) == []
