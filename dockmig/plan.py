"""The migration checklist, each item decided by what doctor's probes and lint saw.

The mission moves in two phases (DESIGN.md): Docker Desktop to OrbStack on the
Mac, then Kamal's local registry to a self-hosted one. Every item of both is
`ticked`, `open` or `unknown`, and says what it rests on: a probe's outcome
(`docker.volumes-backup`, `registry.login`, …) or the project as lint reads
it. Nothing is ever ticked because someone said so. An item no probe can see
(a week of stability, a deploy made from another machine) is `unknown` and
says what would show it.

`collect` runs the probes the items need through doctor's runner, under one
deadline; `assess` turns their outcomes into items and is a pure function of
them, so every branch can be checked with outcomes of any engine, OrbStack
included.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dockmig.errors import DockmigError

if TYPE_CHECKING:
    from dockmig.doctor import Outcome
    from dockmig.doctor.inputs import Inputs

logger = logging.getLogger(__name__)

TICKED = "ticked"
OPEN = "open"
UNKNOWN = "unknown"

PROBES = (
    "docker.engine",
    "docker.other-engine",
    "docker.volumes-backup",
    "registry.dns",
    "registry.cdn-proxy",
    "registry.tls",
    "registry.api",
    "registry.login",
    "kamal.lint",
    "kamal.secrets",
)
PHASES = {
    1: "Phase 1: Docker Desktop to OrbStack",
    2: "Phase 2: Kamal's local registry to a self-hosted registry",
}
_ORBSTACK = "OrbStack"
_DOCKER_DESKTOP = "Docker Desktop"


@dataclass(frozen=True)
class Item:
    phase: int
    id: str
    title: str
    state: str
    evidence: str
    would_show: str = ""
    sources: tuple[str, ...] = ()


@dataclass
class Plan:
    root: str
    items: list[Item]
    elapsed: float
    made_at: float = field(default_factory=time.time)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((TICKED, OPEN, UNKNOWN), 0)
        for item in self.items:
            counts[item.state] += 1
        return counts


@dataclass
class Evidence:
    """What the items are decided from: probe outcomes and the project."""

    outcomes: Mapping[str, Outcome]
    inputs: Inputs

    def outcome(self, probe_id: str) -> Outcome | None:
        return self.outcomes.get(probe_id)

    def status(self, probe_id: str) -> str | None:
        found = self.outcomes.get(probe_id)
        return found.status.value if found is not None else None

    def details(self, probe_id: str) -> Mapping[str, Any]:
        found = self.outcomes.get(probe_id)
        return found.details if found is not None else {}

    def engine_kind(self) -> str | None:
        """The engine in use, or None when it did not answer."""
        engine = self.outcomes.get("docker.engine")
        if engine is None or not engine.status.passed:
            return None
        return str(engine.details.get("kind") or "")


def collect(
    root: Path,
    *,
    deadline: float | None = None,
    docker_context: str | None = None,
    dns_server: str | None = None,
    destination: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Evidence, float]:
    """Run the probes the items need, under one deadline."""
    from dockmig import doctor
    from dockmig.doctor import inputs

    started = time.monotonic()
    gathered = inputs.gather(
        root,
        docker_context=docker_context,
        dns_server=dns_server,
        destination=destination,
        environ=environ,
    )
    chosen = doctor.select(PROBES)
    limit = deadline if deadline is not None else gathered.settings.deadline
    logger.info("running %d probes under a %g s deadline", len(chosen), limit)
    results = doctor.Runner(chosen, gathered, limit).run()
    outcomes = {probe.id: outcome for probe, outcome in results}
    return Evidence(outcomes, gathered), time.monotonic() - started


def make(root: Path, **options: Any) -> Plan:
    evidence, elapsed = collect(root, **options)
    return Plan(str(root), assess(evidence), elapsed)


def assess(evidence: Evidence) -> list[Item]:
    """Every item of both phases, in the order they are done."""
    deciders: list[Callable[[Evidence], Item]] = [
        _backup_volumes,
        _install_orbstack,
        _migrate,
        _verify_containers,
        _stop_docker_desktop,
        _week_of_stability,
        _uninstall_docker_desktop,
        _dns_record,
        _propagation,
        _registry_up,
        _config_switched,
        _secret_added,
        _deploy_from_here,
        _deploy_from_elsewhere,
    ]
    return [decide(evidence) for decide in deciders]


# -- phase 1 ------------------------------------------------------------------------


def _engine_unknown(phase: int, item_id: str, title: str, evidence: Evidence) -> Item:
    engine = evidence.outcome("docker.engine")
    why = engine.summary if engine is not None else "docker.engine did not run"
    return Item(
        phase,
        item_id,
        title,
        UNKNOWN,
        f"the Docker engine could not be asked: {why}",
        "an engine that answers here (start it, or pick it with --context)",
        ("docker.engine",),
    )


def _volumes_title(evidence: Evidence) -> str:
    volumes = evidence.inputs.settings.volumes
    return "Back up the volumes" + (f" ({', '.join(volumes)})" if volumes else "")


def _backup_volumes(evidence: Evidence) -> Item:
    title = _volumes_title(evidence)
    source = ("docker.volumes-backup",)
    probe = evidence.outcome("docker.volumes-backup")
    if not evidence.inputs.settings.volumes:
        return Item(
            1,
            "backup-volumes",
            title,
            UNKNOWN,
            "no volumes are listed, so no probe knows which ones matter",
            "the volumes to keep listed under volumes: in .dockmig.yml",
            source,
        )
    if evidence.engine_kind() is None or probe is None:
        return _engine_unknown(1, "backup-volumes", title, evidence)

    states = probe.details.get("volumes") or []
    missing = [s["volume"] for s in states if not s.get("backup")]
    if probe.status.value == "ok":
        return Item(1, "backup-volumes", title, TICKED, probe.summary, sources=source)
    if evidence.engine_kind() == _ORBSTACK and states and not missing:
        # After the move a backup from before it still is the backup that counts.
        made = ", ".join(f"{s['volume']}: {s['backup']}" for s in states)
        return Item(
            1,
            "backup-volumes",
            title,
            TICKED,
            f"archives from before the move exist ({made})",
            sources=source,
        )
    hint = "; `dockmig backup-volume` makes them" if missing else ""
    return Item(1, "backup-volumes", title, OPEN, probe.summary + hint, sources=source)


def _orbstack_socket(evidence: Evidence) -> str | None:
    details = evidence.details("docker.other-engine")
    for found in details.get("answering") or []:
        if found.get("engine") == _ORBSTACK:
            return str(found.get("socket"))
    for path in details.get("not_answering") or []:
        if ".orbstack" in str(path):
            return str(path)
    return None


def _install_orbstack(evidence: Evidence) -> Item:
    title = "Install OrbStack"
    kind = evidence.engine_kind()
    if kind == _ORBSTACK:
        return Item(
            1,
            "install-orbstack",
            title,
            TICKED,
            "the engine in use is OrbStack",
            sources=("docker.engine",),
        )
    socket = _orbstack_socket(evidence)
    if socket is not None:
        return Item(
            1,
            "install-orbstack",
            title,
            TICKED,
            f"OrbStack's engine socket exists at {socket}",
            sources=("docker.other-engine",),
        )
    if evidence.outcome("docker.other-engine") is None or (
        evidence.status("docker.other-engine") in ("skip", "error")
    ):
        return Item(
            1,
            "install-orbstack",
            title,
            UNKNOWN,
            "the other engines on this machine could not be looked for",
            "docker.other-engine running (it needs the Docker endpoint)",
            ("docker.other-engine",),
        )
    return Item(
        1,
        "install-orbstack",
        title,
        OPEN,
        (f"the engine in use is {kind}" if kind else "no engine answers here")
        + " and OrbStack's socket (~/.orbstack/run/docker.sock) does not exist",
        sources=("docker.engine", "docker.other-engine"),
    )


def _migrate(evidence: Evidence) -> Item:
    title = "Migrate Docker Desktop's data into OrbStack"
    kind = evidence.engine_kind()
    if kind is None:
        return _engine_unknown(1, "migrate", title, evidence)
    if kind != _ORBSTACK:
        return Item(
            1,
            "migrate",
            title,
            OPEN,
            f"the engine in use is {kind}, not OrbStack",
            sources=("docker.engine",),
        )
    if not evidence.inputs.settings.volumes:
        return Item(
            1,
            "migrate",
            title,
            UNKNOWN,
            "OrbStack is in use, but no volumes are listed to look for",
            "the volumes that must move listed under volumes: in .dockmig.yml",
            ("docker.engine",),
        )
    states = evidence.details("docker.volumes-backup").get("volumes") or []
    absent = [s["volume"] for s in states if not s.get("exists")]
    if not states:
        return Item(
            1,
            "migrate",
            title,
            UNKNOWN,
            "OrbStack is in use; its volumes could not be listed",
            "docker.volumes-backup finishing within the deadline",
            ("docker.volumes-backup",),
        )
    if absent:
        return Item(
            1,
            "migrate",
            title,
            OPEN,
            f"OrbStack is in use but has no volume {', '.join(absent)}",
            sources=("docker.engine", "docker.volumes-backup"),
        )
    return Item(
        1,
        "migrate",
        title,
        TICKED,
        "OrbStack is in use and holds " + ", ".join(s["volume"] for s in states),
        sources=("docker.engine", "docker.volumes-backup"),
    )


def _verify_containers(evidence: Evidence) -> Item:
    title = "Verify the containers run on OrbStack"
    kind = evidence.engine_kind()
    if kind is None:
        return _engine_unknown(1, "verify-containers", title, evidence)
    if kind != _ORBSTACK:
        return Item(
            1,
            "verify-containers",
            title,
            OPEN,
            f"the engine in use is {kind}, not OrbStack",
            sources=("docker.engine",),
        )
    engine = evidence.outcome("docker.engine")
    facts = engine.data if engine is not None else None
    running = int(getattr(facts, "info", {}).get("ContainersRunning") or 0)
    if running:
        return Item(
            1,
            "verify-containers",
            title,
            TICKED,
            f"{running} container(s) run on OrbStack",
            sources=("docker.engine",),
        )
    return Item(
        1,
        "verify-containers",
        title,
        OPEN,
        "no container runs on OrbStack; start the app's containers and check them",
        sources=("docker.engine",),
    )


def _docker_desktop_answers(evidence: Evidence) -> str | None:
    if evidence.engine_kind() == _DOCKER_DESKTOP:
        return "it is the engine in use"
    for found in evidence.details("docker.other-engine").get("answering") or []:
        if found.get("engine") == _DOCKER_DESKTOP:
            return f"it still answers at {found.get('socket')}"
    return None


def _other_engine_unknown(item_id: str, title: str) -> Item:
    return Item(
        1,
        item_id,
        title,
        UNKNOWN,
        "the engines on this machine could not be looked for",
        "docker.other-engine running (it needs the Docker endpoint)",
        ("docker.other-engine",),
    )


def _stop_docker_desktop(evidence: Evidence) -> Item:
    title = "Stop Docker Desktop"
    if evidence.status("docker.other-engine") in (None, "skip", "error"):
        return _other_engine_unknown("stop-docker-desktop", title)
    answers = _docker_desktop_answers(evidence)
    if answers:
        return Item(
            1,
            "stop-docker-desktop",
            title,
            OPEN,
            f"Docker Desktop runs: {answers}",
            sources=("docker.engine", "docker.other-engine"),
        )
    return Item(
        1,
        "stop-docker-desktop",
        title,
        TICKED,
        "no Docker Desktop engine answers here",
        sources=("docker.engine", "docker.other-engine"),
    )


def _week_of_stability(evidence: Evidence) -> Item:
    title = "A week of stability on OrbStack"
    kind = evidence.engine_kind()
    if kind is not None and kind != _ORBSTACK:
        return Item(
            1,
            "week-of-stability",
            title,
            OPEN,
            f"the engine in use is {kind}, not OrbStack",
            sources=("docker.engine",),
        )
    return Item(
        1,
        "week-of-stability",
        title,
        UNKNOWN,
        "no probe sees time pass: dockmig keeps no record between runs",
        "seven days of OrbStack running the app and its deploys, e.g. the start "
        "times of its containers (`docker ps`) and a week of `kamal deploy` logs",
    )


def _uninstall_docker_desktop(evidence: Evidence) -> Item:
    title = "Uninstall Docker Desktop"
    if evidence.status("docker.other-engine") in (None, "skip", "error"):
        return _other_engine_unknown("uninstall-docker-desktop", title)
    answers = _docker_desktop_answers(evidence)
    images = evidence.details("docker.other-engine").get("disk_images") or []
    left = [d["path"] for d in images if d.get("engine") == _DOCKER_DESKTOP]
    if answers or left:
        what = f"Docker Desktop runs: {answers}" if answers else ""
        what = what or f"Docker Desktop's disk image is still at {left[0]}"
        return Item(
            1,
            "uninstall-docker-desktop",
            title,
            OPEN,
            what,
            sources=("docker.other-engine",),
        )
    return Item(
        1,
        "uninstall-docker-desktop",
        title,
        TICKED,
        "no Docker Desktop engine answers and no Docker Desktop disk image is left",
        sources=("docker.other-engine",),
    )


# -- phase 2 ------------------------------------------------------------------------


def _target_registry(evidence: Evidence) -> str | None:
    """The registry the project moves to: .dockmig.yml, else a non-local server."""
    registry = evidence.inputs.registry
    if registry is None or registry.local:
        return None
    return registry.netloc


def _no_registry(item_id: str, title: str) -> Item:
    return Item(
        2,
        item_id,
        title,
        UNKNOWN,
        "no registry to move to is configured",
        "registry/host in .dockmig.yml (the registry the project moves to)",
    )


def _dns_record(evidence: Evidence) -> Item:
    host = _target_registry(evidence)
    if host is None:
        return _no_registry("dns-record", "DNS record for the registry")
    name = evidence.inputs.registry.name if evidence.inputs.registry else host
    title = f"DNS record for {name}"
    probe = evidence.outcome("registry.dns")
    source = ("registry.dns",)
    if probe is None or probe.status.value == "skip":
        why = probe.summary if probe is not None else "registry.dns did not run"
        return Item(2, "dns-record", title, UNKNOWN, why, "registry.dns", source)
    details = probe.details
    addresses = [*details.get("a", []), *details.get("aaaa", [])]
    if addresses:
        shown = ", ".join(addresses)
        return Item(
            2,
            "dns-record",
            title,
            TICKED,
            f"{name} resolves to {shown}",
            sources=source,
        )
    return Item(2, "dns-record", title, OPEN, probe.summary, sources=source)


def _propagation(evidence: Evidence) -> Item:
    title = "DNS propagated: the expected address, no CDN proxy"
    if _target_registry(evidence) is None:
        return _no_registry("propagation", title)
    expected = evidence.inputs.expected_ip
    dns = evidence.outcome("registry.dns")
    cdn = evidence.outcome("registry.cdn-proxy")
    sources = ("registry.dns", "registry.cdn-proxy")
    if expected is None:
        return Item(
            2,
            "propagation",
            title,
            UNKNOWN,
            "no expected address is set to compare the answers with",
            "registry/expected_ip in .dockmig.yml (the registry server's address)",
            sources,
        )
    if dns is None or dns.status.value in ("skip", "error"):
        why = dns.summary if dns is not None else "registry.dns did not run"
        return Item(2, "propagation", title, UNKNOWN, why, "registry.dns", sources)
    if dns.status.value != "ok":
        return Item(2, "propagation", title, OPEN, dns.summary, sources=sources)
    if cdn is not None and cdn.status.value == "fail":
        return Item(2, "propagation", title, OPEN, cdn.summary, sources=sources)
    return Item(2, "propagation", title, TICKED, dns.summary, sources=sources)


def _registry_up(evidence: Evidence) -> Item:
    host = _target_registry(evidence)
    title = f"Registry up at {host}" if host else "Registry up"
    if host is None:
        return _no_registry("registry-up", title)
    chain = (
        "registry.dns",
        "registry.tcp",
        "registry.tls",
        "registry.api",
        "registry.login",
    )
    for probe_id in chain:
        found = evidence.outcome(probe_id)
        if found is None:
            return Item(
                2,
                "registry-up",
                title,
                UNKNOWN,
                f"{probe_id} did not run",
                f"{probe_id} finishing within the deadline",
                chain,
            )
        if found.status.value in ("fail", "error"):
            return Item(
                2,
                "registry-up",
                title,
                OPEN,
                f"{probe_id}: {found.summary}",
                sources=chain,
            )
        if found.status.value == "skip":
            state = OPEN if "skipped:" in found.summary else UNKNOWN
            return Item(
                2,
                "registry-up",
                title,
                state,
                f"{probe_id}: {found.summary}",
                "" if state == OPEN else f"{probe_id} able to run",
                chain,
            )
    login = evidence.outcome("registry.login")
    summary = login.summary if login is not None else ""
    return Item(2, "registry-up", title, TICKED, summary, sources=chain)


def _servers(evidence: Evidence) -> dict[str, list[str]]:
    """Each target's registry/server, as Kamal would load it, to its targets."""
    from dockmig import erb

    inputs = evidence.inputs
    servers: dict[str, list[str]] = {}
    seen: list[Any] = []
    for target in [inputs.base, *inputs.targets]:
        if target is None or any(target is other for other in seen):
            continue
        seen.append(target)
        data = target.data if isinstance(target.data, dict) else {}
        registry = data.get("registry")
        server = registry.get("server") if isinstance(registry, dict) else None
        if isinstance(server, str) and erb.PLACEHOLDER_PREFIX in server:
            server = "(computed by ERB)"
        shown = server if isinstance(server, str) and server else "Docker Hub"
        servers.setdefault(shown, []).append(target.destination or "base")
    return servers


