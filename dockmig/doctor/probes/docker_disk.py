"""The disk that holds the engine's data has room (disk/min_free).

Measured where the data really is: the engine's DockerRootDir when the engine
runs on this machine; for Docker Desktop and OrbStack, which keep everything
in a disk image under the home folder, the disk of the home folder. An
engine on another machine (tcp://, ssh://) is skipped: its disk cannot be
seen from here.
"""

from __future__ import annotations

import os
from pathlib import Path

from dockmig.doctor import Outcome, ProbeContext, human_size, ok, skip, warn
from dockmig.doctor.engine import DOCKER_DESKTOP, ORBSTACK, EngineFacts

ID = "docker.disk"
NEEDS = ("docker.engine",)
TIMEOUT = 2.0


def run(context: ProbeContext) -> Outcome:
    engine: EngineFacts = context.data("docker.engine")
    root = str(engine.info.get("DockerRootDir") or "")
    if engine.endpoint.socket_path is None:
        return skip(
            f"the engine at {engine.endpoint.host} is not on this machine; its free "
            "space cannot be measured from here"
        )

    if engine.kind in (DOCKER_DESKTOP, ORBSTACK):
        place = Path(context.inputs.environ.get("HOME") or Path.home())
        what = f"the disk of {place}, which holds {engine.kind}'s disk image"
    elif root and os.path.isdir(root):
        place = Path(root)
        what = f"the disk of {place} (DockerRootDir)"
    else:
        return skip(
            f"the engine's data folder {root or '(not reported)'} is not visible "
            "from here (an engine in a VM or a container)"
        )

    stats = os.statvfs(place)
    free = stats.f_bavail * stats.f_frsize
    size = stats.f_blocks * stats.f_frsize
    minimum = context.inputs.settings.min_free_bytes
    details = {
        "path": str(place),
        "free_bytes": free,
        "size_bytes": size,
        "min_free_bytes": minimum,
    }
    if free < minimum:
        return warn(
            f"only {human_size(free)} free on {what}, below the "
            f"{human_size(minimum)} minimum",
            "see what uses it with `docker system df`; `docker builder prune` and "
            "`docker image prune` reclaim the most",
            details=details,
        )
    return ok(
        f"{human_size(free)} free of {human_size(size)} on {what}", details=details
    )
