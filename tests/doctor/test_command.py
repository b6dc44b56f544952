"""The command's wiring: options, exit codes, formats, and a light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dockmig.doctor.engine import DOCKER_ENGINE, PODMAN, identify
from tests.conftest import REPO
from tests.doctor.conftest import doctor

DATA = REPO / "tests" / "data" / "doctor"


def test_importing_the_command_loads_no_heavy_library() -> None:
    probe = (
        "import sys\n"
        "import dockmig.doctor.command\n"
        "heavy = [m for m in ('docker', 'dns', 'requests', 'ruamel', 'jsonschema')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--only", "registry.ping"], "unknown probe or group 'registry.ping'"),
        (["--dns-server", "dns.example.com"], "is not an IP address"),
        (["--registry", "https://registry.example.com"], "has a scheme"),
        (["--expect-ip", "registry.example.com"], "does not appear to be an IPv4"),
        (["--deadline", "0"], "is not in the range"),
    ],
)
def test_bad_options_are_usage_errors(
    tmp_path: Path, option: list[str], message: str
) -> None:
    run = doctor(str(tmp_path), *option, json_output=False)
    assert run.exit_code == 2
    assert message in run.stderr


def test_invalid_settings_exit_3_with_the_position(tmp_path: Path) -> None:
    (tmp_path / ".dockmig.yml").write_text("doctor:\n  deadline: soon\n")
    run = doctor(str(tmp_path), json_output=False)
    assert run.exit_code == 3
    assert run.stderr.startswith("dockmig: .dockmig.yml:2:")


def test_text_is_the_default_format_and_ends_with_the_counts(tmp_path: Path) -> None:
    run = doctor(str(tmp_path), "--only", "kamal", json_output=False)
    lines = run.stdout.splitlines()
    assert lines[0] == f"dockmig doctor: {tmp_path}"
    assert [line.split()[:2] for line in lines[1:4]] == [
        ["–", "kamal.lint"],
        ["–", "kamal.secrets"],
        ["–", "kamal.builder"],
    ]
    assert lines[-1].startswith("0 ok, 0 warnings, 0 failed, 3 skipped in ")
    assert run.exit_code == 0


def test_nothing_failed_exits_0_and_a_failure_exits_1(tmp_path: Path) -> None:
    assert doctor(str(tmp_path), "--only", "kamal").exit_code == 0
    down = doctor(
        str(tmp_path), "--only", "docker.engine",
        env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"},
    )  # fmt: skip
    assert down.exit_code == 1


def test_engine_kind_comes_from_what_the_engine_says() -> None:
    dockerd = json.loads((DATA / "dockerd-20.10.json").read_text())
    podman = json.loads((DATA / "podman-4.3.json").read_text())
    assert identify(dockerd["info"], dockerd["version"]) == DOCKER_ENGINE
    assert identify(podman["info"], podman["version"]) == PODMAN
    desktop = dict(dockerd["info"], OperatingSystem="Docker Desktop")
    orbstack = dict(dockerd["info"], OperatingSystem="OrbStack", Name="orbstack")
    assert identify(desktop, dockerd["version"]) == "Docker Desktop"
    assert identify(orbstack, dockerd["version"]) == "OrbStack"


def test_list_names_every_probe_with_what_it_waits_for(tmp_path: Path) -> None:
    run = doctor("--list", json_output=False)
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    ids = [line.split()[0] for line in lines[::2]]
    assert len(ids) == 15 and ids[0] == "docker.endpoint"
    assert "needs registry.dns" in lines[ids.index("registry.tcp") * 2]
    assert "reads docker.engine" in lines[ids.index("kamal.builder") * 2]


def test_a_subfolder_checks_the_project_it_belongs_to(tmp_path: Path) -> None:
    from tests.doctor.conftest import write_project

    root = write_project(tmp_path / "shop")
    (root / "app" / "models").mkdir(parents=True)
    run = doctor(str(root / "app" / "models"), "--only", "kamal.lint")
    assert run.statuses == {"kamal.lint": "ok"}
