"""Lint output: text for people, a stable line format, JSON, SARIF and GitHub.

Results go to stdout and nothing else does. Messages are built by the rules
and never contain a secret's value, so no format needs to scrub anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import IO, Any

from dockmig import __version__, rules
from dockmig.findings import Finding, Severity
from dockmig.lint import LintResult

FORMATS = ("text", "parsable", "json", "sarif", "github")
JSON_VERSION = 1
_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def use_colour(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def write(
    result: LintResult, fmt: str, stream: IO[str], *, colour: bool = False
) -> None:
    writers: dict[str, Callable[[LintResult, IO[str], bool], None]] = {
        "text": _text,
        "parsable": _parsable,
        "json": _json,
        "sarif": _sarif,
        "github": _github,
    }
    writers[fmt](result, stream, colour)


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def _text(result: LintResult, stream: IO[str], colour: bool) -> None:
    current = None
    for finding in result.findings:
        if finding.file != current:
            if current is not None:
                stream.write("\n")
            stream.write(_paint(finding.file, "1", colour) + "\n")
            current = finding.file
        where = f"{finding.file}:{finding.line}:{finding.column}"
        level = _paint(f"{finding.severity!s:<7}", _COLOURS[finding.severity], colour)
        stream.write(
            f"  {where}  {level}  {finding.rule}  {finding.message}{_scope(finding)}\n"
        )

    if result.findings:
        stream.write("\n")
    stream.write(_summary(result) + "\n")


def _scope(finding: Finding) -> str:
    named = [t for t in finding.targets if t is not None]
    if not named:
        return ""
    labels = ["base" if t is None else t for t in finding.targets]
    return f" [{', '.join(labels)}]"


def _summary(result: LintResult) -> str:
    counts = {level: 0 for level in Severity}
    for finding in result.findings:
        counts[finding.severity] += 1
    tally = ", ".join(
        _plural(counts[level], word)
        for level, word in (
            (Severity.ERROR, "error"),
            (Severity.WARNING, "warning"),
            (Severity.INFO, "info"),
        )
    )

    # Kamal's verdict is a separate question from dockmig's findings: a
    # config Kamal accepts can still carry errors such as a missing secret.
    verdicts = []
    reasons = []
    for target in result.targets:
        name = target.destination or "base"
        word = {True: "accepts", False: "rejects", None: "cannot be decided"}
        verdicts.append(f"{name} {word[target.kamal_accepts]}")
        if target.kamal_accepts is None and target.undecided_because:
            reasons.append(f"  {name}: {target.undecided_because}")
    lines = [f"{tally}; Kamal 2.12's own check: {', '.join(verdicts)}"]
    return "\n".join(lines + reasons)


def _plural(count: int, word: str) -> str:
    if word == "info" or count == 1:
        return f"{count} {word}"
    return f"{count} {word}s"


def _parsable(result: LintResult, stream: IO[str], colour: bool) -> None:
    for f in result.findings:
        stream.write(
            f"{f.file}:{f.line}:{f.column}: {f.severity} {f.rule} {f.message}\n"
        )


def finding_dict(finding: Finding, *, with_targets: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule": finding.rule,
        "severity": str(finding.severity),
        "file": finding.file,
        "line": finding.line,
        "column": finding.column,
        "key_path": finding.key_path,
        "message": finding.message,
        "kamal_rejects": finding.kamal_rejects,
        "uncertain": finding.uncertain,
    }
    if with_targets:
        data["targets"] = list(finding.targets)
    return data


def as_json(result: LintResult) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "dockmig": __version__,
        "targets": [
            {
                "config": target.config,
                "destination": target.destination,
                "kamal_accepts": target.kamal_accepts,
                "undecided_because": target.undecided_because,
                "findings": [
                    finding_dict(f, with_targets=False) for f in target.findings
                ],
            }
            for target in result.targets
        ],
        "findings": [finding_dict(f) for f in result.findings],
    }


def _json(result: LintResult, stream: IO[str], colour: bool) -> None:
    json.dump(as_json(result), stream, indent=2)
    stream.write("\n")


def _sarif(result: LintResult, stream: IO[str], colour: bool) -> None:
    catalogue = rules.all_rules()
    index = {rule.id: number for number, rule in enumerate(catalogue)}
    levels = {
        Severity.ERROR: "error",
        Severity.WARNING: "warning",
        Severity.INFO: "note",
    }
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockmig",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/dockmig/",
                        "rules": [
                            {
                                "id": rule.id,
                                "name": rule.id.replace("-", " ")
                                .title()
                                .replace(" ", ""),
                                "shortDescription": {"text": rule.summary},
                                "fullDescription": {"text": rule.manual},
                                "defaultConfiguration": {
                                    "level": levels[rule.severity]
                                },
                                "properties": {"kamal": rule.kamal},
                            }
                            for rule in catalogue
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": f.rule,
                        "ruleIndex": index[f.rule],
                        "level": levels[f.severity],
                        "message": {"text": f.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": f.file},
                                    "region": {
                                        "startLine": f.line,
                                        "startColumn": f.column,
                                    },
                                }
                            }
                        ],
                        "properties": {
                            "kamal_rejects": f.kamal_rejects,
                            "key_path": f.key_path,
                        },
                    }
                    for f in result.findings
                ],
            }
        ],
    }
    json.dump(document, stream, indent=2)
    stream.write("\n")


def _github(result: LintResult, stream: IO[str], colour: bool) -> None:
    commands = {
        Severity.ERROR: "error",
        Severity.WARNING: "warning",
        Severity.INFO: "notice",
    }
    for f in result.findings:
        message = _escape_data(f"{f.message}{_scope(f)}")
        title = _escape_property(f"dockmig {f.rule}")
        stream.write(
            f"::{commands[f.severity]} file={_escape_property(f.file)},line={f.line},"
            f"col={f.column},title={title}::{message}\n"
        )
    stream.write(_summary(result) + "\n")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