def _same_registry(server: str, host: str) -> bool:
    from dockmig.doctor.inputs import parse_registry

    try:
        return parse_registry(server, "").netloc == host
    except ValueError:
        return False


def _config_switched(evidence: Evidence) -> Item:
    inputs = evidence.inputs
    host = _target_registry(evidence)
    title = f"Deploy config switched to {host}" if host else "Deploy config switched"
    sources = ("kamal.lint",)
    if inputs.project_error or inputs.project is None:
        why = inputs.project_error or f"no config/deploy.yml in {inputs.root}"
        return Item(
            2, "config-switched", title, UNKNOWN, why, "a Kamal project", sources
        )
    servers = _servers(evidence)
    if host is None:
        local = {s: t for s, t in servers.items() if s.startswith("localhost:")}
        if local:
            server, targets = next(iter(local.items()))
            return Item(
                2,
                "config-switched",
                title,
                OPEN,
                f"registry/server is still {server} ({', '.join(targets)})",
                sources=sources,
            )
        return _no_registry("config-switched", title)

    elsewhere = {s: t for s, t in servers.items() if not _same_registry(s, host)}
    if elsewhere:
        listed = "; ".join(f"{s} ({', '.join(t)})" for s, t in elsewhere.items())
        return Item(
            2,
            "config-switched",
            title,
            OPEN,
            f"registry/server is still {listed}; `dockmig rewrite-registry --to "
            f"{host}` switches every file",
            sources=sources,
        )
    lint = evidence.outcome("kamal.lint")
    if lint is not None and lint.status.value == "fail":
        return Item(2, "config-switched", title, OPEN, lint.summary, sources=sources)
    targets = [t for ts in servers.values() for t in ts]
    accepted = f"; {lint.summary}" if lint is not None else ""
    return Item(
        2,
        "config-switched",
        title,
        TICKED,
        f"every target ({', '.join(targets)}) deploys through {host}{accepted}",
        sources=sources,
    )


