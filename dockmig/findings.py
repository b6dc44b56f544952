"""Findings: what lint reports, where, and whether Kamal itself would refuse it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r}: use error, warning or info"
            ) from None


@dataclass(frozen=True, order=True)
class Mark:
    """A 1-based line and column in one file."""

    file: str
    line: int
    column: int


@dataclass(frozen=True)
class Position:
    """Where a key and its value were written (the key is None for list items)."""

    value: Mark
    key: Mark | None = None

    @property
    def best(self) -> Mark:
        return self.value


def format_path(path: tuple[object, ...]) -> str:
    """Kamal's way of naming a key: sequence indexes and keys joined with '/'."""
    return "/".join(str(part) for part in path)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    mark: Mark
    message: str
    key_path: str = ""
    # Kamal 2.12 itself refuses the configuration when it loads it (what
    # `kamal config` or the oracle reports), as opposed to dockmig's advice.
    kamal_rejects: bool = False
    # The finding rests on ERB output dockmig could not compute, so Kamal's
    # verdict may differ; it never makes a target's verdict false on its own.
    uncertain: bool = False
    targets: tuple[str | None, ...] = field(default=(), compare=False)

    @property
    def file(self) -> str:
        return self.mark.file

    @property
    def line(self) -> int:
        return self.mark.line

    @property
    def column(self) -> int:
        return self.mark.column

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.column, self.rule, self.message)

    def with_targets(self, targets: tuple[str | None, ...]) -> Finding:
        return replace(self, targets=targets)
