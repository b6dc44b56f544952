"""committed-secret: secrets files say where a value comes from, not what it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings
from tests.rules.reports import every_format

ID = "committed-secret"
CANARY = "canary-Zq93x"
DEPLOY = "env:\n  secret:\n    - DATABASE_PASSWORD\n    - DATABASE_URL\n"


def _lint(tmp_path: Path, secrets: str, name: str = ".kamal/secrets") -> object:
    return lint_files(tmp_path, {"config/deploy.yml": DEPLOY, name: secrets})


def test_a_literal_password_is_reported_at_its_value(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        "# database\nDATABASE_URL=$DATABASE_URL\nDATABASE_PASSWORD=" + CANARY + "\n",
    )

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == (".kamal/secrets", 3, 19)
    assert finding.severity is Severity.ERROR
    assert "DATABASE_PASSWORD" in finding.message
    assert "$DATABASE_PASSWORD" in finding.message
    assert CANARY not in every_format(result)


@pytest.mark.parametrize(
    "value",
    [
        "$DATABASE_PASSWORD",
        "${DATABASE_PASSWORD}",
        '"$DATABASE_PASSWORD"',
        "$(kamal secrets extract DATABASE_PASSWORD $SECRETS)",
        "$(cat config/db.key)",
        "",
        '""',
    ],
)
def test_values_taken_from_elsewhere_pass(tmp_path: Path, value: str) -> None:
    result = _lint(tmp_path, f"DATABASE_PASSWORD={value}\nDATABASE_URL=$DATABASE_URL\n")

    assert rule_findings(result, ID) == []


def test_plain_settings_are_not_secrets(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        "AWS_REGION=eu-north-1\nAWS_PAGER=\nDATABASE_PASSWORD=$DATABASE_PASSWORD\n"
        "DATABASE_URL=$DATABASE_URL\n",
    )

    assert rule_findings(result, ID) == []


def test_a_generated_looking_value_is_reported_whatever_its_name(
    tmp_path: Path,
) -> None:
    result = _lint(
        tmp_path,
        "DATABASE_PASSWORD=$DATABASE_PASSWORD\nDATABASE_URL=$DATABASE_URL\n"
        "STRIPE_LIVE=sk9live" + "4f1e0c2b7a9d3e8f" + CANARY + "\n",
    )

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (3, 13)
    assert "generated key material" in finding.message
    assert CANARY not in every_format(result)


def test_a_password_inside_a_url_is_reported(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        "DATABASE_PASSWORD=$DATABASE_PASSWORD\n"
        f"DATABASE_URL=postgres://app:{CANARY}@$DB_HOST/app\n",
    )

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (2, 14)
    assert "address with a password" in finding.message
    assert CANARY not in every_format(result)


def test_a_url_whose_password_is_a_reference_passes(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        "DATABASE_PASSWORD=$DATABASE_PASSWORD\n"
        "DATABASE_URL=postgres://app:$DATABASE_PASSWORD@db/app\n",
    )

    assert rule_findings(result, ID) == []


def test_single_quotes_make_a_command_literal(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        "DATABASE_PASSWORD='$(op read op://vault/db/password)'\n"
        "DATABASE_URL=$DATABASE_URL\n",
    )

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 19)
    assert "single quotes" in finding.message


def test_destination_and_common_files_are_checked(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": DEPLOY,
            "config/deploy.prod.yml": "servers:\n  web:\n    - 192.0.2.20\n",
            ".kamal/secrets-common": f"SHARED_TOKEN={CANARY}\n",
            ".kamal/secrets.prod": f"DATABASE_PASSWORD={CANARY}\n",
        },
    )

    found = {(f.file, f.line, f.column) for f in rule_findings(result, ID)}
    assert found == {(".kamal/secrets-common", 1, 14), (".kamal/secrets.prod", 1, 19)}
    assert CANARY not in every_format(result)


def test_an_inline_suppression_silences_one_line(tmp_path: Path) -> None:
    result = _lint(
        tmp_path,
        f"DATABASE_PASSWORD={CANARY} # dockmig: ignore[committed-secret]\n"
        f"DATABASE_URL=postgres://app:{CANARY}@db/app\n",
    )

    assert [f.line for f in rule_findings(result, ID)] == [2]
