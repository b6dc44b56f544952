"""dockmig doctor: preflight probes of the engine, the registry and the deploy.

A probe is one module under `dockmig.doctor.probes`, listed by name in
`PROBE_MODULES`. Each module defines:

- `ID`: the stable identifier, `<group>.<name>` (part of dockmig's contract);
- `NEEDS`: probes that must end ok or warn first; when one does not, this
  probe is skipped with the reason instead of failing a second time;
- `AFTER` (optional): probes whose outcome it reads but does not require;
- `TIMEOUT`: seconds this probe may take on its own (the run's deadline may
  cut it shorter);
- `run(context) -> Outcome`, and a docstring whose first line describes it.

Probes run concurrently, each as soon as the probes it waits for are done,
under one deadline for the whole run: a host that never answers costs one
deadline, not one per probe. A probe still running at the deadline fails with
what it was waiting for. Heavy libraries (docker, dnspython) are imported
inside `run`, never when this package is imported.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dockmig.doctor.inputs import Inputs

logger = logging.getLogger(__name__)

GROUPS = ("docker", "registry", "kamal")

# The order is the order of the report. The list is explicit on purpose: a
# probe that fails to import stops dockmig with its name.
PROBE_MODULES = [
    "docker_endpoint",
    "docker_engine",
    "docker_other_engine",
    "docker_buildkit_cache",
    "docker_disk",
    "docker_volumes_backup",
    "registry_dns",
    "registry_cdn_proxy",
    "registry_tcp",
    "registry_tls",
    "registry_api",
    "registry_login",
    "kamal_lint",
    "kamal_secrets",
    "kamal_builder",
]

# Sockets and resolvers get a little less than what is left of the deadline,
# so that a probe reports its own time-out (naming the host) before the
# runner has to give up on it.
_MARGIN = 0.1


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"

    @property
    def passed(self) -> bool:
        """Probes that need this one may run."""
        return self in (Status.OK, Status.WARN)

    @property
    def failed(self) -> bool:
        """The run exits 1: a check failed or could not be made at all."""
        return self in (Status.FAIL, Status.ERROR)


@dataclass(frozen=True)
class Outcome:
    """What a probe found. `data` is for the probes that need it, never shown."""

    status: Status
    summary: str
    remedy: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    data: Any = field(default=None, repr=False, compare=False)


def ok(
    summary: str, *, details: Mapping[str, Any] | None = None, data: Any = None
) -> Outcome:
    return Outcome(Status.OK, summary, "", dict(details or {}), data)


def warn(
    summary: str,
    remedy: str,
    *,
    details: Mapping[str, Any] | None = None,
    data: Any = None,
) -> Outcome:
    return Outcome(Status.WARN, summary, remedy, dict(details or {}), data)


def fail(
    summary: str,
    remedy: str,
    *,
    details: Mapping[str, Any] | None = None,
    data: Any = None,
) -> Outcome:
    return Outcome(Status.FAIL, summary, remedy, dict(details or {}), data)


def skip(why: str, *, details: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome(Status.SKIP, why, "", dict(details or {}))


@dataclass(frozen=True)
class Probe:
    id: str
    needs: tuple[str, ...]
    after: tuple[str, ...]
    timeout: float
    module: ModuleType

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def description(self) -> str:
        doc = inspect.getdoc(self.module) or ""
        return doc.splitlines()[0] if doc else ""

    @property
    def run(self) -> Callable[[ProbeContext], Outcome]:
        function: Callable[[ProbeContext], Outcome] = self.module.run
        return function


class ProbeLoadError(Exception):
    pass


def _load(name: str) -> Probe:
    try:
        module = importlib.import_module(f"dockmig.doctor.probes.{name}")
    except Exception as error:  # a broken probe must fail loudly, by name
        raise ProbeLoadError(
            f"probe module dockmig.doctor.probes.{name} failed: {error}"
        ) from error

    try:
        probe = Probe(
            id=module.ID,
            needs=tuple(module.NEEDS),
            after=tuple(getattr(module, "AFTER", ())),
            timeout=float(module.TIMEOUT),
            module=module,
        )
        module.run  # noqa: B018 - fail here, by name, rather than mid-run
    except AttributeError as error:
        raise ProbeLoadError(
            f"probe module dockmig.doctor.probes.{name} lacks {error.name}"
        ) from error

    if probe.group not in GROUPS:
        raise ProbeLoadError(f"probe {probe.id} is in no known group")
    return probe


@cache
def all_probes() -> tuple[Probe, ...]:
    probes = tuple(_load(name) for name in PROBE_MODULES)
    known = {probe.id for probe in probes}
    for probe in probes:
        for other in (*probe.needs, *probe.after):
            if other not in known:
                raise ProbeLoadError(f"probe {probe.id} waits for unknown {other}")
    return probes


def by_id() -> dict[str, Probe]:
    return {probe.id: probe for probe in all_probes()}


def select(only: Iterable[str]) -> list[Probe]:
    """The probes `--only` names (groups or IDs), with what they need, in order.

    A probe cannot run without the probes it needs, so those run too: asking
    for `registry.login` also resolves, connects and shakes hands.
    """
    names = [name for name in only if name]
    probes = all_probes()
    if not names:
        return list(probes)

    known = by_id()
    chosen: set[str] = set()
    for name in names:
        if name in GROUPS:
            chosen |= {probe.id for probe in probes if probe.group == name}
        elif name in known:
            chosen.add(name)
        else:
            choices = ", ".join([*GROUPS, *known])
            raise ValueError(f"unknown probe or group {name!r}; choose from {choices}")

    pending = list(chosen)
    while pending:
        for needed in known[pending.pop()].needs:
            if needed not in chosen:
                chosen.add(needed)
                pending.append(needed)
    return [probe for probe in probes if probe.id in chosen]


class ProbeContext:
    """What one probe sees: the inputs, the clock, and the outcomes before it."""

    def __init__(self, runner: Runner, probe: Probe) -> None:
        self._runner = runner
        self.probe = probe
        self.inputs = runner.inputs
        self._ends_at = runner.clock() + probe.timeout

    def remaining(self) -> float:
        """Seconds left before the run's deadline."""
        return self._runner.ends_at - self._runner.clock()

    def timeout(self, limit: float | None = None) -> float:
        """How long the next wait may take.

        What is left of the probe's own time-out and of the run's deadline,
        and at most `limit`.
        """
        left = min(self._ends_at - self._runner.clock(), self.remaining() - _MARGIN)
        if limit is not None:
            left = min(left, limit)
        return max(0.05, left)

    def doing(self, activity: str) -> None:
        """Record what the probe now waits for; a time-out names it."""
        logger.debug("%s: %s", self.probe.id, activity)
        self._runner.record_activity(self.probe.id, activity)

    def outcome(self, probe_id: str) -> Outcome | None:
        return self._runner.outcome(probe_id)

    def data(self, probe_id: str) -> Any:
        outcome = self._runner.outcome(probe_id)
        return None if outcome is None else outcome.data


