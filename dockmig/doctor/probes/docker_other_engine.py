"""No other engine (e.g. Docker Desktop beside OrbStack) still holds data.

Moving from Docker Desktop to OrbStack leaves Docker Desktop's volumes and
images behind, in its own disk image; uninstalling it deletes them. This
probe looks at the sockets the usual engines create under the home folder,
the system socket, and every unix endpoint in the contexts store. One that
answers with volumes or images is a warning naming what it holds (the
volumes listed in `.dockmig.yml` first); a Docker Desktop disk image left on
disk with no engine answering is a warning too.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from dockmig.doctor import Outcome, ProbeContext, ok, warn
from dockmig.doctor.endpoint import Endpoint, config_dir, list_contexts
from dockmig.doctor.engine import (
    COLIMA,
    DOCKER_DESKTOP,
    ORBSTACK,
    RANCHER_DESKTOP,
    connect,
    identify,
)

logger = logging.getLogger(__name__)

ID = "docker.other-engine"
NEEDS = ("docker.endpoint",)
TIMEOUT = 5.0

# Where the usual engines put their sockets, relative to the home folder.
HOME_SOCKETS = [
    (DOCKER_DESKTOP, ".docker/run/docker.sock"),
    (DOCKER_DESKTOP, ".docker/desktop/docker.sock"),
    (DOCKER_DESKTOP, "Library/Containers/com.docker.docker/Data/docker.raw.sock"),
    (ORBSTACK, ".orbstack/run/docker.sock"),
    (COLIMA, ".colima/default/docker.sock"),
    (RANCHER_DESKTOP, ".rd/docker.sock"),
]
SYSTEM_SOCKETS = [("the system engine", "/var/run/docker.sock")]
# Docker Desktop keeps every volume and image in one sparse disk image.
DATA_FILES = [
    (DOCKER_DESKTOP, "Library/Containers/com.docker.docker/Data/vms/0/data/Docker.raw"),
    (DOCKER_DESKTOP, ".docker/desktop/vms/0/data/Docker.raw"),
]
_PER_ENGINE = 2.0


@dataclass(frozen=True)
class Found:
    label: str
    path: str
    volumes: list[str]
    images: int

    @property
    def holds_data(self) -> bool:
        return bool(self.volumes) or self.images > 0


def run(context: ProbeContext) -> Outcome:
    current: Endpoint = context.data("docker.endpoint")
    home = Path(context.inputs.environ.get("HOME") or Path.home())
    candidates = _candidates(home, context)
    mine = _real(current.socket_path) if current.socket_path else None

    answering: list[Found] = []
    silent: list[str] = []
    seen: set[str] = set()
    for label, path in candidates:
        real = _real(Path(path))
        if real is None or real == mine or real in seen:
            continue
        seen.add(real)
        found = _ask(context, label, path)
        if found is None:
            silent.append(path)
        else:
            answering.append(found)

    wanted = set(context.inputs.settings.volumes)
    holding = [f for f in answering if f.holds_data]
    details = {
        "checked": [path for _, path in candidates],
        "answering": [
            {
                "engine": f.label,
                "socket": f.path,
                "volumes": f.volumes,
                "images": f.images,
            }
            for f in answering
        ],
        "not_answering": silent,
    }
    if holding:
        first = holding[0]
        listed = sorted(wanted & set(first.volumes)) or first.volumes[:3]
        more = len(first.volumes) - len(listed)
        what = ", ".join(listed) + (f" and {more} more" if more > 0 else "")
        summary = (
            f"{first.label} at {first.path} still answers and holds "
            f"{len(first.volumes)} volume(s) ({what or 'none'}) and "
            f"{first.images} image(s)"
        )
        if len(holding) > 1:
            summary += f"; {len(holding) - 1} more engine(s) hold data too"
        return warn(summary, _backup_remedy(first.path), details=details)

    leftovers = _disk_images(home)
    if leftovers:
        label, path, size = leftovers[0]
        details["disk_images"] = [
            {"engine": e, "path": p, "bytes": b} for e, p, b in leftovers
        ]
        return warn(
            f"{label}'s disk image {path} ({size / 1e9:.1f} GB) still exists; its "
            "volumes and images are in it although no engine answers for it",
            f"start {label} and back up its volumes before deleting it or uninstalling",
            details=details,
        )

    if answering:
        names = ", ".join(f"{f.label} at {f.path}" for f in answering)
        return ok(
            f"{names} also answers but holds no volumes or images", details=details
        )
    return ok("no other engine answers or holds data here", details=details)


def _candidates(home: Path, context: ProbeContext) -> list[tuple[str, str]]:
    found = [(label, str(home / relative)) for label, relative in HOME_SOCKETS]
    found.extend(SYSTEM_SOCKETS)
    contexts = list_contexts(config_dir(context.inputs.environ))
    for name, host in contexts.items():
        if host.startswith("unix://"):
            found.append((f"context {name!r}", host[len("unix://") :]))
    return found


def _real(path: Path | None) -> str | None:
    if path is None or not os.path.exists(path):
        return None
    return os.path.realpath(path)


def _ask(context: ProbeContext, label: str, path: str) -> Found | None:
    context.doing(f"the engine socket {path}")
    endpoint = Endpoint(host=f"unix://{path}", context="", source="")
    try:
        client = connect(endpoint, context.timeout(_PER_ENGINE))
        try:
            info = client.info()
            version = client.version()
            volumes = client.volumes().get("Volumes") or []
        finally:
            client.close()
    except Exception as error:  # not answering is an answer here
        logger.debug("%s does not answer: %s", path, error)
        return None

    kind = identify(info, version)
    shown = kind if label.startswith("context") or label.startswith("the ") else label
    names = sorted(str(v.get("Name")) for v in volumes if isinstance(v, dict))
    return Found(shown, path, names, int(info.get("Images") or 0))


def _disk_images(home: Path) -> list[tuple[str, str, int]]:
    found = []
    for label, relative in DATA_FILES:
        path = home / relative
        try:
            stat = path.stat()
        except OSError:
            continue
        # The image is sparse: count the blocks in use, not its nominal size.
        found.append((label, str(path), stat.st_blocks * 512))
    return found


def _backup_remedy(path: str) -> str:
    host = f"unix://{path}"
    return (
        f"back it up before uninstalling: `docker -H {host} volume ls`, then per "
        f'volume `docker -H {host} run --rm -v VOLUME:/v -v "$PWD/backups":/b '
        "busybox tar -czf /b/VOLUME.tar.gz -C /v .`"
    )
