"""BuildKit's cache on the engine: what it holds, what nobody uses, a safe prune.

Two kinds of cache fill the disk. The engine's own BuildKit keeps build
cache records (`docker builder prune` clears them). A buildx builder with the
`docker-container` driver, which is what Kamal creates, runs BuildKit in a
container `buildx_buildkit_<node>` and keeps its cache in the volume
`buildx_buildkit_<node>_state`, where `<node>` is the builder's name and
the node's index (`kamal-local-docker-container0`). `docker builder prune`
never touches those volumes, and `docker buildx rm` is the only thing that
removes one with its builder.

Kamal names its builder from the config (kamal.md §7; Kamal 2.12's
`commands/builder/*.rb`): `kamal-local-<driver>`, or
`kamal-local-registry-<driver>` while `registry/server` is `localhost:PORT`;
`kamal-remote-<remote>` and `kamal-hybrid-<driver>-<remote>` with
`builder/remote`, the remote URL with every character outside `a-z0-9_-`
turned into `-` and `-local-registry` appended with the local registry. A
remote builder's node lives on the remote engine; a hybrid one's first node
here. The `docker` driver, Docker Build Cloud and buildpacks create no state
volume here. So moving off the local registry leaves the old
`kamal-local-registry-…` builder and its volume behind.

Each state volume is classified: `in use` (the project's config uses its
builder), `orphan` (its builder is gone: no buildx entry, no container),
`left behind` (a Kamal builder that exists but the project's config no
longer uses; another project on this machine might), or `other` (a builder
that is not Kamal's, left alone). Prune removes orphans first, then what was
left behind, never a volume a running container uses; with `--keep` it then
trims the engine's build cache to that size.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dockmig import erb
from dockmig.errors import DockmigError

logger = logging.getLogger(__name__)

STATE_VOLUME = re.compile(r"^buildx_buildkit_(?P<node>.+)_state$")
NODE_CONTAINER = "buildx_buildkit_{node}"
# Kamal's own test for its local registry (`^localhost[:$]` in Ruby, where
# `$` inside brackets is a literal character).
_LOCAL_REGISTRY = re.compile(r"^localhost[:$]")
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

IN_USE = "in use"
ORPHAN = "orphan"
LEFT_BEHIND = "left behind"
OTHER = "other"


@dataclass(frozen=True)
class ProjectBuilder:
    """The builder one target of the project's config makes Kamal use."""

    target: str  # "base" or the destination
    name: str | None  # None: no buildx builder (docker driver, cloud, pack)
    kind: str  # local, remote, hybrid, cloud, pack, docker driver, unknown
    state_here: bool  # a node, so a state volume, on this engine

    def describe(self) -> str:
        if self.name is None:
            return f"{self.target}: {self.kind}, no builder state volume"
        where = "here" if self.state_here else "on the remote engine"
        return f"{self.target}: {self.name} ({self.kind}, state {where})"


@dataclass(frozen=True)
class User:
    container: str
    running: bool


@dataclass
class StateVolume:
    name: str
    node: str
    size: int
    builder: str
    builder_exists: bool
    project_uses: bool | None
    users: list[User]
    status: str = OTHER
    reason: str = ""

    @property
    def orphaned(self) -> bool:
        return self.status in (ORPHAN, LEFT_BEHIND)


@dataclass(frozen=True)
class Record:
    """One BuildKit cache record of the engine's own builder."""

    id: str
    kind: str
    size: int
    in_use: bool
    shared: bool
    last_used: str
    description: str


@dataclass
class Report:
    engine: str
    records: list[Record]
    volumes: list[StateVolume]
    builders: list[ProjectBuilder]
    limit: int
    project_note: str | None = None

    @property
    def records_bytes(self) -> int:
        return sum(record.size for record in self.records)

    @property
    def volumes_bytes(self) -> int:
        return sum(volume.size for volume in self.volumes)

    @property
    def total(self) -> int:
        return self.records_bytes + self.volumes_bytes

    def orphaned_builders(self) -> list[str]:
        return list(dict.fromkeys(v.builder for v in self.volumes if v.orphaned))


# -- the project's builders ---------------------------------------------------------


