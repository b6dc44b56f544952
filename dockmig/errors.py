"""The two kinds of failure dockmig tells apart, and the exit codes of DESIGN.md."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_CANNOT = 3
EXIT_BUG = 4
EXIT_INTERRUPTED = 130


class DockmigError(Exception):
    """The user's input or environment stops dockmig from doing its job (exit 3).

    The message is one line that names the file (and position, where there is
    one), what is wrong and how to fix it. It never contains a secret value.
    """

    def __init__(
        self, message: str, *, path: str | None = None, line: int = 0, column: int = 0
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line:
            return f"{self.path}:{self.line}:{self.column}: {self.message}"
        return f"{self.path}: {self.message}"


class UsageMistake(DockmigError):
    """A command line Click accepted but dockmig cannot (exit 2, as Click's own).

    Raised where the check needs more than Click knows: a rule ID that is not
    one of dockmig's, a registry written as a URL.
    """
