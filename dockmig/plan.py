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
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dockmig.errors import DockmigError

if TYPE_CHECKING:
    from dockmig.doctor import Outcome
    from dockmig.doctor.inputs import Inputs
    from dockmig.lint import TargetContext

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


@dataclass(frozen=True)
class _Check:
    """One item being decided: its place in the plan, and its three verdicts."""

    phase: int
    id: str
    title: str

    def ticked(self, evidence: str, *sources: str) -> Item:
        return Item(self.phase, self.id, self.title, TICKED, evidence, "", sources)

    def open(self, evidence: str, *sources: str) -> Item:
        return Item(self.phase, self.id, self.title, OPEN, evidence, "", sources)

    def unknown(self, evidence: str, would_show: str, *sources: str) -> Item:
        return Item(
            self.phase, self.id, self.title, UNKNOWN, evidence, would_show, sources
        )

    def engine_unknown(self, evidence: Evidence) -> Item:
        engine = evidence.outcome("docker.engine")
        why = engine.summary if engine is not None else "docker.engine did not run"
        return self.unknown(
            f"the Docker engine could not be asked: {why}",
            "an engine that answers here (start it, or pick it with --context)",
            "docker.engine",
        )

    def not_orbstack(self, kind: str) -> Item:
        return self.open(f"the engine in use is {kind}, not OrbStack", "docker.engine")


def _backup_volumes(evidence: Evidence) -> Item:
    volumes = evidence.inputs.settings.volumes
    listed = f" ({', '.join(volumes)})" if volumes else ""
    check = _Check(1, "backup-volumes", "Back up the volumes" + listed)
    source = "docker.volumes-backup"
    probe = evidence.outcome(source)
    if not volumes:
        return check.unknown(
            "no volumes are listed, so no probe knows which ones matter",
            "the volumes to keep listed under volumes: in .dockmig.yml",
            source,
        )
    if evidence.engine_kind() is None or probe is None:
        return check.engine_unknown(evidence)

    if probe.status.value == "ok":
        return check.ticked(probe.summary, source)
    states = probe.details.get("volumes") or []
    missing = [s["volume"] for s in states if not s.get("backup")]
    if evidence.engine_kind() == _ORBSTACK and states and not missing:
        # After the move a backup from before it still is the backup that counts.
        made = ", ".join(f"{s['volume']}: {s['backup']}" for s in states)
        return check.ticked(f"archives from before the move exist ({made})", source)

    hint = "; `dockmig backup-volume` makes them" if missing else ""
    return check.open(probe.summary + hint, source)


def _orbstack_socket(evidence: Evidence) -> str | None:
    details = evidence.details("docker.other-engine")
    for found in details.get("answering") or []:
        if found.get("engine") == _ORBSTACK:
            return str(found.get("socket"))
    for path in details.get("not_answering") or []:
        if ".orbstack" in str(path):
            return str(path)
    return None


def _other_engines_unseen(evidence: Evidence) -> bool:
    # The probe itself only says ok or warn; a fail is the runner's, for a
    # probe cut off at the deadline before it had looked at every socket.
    return evidence.status("docker.other-engine") not in ("ok", "warn")


def _install_orbstack(evidence: Evidence) -> Item:
    check = _Check(1, "install-orbstack", "Install OrbStack")
    kind = evidence.engine_kind()
    if kind == _ORBSTACK:
        return check.ticked("the engine in use is OrbStack", "docker.engine")
    socket = _orbstack_socket(evidence)
    if socket is not None:
        return check.ticked(
            f"OrbStack's engine socket exists at {socket}", "docker.other-engine"
        )

    if _other_engines_unseen(evidence):
        return check.unknown(
            "the other engines on this machine could not be looked for",
            "docker.other-engine running (it needs the Docker endpoint)",
            "docker.other-engine",
        )
    engine = f"the engine in use is {kind}" if kind else "no engine answers here"
    return check.open(
        f"{engine} and OrbStack's socket (~/.orbstack/run/docker.sock) does not exist",
        "docker.engine",
        "docker.other-engine",
    )


