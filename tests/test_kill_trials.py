"""A `rewrite-registry --write` that dies or fails half-way loses nothing.

- Killed (SIGKILL) at every step of its writes, in turn: each file is
  entirely old or entirely new, and running the command again finishes the
  migration. The steps are counted in the child itself (every fsync, and
  just before and after every rename), so each kill point is hit exactly.
- Killed at random moments, as a fresh process: the short version of
  `benchmarks/kill_trials.py` (200 trials there).
- A write the system refuses (an immutable file; a file-size limit, as a
  full disk would) leaves every file as it was and names the file and why.
"""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import sandbox
from tests.conftest import REPO, require

_SPEC = importlib.util.spec_from_file_location(
    "kill_trials", REPO / "benchmarks" / "kill_trials.py"
)
assert _SPEC is not None and _SPEC.loader is not None
trials: Any = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("kill_trials", trials)
_SPEC.loader.exec_module(trials)

COUNT_STEPS = """
import os, signal

_state = {{"step": 0}}
_replace, _fsync = os.replace, os.fsync


def _step():
    _state["step"] += 1
    with open({counter!r}, "w") as counter:
        counter.write(str(_state["step"]))
    if _state["step"] == {kill_at}:
        os.kill(os.getpid(), signal.SIGKILL)


def _counted_replace(source, target, **options):
    _step()
    _replace(source, target, **options)
    _step()


def _counted_fsync(descriptor):
    _fsync(descriptor)
    _step()


os.replace = _counted_replace
os.fsync = _counted_fsync
"""


def _job(name: str, root: Path, prelude: str | None = None) -> sandbox.Job:
    return sandbox.Job(
        name=name,
        args=list(trials.COMMAND),
        cwd=str(root),
        env=trials.environment(),
        prelude=prelude,
        memory_bytes=1024 * sandbox.MIB,
    )


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="dm-kill-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def reference(work: Path) -> Any:
    return trials.reference(work)


@pytest.fixture(scope="module")
def steps(work: Path) -> int:
    """How many write steps an unkilled run takes."""
    root = work / "count"
    trials.write_project(root)
    counter = work / "steps"
    prelude = COUNT_STEPS.format(counter=str(counter), kill_at=-1)
    outcome = sandbox.run_many([_job("count", root, prelude)])["count"]
    assert outcome.exit_code == 0, outcome.describe()
    return int(counter.read_text())


@pytest.fixture(scope="module")
def killed(work: Path, steps: int) -> dict[int, tuple[Path, sandbox.Outcome]]:
    """A project killed at each step, then run again to the end."""
    roots = {}
    jobs = []
    for step in range(1, steps + 1):
        root = work / f"step{step}"
        trials.write_project(root)
        prelude = COUNT_STEPS.format(counter=str(work / f"c{step}"), kill_at=step)
        jobs.append(_job(str(step), root, prelude))
        roots[step] = root
    outcomes = sandbox.run_many(jobs)
    for outcome in outcomes.values():
        assert outcome.signal == 9, outcome.describe()
    return {step: (roots[step], outcomes[str(step)]) for step in roots}


@pytest.fixture(scope="module")
def judged_after_kill(
    killed: dict[int, tuple[Path, sandbox.Outcome]], reference: Any
) -> dict[int, Any]:
    return {step: trials.judge(root, reference) for step, (root, _) in killed.items()}


@pytest.fixture(scope="module")
def rerun(
    killed: dict[int, tuple[Path, sandbox.Outcome]],
    judged_after_kill: dict[int, Any],
) -> dict[int, tuple[sandbox.Outcome, Any]]:
    jobs = [_job(f"again{step}", root) for step, (root, _) in killed.items()]
    outcomes = sandbox.run_many(jobs)
    return {
        step: (outcomes[f"again{step}"], root) for step, (root, _) in killed.items()
    }


def test_a_run_writes_several_files_in_several_steps(
    steps: int, reference: Any
) -> None:
    assert len(reference.changing) >= 10
    assert steps >= 3 * len(reference.changing)