def _password_secret(evidence: Evidence) -> str | None:
    password = evidence.inputs.password
    if password is not None and password.kind == "secret":
        return password.name
    return evidence.inputs.settings.password_secret


def _secret_added(evidence: Evidence) -> Item:
    inputs = evidence.inputs
    name = _password_secret(evidence)
    title = f"Secret {name} added" if name else "Registry password secret added"
    sources = ("kamal.secrets",)
    if name is None:
        return Item(
            2,
            "secret-added",
            title,
            UNKNOWN,
            "no registry password secret is named",
            "registry/password_secret in .dockmig.yml, or registry/password: [NAME] "
            "in config/deploy.yml",
            sources,
        )
    if inputs.project is None:
        why = inputs.project_error or f"no config/deploy.yml in {inputs.root}"
        return Item(2, "secret-added", title, UNKNOWN, why, "a Kamal project", sources)

    lacking = []
    for target in [inputs.base, *inputs.targets]:
        if target is not None and name not in target.secret_names():
            files = " and ".join(target.secrets_paths) or "no secrets file"
            lacking.append(f"{target.destination or 'base'} ({files})")
    if lacking:
        return Item(
            2,
            "secret-added",
            title,
            OPEN,
            f"{name} is not defined for {', '.join(dict.fromkeys(lacking))}",
            sources=sources,
        )
    from dockmig.doctor.availability import AVAILABLE, NOT_RUN

    states = evidence.details("kamal.secrets").get(name) or {}
    missing = [t for t, state in states.items() if state not in (AVAILABLE, NOT_RUN)]
    if missing:
        return Item(
            2,
            "secret-added",
            title,
            OPEN,
            f"{name} is defined but has no value in this shell for "
            f"{', '.join(missing)}",
            sources=sources,
        )
    return Item(
        2,
        "secret-added",
        title,
        TICKED,
        f"{name} is defined in the secrets files of every target",
        sources=sources,
    )