def project_builder(target: str, data: Mapping[str, Any], arch: str) -> ProjectBuilder:
    """The builder Kamal 2.12 would use for this merged config on an `arch` engine."""
    builder = data.get("builder")
    builder = builder if isinstance(builder, dict) else {}
    registry = data.get("registry")
    server = registry.get("server") if isinstance(registry, dict) else None
    if _computed(builder) or _computed(server):
        return ProjectBuilder(target, None, "unknown (ERB dockmig does not run)", False)

    local_registry = isinstance(server, str) and bool(_LOCAL_REGISTRY.match(server))
    driver = str(builder.get("driver", "docker-container"))
    remote = builder.get("remote")
    remote = str(remote) if remote else None
    arch_value = builder.get("arch")
    if isinstance(arch_value, list):
        arches = [str(a) for a in arch_value]
    else:
        arches = [str(arch_value)] if arch_value else []

    # Kamal's split: with a remote, only this engine's own arch builds here.
    local_disabled = builder.get("local") is False
    if local_disabled:
        local_arches: list[str] = []
    elif remote:
        local_arches = [a for a in arches if a == arch]
    else:
        local_arches = arches
    remote_arches = [a for a in arches if a not in local_arches] if remote else []
    builds_here = not local_disabled and (not arches or bool(local_arches))

    if remote_arches and remote:
        suffix = re.sub(r"[^a-z0-9_-]", "-", remote)
        suffix += "-local-registry" if local_registry else ""
        if builds_here:
            return ProjectBuilder(
                target, f"kamal-hybrid-{driver}-{suffix}", "hybrid", True
            )
        return ProjectBuilder(target, f"kamal-remote-{suffix}", "remote", False)
    if isinstance(builder.get("pack"), dict) and builder["pack"]:
        return ProjectBuilder(target, None, "buildpacks", False)
    if driver.startswith("cloud"):
        return ProjectBuilder(target, None, "Docker Build Cloud", False)
    if driver == "docker":
        return ProjectBuilder(target, None, "the engine's own builder", False)
    prefix = "kamal-local-registry" if local_registry else "kamal-local"
    return ProjectBuilder(target, f"{prefix}-{driver}", "local", True)


def _computed(value: Any) -> bool:
    if isinstance(value, str):
        return erb.PLACEHOLDER_PREFIX in value
    if isinstance(value, dict):
        return any(_computed(v) for v in value.values())
    if isinstance(value, list):
        return any(_computed(v) for v in value)
    return False


def engine_arch(info: Mapping[str, Any]) -> str:
    """The engine's architecture in Kamal's words (amd64, arm64)."""
    machine = str(info.get("Architecture") or "").lower()
    return _ARCHES.get(machine, machine)


def project_builders(
    root: Path, arch: str, environ: Mapping[str, str]
) -> tuple[list[ProjectBuilder], str | None]:
    """Every target's builder, or why the project's builders are unknown."""
    from dockmig.doctor import inputs as doctor_inputs

    gathered = doctor_inputs.gather(root, environ=environ)
    if gathered.project_error:
        return [], f"the Kamal project cannot be read: {gathered.project_error}"
    if gathered.project is None:
        return [], f"no config/deploy.yml in {root}: no project to compare with"
    found = []
    for target in gathered.targets:
        name = target.destination or "base"
        data = target.data if isinstance(target.data, dict) else {}
        found.append(project_builder(name, data, arch))
    return found, None


# -- what buildx knows ------------------------------------------------------------


def buildx_store(environ: Mapping[str, str]) -> dict[str, list[str]]:
    """Builders buildx knows on this machine and their node names."""
    configured = environ.get("BUILDX_CONFIG")
    if configured:
        folder = Path(configured) / "instances"
    else:
        from dockmig.doctor.endpoint import config_dir

        folder = config_dir(environ) / "buildx" / "instances"
    if not folder.is_dir():
        return {}

    builders: dict[str, list[str]] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            nodes = [str(n["Name"]) for n in data.get("Nodes") or []]
            name = str(data.get("Name") or path.name)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # An entry buildx itself wrote but dockmig cannot read still
            # means the builder exists.
            logger.info("cannot read the buildx entry %s", path)
            name, nodes = path.name, []
        builders[name] = nodes
    return builders


def owner(node: str, store: Mapping[str, list[str]]) -> tuple[str, bool]:
    """The builder a node belongs to, and whether buildx knows it.

    buildx names nodes `<builder><index>`; a node listed in an entry is
    certain, otherwise the longest known builder name that prefixes the node
    followed by digits, otherwise the node without its trailing digits.
    """
    for name, nodes in store.items():
        if node in nodes:
            return name, True
    candidates = [
        name for name in store if node.startswith(name) and node[len(name) :].isdigit()
    ]
    if candidates:
        return max(candidates, key=len), True
    return re.sub(r"[0-9]+$", "", node) or node, False


