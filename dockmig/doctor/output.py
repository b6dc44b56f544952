"""The doctor's report: a table for people, JSON for programs.

text: one line per probe (mark, ID, summary), the remedy indented under each
problem, then a line of counts. -v adds each probe's details. Marks are
✓ ok, ! warn, ✗ fail or error, – skip; a stream that cannot encode them gets
ASCII ones.

json: `{"version": 1, "probes": [{"id", "group", "status", "summary",
"remedy", "details"}], "elapsed_s": …}`.
"""

from __future__ import annotations

import codecs
import json
from typing import IO, Any

from dockmig.doctor import Report, Status
from dockmig.report import use_colour

__all__ = ["use_colour", "write_json", "write_text"]

VERSION = 1

_MARKS = {
    Status.OK: "✓",
    Status.WARN: "!",
    Status.FAIL: "✗",
    Status.ERROR: "✗",
    Status.SKIP: "–",
}
_ASCII_MARKS = {
    Status.OK: "+",
    Status.WARN: "!",
    Status.FAIL: "x",
    Status.ERROR: "x",
    Status.SKIP: "-",
}
_COLOURS = {
    Status.OK: "green",
    Status.WARN: "yellow",
    Status.FAIL: "red",
    Status.ERROR: "red",
    Status.SKIP: "bright_black",
}
_WORDS = {
    Status.OK: "ok",
    Status.WARN: "warnings",
    Status.FAIL: "failed",
    Status.ERROR: "could not run",
    Status.SKIP: "skipped",
}


_ONE = {Status.WARN: "warning"}


def write_json(report: Report, stream: IO[str]) -> None:
    probes = [
        {
            "id": probe.id,
            "group": probe.group,
            "status": outcome.status.value,
            "summary": outcome.summary,
            "remedy": outcome.remedy,
            "details": _plain(outcome.details),
        }
        for probe, outcome in report.results
    ]

    document = {
        "version": VERSION,
        "probes": probes,
        "elapsed_s": round(report.elapsed, 3),
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def _plain(value: Any) -> Any:
    """Details as JSON values; anything else (a path, a number type) as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def write_text(
    report: Report, stream: IO[str], *, colour: bool = False, details: bool = False
) -> None:
    import click

    marks = _MARKS if _can_encode(stream) else _ASCII_MARKS
    width = max((len(probe.id) for probe, _ in report.results), default=0)
    heading = f"dockmig doctor: {report.root}"
    if report.registry:
        heading += f" (registry {report.registry})"
    click.echo(heading, file=stream, color=colour)

    for probe, outcome in report.results:
        mark = marks[outcome.status]
        if colour:
            mark = click.style(mark, fg=_COLOURS[outcome.status], bold=True)
        click.echo(
            f"{mark} {probe.id:<{width}}  {outcome.summary}", file=stream, color=colour
        )
        if outcome.remedy and outcome.status not in (Status.OK, Status.SKIP):
            click.echo(
                f"  {'':<{width}}  fix: {outcome.remedy}", file=stream, color=colour
            )
        if details:
            for key, value in _plain(outcome.details).items():
                text = json.dumps(value, ensure_ascii=False)
                click.echo(
                    f"  {'':<{width}}    {key}: {text}", file=stream, color=colour
                )

    counts = report.counts()
    listed = [Status.OK, Status.WARN, Status.FAIL, Status.SKIP]
    if counts[Status.ERROR]:
        listed.append(Status.ERROR)
    parts = [_count(status, counts[status]) for status in listed]
    click.echo(
        f"{', '.join(parts)} in {report.elapsed:.2f} s", file=stream, color=colour
    )


def _count(status: Status, number: int) -> str:
    word = _ONE.get(status, _WORDS[status]) if number == 1 else _WORDS[status]
    return f"{number} {word}"


def _can_encode(stream: IO[str]) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        codecs.lookup(encoding)
        "✓✗–".encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return False
    return True