def _migrate(evidence: Evidence) -> Item:
    check = _Check(1, "migrate", "Migrate Docker Desktop's data into OrbStack")
    kind = evidence.engine_kind()
    if kind is None:
        return check.engine_unknown(evidence)
    if kind != _ORBSTACK:
        return check.not_orbstack(kind)
    if not evidence.inputs.settings.volumes:
        return check.unknown(
            "OrbStack is in use, but no volumes are listed to look for",
            "the volumes that must move listed under volumes: in .dockmig.yml",
            "docker.engine",
        )

    states = evidence.details("docker.volumes-backup").get("volumes") or []
    absent = [s["volume"] for s in states if not s.get("exists")]
    sources = ("docker.engine", "docker.volumes-backup")
    if not states:
        return check.unknown(
            "OrbStack is in use; its volumes could not be listed",
            "docker.volumes-backup finishing within the deadline",
            *sources,
        )
    if absent:
        return check.open(
            f"OrbStack is in use but has no volume {', '.join(absent)}", *sources
        )
    held = ", ".join(s["volume"] for s in states)
    return check.ticked(f"OrbStack is in use and holds {held}", *sources)


def _verify_containers(evidence: Evidence) -> Item:
    check = _Check(1, "verify-containers", "Verify the containers run on OrbStack")
    kind = evidence.engine_kind()
    if kind is None:
        return check.engine_unknown(evidence)
    if kind != _ORBSTACK:
        return check.not_orbstack(kind)

    engine = evidence.outcome("docker.engine")
    facts = engine.data if engine is not None else None
    running = int(getattr(facts, "info", {}).get("ContainersRunning") or 0)
    if running:
        return check.ticked(f"{running} container(s) run on OrbStack", "docker.engine")
    return check.open(
        "no container runs on OrbStack; start the app's containers and check them",
        "docker.engine",
    )


def _docker_desktop_answers(evidence: Evidence) -> str | None:
    if evidence.engine_kind() == _DOCKER_DESKTOP:
        return "it is the engine in use"
    for found in evidence.details("docker.other-engine").get("answering") or []:
        if found.get("engine") == _DOCKER_DESKTOP:
            return f"it still answers at {found.get('socket')}"
    return None


def _engines_unknown(check: _Check) -> Item:
    return check.unknown(
        "the engines on this machine could not be looked for",
        "docker.other-engine running (it needs the Docker endpoint)",
        "docker.other-engine",
    )


def _stop_docker_desktop(evidence: Evidence) -> Item:
    check = _Check(1, "stop-docker-desktop", "Stop Docker Desktop")
    if _other_engines_unseen(evidence):
        return _engines_unknown(check)
    sources = ("docker.engine", "docker.other-engine")
    answers = _docker_desktop_answers(evidence)
    if answers:
        return check.open(f"Docker Desktop runs: {answers}", *sources)
    kind = evidence.engine_kind()
    if not kind:
        # Silence from every socket says no engine runs at all, not that the
        # machine moved to another one.
        return check.unknown(
            "no Docker engine answers here at all",
            "the engine in use answering as another engine than Docker Desktop "
            "(start OrbStack and run plan again)",
            *sources,
        )
    return check.ticked(
        f"the engine in use is {kind}, and no Docker Desktop engine answers", *sources
    )


def _week_of_stability(evidence: Evidence) -> Item:
    check = _Check(1, "week-of-stability", "A week of stability on OrbStack")
    kind = evidence.engine_kind()
    if kind is not None and kind != _ORBSTACK:
        return check.not_orbstack(kind)
    return check.unknown(
        "no probe sees time pass: dockmig keeps no record between runs",
        "seven days of OrbStack running the app and its deploys, e.g. the start "
        "times of its containers (`docker ps`) and a week of `kamal deploy` logs",
    )