# -- the report -------------------------------------------------------------------


def gather(
    client: Any,
    root: Path,
    limit: int,
    environ: Mapping[str, str],
    engine: str = "",
) -> Report:
    """Read the engine, buildx's entries and the project into one report."""
    usage = client.df()
    containers = client.containers(all=True)
    info = client.info()

    builders, note = project_builders(root, engine_arch(info), environ)
    names = {b.name for b in builders if b.name}
    store = buildx_store(environ)
    by_name = {n.lstrip("/"): c for c in containers for n in (c.get("Names") or [])[:1]}
    users = _volume_users(containers)

    # API 1.41 sends null for an empty cache, newer engines [].
    records = [_record(r) for r in usage.get("BuildCache") or []]
    volumes = []
    for volume in usage.get("Volumes") or []:
        match = STATE_VOLUME.match(str(volume.get("Name", "")))
        if match is None:
            continue
        node = match.group("node")
        builder, known = owner(node, store)
        state = StateVolume(
            name=str(volume["Name"]),
            node=node,
            size=max(int((volume.get("UsageData") or {}).get("Size") or 0), 0),
            builder=builder,
            builder_exists=known or NODE_CONTAINER.format(node=node) in by_name,
            project_uses=None if note else builder in names,
            users=users.get(str(volume["Name"]), []),
        )
        _classify(state, builders)
        volumes.append(state)

    volumes.sort(key=lambda v: (not v.orphaned, -v.size, v.name))
    return Report(engine, records, volumes, builders, limit, note)


def _record(raw: Mapping[str, Any]) -> Record:
    return Record(
        id=str(raw.get("ID", "")),
        kind=str(raw.get("Type", "")),
        size=max(int(raw.get("Size") or 0), 0),
        in_use=bool(raw.get("InUse")),
        shared=bool(raw.get("Shared")),
        last_used=str(raw.get("LastUsedAt") or raw.get("CreatedAt") or ""),
        description=str(raw.get("Description") or ""),
    )


def _volume_users(containers: Iterable[Mapping[str, Any]]) -> dict[str, list[User]]:
    users: dict[str, list[User]] = {}
    for container in containers:
        name = next(iter(container.get("Names") or []), "?").lstrip("/")
        running = container.get("State") == "running"
        for mount in container.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name"):
                users.setdefault(str(mount["Name"]), []).append(User(name, running))
    return users


def _classify(volume: StateVolume, builders: list[ProjectBuilder]) -> None:
    kamal = volume.builder.startswith("kamal-")
    used_by = [b.target for b in builders if b.name == volume.builder]
    if used_by:
        # Gone or not: Kamal's next build creates the builder under this name
        # again, and buildx picks this volume back up with its cache.
        volume.status = IN_USE
        volume.reason = f"the project's builder ({', '.join(used_by)})"
        if not volume.builder_exists:
            volume.reason += (
                "; buildx has no entry for it now, and Kamal's next build makes "
                "it again on this volume"
            )
    elif not volume.builder_exists:
        volume.status = ORPHAN
        volume.reason = (
            f"builder {volume.builder} is gone: buildx has no entry for it and "
            f"no container {NODE_CONTAINER.format(node=volume.node)} exists"
        )
    elif kamal and volume.project_uses is False:
        current = sorted({b.name for b in builders if b.name}) or ["none"]
        volume.status = LEFT_BEHIND
        volume.reason = (
            f"Kamal builder {volume.builder} is not the one the project's config "
            f"uses now ({', '.join(current)}); another Kamal project on this "
            "machine may still use it"
        )
    elif kamal:
        volume.status = OTHER
        volume.reason = f"Kamal builder {volume.builder}; no project to compare with"
    else:
        volume.status = OTHER
        volume.reason = f"builder {volume.builder} is not Kamal's; left alone"


# -- prune ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One removal: a stopped builder container, a volume, or build cache."""

    action: str  # remove-container, remove-volume, prune-build-cache
    target: str
    bytes: int
    reason: str
    keep_storage: int = 0
    frees: str = ""  # a container step: the volume that waits for it


@dataclass
class PrunePlan:
    steps: list[Step]
    kept: list[tuple[str, str]]
    total_before: int
    keep: int | None
    notes: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(step.bytes for step in self.steps)


