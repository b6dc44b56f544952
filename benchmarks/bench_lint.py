"""dockmig lint against yamllint and check-jsonschema on the same deploy.yml.

    python benchmarks/bench_lint.py [--runs N] [--projects N]

Each tool runs as a fresh process (that is how pre-commit and CI run them),
alternating tool by tool so that machine noise hits all alike; the figure is
the median wall time, and the ratio is dockmig's median over the other's.
Also: lint throughput over a monorepo of many Kamal projects in one call, and
peak memory (max RSS of the child) for each. Two floor rows show what any
run of dockmig pays first: the interpreter starting, and importing the two
libraries its lint is built on (click and ruamel.yaml).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "knot"
BIN = Path(sys.executable).parent


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(after, before)


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not installed: pip install -e '.[bench]'")
    return found


def compare(runs: int, workdir: Path) -> list[str]:
    schema = workdir / "kamal-deploy.schema.json"
    schema.write_text(
        subprocess.run(
            [tool("dockmig"), "schema", "deploy"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    commands = {
        "dockmig lint": [
            tool("dockmig"),
            "lint",
            "-c",
            "config/deploy.yml",
            "-d",
            "staging",
            ".",
        ],
        "yamllint": [tool("yamllint"), "-d", "relaxed", "config/deploy.yml"],
        "check-jsonschema": [
            tool("check-jsonschema"),
            "--schemafile",
            str(schema),
            "config/deploy.yml",
        ],
        # Floors: what dockmig pays before doing anything of its own.
        "floor: Python start": [sys.executable, "-c", "pass"],
        "floor: Python + click + ruamel.yaml imports": [
            sys.executable,
            "-c",
            "import click, ruamel.yaml",
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, int] = {name: 0 for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            elapsed, rss = timed(command, EXAMPLE)
            times[name].append(elapsed)
            memory[name] = max(memory[name], rss)

    ours = statistics.median(times["dockmig lint"])
    lines = [
        "| tool | median ms | min ms | dockmig / tool |",
        "| --- | --- | --- | --- |",
    ]
    for name, samples in times.items():
        median = statistics.median(samples)
        fastest = min(samples) * 1000
        ratio = ours / median
        lines.append(f"| {name} | {median * 1000:.0f} | {fastest:.0f} | {ratio:.2f} |")
    return lines


def monorepo(projects: int, workdir: Path) -> list[str]:
    root = workdir / "monorepo"
    for number in range(projects):
        target = root / f"app{number:03d}"
        shutil.copytree(EXAMPLE, target)
    start = time.perf_counter()
    subprocess.run(
        [
            tool("dockmig"),
            "lint",
            "--format",
            "parsable",
            *[str(p / "config/deploy.yml") for p in sorted(root.iterdir())],
        ],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return [
        f"{projects} projects (base + 1 destination each) in one `dockmig lint` call: "
        f"{elapsed:.2f} s, {projects / elapsed:.0f} projects/s, "
        f"peak RSS so far {rss / 1024:.0f} MiB"
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--projects", type=int, default=500)
    args = parser.parse_args()

    # pip byte-compiles what it installs; an editable install on a machine
    # with PYTHONDONTWRITEBYTECODE set would otherwise recompile every run.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "dockmig", "schemas", "codemods"],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with tempfile.TemporaryDirectory(prefix="dockmig-bench-") as scratch:
        workdir = Path(scratch)
        table = compare(args.runs, workdir)
        throughput = monorepo(args.projects, workdir)

    today = dt.date.today().isoformat()
    machine = (
        f"{platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    report = "\n".join(
        [
            f"# dockmig lint benchmark, {today}",
            "",
            f"Machine: {machine}.",
            "File: examples/knot/config/deploy.yml (+ deploy.staging.yml for "
            f"dockmig); {args.runs} alternating runs, fresh processes.",
            "",
            *table,
            "",
            *throughput,
            "",
        ]
    )
    out = REPO / "benchmarks" / "results" / f"lint-{today}.md"
    out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
