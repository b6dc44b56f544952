"""Each checklist item from probe outcomes, for engines that cannot run here.

OrbStack and Docker Desktop exist only on a Mac, so their probe outcomes are
written out as the probes report them (the same details and data); the
project itself is read from disk as the probes read it. The same items are
checked against a real engine and registry in test_plan.py.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from dockmig import plan
from dockmig.doctor import Outcome, Status
from dockmig.doctor.endpoint import Endpoint
from dockmig.doctor.engine import EngineFacts
from dockmig.doctor.inputs import gather
from tests.conftest import REPO

ORB_SOCKET = "/Users/me/.orbstack/run/docker.sock"
DD_SOCKET = "/Users/me/.docker/run/docker.sock"


@pytest.fixture
def knot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KAMAL_DESTINATION", raising=False)
    root = tmp_path / "knot"
    shutil.copytree(REPO / "examples" / "knot", root)
    return root


def engine(kind: str, running: int = 0) -> Outcome:
    facts = EngineFacts(
        endpoint=Endpoint(host=f"unix://{ORB_SOCKET}", context="orbstack", source=""),
        api_version="1.47",
        kind=kind,
        info={"ContainersRunning": running, "OperatingSystem": kind},
        version={},
    )
    return Outcome(Status.OK, f"{kind} answers", "", {"kind": kind}, facts)


def others(
    answering: list[tuple[str, str]] | None = None,
    disk_images: list[str] | None = None,
) -> Outcome:
    details: dict[str, Any] = {
        "answering": [
            {"engine": e, "socket": s, "volumes": [], "images": 0}
            for e, s in answering or []
        ],
        "not_answering": [],
    }
    if disk_images:
        details["disk_images"] = [
            {"engine": "Docker Desktop", "path": p, "bytes": 1} for p in disk_images
        ]
    status = Status.WARN if answering or disk_images else Status.OK
    return Outcome(status, "other engines", "", details)


def backups(status: Status, volumes: dict[str, tuple[bool, str | None]]) -> Outcome:
    details = {
        "volumes": [
            {"volume": v, "exists": e, "backup": b, "backup_age_hours": 1.0}
            for v, (e, b) in volumes.items()
        ]
    }
    return Outcome(status, "volumes and backups", "", details)


def items(root: Path, **outcomes: Outcome) -> dict[str, plan.Item]:
    """The items for these outcomes; `docker_other_engine=` is docker.other-engine."""
    ids = {
        name.replace("_", ".", 1).replace("_", "-"): outcome
        for name, outcome in outcomes.items()
    }
    evidence = plan.Evidence(ids, gather(root))
    return {item.id: item for item in plan.assess(evidence)}


def test_orbstack_in_use_with_the_volumes_ticks_the_move(knot: Path) -> None:
    found = items(
        knot,
        docker_engine=engine("OrbStack", running=2),
        docker_other_engine=others(),
        docker_volumes_backup=backups(
            Status.FAIL, {"falkordb_data": (True, "falkordb_data-20261120.tar.gz")}
        ),
    )
    for item_id in ("install-orbstack", "migrate", "verify-containers"):
        assert found[item_id].state == plan.TICKED, found[item_id]
    # The backup from before the move still counts once OrbStack holds the data.
    assert found["backup-volumes"].state == plan.TICKED
    assert "2 container(s)" in found["verify-containers"].evidence


def test_a_week_of_stability_is_never_ticked_and_says_what_would_show_it(
    knot: Path,
) -> None:
    found = items(knot, docker_engine=engine("OrbStack", running=5))
    week = found["week-of-stability"]
    assert week.state == plan.UNKNOWN
    assert week.would_show


def test_orbstack_without_the_volumes_leaves_the_migration_open(knot: Path) -> None:
    found = items(
        knot,
        docker_engine=engine("OrbStack"),
        docker_volumes_backup=backups(Status.FAIL, {"falkordb_data": (False, None)}),
    )
    assert found["migrate"].state == plan.OPEN
    assert "falkordb_data" in found["migrate"].evidence
    assert found["verify-containers"].state == plan.OPEN
    assert found["backup-volumes"].state == plan.OPEN


def test_docker_desktop_still_answering_leaves_stop_and_uninstall_open(
    knot: Path,
) -> None:
    found = items(
        knot,
        docker_engine=engine("OrbStack"),
        docker_other_engine=others([("Docker Desktop", DD_SOCKET)]),
    )
    assert found["stop-docker-desktop"].state == plan.OPEN
    assert DD_SOCKET in found["stop-docker-desktop"].evidence
    assert found["uninstall-docker-desktop"].state == plan.OPEN


def test_docker_desktop_stopped_but_its_disk_image_left_is_not_uninstalled(
    knot: Path,
) -> None:
    image = "/Users/me/Library/Containers/com.docker.docker/Data/vms/0/data/Docker.raw"
    found = items(
        knot,
        docker_engine=engine("OrbStack"),
        docker_other_engine=others(disk_images=[image]),
    )
    assert found["stop-docker-desktop"].state == plan.TICKED
    assert found["uninstall-docker-desktop"].state == plan.OPEN
    assert image in found["uninstall-docker-desktop"].evidence


def test_no_engine_at_all_does_not_tick_stopping_docker_desktop(knot: Path) -> None:
    found = items(
        knot,
        docker_engine=Outcome(Status.FAIL, "no engine answers", "", {}),
        docker_other_engine=others(),
    )
    assert found["stop-docker-desktop"].state == plan.UNKNOWN
    assert "no Docker engine answers" in found["stop-docker-desktop"].evidence
    # Uninstalled implies stopped: the two never contradict each other.
    assert found["uninstall-docker-desktop"].state == plan.UNKNOWN


@pytest.mark.parametrize(
    ("kind", "state"),
    [("nxdomain", plan.OPEN), ("timeout", plan.UNKNOWN), ("servfail", plan.UNKNOWN)],
)
def test_a_dns_server_that_does_not_answer_leaves_the_record_unknown(
    knot: Path, kind: str, state: str
) -> None:
    lookup = Outcome(
        Status.FAIL,
        "registry.example.com: no answer",
        "",
        {"name": "registry.example.com", "error": kind},
    )
    found = items(knot, registry_dns=lookup)
    assert found["dns-record"].state == state
    assert found["propagation"].state == state


def test_docker_desktop_in_use_leaves_every_orbstack_step_open(knot: Path) -> None:
    found = items(
        knot,
        docker_engine=engine("Docker Desktop", running=3),
        docker_other_engine=others([("OrbStack", ORB_SOCKET)]),
    )
    assert found["install-orbstack"].state == plan.TICKED
    assert ORB_SOCKET in found["install-orbstack"].evidence
    for item_id in (
        "migrate",
        "verify-containers",
        "stop-docker-desktop",
        "week-of-stability",
        "uninstall-docker-desktop",
    ):
        assert found[item_id].state == plan.OPEN, found[item_id]


def test_no_probe_outcomes_tick_nothing(knot: Path) -> None:
    found = items(knot)
    ticked = [i for i in found.values() if i.state == plan.TICKED]
    assert ticked == []
    for item in found.values():
        if item.state == plan.UNKNOWN:
            assert item.would_show, item


def test_no_volumes_listed_makes_the_backup_unknown(knot: Path) -> None:
    (knot / ".dockmig.yml").write_text("registry:\n  host: registry.example.com\n")
    found = items(knot, docker_engine=engine("OrbStack"))
    assert found["backup-volumes"].state == plan.UNKNOWN
    assert "volumes:" in found["backup-volumes"].would_show


# -- a config that did not load is named, never read as "no registry"


def test_a_deploy_file_that_does_not_parse_is_named_not_taken_for_docker_hub(
    knot: Path,
) -> None:
    deploy = knot / "config/deploy.yml"
    text = deploy.read_text().replace("server: localhost:5555", "server: *nowhere")
    deploy.write_text(text)
    line = text.splitlines().index("  server: *nowhere") + 1

    found = items(knot)

    switched = found["config-switched"]
    assert switched.state == plan.UNKNOWN
    assert "Docker Hub" not in switched.evidence
    assert "the config of base, staging did not load: " in switched.evidence
    assert f"config/deploy.yml:{line}:11: " in switched.evidence, switched.evidence
    assert "undefined alias 'nowhere'" in switched.evidence
    assert switched.would_show
    # Nothing is known of a registry the file may name, local or not.
    assert found["deploy-from-here"].evidence.startswith("no probe reads")


def test_a_destination_that_does_not_load_is_named_beside_the_base_s_registry(
    knot: Path,
) -> None:
    (knot / "config/deploy.staging.yml").write_text("servers: [192.0.2.20\n")
    switched = items(knot)["config-switched"]
    assert switched.state == plan.OPEN
    assert switched.evidence.startswith(
        "registry/server is still localhost:5555 (base)"
    )
    assert "; the config of staging did not load: config/deploy.staging.yml:" in (
        switched.evidence
    )


@pytest.mark.parametrize("kind", ["directory", "named pipe"])
def test_a_secrets_file_that_cannot_be_read_is_named_not_counted_as_empty(
    knot: Path, kind: str
) -> None:
    common = knot / ".kamal/secrets-common"
    common.unlink()
    if kind == "directory":
        common.mkdir()
    else:
        os.mkfifo(common)
    secret = items(knot)["secret-added"]
    assert secret.state == plan.UNKNOWN
    assert "is not defined" not in secret.evidence
    assert secret.evidence.startswith(f".kamal/secrets-common: is a {kind}")


@pytest.mark.parametrize(
    ("evidence", "markdown"),
    [
        # A backslash before a letter shows as written in Markdown.
        ("found character '\\t' here", "found character '\\t' here"),
        # Before punctuation it would escape it: it is escaped itself.
        ("a \\* b", "a \\\\\\* b"),
        ("ends in \\", "ends in \\\\"),
        ("ERB tag never closed with %>", "ERB tag never closed with %>"),
        ("<b>x_y</b> [z] |", "\\<b>x\\_y\\</b> \\[z\\] \\|"),
        ("code `a_b\\*` stays", "code `a_b\\*` stays"),
        # A backtick with no partner opens no code span.
        ("found '`' in a_b", "found '\\`' in a\\_b"),
    ],
)
def test_markdown_evidence_shows_as_written(evidence: str, markdown: str) -> None:
    item = plan.Item(2, "x", "Title", plan.OPEN, evidence)
    stream = io.StringIO()
    plan.write_markdown(plan.Plan("/p", [item], 0.0), stream)
    [line] = [line for line in stream.getvalue().splitlines() if line.startswith("- [")]
    assert line == f"- [ ] **Title**: *open*: {markdown}"


def test_other_engines_cut_off_by_the_deadline_tick_nothing_about_docker_desktop(
    knot: Path,
) -> None:
    # What the runner reports for docker.other-engine still asking a socket
    # at the deadline: no answer from Docker Desktop is no evidence it stopped.
    timed_out = Outcome(
        Status.FAIL,
        "no answer within the 2 s deadline: waiting for the engine socket " + DD_SOCKET,
        "find out why it does not answer, or allow more time with --deadline",
        {"timed_out": True},
    )
    found = items(
        knot, docker_engine=engine("Docker Engine"), docker_other_engine=timed_out
    )
    for item_id in ("install-orbstack", "stop-docker-desktop"):
        assert found[item_id].state == plan.UNKNOWN, found[item_id]
    assert found["uninstall-docker-desktop"].state == plan.UNKNOWN
