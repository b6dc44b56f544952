"""Every report format of a lint result, for tests that look for leaked values."""

from __future__ import annotations

import io

from dockmig import report
from dockmig.lint import LintResult


def every_format(result: LintResult) -> str:
    """The findings as text, parsable, JSON, SARIF and GitHub output, joined."""
    outputs = []
    for fmt in report.FORMATS:
        stream = io.StringIO()
        report.write(result, fmt, stream)
        outputs.append(stream.getvalue())
    return "\n".join(outputs)
