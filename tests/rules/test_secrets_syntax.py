"""secrets-syntax: lines Kamal's dotenv parser skips, rejects or reads oddly."""

from __future__ import annotations

from pathlib import Path

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings
from tests.rules.reports import every_format

ID = "secrets-syntax"
CANARY = "canary-Zq93x"
DEPLOY = "env:\n  secret:\n    - TOKEN\n"


def _lint(tmp_path: Path, secrets: str) -> object:
    return lint_files(
        tmp_path, {"config/deploy.yml": DEPLOY, ".kamal/secrets": secrets}
    )


def test_a_clean_file_passes(tmp_path: Path) -> None:
    result = _lint(tmp_path, "# tokens\nTOKEN=$TOKEN\nexport OTHER=$(cat x)\n")

    assert rule_findings(result, ID) == []


def test_a_skipped_line_is_a_warning_at_its_first_character(tmp_path: Path) -> None:
    result = _lint(tmp_path, f"TOKEN=$TOKEN\n  SMTP-PASSWORD={CANARY}\n")

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == (".kamal/secrets", 2, 3)
    assert finding.severity is Severity.WARNING
    assert "skips this line" in finding.message
    assert CANARY not in every_format(result)


def test_export_without_a_value_is_an_error(tmp_path: Path) -> None:
    result = _lint(tmp_path, "TOKEN=$TOKEN\nexport MISSING\n")

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (2, 8)
    assert finding.severity is Severity.ERROR
    assert "MISSING" in finding.message


def test_an_unterminated_quote_is_reported_where_it_opens(tmp_path: Path) -> None:
    result = _lint(tmp_path, f'TOKEN="{CANARY}\n')

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 7)
    assert "close the quote" in finding.message
    assert CANARY not in every_format(result)


def test_a_shell_script_is_one_error_listing_its_skipped_lines(
    tmp_path: Path,
) -> None:
    script = (
        "#!/bin/bash\n"
        'if [ "$KAMAL_DESTINATION" = "production" ]; then\n'
        f"  export TOKEN={CANARY}\n"
        "else\n"
        "  export TOKEN=$(op read op://staging/token)\n"
        "fi\n"
        'echo "done"\n'
    )
    result = _lint(tmp_path, script)

    findings = rule_findings(result, ID)
    shell = [f for f in findings if "shell script" in f.message]
    assert len(shell) == 1
    assert (shell[0].line, shell[0].column) == (2, 1)
    assert shell[0].severity is Severity.ERROR
    assert "shell lines skipped: 2, 4, 6, 7" in shell[0].message
    duplicates = [f for f in findings if "defined again" in f.message]
    assert [(f.line, f.column) for f in duplicates] == [(5, 10)]
    assert CANARY not in every_format(result)


def test_lines_only_echoing_are_a_warning(tmp_path: Path) -> None:
    result = _lint(tmp_path, 'echo "loading"\nTOKEN=$TOKEN\n')

    [finding] = rule_findings(result, ID)
    assert finding.severity is Severity.WARNING
    assert "commands do not run" in finding.message


def test_only_files_kamal_reads_are_checked(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": DEPLOY,
            ".kamal/secrets": "TOKEN=$TOKEN\n",
            ".kamal/secrets.example": "not dotenv at all\n",
        },
    )

    assert rule_findings(result, ID) == []
