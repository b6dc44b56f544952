"""dockmig doctor's wall time against real loopback services, and under a hang.

    python benchmarks/bench_doctor.py [--runs N]

Starts what the tests start (tests/services.py): the Distribution registry
with TLS and htpasswd, an in-process DNS server, a private dockerd when this
machine can run one (root, docker.io), and a TCP listener that accepts and
never answers. Each doctor run is a fresh process, as from a Kamal hook.

1. healthy: every probe, against the healthy services (budget: under 1 s);
2. healthy registry group only (no engine needed);
3. hanging registry with `--deadline 3` (budget: 3.3 s plus start-up).

dockmig's modules are byte-compiled first, as an installed wheel would be:
this machine sets PYTHONDONTWRITEBYTECODE, which would otherwise recompile
them on every run. Writes benchmarks/results/doctor-<date>.md.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import services  # noqa: E402 - after the path is set

WRAPPER = "from dockmig.doctor.command import doctor_command as c; c()"


def run_doctor(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args, "--format", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    wall = time.perf_counter() - start

    if completed.returncode not in (0, 1):
        sys.exit(f"doctor exited {completed.returncode}: {completed.stderr}")
    return wall, json.loads(completed.stdout)


def measure(label: str, args: list[str], env: dict[str, str], runs: int) -> list[str]:
    walls, reported = [], []
    statuses: dict[str, str] = {}
    for _ in range(runs):
        wall, report = run_doctor(args, env)
        walls.append(wall)
        reported.append(report["elapsed_s"])
        statuses = {p["id"]: p["status"] for p in report["probes"]}

    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return [
        f"| {label} | {statistics.median(walls) * 1000:.0f} | {min(walls) * 1000:.0f} "
        f"| {max(walls) * 1000:.0f} | {statistics.median(reported) * 1000:.0f} "
        f"| {shown} |",
        *(f"|  | | | | | {i}: {s} |" for i, s in statuses.items() if s != "ok"),
    ]


def write_project(root: Path, port: int) -> None:
    (root / "config").mkdir(parents=True)
    (root / ".kamal").mkdir()
    (root / "backups").mkdir()

    (root / "config" / "deploy.yml").write_text(
        textwrap.dedent(
            f"""\
            service: shop
            image: acme/shop
            servers:
              web:
                - 192.0.2.10
            registry:
              server: {services.REGISTRY_NAME}:{port}
              username: testuser
              password:
                - KAMAL_REGISTRY_PASSWORD
            builder:
              arch: amd64
            """
        )
    )
    (root / ".kamal" / "secrets").write_text(
        "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
    )
    (root / ".dockmig.yml").write_text(
        "registry: {expected_ip: 127.0.0.1}\nvolumes: [falkordb_data]\n"
        "disk: {min_free: 1MB}\n"
    )
    (root / "backups" / "falkordb_data-bench.tar.gz").write_bytes(b"bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    compileall.compile_dir(REPO / "dockmig", quiet=1)

    work = Path(tempfile.mkdtemp(prefix="dm-bench-"))
    started: list[Any] = []
    try:
        rows, notes = bench(work, started, args.runs)
    finally:
        for service in reversed(started):
            service.stop()
            if isinstance(service, services.Dockerd):
                shutil.rmtree(service.folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    today = dt.date.today().isoformat()
    machine = (
        f"{platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    report = "\n".join(
        [
            f"# dockmig doctor benchmark, {today}",
            "",
            f"Machine: {machine}; load average at the end {load}. {args.runs} runs "
            "per case (3 for the hang), each a fresh process; wall time includes "
            "interpreter start-up.",
            "",
            "| case | median ms | min ms | max ms | reported elapsed_s (median ms) "
            "| statuses |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            *notes,
            "",
        ]
    )
    out = REPO / "benchmarks" / "results" / f"doctor-{today}.md"
    out.write_text(report)
    print(report)


def bench(work: Path, started: list[Any], runs: int) -> tuple[list[str], list[str]]:
    pki = services.Pki.create(work / "pki")
    users = services.htpasswd(work / "htpasswd", {"testuser": "bench-password"})
    registry = services.Registry(work / "registry", tls=pki.server, htpasswd_file=users)
    started.append(registry.start())
    dns = services.MiniDns({services.REGISTRY_NAME: ["127.0.0.1"]})
    started.append(dns.start())
    silent = services.SilentListener()
    started.append(silent.start())

    notes = []
    engine = None
    can_run_engine = (
        os.geteuid() == 0
        and not services.missing_binaries("dockerd", "busybox")
        and services.SYSTEM_DOCKER.exists()
    )
    if can_run_engine:
        engine = services.Dockerd(services.private_folder("dm-bench-dockerd-"))
        started.append(engine)
        engine.start()
        engine.seed(["falkordb_data"])
    else:
        notes.append("No private dockerd here (needs root and docker.io): engine down.")

    home = work / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text("{}")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "DOCKER_CONTEXT")
    }
    env.update(
        HOME=str(home),
        DOCKER_CONFIG=str(home / ".docker"),
        DOCKER_HOST=engine.host if engine else f"unix://{work}/none.sock",
        KAMAL_REGISTRY_PASSWORD="bench-password",
    )
    project = work / "project"
    write_project(project, registry.port)
    common = [str(project), "--dns-server", dns.address, "--ca-file", str(pki.ca)]

    rows = measure("healthy, all probes", common, env, runs)
    rows += measure(
        "healthy, --only registry", [*common, "--only", "registry"], env, runs
    )

    hanging = work / "hanging"
    write_project(hanging, silent.port)
    rows += measure(
        "hanging registry, --only registry --deadline 3",
        [
            str(hanging),
            "--dns-server",
            dns.address,
            "--only",
            "registry",
            "--deadline",
            "3",
        ],
        env,
        3,
    )
    notes.append(
        "The hanging case's registry accepts TCP and never answers: registry.tls "
        "fails at the deadline and registry.api/login are skipped, so the run costs "
        "one deadline."
    )
    if engine is not None:
        notes.append(
            "docker.other-engine also looks at /var/run/docker.sock; none runs here."
        )
    return rows, notes


if __name__ == "__main__":
    main()