def _still_local(evidence: Evidence) -> str | None:
    for server, targets in _servers(evidence).items():
        if server.startswith("localhost:"):
            return f"{server} ({', '.join(targets)})"
    return None


def _deploy_from_here(evidence: Evidence) -> Item:
    title = "Deploy from the Mac through the new registry"
    local = _still_local(evidence)
    if local:
        return Item(
            2,
            "deploy-from-here",
            title,
            OPEN,
            f"the config still deploys through Kamal's local registry {local}",
            sources=("kamal.lint",),
        )
    return Item(
        2,
        "deploy-from-here",
        title,
        UNKNOWN,
        "no probe reads what a deploy left behind",
        "the app's image in the registry (`/v2/<image>/tags/list`) or "
        "`kamal app version` on the servers after `kamal deploy`",
    )


def _deploy_from_elsewhere(evidence: Evidence) -> Item:
    title = "Deploy from another machine"
    local = _still_local(evidence)
    if local:
        return Item(
            2,
            "deploy-from-elsewhere",
            title,
            OPEN,
            f"with Kamal's local registry {local} only the machine that runs it "
            "can deploy",
            sources=("kamal.lint",),
        )
    return Item(
        2,
        "deploy-from-elsewhere",
        title,
        UNKNOWN,
        "nothing on this machine sees another machine's deploys",
        "`dockmig plan` (or `dockmig doctor`) and `kamal deploy` succeeding on "
        "the other machine",
    )


