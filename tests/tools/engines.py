"""Engines and images for the tests of plan, cache and backup-volume.

`own_dockerd` starts a private engine for one test folder: `dockmig cache
prune` removes build cache and volumes, which must not happen to the
session's shared engine (`tests/conftest.py::dockerd`) that other tests read.
The shared fixtures and `tests/services.py` are used as they are.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require, require_binaries

HELPER_IMAGE = "dockmig-test/helper:1"


def busybox_rootfs(target: Path) -> Path:
    """A root file system of Debian's busybox-static with its applets linked."""
    busybox = shutil.which("busybox")
    assert busybox is not None
    with tarfile.open(target, "w") as archive:
        data = Path(busybox).read_bytes()
        entry = tarfile.TarInfo("bin/busybox")
        entry.size = len(data)
        entry.mode = 0o755
        archive.addfile(entry, io.BytesIO(data))
        for applet in ("sh", "true", "sleep", "stat", "find", "cat", "ln", "mkdir"):
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            archive.addfile(link)
    return target


def import_helper(engine: Any, folder: Path, tag: str = HELPER_IMAGE) -> str:
    """`docker import` of the busybox root file system: no registry involved."""
    folder.mkdir(parents=True, exist_ok=True)
    rootfs = busybox_rootfs(folder / "helper-rootfs.tar")
    engine.docker("import", "-c", 'CMD ["/bin/sh"]', str(rootfs), tag)
    return tag


def run_in(engine: Any, image: str, *args: str, volume: str | None = None) -> str:
    """Run a command in a throwaway container (no network), return its output."""
    mounts = ["-v", f"{volume}:/data"] if volume else []
    return str(
        engine.docker("run", "--rm", "--network", "none", *mounts, image, *args).stdout
    )


def start_private_engine() -> Any:
    from tests import services

    require_binaries("dockerd", "containerd", "busybox")
    require(services.SYSTEM_DOCKER.exists(), f"{services.SYSTEM_DOCKER} (docker.io)")
    require(os.geteuid() == 0, "root, which dockerd needs")
    return services.Dockerd(services.private_folder("dm-tools-")).start()


@pytest.fixture(scope="module")
def own_dockerd() -> Iterator[Any]:
    """A private, empty engine for one test module, with the helper image."""
    engine = start_private_engine()
    try:
        import_helper(engine, engine.folder / "seed")
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(engine.folder, ignore_errors=True)


@pytest.fixture
def docker_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No engine, context or CA bundle from the machine; a private DOCKER_CONFIG."""
    for name in (
        "DOCKER_HOST",
        "DOCKER_CONTEXT",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "BUILDX_CONFIG",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "KAMAL_DESTINATION",
    ):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}")
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return config
