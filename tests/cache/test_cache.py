"""`dockmig cache` against a real, private dockerd with real BuildKit builds.

The scene of the mission: the project moved from Kamal's local registry to
registry.example.com, so Kamal now builds with `kamal-local-docker-container`
and `kamal-local-registry-docker-container` was left behind; a builder was
removed without its volume; a builder that is not Kamal's is left alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockmig import cache
from dockmig.cache_command import cache_group
from tests.cache.conftest import Scene, kamal_project

pytestmark = pytest.mark.docker

CURRENT = "kamal-local-docker-container"
LEFT = "kamal-local-registry-docker-container"
GONE = "kamal-local-docker-container-old"
OTHER = "mybuilder"


def run(*args: str, cwd: Path | None = None) -> Any:
    before = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cache_group, list(args), catch_exceptions=False)
    finally:
        os.chdir(before)


def migrated(scene: Scene) -> Path:
    """The mission's machine after the registry switch (see the module doc)."""
    project = kamal_project(scene.folder / "shop")
    scene.buildx_entry(CURRENT, [f"{CURRENT}0"])
    scene.state_volume(f"{CURRENT}0", 300)
    scene.node_container(f"{CURRENT}0", running=True)

    scene.buildx_entry(LEFT, [f"{LEFT}0"])
    scene.state_volume(f"{LEFT}0", 500)
    scene.node_container(f"{LEFT}0", running=False)

    scene.state_volume(f"{GONE}0", 200)

    scene.buildx_entry(OTHER, [f"{OTHER}0"])
    scene.state_volume(f"{OTHER}0", 100)
    return project


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["status"] for v in report["state_volumes"]}


def state(node: str) -> str:
    return f"buildx_buildkit_{node}_state"


