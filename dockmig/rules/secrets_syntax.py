"""A line of a secrets file that Kamal's dotenv parser reads differently than it looks.

Kamal reads `.kamal/secrets*` with dotenv, not with a shell. dotenv skips
lines it does not understand without a word (`KEY-WITH-DASH=1`, `if [ ... ]`,
`echo`), keeps a quote that is never closed as part of the value, ignores
shell forms such as `${NAME:-default}`, and lets the last definition of a key
win whatever `if`/`else` surrounds it; `export KEY` with no value stops
Kamal with a format error. A secrets file written as a shell script is the
worst case: none of its logic runs, and the last branch's values are used
for every destination.

Each problem is reported at its line and column; the one Kamal stops on is
an error, the ones it reads in a surprising way are warnings. Messages name
keys, never values.

Passing example::

    env:
      secret:
        - RAILS_MASTER_KEY
    # file: .kamal/secrets
    RAILS_MASTER_KEY=$(cat config/master.key)

Failing example (dotenv skips the line with a dash in the name)::

    env:
      secret:
        - RAILS_MASTER_KEY
    # file: .kamal/secrets
    RAILS_MASTER_KEY=$(cat config/master.key)
    SMTP-PASSWORD=$SMTP_PASSWORD
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dockmig import bundled, document, fastschema
from dockmig.errors import DockmigError
from dockmig.findings import Mark, Severity
from dockmig.secrets import SecretsFile, SecretsProblem, secrets_instance

if TYPE_CHECKING:
    from dockmig.lint import ProjectContext

logger = logging.getLogger(__name__)

ID = "secrets-syntax"
SEVERITY = Severity.WARNING
KAMAL = False

_FIXES = {
    "format-error": "give it a value or define it earlier in the file",
    "ignored-line": "write it as KEY=VALUE, or make it a # comment",
    "unterminated-quote": "close the quote",
    "text-after-quote": "start the trailing text with # or move it inside the quotes",
    "quote-swallows-lines": "add the missing closing quote",
    "unterminated-command": "balance the parentheses of the $(...) command",
    "shell-expansion": "write a plain ${NAME}, or compute a default in $(...)",
    "value-on-next-line": "put the value on the key's line",
    "bare-key": "write KEY= for an empty value, or give it one",
    "duplicate-key": "delete the definition Kamal does not use",
    "nul-byte": "save the file as plain text",
}
# Lines that start with these are shell, which dotenv neither runs nor reads.
_SHELL_WORDS = {
    "if",
    "then",
    "else",
    "elif",
    "fi",
    "for",
    "while",
    "until",
    "do",
    "done",
    "case",
    "esac",
    "exit",
    "echo",
    "printf",
    "set",
    "source",
    ".",
    "function",
    "return",
    "[",
    "[[",
    "{",
    "}",
    "test",
    "eval",
    "trap",
    "unset",
    "local",
    "cd",
}
_CONTROL_WORDS = {"if", "else", "elif", "case", "for", "while", "until", "exit"}
_SHOWN_LINES = 8


def _unique_files(project: ProjectContext) -> list[SecretsFile]:
    seen: dict[str, SecretsFile] = {}
    for target in project.targets:
        for secrets_file in target.secrets_files:
            seen.setdefault(secrets_file.path, secrets_file)
    return list(seen.values())


def _lines(project: ProjectContext, secrets_file: SecretsFile) -> list[str]:
    try:
        text = document.read_text(project.root / secrets_file.path, secrets_file.path)
    except DockmigError as error:
        logger.info("cannot re-read %s: %s", secrets_file.path, error)
        return []
    return text.splitlines()


def _first_word(line: str) -> str:
    words = line.split()
    return words[0] if words else ""


def check_project(project: ProjectContext) -> None:
    for secrets_file in _unique_files(project):
        _validate_against_schema(project, secrets_file)
        lines = _lines(project, secrets_file)
        shell = [
            problem
            for problem in secrets_file.problems
            if problem.code in ("ignored-line", "bare-key", "duplicate-key")
            and 0 < problem.line <= len(lines)
            and _first_word(lines[problem.line - 1]) in _SHELL_WORDS
        ]
        if shell:
            _report_shell(project, secrets_file, shell, lines)

        for problem in secrets_file.problems:
            if problem in shell:
                continue
            severity = Severity.ERROR if problem.kamal_rejects else Severity.WARNING
            fix = _FIXES.get(problem.code)
            project.report(
                ID,
                Mark(secrets_file.path, problem.line, problem.column),
                f"{problem.message}; {fix}" if fix else problem.message,
                severity=severity,
            )


def _report_shell(
    project: ProjectContext,
    secrets_file: SecretsFile,
    shell: list[SecretsProblem],
    lines: list[str],
) -> None:
    """One finding for a secrets file written as a shell script."""
    numbers = list(dict.fromkeys(str(problem.line) for problem in shell))
    shown = ", ".join(numbers[:_SHOWN_LINES])
    if len(numbers) > _SHOWN_LINES:
        shown += f" and {len(numbers) - _SHOWN_LINES} more"

    control = any(
        _first_word(lines[problem.line - 1]) in _CONTROL_WORDS for problem in shell
    )
    effect = (
        "if/else and exit have no effect, every KEY=... line is read in order and "
        "the last definition of a key wins"
        if control
        else "its commands do not run"
    )

    first = shell[0]
    project.report(
        ID,
        Mark(secrets_file.path, first.line, first.column),
        f"{secrets_file.path} is written as a shell script, but Kamal reads it as a "
        f"dotenv file: {effect} (shell lines skipped: {shown}). Keep only KEY=VALUE "
        "lines and move the logic into $(...) commands or a script they call",
        severity=Severity.ERROR if control else Severity.WARNING,
    )


def _validate_against_schema(
    project: ProjectContext, secrets_file: SecretsFile
) -> None:
    """Check what the file defines against `schemas/kamal-secrets.schema.json`.

    The tokenizer only produces names dotenv accepts, so this guards the
    contract between the two (and any later change to either) rather than
    the user's file; a failure here still names the line it is about.
    """
    instance = secrets_instance(secrets_file)
    if fastschema.is_valid(bundled.load("secrets"), instance):
        return
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(bundled.load("secrets"))
    for error in validator.iter_errors(instance):
        name = next(iter(error.absolute_path), None)
        entry = secrets_file.get(str(name)) if name is not None else None
        line = entry.line if entry else 1
        column = entry.column if entry else 1
        project.report(
            ID,
            Mark(secrets_file.path, line, column),
            f"{name or 'the file'} does not fit Kamal's secrets format: "
            f"{error.message}",
            severity=Severity.ERROR,
        )