class Runner:
    """Runs probes on threads as their prerequisites finish, until the deadline.

    Threads, not processes: probes wait on sockets. A probe thread still
    blocked at the deadline is abandoned (it is a daemon thread and its
    sockets carry time-outs no longer than the deadline).
    """

    def __init__(
        self,
        probes: list[Probe],
        inputs: Inputs,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.probes = probes
        self.inputs = inputs
        self.deadline = deadline
        self.clock = clock
        self.ends_at = clock() + deadline

        self._ids = {probe.id for probe in probes}
        self._changed = threading.Condition()
        self._outcomes: dict[str, Outcome] = {}
        self._activity: dict[str, str] = {}
        self._started: set[str] = set()
        self._closed = False

    def outcome(self, probe_id: str) -> Outcome | None:
        with self._changed:
            return self._outcomes.get(probe_id)

    def record_activity(self, probe_id: str, activity: str) -> None:
        with self._changed:
            self._activity[probe_id] = activity

    def run(self) -> list[tuple[Probe, Outcome]]:
        with self._changed:
            self._start_ready()
            while len(self._outcomes) < len(self.probes):
                left = self.ends_at - self.clock()
                if left <= 0:
                    break
                self._changed.wait(left)
                self._start_ready()

            self._closed = True
            self._give_up()
            return [(probe, self._outcomes[probe.id]) for probe in self.probes]

    def _start_ready(self) -> None:
        """Start (or skip) every probe whose prerequisites have all finished."""
        progress = True
        while progress:
            progress = False
            for probe in self.probes:
                if probe.id in self._started:
                    continue
                waits = [p for p in (*probe.needs, *probe.after) if p in self._ids]
                if any(p not in self._outcomes for p in waits):
                    continue

                self._started.add(probe.id)
                progress = True
                blocked = [
                    p
                    for p in probe.needs
                    if p in self._outcomes and not self._outcomes[p].status.passed
                ]
                if blocked:
                    self._outcomes[probe.id] = _skipped(blocked, self._outcomes)
                    continue

                thread = threading.Thread(
                    target=self._run_one,
                    args=(probe,),
                    name=f"dockmig-probe-{probe.id}",
                    daemon=True,
                )
                thread.start()

    def _run_one(self, probe: Probe) -> None:
        started = self.clock()
        try:
            outcome = probe.run(ProbeContext(self, probe))
        except Exception as error:  # one broken probe must not stop the rest
            # An exception's message may quote the value it failed on, and that
            # value may be a password: name the type and where, never the text.
            where = traceback.extract_tb(error.__traceback__)[-1:]
            place = f" at {where[0].filename}:{where[0].lineno}" if where else ""
            logger.debug("probe %s raised %s%s", probe.id, type(error).__name__, place)
            outcome = Outcome(
                Status.ERROR,
                f"dockmig could not run this probe: {type(error).__name__}{place}",
                "this is a bug in dockmig or an unexpected environment; "
                "run with -vv and report it",
            )

        logger.info(
            "%s: %s in %.3f s", probe.id, outcome.status.value, self.clock() - started
        )
        with self._changed:
            if not self._closed:
                self._outcomes[probe.id] = outcome
                self._changed.notify_all()

    def _give_up(self) -> None:
        """At the deadline: running probes fail, probes never started are skipped."""
        late = {probe.id for probe in self.probes} - set(self._outcomes)
        for probe in self.probes:
            if probe.id in self._started and probe.id not in self._outcomes:
                activity = self._activity.get(probe.id, "the probe to finish")
                self._outcomes[probe.id] = Outcome(
                    Status.FAIL,
                    f"no answer within the {self.deadline:g} s deadline: "
                    f"waiting for {activity}",
                    "find out why it does not answer, or allow more time with "
                    "--deadline",
                    {"timed_out": True},
                )

        for probe in self.probes:
            if probe.id not in self._outcomes:
                unfinished = [p for p in (*probe.needs, *probe.after) if p in late]
                self._outcomes[probe.id] = skip(
                    "not started: "
                    + ", ".join(unfinished)
                    + " did not finish before the deadline"
                )


def _skipped(blocked: list[str], outcomes: Mapping[str, Outcome]) -> Outcome:
    reasons = [f"{p} {past_tense(outcomes[p].status)}" for p in blocked]
    return skip("skipped: " + ", ".join(reasons), details={"blocked_by": blocked})


def past_tense(status: Status) -> str:
    """`registry.dns failed`, `… was skipped`: how a status reads in a reason."""
    return {
        Status.FAIL: "failed",
        Status.ERROR: "could not run",
        Status.SKIP: "was skipped",
    }.get(status, status.value)


@dataclass
class Report:
    root: str
    results: list[tuple[Probe, Outcome]]
    elapsed: float
    registry: str | None = None

    @property
    def failed(self) -> bool:
        return any(outcome.status.failed for _, outcome in self.results)

    def counts(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        for _, outcome in self.results:
            counts[outcome.status] += 1
        return counts


def human_size(count: float) -> str:
    """Bytes in decimal units, as `docker system df` shows them."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"
