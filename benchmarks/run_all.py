"""Run every benchmark and write one dated results file.

    python benchmarks/run_all.py [--quick] [--skip NAME]... [--fuzz-seconds N]

Runs, each as a process of its own and one after the other:

- `lint`: benchmarks/bench_lint.py, dockmig lint against yamllint and
  check-jsonschema on one deploy.yml (alternating, ratio of medians), and
  lint throughput over a monorepo of 500 Kamal projects;
- `rewrite`: benchmarks/bench_rewrite.py, `rewrite-registry --diff` over a
  generated 20,000-file repository against `grep -rl`;
- `doctor`: benchmarks/bench_doctor.py, doctor against healthy loopback
  services and against a registry that hangs, under a deadline;
- `kill`: benchmarks/kill_trials.py, 200 SIGKILLs of `rewrite-registry
  --write` at random moments;
- `fuzz`: benchmarks/fuzz.py, atheris over the readers for a set time
  (skipped when atheris is not installed).

Peak memory: every Python process the benchmarks start (dockmig, yamllint,
check-jsonschema) records its own maximum resident set size when it exits,
through a `sitecustomize` module put on PYTHONPATH for the run, so each
tool's peak is known per benchmark without touching the benchmark scripts.

Writes benchmarks/results/all-YYYY-MM-DD.md and prints it. A script's own
dated results file (lint-<date>.md, ...) is left as it was before the run,
unless `--keep-results` and there was none. `--quick` runs smaller sizes, for
trying the command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
RESULTS = BENCHMARKS / "results"

RECORDER = """\
import atexit
import json
import os
import resource
import sys

_LOG = os.environ.get("DOCKMIG_BENCH_RSS_LOG")


def _record_peak_memory():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    entry = {"argv": list(getattr(sys, "orig_argv", sys.argv)), "kib": usage.ru_maxrss}
    with open(_LOG, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry) + "\\n")


if _LOG:
    atexit.register(_record_peak_memory)