def _uninstall_docker_desktop(evidence: Evidence) -> Item:
    check = _Check(1, "uninstall-docker-desktop", "Uninstall Docker Desktop")
    if _other_engines_unseen(evidence):
        return _engines_unknown(check)

    answers = _docker_desktop_answers(evidence)
    if answers:
        return check.open(f"Docker Desktop runs: {answers}", "docker.other-engine")
    images = evidence.details("docker.other-engine").get("disk_images") or []
    left = [d["path"] for d in images if d.get("engine") == _DOCKER_DESKTOP]
    if left:
        return check.open(
            f"Docker Desktop's disk image is still at {left[0]}", "docker.other-engine"
        )
    if not evidence.engine_kind():
        # As for stopping it: with no engine answering at all, the machine
        # has not shown it runs on another one (and uninstalled implies stopped).
        return check.unknown(
            "no Docker engine answers here at all",
            "the engine in use answering as another engine than Docker Desktop "
            "(start OrbStack and run plan again)",
            "docker.engine",
            "docker.other-engine",
        )
    return check.ticked(
        "no Docker Desktop engine answers and no Docker Desktop disk image is left",
        "docker.other-engine",
    )


# -- phase 2 ------------------------------------------------------------------------


def _target_registry(evidence: Evidence) -> str | None:
    """The registry the project moves to: .dockmig.yml, else a non-local server."""
    registry = evidence.inputs.registry
    if registry is None or registry.local:
        return None
    return registry.netloc


def _no_registry(check: _Check) -> Item:
    return check.unknown(
        "no registry to move to is configured",
        "registry/host in .dockmig.yml (the registry the project moves to)",
    )


def _dns_record(evidence: Evidence) -> Item:
    host = _target_registry(evidence)
    registry = evidence.inputs.registry
    name = registry.name if registry is not None else ""
    check = _Check(2, "dns-record", f"DNS record for {name or 'the registry'}")
    if host is None:
        return _no_registry(check)

    probe = evidence.outcome("registry.dns")
    if probe is None or probe.status.value == "skip":
        why = probe.summary if probe is not None else "registry.dns did not run"
        return check.unknown(why, "registry.dns able to run", "registry.dns")
    if _unanswered(probe):
        return check.unknown(probe.summary, "a DNS server that answers", "registry.dns")
    details = probe.details
    addresses = [*details.get("a", []), *details.get("aaaa", [])]
    if addresses:
        return check.ticked(
            f"{name} resolves to {', '.join(addresses)}", "registry.dns"
        )
    return check.open(probe.summary, "registry.dns")


def _unanswered(probe: Outcome) -> bool:
    """The DNS lookup failed without an answer about the name (not NXDOMAIN)."""
    return probe.details.get("error") not in (None, "nxdomain")


def _propagation(evidence: Evidence) -> Item:
    check = _Check(
        2, "propagation", "DNS propagated: the expected address, no CDN proxy"
    )
    if _target_registry(evidence) is None:
        return _no_registry(check)
    sources = ("registry.dns", "registry.cdn-proxy")
    if evidence.inputs.expected_ip is None:
        return check.unknown(
            "no expected address is set to compare the answers with",
            "registry/expected_ip in .dockmig.yml (the registry server's address)",
            *sources,
        )

    dns = evidence.outcome("registry.dns")
    cdn = evidence.outcome("registry.cdn-proxy")
    if dns is None or dns.status.value in ("skip", "error"):
        why = dns.summary if dns is not None else "registry.dns did not run"
        return check.unknown(why, "registry.dns able to run", *sources)
    if _unanswered(dns):
        return check.unknown(dns.summary, "a DNS server that answers", *sources)
    if dns.status.value != "ok":
        return check.open(dns.summary, *sources)
    if cdn is not None and cdn.status.value == "fail":
        return check.open(cdn.summary, *sources)
    return check.ticked(dns.summary, *sources)


# What a registry that is up answers to, in the order the probes ask.
_REGISTRY_CHAIN = (
    "registry.dns",
    "registry.tcp",
    "registry.tls",
    "registry.api",
    "registry.login",
)