def test_every_file_is_old_or_new_after_a_kill_at_any_write_step(
    judged_after_kill: dict[int, Any],
) -> None:
    broken = {
        step: (verdict.partial, verdict.missing)
        for step, verdict in judged_after_kill.items()
        if verdict.state == "broken"
    }
    assert not broken
    states = {verdict.state for verdict in judged_after_kill.values()}
    assert "part-way" in states, "no kill landed between two files' writes"


def test_a_rerun_after_a_kill_exits_0(
    rerun: dict[int, tuple[sandbox.Outcome, Path]],
) -> None:
    for outcome, _root in rerun.values():
        assert outcome.exit_code == 0, outcome.describe()


def test_a_rerun_after_a_kill_finishes_the_migration(
    rerun: dict[int, tuple[sandbox.Outcome, Path]], reference: Any
) -> None:
    unfinished = {}
    for step, (_outcome, root) in rerun.items():
        verdict = trials.judge(root, reference)
        if verdict.state != "complete":
            unfinished[step] = verdict.old
    assert not unfinished


def test_no_temporary_file_outlives_the_rerun(
    rerun: dict[int, tuple[sandbox.Outcome, Path]], reference: Any
) -> None:
    left = {}
    for step, (_outcome, root) in rerun.items():
        verdict = trials.judge(root, reference)
        if verdict.leftovers:
            left[step] = verdict.leftovers
    assert not left


@pytest.mark.slow
def test_random_kills_of_a_fresh_process_leave_no_partial_file(
    work: Path, reference: Any
) -> None:
    total, first, last = trials.calibrate(work, reference, runs=3)
    seed = random.randrange(2**32)
    results = [
        trials.trial(work, index, reference, delay)
        for index, delay in enumerate(trials.delays(20, seed, total, first, last))
    ]
    summary = "\n".join(
        trials.summary(
            results, {"run": total, "first_write": first, "last_write": last}, seed
        )
    )
    assert not [r for r in results if r.partial], summary
    assert all(r.rerun_exit == 0 for r in results), summary


# --- writes the system refuses


def _project(root: Path) -> dict[str, bytes]:
    trials.write_project(root)
    # One file large enough to cross a small file-size limit.
    padding = "".join(
        f"# padding line {n:04d} of a long compose file\n" for n in range(200)
    )
    (root / "docker-compose.yml").write_text(
        f"{padding}services:\n  worker:\n    image: {trials.OLD}/shop\n"
    )
    return trials.tree(root)


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockmig", *trials.COMMAND],
        cwd=root,
        env=trials.environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _chattr_works(probe: Path) -> bool:
    if shutil.which("chattr") is None or os.geteuid() != 0:
        return False
    probe.write_text("x")
    done = subprocess.run(["chattr", "+i", str(probe)], capture_output=True)
    subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
    return done.returncode == 0


def test_an_immutable_file_stops_the_write_and_every_file_stays_as_it_was(
    tmp_path: Path,
) -> None:
    require(_chattr_works(tmp_path / "probe"), "chattr +i (root on ext4, e2fsprogs)")
    root = tmp_path / "project"
    before = _project(root)
    locked = root / "script" / "release"  # written after most other files
    subprocess.run(["chattr", "+i", str(locked)], check=True)
    try:
        completed = _run(root)
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)

    assert completed.returncode == 3, completed.stdout + completed.stderr
    said = completed.stderr.strip().splitlines()
    assert len(said) == 1 and "script/release" in said[0], completed.stderr
    assert "Operation not permitted" in said[0]
    assert trials.tree(root) == before


def test_a_file_size_limit_stops_the_write_and_every_file_stays_as_it_was(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    before = _project(root)
    limit = 4096
    assert max(len(data) for data in before.values()) > limit
    job = sandbox.Job(
        name="fsize",
        args=list(trials.COMMAND),
        cwd=str(root),
        env=trials.environment(),
        file_size_bytes=limit,
    )
    outcome = sandbox.run_real(job)

    assert outcome.exit_code == 3, outcome.describe()
    said = outcome.stderr.strip().splitlines()
    assert len(said) == 1 and "docker-compose.yml" in said[0], outcome.describe()
    assert "File too large" in said[0]
    assert trials.tree(root) == before
