"""The probe registry and the runner: prerequisites, concurrency, one deadline."""

from __future__ import annotations

import threading
import types
from collections.abc import Callable, Iterator

import pytest

from dockmig import doctor
from dockmig.doctor import Outcome, Probe, ProbeContext, Runner, Status

CONTRACT_IDS = [
    "docker.endpoint",
    "docker.engine",
    "docker.other-engine",
    "docker.buildkit-cache",
    "docker.disk",
    "docker.volumes-backup",
    "registry.dns",
    "registry.cdn-proxy",
    "registry.tcp",
    "registry.tls",
    "registry.api",
    "registry.login",
    "kamal.lint",
    "kamal.secrets",
    "kamal.builder",
]


def test_every_contract_probe_is_registered_in_report_order() -> None:
    assert [probe.id for probe in doctor.all_probes()] == CONTRACT_IDS


def test_every_probe_has_a_description_and_a_positive_timeout() -> None:
    for probe in doctor.all_probes():
        assert probe.description, probe.id
        assert len(probe.description) <= 80, probe.id
        assert probe.timeout > 0, probe.id
        assert probe.group in doctor.GROUPS


def test_select_adds_what_the_chosen_probes_need() -> None:
    chosen = [p.id for p in doctor.select(["registry.login"])]
    assert chosen == [
        "registry.dns",
        "registry.tcp",
        "registry.tls",
        "registry.api",
        "registry.login",
    ]


def test_select_takes_groups_and_ids_together() -> None:
    chosen = [p.id for p in doctor.select(["kamal", "registry.cdn-proxy"])]
    assert chosen == [
        "registry.cdn-proxy",
        "kamal.lint",
        "kamal.secrets",
        "kamal.builder",
    ]


def test_select_rejects_an_unknown_name_and_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown probe or group 'registry\.ping'"):
        doctor.select(["registry.ping"])


def probe(
    probe_id: str,
    run: Callable[[ProbeContext], Outcome],
    needs: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
) -> Probe:
    module = types.ModuleType(f"fake_{probe_id}")
    module.run = run  # type: ignore[attr-defined]
    return Probe(id=probe_id, needs=needs, after=after, timeout=5.0, module=module)


def results(probes: list[Probe], deadline: float = 5.0) -> dict[str, Outcome]:
    return {p.id: o for p, o in Runner(probes, None, deadline).run()}  # type: ignore[arg-type]


def test_a_probe_whose_prerequisite_failed_is_skipped_not_failed() -> None:
    outcomes = results(
        [
            probe("docker.a", lambda c: doctor.fail("broken", "fix it")),
            probe("docker.b", lambda c: doctor.ok("never runs"), needs=("docker.a",)),
            probe("docker.c", lambda c: doctor.ok("never runs"), needs=("docker.b",)),
        ]
    )
    assert [o.status for o in outcomes.values()] == [
        Status.FAIL,
        Status.SKIP,
        Status.SKIP,
    ]
    assert outcomes["docker.b"].summary == "skipped: docker.a failed"
    assert outcomes["docker.c"].summary == "skipped: docker.b was skipped"


def test_a_probe_reads_the_data_of_the_probe_it_needs() -> None:
    outcomes = results(
        [
            probe("docker.a", lambda c: doctor.ok("found", data=41)),
            probe(
                "docker.b",
                lambda c: doctor.ok(str(c.data("docker.a") + 1)),
                needs=("docker.a",),
            ),
        ]
    )
    assert outcomes["docker.b"].summary == "42"


def test_after_waits_for_a_probe_but_runs_when_it_failed() -> None:
    outcomes = results(
        [
            probe("docker.a", lambda c: doctor.fail("down", "start it")),
            probe(
                "kamal.b",
                lambda c: doctor.ok(f"saw {c.outcome('docker.a').status.value}"),
                after=("docker.a",),
            ),
        ]
    )
    assert outcomes["kamal.b"].summary == "saw fail"


def test_independent_probes_run_at_the_same_time() -> None:
    # Each waits for the other at a barrier: run one after the other, the
    # first would time out there.
    barrier = threading.Barrier(2, timeout=5)

    def meet(context: ProbeContext) -> Outcome:
        barrier.wait()
        return doctor.ok("met")

    outcomes = results([probe("docker.a", meet), probe("docker.b", meet)])
    assert {o.status for o in outcomes.values()} == {Status.OK}


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_a_probe_running_at_the_deadline_fails_naming_what_it_waited_for(
    release: threading.Event,
) -> None:
    def hang(context: ProbeContext) -> Outcome:
        context.doing("a TLS handshake with 192.0.2.1:443")
        release.wait(30)
        return doctor.ok("too late")

    outcomes = results(
        [
            probe("registry.a", hang),
            probe("registry.b", lambda c: doctor.ok("x"), needs=("registry.a",)),
            probe("registry.c", lambda c: doctor.ok("independent")),
        ],
        deadline=0.3,
    )
    assert outcomes["registry.a"].status is Status.FAIL
    assert outcomes["registry.a"].summary == (
        "no answer within the 0.3 s deadline: waiting for a TLS handshake with "
        "192.0.2.1:443"
    )
    assert outcomes["registry.b"].status is Status.SKIP
    assert (
        "registry.a did not finish before the deadline"
        in outcomes["registry.b"].summary
    )
    assert outcomes["registry.c"].status is Status.OK


def test_a_probe_that_raises_is_an_error_and_the_others_still_run() -> None:
    def broken(context: ProbeContext) -> Outcome:
        raise KeyError("Architecture")

    outcomes = results(
        [probe("docker.a", broken), probe("docker.b", lambda c: doctor.ok("fine"))]
    )
    assert outcomes["docker.a"].status is Status.ERROR
    assert "KeyError" in outcomes["docker.a"].summary
    assert outcomes["docker.b"].status is Status.OK


@pytest.mark.parametrize(
    ("status", "failed"),
    [
        (Status.OK, False),
        (Status.WARN, False),
        (Status.SKIP, False),
        (Status.FAIL, True),
        (Status.ERROR, True),
    ],
)
def test_the_run_fails_on_fail_and_error_only(status: Status, failed: bool) -> None:
    outcome = Outcome(status, "s")
    report = doctor.Report("x", [(probe("docker.a", lambda c: outcome), outcome)], 0.0)
    assert report.failed is failed


def test_a_probe_waits_no_longer_than_its_own_timeout_within_the_deadline() -> None:
    seen: list[float] = []

    def record(context: ProbeContext) -> Outcome:
        seen.extend([context.timeout(), context.timeout(0.2)])
        return doctor.ok("recorded")

    quick = Probe("docker.a", (), (), 0.5, types.ModuleType("quick"))
    quick.module.run = record  # type: ignore[attr-defined]
    results([quick], deadline=30)
    assert 0 < seen[0] <= 0.5
    assert 0 < seen[1] <= 0.2
