"""BuildKit's cache, builder state volumes included, is under the limit.

`docker builder prune` empties the cache of the engine's own builder only.
A `docker-container` builder (Kamal's default) keeps its cache in a volume
named `buildx_buildkit_<builder>0_state`, which that command never touches
and which stays behind when the builder goes. Kamal names its builder after
the driver and whether the registry is local, so moving off the local
registry leaves the old builder's volume orphaned. The total compared with
`.dockmig.yml` buildkit/cache_limit is the engine's cache records plus every
state volume.
"""

from __future__ import annotations

import re

from dockmig.cache import buildx_store, owner
from dockmig.doctor import Outcome, ProbeContext, human_size, ok, warn
from dockmig.doctor.engine import EngineFacts, connect

ID = "docker.buildkit-cache"
NEEDS = ("docker.engine",)
TIMEOUT = 8.0

STATE_VOLUME = re.compile(r"^buildx_buildkit_(?P<node>.+)_state$")


def run(context: ProbeContext) -> Outcome:
    engine: EngineFacts = context.data("docker.engine")
    context.doing(f"disk usage (/system/df) from {engine.endpoint.host}")
    client = connect(engine.endpoint, context.timeout(), engine.api_version)
    try:
        usage = client.df()
        context.doing(f"the container list from {engine.endpoint.host}")
        containers = client.containers(all=True)
    finally:
        client.close()

    # API 1.41 sends null for an empty cache, newer engines [].
    records = usage.get("BuildCache") or []
    cache_bytes = sum(max(int(r.get("Size") or 0), 0) for r in records)
    names = {n.lstrip("/") for c in containers for n in c.get("Names") or []}
    # buildx's own entries name each builder's nodes; guessing the builder by
    # stripping digits breaks on names that end in digits (ssh://…10.0.0.1).
    store = buildx_store(context.inputs.environ)

    volumes = []
    orphans = []
    for volume in usage.get("Volumes") or []:
        match = STATE_VOLUME.match(str(volume.get("Name", "")))
        if match is None:
            continue
        size = int((volume.get("UsageData") or {}).get("Size") or 0)
        volumes.append((volume["Name"], max(size, 0)))
        node = match.group("node")
        _, known = owner(node, store)
        if f"buildx_buildkit_{node}" not in names and not known:
            orphans.append((volume["Name"], max(size, 0)))

    limit = context.inputs.settings.cache_limit_bytes
    volume_bytes = sum(size for _, size in volumes)
    total = cache_bytes + volume_bytes
    details = {
        "total_bytes": total,
        "limit_bytes": limit,
        "cache_records": len(records),
        "cache_bytes": cache_bytes,
        "state_volumes": [{"name": n, "bytes": s} for n, s in volumes],
        "orphaned_volumes": [n for n, _ in orphans],
    }
    summary = (
        f"BuildKit cache {human_size(total)} ({len(records)} records "
        f"{human_size(cache_bytes)}, {len(volumes)} builder state volume(s) "
        f"{human_size(volume_bytes)}), limit {human_size(limit)}"
    )

    problems = []
    remedies = []
    if total > limit:
        problems.append(f"over the {human_size(limit)} limit")
        remedies.append("`docker builder prune` for the engine's cache")
        if volumes:
            remedies.append(
                "`docker buildx prune --builder NAME` for each container builder"
            )
    if orphans:
        listed = ", ".join(f"{n} ({human_size(s)})" for n, s in orphans)
        problems.append(f"orphaned builder state volume(s): {listed}")
        remedies.append(
            "remove volumes no builder uses: "
            + "; ".join(f"`docker volume rm {n}`" for n, _ in orphans)
        )
        if any(n.startswith("buildx_buildkit_kamal") for n, _ in orphans):
            remedies.append(
                "expect one after each registry move: Kamal names its builder "
                "after whether the registry is local"
            )
    if problems:
        return warn(
            f"{summary}; " + "; ".join(problems),
            ", then ".join(remedies),
            details=details,
        )
    return ok(summary, details=details)