def _registry_up(evidence: Evidence) -> Item:
    host = _target_registry(evidence)
    check = _Check(2, "registry-up", f"Registry up at {host or 'the new registry'}")
    if host is None:
        return _no_registry(check)

    for probe_id in _REGISTRY_CHAIN:
        found = evidence.outcome(probe_id)
        if found is None:
            return check.unknown(
                f"{probe_id} did not run",
                f"{probe_id} finishing within the deadline",
                *_REGISTRY_CHAIN,
            )
        if found.status.value in ("fail", "error"):
            return check.open(f"{probe_id}: {found.summary}", *_REGISTRY_CHAIN)
        if found.status.value == "skip":
            # Skipped because an earlier probe failed: the registry is not up.
            if "skipped:" in found.summary:
                return check.open(f"{probe_id}: {found.summary}", *_REGISTRY_CHAIN)
            return check.unknown(
                f"{probe_id}: {found.summary}",
                f"{probe_id} able to run",
                *_REGISTRY_CHAIN,
            )

    login = evidence.outcome("registry.login")
    return check.ticked(login.summary if login else "", *_REGISTRY_CHAIN)


def _targets(evidence: Evidence) -> list[TargetContext]:
    """The base and each destination read, once each."""
    inputs = evidence.inputs
    targets: list[TargetContext] = []
    for target in [inputs.base, *inputs.targets]:
        if target is not None and not any(target is seen for seen in targets):
            targets.append(target)
    return targets


def _unread(evidence: Evidence) -> dict[str, list[str]]:
    """Why a target's config did not load, to the targets it stopped."""
    from dockmig.doctor.inputs import load_failure

    unread: dict[str, list[str]] = {}
    for target in _targets(evidence):
        failure = load_failure(target)
        if failure is not None:
            unread.setdefault(failure, []).append(target.destination or "base")
    return unread


def _describe_unread(unread: Mapping[str, list[str]]) -> str:
    return "; ".join(
        f"the config of {', '.join(targets)} did not load: {failure}"
        for failure, targets in unread.items()
    )


def _servers(evidence: Evidence) -> dict[str, list[str]]:
    """Each loaded target's registry/server, as Kamal would load it, to its targets.

    A target whose config did not load names no registry at all (not Docker
    Hub); `_unread` says why.
    """
    from dockmig import erb

    servers: dict[str, list[str]] = {}
    for target in _targets(evidence):
        if not isinstance(target.data, dict):
            continue
        registry = target.data.get("registry")
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


def _no_project(check: _Check, evidence: Evidence) -> Item | None:
    inputs = evidence.inputs
    if inputs.project is not None and not inputs.project_error:
        return None
    why = inputs.project_error or f"no config/deploy.yml in {inputs.root}"
    return check.unknown(why, "a Kamal project to read", "kamal.lint")


def _unread_item(check: _Check, unread: Mapping[str, list[str]]) -> Item:
    return check.unknown(
        _describe_unread(unread),
        "deploy files dockmig can read (`dockmig lint` names each problem)",
        "kamal.lint",
    )


def _config_switched(evidence: Evidence) -> Item:
    host = _target_registry(evidence)
    check = _Check(
        2, "config-switched", f"Deploy config switched to {host or 'the new registry'}"
    )
    missing = _no_project(check, evidence)
    if missing is not None:
        return missing

    servers = _servers(evidence)
    unread = _unread(evidence)
    # What did not load is said alongside whatever else the item says.
    also = f"; {_describe_unread(unread)}" if unread else ""
    if host is None:
        local = [(s, t) for s, t in servers.items() if s.startswith("localhost:")]
        if local:
            server, targets = local[0]
            return check.open(
                f"registry/server is still {server} ({', '.join(targets)}){also}",
                "kamal.lint",
            )
        if unread:
            return _unread_item(check, unread)
        return _no_registry(check)

    elsewhere = {s: t for s, t in servers.items() if not _same_registry(s, host)}
    if elsewhere:
        listed = "; ".join(f"{s} ({', '.join(t)})" for s, t in elsewhere.items())
        return check.open(
            f"registry/server is still {listed}; `dockmig rewrite-registry --to "
            f"{host}` switches every file{also}",
            "kamal.lint",
        )
    if unread:
        return _unread_item(check, unread)
    lint = evidence.outcome("kamal.lint")
    if lint is not None and lint.status.value == "fail":
        return check.open(lint.summary, "kamal.lint")

    every = ", ".join(t for ts in servers.values() for t in ts)
    accepted = f"; {lint.summary}" if lint is not None else ""
    return check.ticked(
        f"every target ({every}) deploys through {host}{accepted}", "kamal.lint"
    )