# -- output ---------------------------------------------------------------------------


_TEXT_MARKS = {TICKED: "[x]", OPEN: "[ ]", UNKNOWN: "[?]"}


def write_text(plan: Plan, stream: IO[str]) -> None:
    write = stream.write
    write(f"Migration plan for {plan.root}\n")
    write("(each item from dockmig doctor's probes and lint; none is typed in)\n")
    for phase, heading in PHASES.items():
        write(f"\n{heading}\n")
        for item in (i for i in plan.items if i.phase == phase):
            write(f"  {_TEXT_MARKS[item.state]} {item.title}\n")
            write(f"      {item.evidence}\n")
            if item.would_show:
                write(f"      would show it: {item.would_show}\n")
    write(f"\n{_summary(plan)}\n")


def write_markdown(plan: Plan, stream: IO[str]) -> None:
    write = stream.write
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(plan.made_at))
    write("## Migration plan\n\n")
    write(
        f"Made by `dockmig plan` on {stamp}: each box is ticked from what "
        "`dockmig doctor`'s probes and lint saw, never by hand. "
        "*Unknown* items say what would show them.\n"
    )
    for phase, heading in PHASES.items():
        write(f"\n### {heading}\n\n")
        for item in (i for i in plan.items if i.phase == phase):
            box = "x" if item.state == TICKED else " "
            state = "" if item.state == TICKED else f"*{item.state}*: "
            write(f"- [{box}] **{_md(item.title)}**: {state}{_md(item.evidence)}")
            if item.would_show:
                write(f". What would show it: {_md(item.would_show)}")
            if item.sources:
                write(" (" + ", ".join(f"`{s}`" for s in item.sources) + ")")
            write("\n")
    write(f"\n{_summary(plan)}\n")


