"""SIGKILL `dockmig rewrite-registry --write` at random moments; count what survives.

    python benchmarks/kill_trials.py [--trials 200] [--seed N] [--results]

A generated project of many files naming Kamal's local registry is moved to
`registry.example.com`. Each trial copies it, starts the command as a fresh
process, kills it (SIGKILL, the whole process group) after a random delay,
and then checks every file: its bytes must be exactly the old ones or
exactly the new ones, never anything in between. Then the same command runs
again, unkilled, and must finish the migration: every file new, and no
temporary file of the killed run left.

Most of a run is planning, and the writes come at its end, so a uniform
delay would mostly kill before anything is written. The delays are drawn
from a window around the writes instead (found by calibration runs, from the
files' modification times), and a fifth of them from the whole run.

Prints a summary; with `--results` also writes it to
benchmarks/results/kill-<date>.md. `tests/test_kill_trials.py` runs a short
version in CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OLD = "localhost:5555"
NEW = "registry.example.com"
COMMAND = [
    "rewrite-registry",
    "--to",
    NEW,
    "--username",
    "admin",
    "--password-secret",
    "KNOT_REGISTRY_PASSWORD",
    "--write",
]
TEMPORARY_SUFFIX = ".dockmig"


def write_project(root: Path, extra_files: int = 12) -> None:
    """A Kamal project whose registry moves touch files on both sides of config/."""
    files = {
        "config/deploy.yml": (
            "service: shop\nimage: shop\nservers:\n  web:\n    - 192.0.2.10\n"
            f"registry:\n  server: {OLD}\nbuilder:\n  arch: amd64\n"
            "env:\n  secret:\n    - RAILS_MASTER_KEY\n"
        ),
        # A destination that repeats the registry: written before the base.
        "config/deploy.production.yml": (
            f"servers:\n  web:\n    - 192.0.2.30\nregistry:\n  server: {OLD}\n"
        ),
        "config/deploy.staging.yml": "servers:\n  web:\n    - 192.0.2.20\n",
        ".kamal/secrets-common": "RAILS_MASTER_KEY=$RAILS_MASTER_KEY\n",
        "Dockerfile": f"FROM {OLD}/base:1\nCOPY . /app\n",
        "compose.yml": f"services:\n  web:\n    image: {OLD}/shop\n",
        "docker-compose.yml": f"services:\n  worker:\n    image: {OLD}/shop\n",
        ".github/workflows/ci.yml": f"env:\n  IMAGE: {OLD}/shop\n",
        "bin/push": f"#!/bin/sh\ndocker push {OLD}/shop\n",
        "script/release": f"#!/bin/sh\ndocker push {OLD}/shop:release\n",
    }
    for index in range(extra_files):
        files[f"lib/images_{index:02d}.py"] = f'IMAGE_{index} = "{OLD}/shop-{index}"\n'
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for script in ("bin/push", "script/release"):
        (root / script).chmod(0o755)


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def command_line() -> list[str]:
    return [sys.executable, "-m", "dockmig", *COMMAND]


def environment() -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("GITHUB_ACTIONS", "DOCKER_HOST", "DOCKER_CONTEXT")
    }
    environ["NO_COLOR"] = "1"
    return environ


@dataclass
class Reference:
    """Each file's bytes before and after an unkilled run."""

    old: dict[str, bytes]
    new: dict[str, bytes]

    @property
    def changing(self) -> list[str]:
        return sorted(name for name in self.new if self.old.get(name) != self.new[name])


def reference(work: Path) -> Reference:
    root = work / "reference"
    write_project(root)
    old = tree(root)
    completed = subprocess.run(
        command_line(), cwd=root, env=environment(), capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"the unkilled run failed:\n{completed.stdout}{completed.stderr}"
        )
    return Reference(old, tree(root))


@dataclass
class Verdict:
    """One project after a kill: which files are old, new, partial, left over."""

    old: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.partial or self.missing:
            return "broken"
        if not self.new:
            return "untouched"
        if not self.old:
            return "complete"
        return "part-way"


def judge(root: Path, ref: Reference) -> Verdict:
    verdict = Verdict()
    found = tree(root)
    for name in ref.changing:
        data = found.get(name)
        if data is None:
            verdict.missing.append(name)
        elif data == ref.old.get(name):
            verdict.old.append(name)
        elif data == ref.new[name]:
            verdict.new.append(name)
        else:
            verdict.partial.append(name)
    for name in found:
        if name not in ref.new and name not in ref.old:
            verdict.leftovers.append(name)
    return verdict


def run_killed(root: Path, delay: float) -> tuple[float, bool]:
    """Start the command, SIGKILL it after `delay` s; (run time, finished first)."""
    started = time.monotonic()
    process = subprocess.Popen(
        command_line(),
        cwd=root,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=delay)
        return time.monotonic() - started, True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return time.monotonic() - started, False


def rerun(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command_line(), cwd=root, env=environment(), capture_output=True, text=True
    )