"""


@dataclass
class Stage:
    name: str
    script: str
    full: list[str]
    quick: list[str]
    about: str
    needs: str | None = None  # a module that must be importable


STAGES = [
    Stage(
        "lint",
        "bench_lint.py",
        ["--runs", "15", "--projects", "500"],
        ["--runs", "5", "--projects", "50"],
        "dockmig lint against yamllint and check-jsonschema; 500-project monorepo",
    ),
    Stage(
        "rewrite",
        "bench_rewrite.py",
        ["--files", "20000", "--runs", "7"],
        ["--files", "2000", "--runs", "3"],
        "rewrite-registry --diff over a 20,000-file tree against grep -rl",
    ),
    Stage(
        "doctor",
        "bench_doctor.py",
        ["--runs", "9"],
        ["--runs", "3"],
        "doctor against healthy loopback services and a hanging registry",
    ),
    Stage(
        "kill",
        "kill_trials.py",
        ["--trials", "200"],
        ["--trials", "20"],
        "SIGKILL of rewrite-registry --write at random moments",
    ),
    Stage(
        "fuzz",
        "fuzz.py",
        [],
        [],
        "atheris over the dotenv tokenizer, ERB, YAML 1.1 typing, the deploy "
        "reader and the span editor",
        needs="atheris",
    ),
]


@dataclass
class Outcome:
    stage: Stage
    command: list[str]
    exit_code: int | None
    seconds: float
    report: str
    skipped: str | None = None
    peaks: dict[str, list[int]] = field(default_factory=dict)


def process_kind(argv: list[str]) -> str:
    """Which tool a recorded process was, from its command line."""
    text = " ".join(argv)
    harness = ("bench_", "kill_trials.py", "fuzz.py", "run_all.py", "compileall")
    if any(name in text for name in harness) and "--child" not in text:
        return "benchmark harness"
    if "fuzz.py" in text:
        return "atheris fuzzer (dockmig readers)"
    if "import walk" in text:
        return "python walk + read (floor)"
    if "yamllint" in text:
        return "yamllint"
    if "check-jsonschema" in text or "check_jsonschema" in text:
        return "check-jsonschema"
    # `dockmig CMD`, `python -m dockmig CMD`, or a -c wrapper importing one.
    for index, word in enumerate(argv[:-1]):
        if word.endswith("/dockmig") or (word == "dockmig" and argv[index - 1] == "-m"):
            return f"dockmig {argv[index + 1]}"
    for command in ("rewrite_registry", "doctor"):
        if command in text:
            return "dockmig " + command.replace("_", "-")
    return "other python"


def run_stage(
    stage: Stage, quick: bool, fuzz_seconds: int, scratch: Path, keep_results: bool
) -> Outcome:
    script = BENCHMARKS / stage.script
    arguments = list(stage.quick if quick else stage.full)
    if stage.name == "fuzz":
        arguments = ["--seconds", str(fuzz_seconds)]
    command = [sys.executable, str(script), *arguments]
    if stage.needs and importlib.util.find_spec(stage.needs) is None:
        return Outcome(
            stage, command, None, 0.0, "", skipped=f"{stage.needs} is not installed"
        )

    # Each script also writes its own dated file; those belong to their
    # benchmarks, so they are put back and this run is kept in all-<date>.md.
    own = RESULTS / f"{stage.name}-{dt.date.today().isoformat()}.md"
    kept = own.read_bytes() if own.exists() else None

    log = scratch / f"{stage.name}.rss.jsonl"
    environ = dict(os.environ)
    environ["DOCKMIG_BENCH_RSS_LOG"] = str(log)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(scratch / "recorder"), str(REPO), environ.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    started = time.monotonic()
    completed = subprocess.run(
        command, cwd=REPO, env=environ, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    if kept is not None:
        own.write_bytes(kept)
    elif own.exists() and not keep_results:
        own.unlink()

    peaks: dict[str, list[int]] = defaultdict(list)
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            peaks[process_kind(entry["argv"])].append(int(entry["kib"]))
    report = completed.stdout.strip()
    if completed.returncode != 0:
        report += (
            f"\n\n(exit {completed.returncode})\n{completed.stderr.strip()[-2000:]}"
        )
    return Outcome(stage, command, completed.returncode, seconds, report, None, peaks)


def machine() -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average at the start {load}"
    )


def memory_table(outcomes: list[Outcome]) -> list[str]:
    rows = [
        "| benchmark | process | processes | peak RSS (MiB) |",
        "| --- | --- | --- | --- |",
    ]
    for outcome in outcomes:
        for kind in sorted(outcome.peaks):
            if kind == "benchmark harness":
                continue
            values = outcome.peaks[kind]
            rows.append(
                f"| {outcome.stage.name} | {kind} | {len(values)} | "
                f"{max(values) / 1024:.0f} |"
            )
    return rows


def render(outcomes: list[Outcome], quick: bool, command: str, started: str) -> str:
    lines = [
        f"# dockmig benchmarks, {dt.date.today().isoformat()}",
        "",
        f"Machine: {machine()}.",
        f"Command: `{command}`{' (quick sizes)' if quick else ''}; started {started}.",
        "",
        "| benchmark | what | wall time | exit |",
        "| --- | --- | --- | --- |",
    ]
    for outcome in outcomes:
        if outcome.skipped:
            lines.append(
                f"| {outcome.stage.name} | {outcome.stage.about} | skipped: "
                f"{outcome.skipped} | |"
            )
        else:
            lines.append(
                f"| {outcome.stage.name} | {outcome.stage.about} | "
                f"{outcome.seconds:.0f} s | {outcome.exit_code} |"
            )
    lines += [
        "",
        "## Peak memory",
        "",
        "Maximum resident set size of each kind of process a benchmark started, "
        "as each recorded it at exit (killed processes record nothing).",
        "",
        *memory_table(outcomes),
    ]
    for outcome in outcomes:
        if outcome.skipped:
            continue
        body = outcome.report
        # The scripts' own reports start with a level-1 title; nest them.
        body = "\n".join(
            "#" + line if line.startswith("# ") else line for line in body.splitlines()
        )
        lines += [
            "",
            f"## {outcome.stage.name}: `{' '.join(outcome.command[1:])}`",
            "",
            body,
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--skip", action="append", default=[], choices=[s.name for s in STAGES]
    )
    parser.add_argument("--fuzz-seconds", type=int, default=60, help="per target")
    parser.add_argument(
        "--keep-results",
        action="store_true",
        help="also keep each script's own results file when it had none today",
    )
    args = parser.parse_args()

    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="dm-bench-all-") as folder:
        scratch = Path(folder)
        (scratch / "recorder").mkdir()
        (scratch / "recorder" / "sitecustomize.py").write_text(RECORDER)
        for stage in STAGES:
            if stage.name in args.skip:
                continue
            print(f"== {stage.name}: {stage.about}", file=sys.stderr, flush=True)
            outcome = run_stage(
                stage, args.quick, args.fuzz_seconds, scratch, args.keep_results
            )
            outcomes.append(outcome)
            print(
                f"   {outcome.skipped or f'exit {outcome.exit_code}'}, "
                f"{outcome.seconds:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    command = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    report = render(outcomes, args.quick, command.strip(), started)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"all-{dt.date.today().isoformat()}.md"
    out.write_text(report, encoding="utf-8")
    print(report)
    failed = [o for o in outcomes if not o.skipped and o.exit_code not in (0, None)]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
