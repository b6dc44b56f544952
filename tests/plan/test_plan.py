"""`dockmig plan` end to end: a real engine, the real registry, a DNS server.

The project is the Knot example switched to a registry the test runs
(registry.example.test on 127.0.0.1, TLS from the test CA, htpasswd), so
phase 2 is ticked item by item from real answers; phase 1 is open, since the
engine here is Docker Engine, not OrbStack, until volumes are backed up for
real with `dockmig backup-volume`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockmig import plan
from dockmig.backup_command import backup_volume_command
from dockmig.plan_command import plan_command
from tests.conftest import REPO
from tests.services import REGISTRY_NAME
from tests.tools.engines import HELPER_IMAGE, run_in

pytestmark = [
    pytest.mark.docker,
    pytest.mark.registry,
    pytest.mark.dns,
    pytest.mark.usefixtures("docker_environment"),
]


def switched(root: Path, server: str) -> None:
    """What `dockmig rewrite-registry --to SERVER` leaves in the Knot project."""
    deploy = root / "config/deploy.yml"
    text = deploy.read_text().replace(
        "  server: localhost:5555\n",
        f"  server: {server}\n  username: testuser\n"
        "  password:\n    - KNOT_REGISTRY_PASSWORD\n",
    )
    deploy.write_text(text)
    common = root / ".kamal/secrets-common"
    common.write_text(
        common.read_text() + "KNOT_REGISTRY_PASSWORD=$KNOT_REGISTRY_PASSWORD\n"
    )


@pytest.fixture
def knot(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, own_dockerd: Any
) -> Path:
    registry = registries.get("tls-basic")
    dns = dns_server({REGISTRY_NAME: ["127.0.0.1"]})
    root = tmp_path / "knot"
    shutil.copytree(REPO / "examples" / "knot", root)
    (root / ".dockmig.yml").write_text(
        f"registry:\n  host: {REGISTRY_NAME}:{registry.port}\n"
        "  username: testuser\n  password_secret: KNOT_REGISTRY_PASSWORD\n"
        f"  expected_ip: 127.0.0.1\n  ca_file: {pki.ca}\n"
        "  previous: localhost:5555\n"
        "volumes: [falkordb_data]\n"
        f"backup:\n  dir: backups\n  helper_image: {HELPER_IMAGE}\n"
        f"doctor:\n  dns_server: {dns.address}\n  deadline: 20\n"
    )
    own_dockerd.docker("volume", "create", "falkordb_data")
    run_in(
        own_dockerd, HELPER_IMAGE, "/bin/sh", "-c", "echo graph > /data/dump.rdb",
        volume="falkordb_data",
    )  # fmt: skip
    yield root
    own_dockerd.docker("volume", "rm", "-f", "falkordb_data", check=False)


def run_plan(root: Path, engine: Any, password: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        plan_command,
        [str(root), *args],
        env={"DOCKER_HOST": engine.host, "KNOT_REGISTRY_PASSWORD": password},
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout


def states(root: Path, engine: Any, password: str) -> dict[str, str]:
    code, out = run_plan(root, engine, password, "--format", "json")
    assert code == 0, out
    return {item["id"]: item["state"] for item in json.loads(out)["items"]}


def registry_address(root: Path) -> str:
    settings = (root / ".dockmig.yml").read_text()
    match = re.search(r"host: (\S+)", settings)
    assert match
    return match.group(1)


def test_migrated_registry_ticks_phase_two_from_real_answers(
    knot: Path, own_dockerd: Any, canary_password: str
) -> None:
    switched(knot, registry_address(knot))
    found = states(knot, own_dockerd, canary_password)
    for item_id in (
        "dns-record",
        "propagation",
        "registry-up",
        "config-switched",
        "secret-added",
    ):
        assert found[item_id] == plan.TICKED, (item_id, found)
    # Nothing on this machine sees a deploy happen, here or elsewhere.
    assert found["deploy-from-here"] == plan.UNKNOWN
    assert found["deploy-from-elsewhere"] == plan.UNKNOWN


def test_project_still_on_the_local_registry_leaves_phase_two_open(
    knot: Path, own_dockerd: Any, canary_password: str
) -> None:
    found = states(knot, own_dockerd, canary_password)
    assert found["registry-up"] == plan.TICKED
    for item_id in (
        "config-switched",
        "secret-added",
        "deploy-from-here",
        "deploy-from-elsewhere",
    ):
        assert found[item_id] == plan.OPEN, (item_id, found)


def test_wrong_password_leaves_the_registry_open(knot: Path, own_dockerd: Any) -> None:
    switched(knot, registry_address(knot))
    code, out = run_plan(knot, own_dockerd, "not-the-password", "--format", "json")
    assert code == 0, out
    [item] = [i for i in json.loads(out)["items"] if i["id"] == "registry-up"]
    assert item["state"] == plan.OPEN
    assert item["evidence"].startswith("registry.login:")


def test_answers_at_another_address_leave_propagation_open(
    knot: Path, own_dockerd: Any, canary_password: str
) -> None:
    settings = knot / ".dockmig.yml"
    settings.write_text(
        settings.read_text().replace("expected_ip: 127.0.0.1", "expected_ip: 127.0.0.2")
    )
    found = states(knot, own_dockerd, canary_password)
    assert found["dns-record"] == plan.TICKED
    assert found["propagation"] == plan.OPEN


def test_backing_up_the_volume_ticks_the_backup_item(
    knot: Path, own_dockerd: Any, canary_password: str
) -> None:
    before = states(knot, own_dockerd, canary_password)
    assert before["backup-volumes"] == plan.OPEN
    # The engine here is Docker Engine: the OrbStack steps stay open.
    assert before["install-orbstack"] == plan.OPEN
    assert before["migrate"] == plan.OPEN
    assert before["stop-docker-desktop"] == plan.TICKED

    here = Path.cwd()
    os.chdir(knot)
    try:
        made = CliRunner().invoke(
            backup_volume_command, [], env={"DOCKER_HOST": own_dockerd.host}
        )
    finally:
        os.chdir(here)
    assert made.exit_code == 0, made.output

    after = states(knot, own_dockerd, canary_password)
    assert after["backup-volumes"] == plan.TICKED
    assert {k: v for k, v in after.items() if k != "backup-volumes"} == {
        k: v for k, v in before.items() if k != "backup-volumes"
    }


def test_markdown_is_a_task_list_with_the_same_verdicts(
    knot: Path, own_dockerd: Any, canary_password: str
) -> None:
    switched(knot, registry_address(knot))
    code, markdown = run_plan(
        knot, own_dockerd, canary_password, "--format", "markdown"
    )
    assert code == 0
    tasks = [line for line in markdown.splitlines() if line.startswith("- [")]
    found = states(knot, own_dockerd, canary_password)
    assert len(tasks) == len(found)
    assert sum(t.startswith("- [x]") for t in tasks) == list(found.values()).count(
        plan.TICKED
    )
    assert all(re.match(r"- \[[ x]\] \*\*", t) for t in tasks)
    assert markdown.count("### Phase") == 2
    assert canary_password not in markdown


def test_unreachable_registry_is_open_once_the_deadline_passes(
    knot: Path, own_dockerd: Any, canary_password: str, silent_listener: Any
) -> None:
    settings = knot / ".dockmig.yml"
    text = re.sub(
        r"host: \S+",
        f"host: {REGISTRY_NAME}:{silent_listener.port}",
        settings.read_text(),
    )
    settings.write_text(text.replace("deadline: 20", "deadline: 2"))
    found = states(knot, own_dockerd, canary_password)
    assert found["registry-up"] == plan.OPEN
    assert found["dns-record"] == plan.TICKED