def _md(text: str) -> str:
    """Plain text that stays plain in Markdown (backticks are kept as code)."""
    for character in ("\\", "*", "_", "[", "]", "<", ">", "|"):
        text = _outside_code(text, character)
    return text


def _outside_code(text: str, character: str) -> str:
    pieces = text.split("`")
    for index in range(0, len(pieces), 2):
        pieces[index] = pieces[index].replace(character, "\\" + character)
    return "`".join(pieces)


def write_json(plan: Plan, stream: IO[str]) -> None:
    data = {
        "version": 1,
        "root": plan.root,
        "elapsed_s": round(plan.elapsed, 3),
        "counts": plan.counts(),
        "items": [
            {
                "phase": item.phase,
                "id": item.id,
                "title": item.title,
                "state": item.state,
                "evidence": item.evidence,
                "would_show": item.would_show or None,
                "sources": list(item.sources),
            }
            for item in plan.items
        ],
    }
    json.dump(data, stream, indent=2)
    stream.write("\n")


def _summary(plan: Plan) -> str:
    counts = plan.counts()
    return (
        f"{counts[TICKED]} of {len(plan.items)} done, {counts[OPEN]} open, "
        f"{counts[UNKNOWN]} unknown"
    )


def require_folder(root: Path) -> None:
    if not root.is_dir():
        raise DockmigError("is not a folder", path=str(root))
