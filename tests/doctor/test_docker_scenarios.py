"""The issue's engine scenarios against a real, private dockerd.

The session's engine holds an image, the volume falkordb_data and BuildKit
cache from a real build (about 2 MB). Tests that add to it remove what they
added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.doctor.conftest import DOCKER_PROBES, doctor

pytestmark = pytest.mark.docker

HEALTHY_SETTINGS = """\
    volumes: [falkordb_data]
    backup:
      dir: backups
      max_age_hours: 24
    buildkit:
      cache_limit: 20GB
    disk:
      min_free: 1MB
    """


def project(
    root: Path, settings: str = HEALTHY_SETTINGS, backup_age_hours: float = 1
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".dockmig.yml").write_text(textwrap.dedent(settings))
    if backup_age_hours >= 0:
        backups = root / "backups"
        backups.mkdir(exist_ok=True)
        archive = backups / "falkordb_data-20261204T0900.tar.gz"
        archive.write_bytes(b"not really gzip, but not empty")
        stamp = time.time() - backup_age_hours * 3600
        os.utime(archive, (stamp, stamp))
    return root


def docker_cli() -> str:
    found = shutil.which("docker")
    require(found is not None, "the docker CLI (docker.io)")
    assert found is not None
    return found


@pytest.fixture
def orphan_volume(dockerd: Any) -> Iterator[str]:
    """A state volume with data whose builder container and buildx entry are gone."""
    name = "buildx_buildkit_kamal-local-docker-container0_state"
    dockerd.docker("volume", "create", name)
    dockerd.docker(
        "run", "--rm", "--network", "none", "-v", f"{name}:/state",
        "dockmig/busybox:test", "/bin/sh", "-c",
        "dd if=/dev/zero of=/state/cache bs=1024 count=512",
    )  # fmt: skip
    yield name
    dockerd.docker("volume", "rm", "-f", name, check=False)


def test_engine_up_passes_every_docker_probe(tmp_path: Path, dockerd: Any) -> None:
    root = project(tmp_path / "p")
    run = doctor(str(root), "--only", "docker", env={"DOCKER_HOST": dockerd.host})
    assert run.statuses == dict.fromkeys(DOCKER_PROBES, "ok"), run.stdout
    assert run.exit_code == 0
    engine = run.probe("docker.engine")
    assert engine["details"]["kind"] == "Docker Engine"
    assert engine["details"]["api_version"] == "1.41"
    cache = run.probe("docker.buildkit-cache")["details"]
    assert cache["cache_records"] > 0 and cache["cache_bytes"] >= 2 * 1024 * 1024
    assert run.probe("docker.endpoint")["details"]["source"] == "DOCKER_HOST"


def test_engine_down_fails_with_the_remedy_and_skips_what_needs_it(
    tmp_path: Path,
) -> None:
    root = project(tmp_path / "p")
    dead = f"unix://{tmp_path}/no-engine.sock"
    run = doctor(str(root), "--only", "docker", env={"DOCKER_HOST": dead})
    assert run.statuses == {
        "docker.endpoint": "ok",
        "docker.engine": "fail",
        "docker.other-engine": "ok",
        "docker.buildkit-cache": "skip",
        "docker.disk": "skip",
        "docker.volumes-backup": "skip",
    }, run.stdout
    engine = run.probe("docker.engine")
    assert "no socket at" in engine["summary"]
    assert "unset DOCKER_HOST" in engine["remedy"]
    assert run.exit_code == 1


def test_context_pointing_at_a_dead_socket_fails_the_engine_naming_the_context(
    tmp_path: Path, clean_environment: dict[str, str]
) -> None:
    dead = tmp_path / "gone.sock"
    subprocess.run(
        [
            docker_cli(),
            "context",
            "create",
            "old-desktop",
            "--docker",
            f"host=unix://{dead}",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [docker_cli(), "context", "use", "old-desktop"], check=True, capture_output=True
    )
    run = doctor(str(project(tmp_path / "p")), "--only", "docker.engine")
    assert run.statuses == {"docker.endpoint": "ok", "docker.engine": "fail"}
    endpoint = run.probe("docker.endpoint")
    assert endpoint["details"]["context"] == "old-desktop"
    assert endpoint["details"]["source"].startswith("currentContext in ")
    engine = run.probe("docker.engine")
    assert "old-desktop" in engine["summary"]
    assert "docker context use" in engine["remedy"]


def test_docker_context_variable_reaches_the_engine_through_the_store(
    tmp_path: Path, dockerd: Any
) -> None:
    subprocess.run(
        [
            docker_cli(),
            "context",
            "create",
            "private",
            "--docker",
            f"host={dockerd.host}",
        ],
        check=True,
        capture_output=True,
    )
    run = doctor(
        str(project(tmp_path / "p")), "--only", "docker.engine",
        env={"DOCKER_CONTEXT": "private"},
    )  # fmt: skip
    assert run.statuses == {"docker.endpoint": "ok", "docker.engine": "ok"}
    assert run.probe("docker.endpoint")["details"]["source"] == "DOCKER_CONTEXT"


def test_unknown_context_fails_the_endpoint_as_the_cli_would(tmp_path: Path) -> None:
    run = doctor(
        str(tmp_path), "--only", "docker.engine", "--context", "nowhere",
    )  # fmt: skip
    assert run.statuses == {"docker.endpoint": "fail", "docker.engine": "skip"}
    assert "docker context ls" in run.probe("docker.endpoint")["remedy"]


def test_buildkit_cache_over_the_limit_warns(tmp_path: Path, dockerd: Any) -> None:
    settings = HEALTHY_SETTINGS.replace("cache_limit: 20GB", "cache_limit: 1MB")
    run = doctor(
        str(project(tmp_path / "p", settings)), "--only", "docker.buildkit-cache",
        env={"DOCKER_HOST": dockerd.host},
    )  # fmt: skip
    assert run.statuses == {
        "docker.endpoint": "ok",
        "docker.engine": "ok",
        "docker.buildkit-cache": "warn",
    }
    cache = run.probe("docker.buildkit-cache")
    assert "over the 1.0 MB limit" in cache["summary"]
    assert "docker builder prune" in cache["remedy"]
    assert run.exit_code == 0


def test_orphaned_builder_state_volume_warns_and_names_it(
    tmp_path: Path, dockerd: Any, orphan_volume: str
) -> None:
    run = doctor(
        str(project(tmp_path / "p")), "--only", "docker.buildkit-cache",
        env={"DOCKER_HOST": dockerd.host},
    )  # fmt: skip
    assert run.statuses["docker.buildkit-cache"] == "warn"
    cache = run.probe("docker.buildkit-cache")
    assert cache["details"]["orphaned_volumes"] == [orphan_volume]
    assert orphan_volume in cache["summary"]
    assert f"docker volume rm {orphan_volume}" in cache["remedy"]
    # Counted in the total although `docker builder prune` never touches it.
    assert (
        cache["details"]["total_bytes"] >= cache["details"]["cache_bytes"] + 512 * 1024
    )


def test_state_volume_of_a_builder_buildx_knows_is_not_orphaned(
    tmp_path: Path, dockerd: Any, orphan_volume: str, clean_environment: dict[str, str]
) -> None:
    instances = Path(clean_environment["DOCKER_CONFIG"]) / "buildx" / "instances"
    instances.mkdir(parents=True)
    (instances / "kamal-local-docker-container").write_text("{}")
    run = doctor(
        str(project(tmp_path / "p")), "--only", "docker.buildkit-cache",
        env={"DOCKER_HOST": dockerd.host},
    )  # fmt: skip
    assert run.statuses["docker.buildkit-cache"] == "ok", run.stdout
    assert run.probe("docker.buildkit-cache")["details"]["orphaned_volumes"] == []


def test_missing_volume_backup_fails(tmp_path: Path, dockerd: Any) -> None:
    root = project(tmp_path / "p", backup_age_hours=-1)
    run = doctor(
        str(root), "--only", "docker.volumes-backup", env={"DOCKER_HOST": dockerd.host}
    )
    assert run.statuses["docker.volumes-backup"] == "fail"
    backup = run.probe("docker.volumes-backup")
    assert "falkordb_data has no backup in backups/" in backup["summary"]
    assert "dockmig backup-volume falkordb_data --to backups" in backup["remedy"]
    assert run.exit_code == 1


def test_backup_older_than_the_limit_fails(tmp_path: Path, dockerd: Any) -> None:
    root = project(tmp_path / "p", backup_age_hours=30)
    run = doctor(
        str(root), "--only", "docker.volumes-backup", env={"DOCKER_HOST": dockerd.host}
    )
    assert run.statuses["docker.volumes-backup"] == "fail"
    assert "30 h old, over 24 h" in run.probe("docker.volumes-backup")["summary"]


def test_volume_missing_from_the_engine_fails(tmp_path: Path, dockerd: Any) -> None:
    settings = HEALTHY_SETTINGS.replace(
        "[falkordb_data]", "[falkordb_data, redis_data]"
    )
    root = project(tmp_path / "p", settings)
    (root / "backups" / "redis_data.tar").write_bytes(b"x")
    run = doctor(
        str(root), "--only", "docker.volumes-backup", env={"DOCKER_HOST": dockerd.host}
    )
    assert run.statuses["docker.volumes-backup"] == "fail"
    assert run.probe("docker.volumes-backup")["summary"] == (
        "volume redis_data does not exist in this engine"
    )


def test_no_volumes_listed_skips_the_backup_probe(tmp_path: Path, dockerd: Any) -> None:
    root = project(tmp_path / "p", "disk: {min_free: 1MB}\n", backup_age_hours=-1)
    run = doctor(
        str(root), "--only", "docker.volumes-backup", env={"DOCKER_HOST": dockerd.host}
    )
    assert run.statuses["docker.volumes-backup"] == "skip"


def test_disk_below_the_minimum_warns(tmp_path: Path, dockerd: Any) -> None:
    settings = HEALTHY_SETTINGS.replace("min_free: 1MB", "min_free: 1000TB")
    run = doctor(
        str(project(tmp_path / "p", settings)), "--only", "docker.disk",
        env={"DOCKER_HOST": dockerd.host},
    )  # fmt: skip
    assert run.statuses["docker.disk"] == "warn"
    assert "below the 1000.0 TB minimum" in run.probe("docker.disk")["summary"]


def test_other_engine_still_holding_volumes_warns(
    tmp_path: Path, dockerd: Any, clean_environment: dict[str, str]
) -> None:
    # Docker Desktop's socket location, pointing at the session's engine,
    # while the CLI uses another (dead) one: the move is half done.
    desktop = Path(clean_environment["HOME"]) / ".docker" / "run" / "docker.sock"
    desktop.parent.mkdir(parents=True)
    desktop.symlink_to(dockerd.socket)
    run = doctor(
        str(project(tmp_path / "p")), "--only", "docker.other-engine",
        env={"DOCKER_HOST": f"unix://{tmp_path}/orbstack.sock"},
    )  # fmt: skip
    assert run.statuses == {"docker.endpoint": "ok", "docker.other-engine": "warn"}
    other = run.probe("docker.other-engine")
    assert other["summary"].startswith(f"Docker Desktop at {desktop} still answers")
    assert "(falkordb_data)" in other["summary"]
    assert "volume ls" in other["remedy"]


def test_the_engine_in_use_is_not_another_engine(
    tmp_path: Path, dockerd: Any, clean_environment: dict[str, str]
) -> None:
    desktop = Path(clean_environment["HOME"]) / ".docker" / "run" / "docker.sock"
    desktop.parent.mkdir(parents=True)
    desktop.symlink_to(dockerd.socket)
    run = doctor(
        str(project(tmp_path / "p")), "--only", "docker.other-engine",
        env={"DOCKER_HOST": f"unix://{desktop}"},
    )  # fmt: skip
    assert run.statuses == {"docker.endpoint": "ok", "docker.other-engine": "ok"}


@pytest.mark.parametrize("with_client_certificate", [True, False])
def test_context_with_mutual_tls_reaches_the_engine_despite_ca_bundle_variables(
    tmp_path: Path,
    dockerd: Any,
    pki: Any,
    monkeypatch: pytest.MonkeyPatch,
    with_client_certificate: bool,
) -> None:
    endpoint = f"host=tcp://127.0.0.1:{dockerd.tcp_port},ca={pki.ca}"
    if with_client_certificate:
        endpoint += f",cert={pki.client.cert},key={pki.client.key}"
    subprocess.run(
        [docker_cli(), "context", "create", "secure", "--docker", endpoint],
        check=True,
        capture_output=True,
    )
    # requests would let this replace the context's CA: the trap the SDK falls in.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    run = doctor(
        str(project(tmp_path / "p")), "--only", "docker.engine", "--context", "secure"
    )
    expected = "ok" if with_client_certificate else "fail"
    assert run.statuses == {"docker.endpoint": "ok", "docker.engine": expected}, (
        run.stdout
    )
    assert run.probe("docker.endpoint")["details"]["tls"] is True
    if not with_client_certificate:
        assert "TLS with tcp://127.0.0.1:" in run.probe("docker.engine")["summary"]


def test_docker_desktop_disk_image_left_behind_warns(
    tmp_path: Path, clean_environment: dict[str, str]
) -> None:
    image = Path(clean_environment["HOME"]) / (
        "Library/Containers/com.docker.docker/Data/vms/0/data/Docker.raw"
    )
    image.parent.mkdir(parents=True)
    with image.open("wb") as sparse:
        sparse.truncate(64 * 10**9)  # nominal size; only written blocks count
        sparse.write(b"x" * 4096)
    run = doctor(
        str(tmp_path), "--only", "docker.other-engine",
        env={"DOCKER_HOST": f"unix://{tmp_path}/orbstack.sock"},
    )  # fmt: skip
    assert run.statuses == {"docker.endpoint": "ok", "docker.other-engine": "warn"}
    other = run.probe("docker.other-engine")
    assert other["summary"].startswith(f"Docker Desktop's disk image {image} (0.0 GB)")


def test_a_longer_volume_s_archive_is_not_taken_for_a_backup(tmp_path: Path) -> None:
    from dockmig.doctor.probes.docker_volumes_backup import _newest_backup

    (tmp_path / "falkordb_data-20261204T0900.tar.gz").write_bytes(b"x")
    assert _newest_backup(tmp_path, "falkordb") is None
    assert _newest_backup(tmp_path, "falkordb_data") is not None