def plan_prune(report: Report, keep: int | None) -> PrunePlan:
    """What prune removes, in order: orphans, what was left behind, then cache."""
    steps: list[Step] = []
    kept: list[tuple[str, str]] = []
    for volume in sorted(
        (v for v in report.volumes if v.orphaned),
        key=lambda v: (v.status != ORPHAN, -v.size, v.name),
    ):
        own = NODE_CONTAINER.format(node=volume.node)
        running = [u.container for u in volume.users if u.running]
        strangers = [u.container for u in volume.users if u.container != own]
        if running:
            kept.append(
                (volume.name, f"a running container uses it: {', '.join(running)}")
            )
            continue
        if strangers:
            kept.append(
                (
                    volume.name,
                    f"stopped container(s) {', '.join(strangers)} use it; remove "
                    "them first if they are not needed",
                )
            )
            continue
        for user in volume.users:
            steps.append(
                Step(
                    "remove-container",
                    user.container,
                    0,
                    f"the stopped BuildKit container of {volume.builder}",
                    frees=volume.name,
                )
            )
        steps.append(
            Step(
                "remove-volume",
                volume.name,
                volume.size,
                f"{volume.status}: {volume.reason}",
            )
        )

    plan = PrunePlan(steps, kept, report.total, keep)
    for volume in report.volumes:
        if not volume.orphaned:
            kept.append((volume.name, f"{volume.status}: {volume.reason}"))
    removed = {s.target for s in steps if s.action == "remove-volume"}
    listed = sorted(
        {
            v.builder
            for v in report.volumes
            if v.status == LEFT_BEHIND and v.name in removed
        }
    )
    if listed:
        plan.notes.append(
            "buildx still lists "
            + ", ".join(listed)
            + "; `docker buildx rm NAME` forgets a builder (Kamal recreates its "
            "own when it needs it)"
        )
    if keep is not None:
        _trim_cache(report, plan, keep)
    return plan


def _trim_cache(report: Report, plan: PrunePlan, keep: int) -> None:
    """Prune the engine's build cache so that the total fits in `keep`."""
    remaining_volumes = report.volumes_bytes - sum(
        s.bytes for s in plan.steps if s.action == "remove-volume"
    )
    if remaining_volumes + report.records_bytes <= keep:
        return

    cache_budget = max(keep - remaining_volumes, 0)
    # BuildKit removes the least recently used records that are not in use
    # until the rest fits; this estimate follows the same order.
    freed = 0
    left = report.records_bytes
    for record in sorted(report.records, key=lambda r: r.last_used):
        if left <= cache_budget:
            break
        if not record.in_use:
            freed += record.size
            left -= record.size
    plan.steps.append(
        Step(
            "prune-build-cache",
            f"build cache down to {_size(cache_budget)}",
            freed,
            "least recently used records first (an estimate: BuildKit decides)",
            keep_storage=cache_budget,
        )
    )
    if remaining_volumes + left > keep:
        plan.notes.append(
            f"still over --keep {_size(keep)} afterwards: the rest is build cache in "
            "use and the state of builders in use; `docker buildx prune --builder "
            "NAME` trims a builder's own cache"
        )


@dataclass(frozen=True)
class Done:
    step: Step
    ok: bool
    message: str


def execute(client: Any, plan: PrunePlan) -> list[Done]:
    """Carry out the plan; a step the engine refuses does not stop the others."""
    import docker.errors

    done: list[Done] = []
    skipped_volumes: set[str] = set()
    for step in plan.steps:
        try:
            if step.action == "remove-container":
                # Checked again now: it may have started since the plan was made.
                state = client.inspect_container(step.target)["State"]
                if state.get("Running"):
                    raise DockmigError(f"{step.target} is running now; kept")
                client.remove_container(step.target)
                done.append(Done(step, True, "removed"))
            elif step.action == "remove-volume":
                if step.target in skipped_volumes:
                    raise DockmigError("its container could not be removed; kept")
                client.remove_volume(step.target)
                done.append(Done(step, True, f"removed, {_size(step.bytes)} freed"))
            else:
                result = client.prune_builds(keep_storage=step.keep_storage, all=True)
                freed = int(result.get("SpaceReclaimed") or 0)
                done.append(Done(step, True, f"{_size(freed)} freed"))
        except (DockmigError, docker.errors.APIError) as error:
            message = getattr(error, "explanation", None) or str(error)
            done.append(Done(step, False, str(message)))
            if step.frees:
                skipped_volumes.add(step.frees)
    return done