def test_report_gives_each_state_volume_its_builder_size_and_status(
    scene: Scene,
) -> None:
    project = migrated(scene)
    result = run("report", str(project), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    assert statuses(report) == {
        state(f"{CURRENT}0"): cache.IN_USE,
        state(f"{LEFT}0"): cache.LEFT_BEHIND,
        state(f"{GONE}0"): cache.ORPHAN,
        state(f"{OTHER}0"): cache.OTHER,
    }
    by_name = {v["name"]: v for v in report["state_volumes"]}
    assert by_name[state(f"{LEFT}0")]["builder"] == LEFT
    assert by_name[state(f"{GONE}0")]["builder_exists"] is False
    assert by_name[state(f"{LEFT}0")]["bytes"] >= 500 * 1024
    assert by_name[state(f"{CURRENT}0")]["users"] == [
        {"container": f"buildx_buildkit_{CURRENT}0", "running": True}
    ]
    assert set(report["orphaned_builders"]) == {LEFT, GONE}
    assert [b["name"] for b in report["project_builders"]] == [CURRENT]


def test_the_project_s_builder_is_in_use_even_when_buildx_forgot_it(
    scene: Scene,
) -> None:
    # `docker buildx rm` (or a reset engine) drops the entry and the node
    # container; Kamal's next build makes them again on the same volume.
    project = kamal_project(scene.folder / "shop")
    scene.state_volume(f"{CURRENT}0", 300)

    report = json.loads(run("report", str(project), "--format", "json").stdout)
    prune = json.loads(run("prune", str(project), "--format", "json").stdout)

    assert statuses(report) == {state(f"{CURRENT}0"): cache.IN_USE}
    assert report["orphaned_builders"] == []
    assert prune["steps"] == []


def test_text_report_names_the_orphaned_builders(scene: Scene) -> None:
    project = migrated(scene)
    result = run("report", str(project))
    assert result.exit_code == 0, result.output
    orphans_line = next(
        line for line in result.stdout.splitlines() if line.startswith("Orphaned")
    )
    named = orphans_line.split(": ", 1)[1].split(", ")
    assert sorted(named) == sorted([GONE, LEFT])


def test_bare_cache_command_is_the_report(scene: Scene) -> None:
    project = migrated(scene)
    result = run(cwd=project)
    assert result.exit_code == 0, result.output
    assert "Builder state volumes: 4" in result.stdout


def test_real_buildkit_builds_show_as_cache_records(scene: Scene) -> None:
    scene.build("dockmig-test/cached:1", 1024)
    report = json.loads(run("report", "--format", "json").stdout)
    records = report["build_cache"]["records"]
    assert records, "a BuildKit build leaves cache records"
    assert report["build_cache"]["bytes"] >= 1024 * 1024
    assert report["total_bytes"] == report["build_cache"]["bytes"] + sum(
        v["bytes"] for v in report["state_volumes"]
    )


def test_prune_without_yes_shows_orphans_first_and_removes_nothing(
    scene: Scene,
) -> None:
    project = migrated(scene)
    before = scene.volume_names()
    result = run("prune", str(project), "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)

    assert plan["applied"] is False
    assert [(s["action"], s["target"]) for s in plan["steps"]] == [
        ("remove-volume", state(f"{GONE}0")),
        ("remove-container", f"buildx_buildkit_{LEFT}0"),
        ("remove-volume", state(f"{LEFT}0")),
    ]
    assert scene.volume_names() == before


def test_prune_with_yes_removes_orphans_but_nothing_in_use(scene: Scene) -> None:
    project = migrated(scene)
    result = run("prune", str(project), "--yes")
    assert result.exit_code == 0, result.output

    left = scene.volume_names()
    assert state(f"{GONE}0") not in left
    assert state(f"{LEFT}0") not in left
    assert state(f"{CURRENT}0") in left
    assert state(f"{OTHER}0") in left
    assert scene.running(f"buildx_buildkit_{CURRENT}0")


def test_dry_run_wins_over_yes(scene: Scene) -> None:
    project = migrated(scene)
    before = scene.volume_names()
    result = run("prune", str(project), "--yes", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would remove" in result.stdout
    assert scene.volume_names() == before


def test_volume_a_running_container_uses_is_never_removed(scene: Scene) -> None:
    kamal_project(scene.folder / "shop")
    scene.state_volume("forgotten0", 50)
    scene.node_container("forgotten0", running=True, name="someone-elses-app")
    result = run("prune", str(scene.folder / "shop"), "--yes", "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)

    assert plan["steps"] == []
    kept = {k["name"]: k["reason"] for k in plan["kept"]}
    assert "someone-elses-app" in kept[state("forgotten0")]
    assert state("forgotten0") in scene.volume_names()


def test_keep_trims_the_engine_s_build_cache_after_the_orphans(scene: Scene) -> None:
    project = migrated(scene)
    scene.build("dockmig-test/cached:2", 1024)
    before = json.loads(run("report", str(project), "--format", "json").stdout)
    kept_volumes = before["total_bytes"] - before["build_cache"]["bytes"]
    kept_volumes -= sum(
        v["bytes"]
        for v in before["state_volumes"]
        if v["status"] in ("orphan", "left behind")
    )

    result = run("prune", str(project), "--keep", str(kept_volumes), "--yes",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [s["action"] for s in plan["steps"]][-1] == "prune-build-cache"
    assert all(s["ok"] for s in plan["steps"]), plan["steps"]

    after = json.loads(run("report", str(project), "--format", "json").stdout)
    in_use = sum(r["size"] for r in before["build_cache"]["records"] if r["in_use"])
    assert after["build_cache"]["bytes"] <= in_use < before["build_cache"]["bytes"]
    assert state(f"{CURRENT}0") in scene.volume_names()


def test_keep_above_the_total_prunes_only_orphans(scene: Scene) -> None:
    project = migrated(scene)
    result = run("prune", str(project), "--keep", "1TB", "--format", "json")
    actions = [s["action"] for s in json.loads(result.stdout)["steps"]]
    assert "prune-build-cache" not in actions
    assert "remove-volume" in actions


def test_bad_keep_size_is_a_usage_error(scene: Scene) -> None:
    result = run("prune", "--keep", "lots")
    assert result.exit_code == 2
    assert "not a size" in result.output


def test_without_a_project_kamal_builders_are_not_called_left_behind(
    scene: Scene,
) -> None:
    migrated(scene)
    elsewhere = scene.folder / "not-a-project"
    elsewhere.mkdir()
    report = json.loads(run("report", str(elsewhere), "--format", "json").stdout)
    assert statuses(report)[state(f"{LEFT}0")] == cache.OTHER
    assert statuses(report)[state(f"{GONE}0")] == cache.ORPHAN
    assert "no config/deploy.yml" in report["project_note"]


def test_hybrid_builder_named_after_an_address_is_recognised(scene: Scene) -> None:
    # The remote's last octet and the node index run together: ...-10-0-0-1 + 0.
    builder = "kamal-hybrid-docker-container-ssh---root-10-0-0-1"
    project = kamal_project(
        scene.folder / "shop",
        builder="builder:\n  arch: [amd64, arm64]\n  remote: ssh://root@10.0.0.1\n",
    )
    scene.buildx_entry(builder, [f"{builder}0", f"{builder}1"])
    scene.state_volume(f"{builder}0", 10)
    report = json.loads(run("report", str(project), "--format", "json").stdout)
    [volume] = report["state_volumes"]
    assert volume["builder"] == builder
    assert volume["status"] == cache.IN_USE


def test_orphans_agree_with_doctor_s_buildkit_probe(scene: Scene) -> None:
    from dockmig.doctor.command import doctor_command

    project = migrated(scene)
    scene.build("dockmig-test/cached:3", 256)
    report = json.loads(run("report", str(project), "--format", "json").stdout)
    doctor = CliRunner().invoke(
        doctor_command,
        [str(project), "--only", "docker.buildkit-cache", "--format", "json"],
    )
    [probe] = [
        p
        for p in json.loads(doctor.stdout)["probes"]
        if p["id"] == "docker.buildkit-cache"
    ]
    gone = {v["name"] for v in report["state_volumes"] if v["status"] == cache.ORPHAN}
    assert set(probe["details"]["orphaned_volumes"]) == gone
    assert probe["details"]["total_bytes"] == report["total_bytes"]
