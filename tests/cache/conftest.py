"""A scene on a private engine: builder state volumes, buildx entries, builds.

buildx itself is not installed here, so what it leaves on an engine is made
by hand, the way buildx makes it: a volume `buildx_buildkit_<node>_state`
holding BuildKit's state, a container `buildx_buildkit_<node>` that mounts
it, and an entry in `$DOCKER_CONFIG/buildx/instances/<builder>`. Build cache
records come from real BuildKit builds (`DOCKER_BUILDKIT=1`, 20.10 CLI).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.tools.engines import HELPER_IMAGE, docker_environment, own_dockerd

__all__ = ["docker_environment", "own_dockerd"]


@dataclass
class Scene:
    engine: Any
    config: Path
    folder: Path
    volumes: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def state_volume(self, node: str, kib: int) -> str:
        """A builder state volume holding `kib` KiB of data."""
        name = f"buildx_buildkit_{node}_state"
        self.engine.docker("volume", "create", name)
        self.volumes.append(name)
        self.engine.docker(
            "run", "--rm", "--network", "none", "-v", f"{name}:/state",
            HELPER_IMAGE, "/bin/busybox", "dd", "if=/dev/zero",
            "of=/state/cache", "bs=1024", f"count={kib}",
        )  # fmt: skip
        return name

    def buildx_entry(self, builder: str, nodes: list[str]) -> None:
        folder = self.config / "buildx" / "instances"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / builder).write_text(
            json.dumps(
                {
                    "Name": builder,
                    "Driver": "docker-container",
                    "Nodes": [{"Name": n, "Endpoint": "default"} for n in nodes],
                    "Dynamic": False,
                }
            )
        )

    def node_container(self, node: str, *, running: bool, name: str = "") -> str:
        """BuildKit's container for a node, mounting its state volume."""
        name = name or f"buildx_buildkit_{node}"
        mount = f"buildx_buildkit_{node}_state:/var/lib/buildkit"
        if running:
            self.engine.docker(
                "run", "-d", "--name", name, "--network", "none", "-v", mount,
                HELPER_IMAGE, "sleep", "600",
            )  # fmt: skip
        else:
            self.engine.docker(
                "create", "--name", name, "--network", "none", "-v", mount,
                HELPER_IMAGE, "sleep", "600",
            )  # fmt: skip
        self.containers.append(name)
        return name

    def build(self, tag: str, kib: int) -> None:
        """A real BuildKit build whose RUN step writes `kib` KiB."""
        context = self.folder / f"build-{tag.replace(':', '-').replace('/', '-')}"
        context.mkdir(parents=True, exist_ok=True)
        (context / "Dockerfile").write_text(
            f"FROM {HELPER_IMAGE}\n"
            f"RUN /bin/busybox dd if=/dev/urandom of=/filler bs=1024 count={kib}\n"
        )
        self.engine.docker("build", "-q", "--network", "none", "-t", tag, str(context))
        self.images.append(tag)

    def volume_names(self) -> set[str]:
        out = self.engine.docker("volume", "ls", "-q").stdout
        return set(out.split())

    def running(self, name: str) -> bool:
        out = self.engine.docker(
            "inspect", "-f", "{{.State.Running}}", name, check=False
        ).stdout
        return out.strip() == "true"

    def clean(self) -> None:
        if self.containers:
            self.engine.docker("rm", "-f", *self.containers, check=False)
        if self.volumes:
            self.engine.docker("volume", "rm", "-f", *self.volumes, check=False)
        if self.images:
            self.engine.docker("rmi", "-f", *self.images, check=False)
        self.engine.docker("builder", "prune", "-af", check=False)


@pytest.fixture
def scene(
    own_dockerd: Any,
    docker_environment: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Scene]:
    monkeypatch.setenv("DOCKER_HOST", own_dockerd.host)
    made = Scene(own_dockerd, docker_environment, tmp_path)
    try:
        yield made
    finally:
        made.clean()


def kamal_project(
    root: Path, registry: str = "registry.example.com", builder: str = ""
) -> Path:
    """A Kamal project Kamal 2.12 accepts, deploying through `registry`."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    credentials = (
        ""
        if registry.startswith("localhost:")
        else "  username: admin\n  password: [KAMAL_REGISTRY_PASSWORD]\n"
    )
    (root / "config" / "deploy.yml").write_text(
        textwrap.dedent(
            """\
            service: shop
            image: acme/shop
            servers:
              - 192.0.2.10
            """
        )
        + f"registry:\n  server: {registry}\n{credentials}"
        + (builder or "builder:\n  arch: amd64\n")
    )
    return root