def calibrate(work: Path, ref: Reference, runs: int = 5) -> tuple[float, float, float]:
    """Median run time, first write and last write, in seconds from the start.

    The writes are dated by the files' own modification times, read after
    each run, so that nothing watches (and slows) the run while it writes.
    """
    totals, firsts, lasts = [], [], []
    for index in range(runs):
        root = work / f"calibrate{index}"
        write_project(root)
        started = time.time()
        subprocess.run(
            command_line(),
            cwd=root,
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        totals.append(time.time() - started)
        written = [(root / name).stat().st_mtime_ns / 1e9 for name in ref.changing]
        firsts.append(min(written) - started)
        lasts.append(max(written) - started)
        shutil.rmtree(root)
    return (
        statistics.median(totals),
        statistics.median(firsts),
        statistics.median(lasts),
    )


@dataclass
class Trial:
    delay: float
    state: str
    finished_first: bool
    partial: list[str]
    leftovers: list[str]
    rerun_exit: int
    rerun_complete: bool
    stale_after_rerun: list[str]
    leftovers_after_rerun: list[str] = field(default_factory=list)


def trial(work: Path, index: int, ref: Reference, delay: float) -> Trial:
    root = work / f"trial{index}"
    write_project(root)
    _, finished = run_killed(root, delay)
    verdict = judge(root, ref)
    again = rerun(root)
    after = judge(root, ref)
    shutil.rmtree(root)
    return Trial(
        delay=delay,
        state=verdict.state,
        finished_first=finished,
        partial=verdict.partial + verdict.missing,
        leftovers=verdict.leftovers,
        rerun_exit=again.returncode,
        rerun_complete=after.state == "complete",
        stale_after_rerun=after.old,
        leftovers_after_rerun=after.leftovers,
    )


def delays(
    count: int, seed: int, total: float, first: float, last: float
) -> list[float]:
    chooser = random.Random(seed)
    # The writes take milliseconds; start-up jitter is of the same order.
    window = (max(first - 0.02, 0.0), last + 0.02)
    chosen = []
    for index in range(count):
        if index % 5 == 0:
            chosen.append(chooser.uniform(0.0, total * 1.2))
        else:
            chosen.append(chooser.uniform(*window))
    return chosen


def run(trials: int, seed: int) -> tuple[list[Trial], dict[str, float]]:
    work = Path(tempfile.mkdtemp(prefix="dm-kill-"))
    try:
        ref = reference(work)
        total, first, last = calibrate(work, ref)
        results = [
            trial(work, index, ref, delay)
            for index, delay in enumerate(delays(trials, seed, total, first, last))
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    timing = {"run": total, "first_write": first, "last_write": last}
    return results, timing


def summary(results: list[Trial], timing: dict[str, float], seed: int) -> list[str]:
    states = Counter(result.state for result in results)
    partial = [r for r in results if r.partial]
    incomplete = [r for r in results if not r.rerun_complete]
    failed_rerun = [r for r in results if r.rerun_exit != 0]
    leftovers = [r for r in results if r.leftovers]
    outlived = [r for r in results if r.leftovers_after_rerun]
    lines = [
        f"{len(results)} trials (seed {seed}); an unkilled run takes "
        f"{timing['run'] * 1000:.0f} ms, its writes fall between "
        f"{timing['first_write'] * 1000:.0f} and {timing['last_write'] * 1000:.0f} ms.",
        "",
        "| after the kill | trials |",
        "| --- | --- |",
        *(f"| {state} | {states[state]} |" for state in sorted(states)),
        "",
        f"- files neither old nor new (partial or missing): {len(partial)} trials",
        f"- rerun exit code not 0: {len(failed_rerun)} trials",
        f"- rerun did not finish the migration: {len(incomplete)} trials",
        f"- temporary files left behind by the kill: {len(leftovers)} trials",
        f"- temporary files still there after the rerun: {len(outlived)} trials",
    ]
    for result in incomplete[:5]:
        lines.append(
            f"  - killed at {result.delay * 1000:.0f} ms ({result.state}); still old "
            f"after the rerun: {', '.join(result.stale_after_rerun)}"
        )
    for result in partial[:5]:
        lines.append(f"  - partial at {result.delay * 1000:.0f} ms: {result.partial}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument(
        "--results",
        action="store_true",
        help="also write the summary to benchmarks/results/kill-<date>.md",
    )
    args = parser.parse_args()
    results, timing = run(args.trials, args.seed)
    lines = summary(results, timing, args.seed)
    print("\n".join(lines))

    if args.results:
        out = write_results(lines, args.trials)
        print(f"written to {out.relative_to(REPO)}")
    failed = any(
        r.partial or r.rerun_exit or not r.rerun_complete or r.leftovers_after_rerun
        for r in results
    )
    sys.exit(1 if failed else 0)


def write_results(lines: list[str], trials: int) -> Path:
    today = dt.date.today().isoformat()
    machine = (
        f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f} at the end."
    )
    header = [
        f"# rewrite-registry kill trials, {today}",
        "",
        machine,
        f"Command: `python benchmarks/kill_trials.py --trials {trials} --results`; "
        f"each trial SIGKILLs `dockmig {' '.join(COMMAND)}` once, then runs it "
        "again unkilled.",
        "",
    ]
    folder = REPO / "benchmarks" / "results"
    folder.mkdir(exist_ok=True)
    out = folder / f"kill-{today}.md"
    out.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
