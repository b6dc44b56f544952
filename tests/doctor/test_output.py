"""The report formats: the text table and the JSON document."""

from __future__ import annotations

import io
import json
import types

from dockmig import doctor
from dockmig.doctor import Outcome, Probe, Report, Status
from dockmig.doctor.output import write_json, write_text


def fake(probe_id: str) -> Probe:
    return Probe(probe_id, (), (), 1.0, types.ModuleType(probe_id))


def sample() -> Report:
    return Report(
        root="/srv/shop",
        registry="registry.example.com",
        elapsed=0.4567,
        results=[
            (
                fake("docker.engine"),
                doctor.ok("OrbStack 28.1 answers", details={"kind": "OrbStack"}),
            ),
            (fake("docker.disk"), doctor.warn("only 2.0 GB free", "prune the cache")),
            (fake("registry.tls"), doctor.fail("certificate expired", "renew it")),
            (fake("registry.api"), doctor.skip("skipped: registry.tls failed")),
            (
                fake("kamal.lint"),
                Outcome(Status.ERROR, "dockmig could not run this probe", "report it"),
            ),
        ],
    )


class Stream(io.StringIO):
    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def test_text_marks_each_status_and_puts_the_remedy_under_problems() -> None:
    stream = Stream("utf-8")
    write_text(sample(), stream)
    assert stream.getvalue().splitlines() == [
        "dockmig doctor: /srv/shop (registry registry.example.com)",
        "✓ docker.engine  OrbStack 28.1 answers",
        "! docker.disk    only 2.0 GB free",
        "                 fix: prune the cache",
        "✗ registry.tls   certificate expired",
        "                 fix: renew it",
        "– registry.api   skipped: registry.tls failed",
        "✗ kamal.lint     dockmig could not run this probe",
        "                 fix: report it",
        "1 ok, 1 warning, 1 failed, 1 skipped, 1 could not run in 0.46 s",
    ]


def test_text_falls_back_to_ascii_marks_when_the_stream_cannot_encode_them() -> None:
    stream = Stream("ascii")
    write_text(sample(), stream)
    lines = stream.getvalue().splitlines()[1:-1]
    marks = [line[0] for line in lines if line[0] != " "]
    assert marks == ["+", "!", "x", "-", "x"]


def test_text_shows_details_only_when_asked() -> None:
    quiet, verbose = Stream("utf-8"), Stream("utf-8")
    write_text(sample(), quiet)
    write_text(sample(), verbose, details=True)
    assert 'kind: "OrbStack"' not in quiet.getvalue()
    assert 'kind: "OrbStack"' in verbose.getvalue()


def test_text_has_colour_only_when_asked() -> None:
    plain, coloured = Stream("utf-8"), Stream("utf-8")
    write_text(sample(), plain)
    write_text(sample(), coloured, colour=True)
    assert "\x1b[" not in plain.getvalue()
    assert "\x1b[" in coloured.getvalue()


def test_json_has_the_documented_shape() -> None:
    stream = io.StringIO()
    write_json(sample(), stream)
    data = json.loads(stream.getvalue())
    assert set(data) == {"version", "probes", "elapsed_s"}
    assert data["version"] == 1
    assert data["elapsed_s"] == 0.457
    assert data["probes"][0] == {
        "id": "docker.engine",
        "group": "docker",
        "status": "ok",
        "summary": "OrbStack 28.1 answers",
        "remedy": "",
        "details": {"kind": "OrbStack"},
    }
    assert [p["status"] for p in data["probes"]] == [
        "ok",
        "warn",
        "fail",
        "skip",
        "error",
    ]