# -- output -------------------------------------------------------------------------


def _size(count: float) -> str:
    from dockmig.doctor import human_size

    return human_size(count)


def write_report(report: Report, stream: IO[str], verbose: bool = False) -> None:
    write = stream.write
    over = " — over the limit" if report.total > report.limit else ""
    write(
        f"BuildKit cache on {report.engine}: {_size(report.total)} "
        f"(limit {_size(report.limit)}{over})\n\n"
    )

    in_use = sum(1 for r in report.records if r.in_use)
    write(
        f"Build cache records: {len(report.records)}, "
        f"{_size(report.records_bytes)} ({in_use} in use)\n"
    )
    shown = report.records if verbose else _largest(report.records, 10)
    for record in shown:
        mark = "in use" if record.in_use else record.last_used[:19] or "-"
        write(
            f"  {record.id[:12]:<12}  {_size(record.size):>9}  {record.kind:<14} "
            f"{mark:<19}  {record.description[:60]}\n"
        )
    if len(shown) < len(report.records):
        write(f"  … {len(report.records) - len(shown)} more (-v lists them all)\n")

    write(
        f"\nBuilder state volumes: {len(report.volumes)}, "
        f"{_size(report.volumes_bytes)}\n"
    )
    for volume in report.volumes:
        write(f"  {volume.name}  {_size(volume.size)}  [{volume.status}]\n")
        write(f"      {volume.reason}\n")
        for user in volume.users:
            state = "running" if user.running else "stopped"
            write(f"      used by {user.container} ({state})\n")

    write("\nThe project's builders:\n")
    if report.project_note:
        write(f"  unknown: {report.project_note}\n")
    for builder in report.builders:
        write(f"  {builder.describe()}\n")
    orphans = report.orphaned_builders()
    if orphans:
        write(f"\nOrphaned builders: {', '.join(orphans)}\n")
        write("`dockmig cache prune` shows what removing their state would free.\n")


def _largest(records: list[Record], count: int) -> list[Record]:
    return sorted(records, key=lambda r: -r.size)[:count]


def report_json(report: Report) -> dict[str, Any]:
    return {
        "version": 1,
        "engine": report.engine,
        "total_bytes": report.total,
        "limit_bytes": report.limit,
        "build_cache": {
            "bytes": report.records_bytes,
            "records": [vars(record) for record in report.records],
        },
        "state_volumes": [
            {
                "name": v.name,
                "bytes": v.size,
                "builder": v.builder,
                "builder_exists": v.builder_exists,
                "project_uses": v.project_uses,
                "status": v.status,
                "reason": v.reason,
                "users": [vars(u) for u in v.users],
            }
            for v in report.volumes
        ],
        "project_builders": [vars(b) for b in report.builders],
        "project_note": report.project_note,
        "orphaned_builders": report.orphaned_builders(),
    }


def write_plan(plan: PrunePlan, stream: IO[str], *, applied: bool) -> None:
    write = stream.write
    if not plan.steps:
        write("Nothing to prune.\n")
    else:
        verb = "Removing" if applied else "Would remove"
        write(f"{verb} (in this order), about {_size(plan.bytes)}:\n")
        for number, step in enumerate(plan.steps, 1):
            what = {
                "remove-container": "container",
                "remove-volume": "volume",
                "prune-build-cache": "prune",
            }[step.action]
            size = f"  {_size(step.bytes)}" if step.bytes else ""
            write(f"  {number}. {what} {step.target}{size}\n")
            write(f"       {step.reason}\n")

    if plan.kept:
        write("Kept:\n")
        for name, why in plan.kept:
            write(f"  {name}: {why}\n")
    for note in plan.notes:
        write(f"Note: {note}\n")


def plan_json(plan: PrunePlan, done: list[Done] | None) -> dict[str, Any]:
    results = {id(d.step): d for d in done or []}  # steps are compared by identity
    return {
        "version": 1,
        "total_bytes_before": plan.total_before,
        "keep_bytes": plan.keep,
        "applied": done is not None,
        "steps": [
            {
                "action": s.action,
                "target": s.target,
                "bytes": s.bytes,
                "reason": s.reason,
                **(
                    {"ok": results[id(s)].ok, "result": results[id(s)].message}
                    if id(s) in results
                    else {}
                ),
            }
            for s in plan.steps
        ],
        "kept": [{"name": name, "reason": why} for name, why in plan.kept],
        "notes": plan.notes,
    }