def _password_secret(evidence: Evidence) -> str | None:
    password = evidence.inputs.password
    if password is not None and password.kind == "secret":
        return password.name
    return evidence.inputs.settings.password_secret


def _secret_added(evidence: Evidence) -> Item:
    from dockmig.doctor.availability import AVAILABLE, NOT_RUN

    name = _password_secret(evidence)
    title = f"Secret {name} added" if name else "Registry password secret added"
    check = _Check(2, "secret-added", title)
    if name is None:
        return check.unknown(
            "no registry password secret is named",
            "registry/password_secret in .dockmig.yml, or registry/password: [NAME] "
            "in config/deploy.yml",
            "kamal.secrets",
        )
    missing = _no_project(check, evidence)
    if missing is not None:
        return missing

    lacking = []
    for target in _targets(evidence):
        # Which secrets files Kamal reads depends on the config (secrets_path).
        if target.data is not None and name not in target.secret_names():
            files = " and ".join(target.secrets_paths) or "no secrets file"
            lacking.append(f"{target.destination or 'base'} ({files})")
    unread = _unread(evidence)
    if lacking:
        where = ", ".join(dict.fromkeys(lacking))
        also = f"; {_describe_unread(unread)}" if unread else ""
        return check.open(f"{name} is not defined for {where}{also}", "kamal.secrets")
    if unread:
        return _unread_item(check, unread)

    states = evidence.details("kamal.secrets").get(name) or {}
    unset = [t for t, state in states.items() if state not in (AVAILABLE, NOT_RUN)]
    if unset:
        return check.open(
            f"{name} is defined but has no value in this shell for {', '.join(unset)}",
            "kamal.secrets",
        )
    return check.ticked(
        f"{name} is defined in the secrets files of every target", "kamal.secrets"
    )


def _still_local(evidence: Evidence) -> str | None:
    for server, targets in _servers(evidence).items():
        if server.startswith("localhost:"):
            return f"{server} ({', '.join(targets)})"
    return None


def _deploy_from_here(evidence: Evidence) -> Item:
    check = _Check(
        2, "deploy-from-here", "Deploy from the Mac through the new registry"
    )
    local = _still_local(evidence)
    if local:
        return check.open(
            f"the config still deploys through Kamal's local registry {local}",
            "kamal.lint",
        )
    return check.unknown(
        "no probe reads what a deploy left behind",
        "the app's image in the registry (`/v2/<image>/tags/list`) or "
        "`kamal app version` on the servers after `kamal deploy`",
    )


def _deploy_from_elsewhere(evidence: Evidence) -> Item:
    check = _Check(2, "deploy-from-elsewhere", "Deploy from another machine")
    local = _still_local(evidence)
    if local:
        return check.open(
            f"with Kamal's local registry {local} only the machine that runs it "
            "can deploy",
            "kamal.lint",
        )
    return check.unknown(
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
                write(" (from " + ", ".join(f"`{s}`" for s in item.sources) + ")")
            write("\n")
    write(f"\n{_summary(plan)}\n")


# CommonMark reads a backslash as an escape only before ASCII punctuation (or
# at the end, where the next piece of text may begin with some); before
# anything else, `'\t'` in a YAML error say, it shows as written. A `>`
# needs no escape in the middle of a line once every `<` has one (no tag or
# autolink can open), so ERB's `%>` stays as written too.
_ESCAPING_BACKSLASH = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)")


def _md(text: str) -> str:
    """Plain text that stays plain in Markdown (backticks are kept as code)."""
    pieces = text.split("`")
    tail = ""
    if len(pieces) % 2 == 0:
        # A backtick without a partner (a YAML error quoting one) opens no
        # code span: it and the text after it are plain.
        tail = "\\`" + _plain(pieces.pop())
    for index in range(0, len(pieces), 2):
        pieces[index] = _plain(pieces[index])
    return "`".join(pieces) + tail


def _plain(text: str) -> str:
    text = _ESCAPING_BACKSLASH.sub(r"\\\\", text)
    for character in ("*", "_", "[", "]", "<", "|"):
        text = text.replace(character, "\\" + character)
    return text


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
