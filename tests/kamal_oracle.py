"""Kamal's own verdict on one target of a small project, from kamal-oracle.

Shared by the tests that pin the oracle's verdicts and by the regenerate.py
scripts that write them (tests/data/rules_oracle, tests/data/lint_differential).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ORACLE = os.environ.get("KAMAL_ORACLE", "/tmp/kamal-oracle/bin-oracle/kamal-oracle")
CONFIG = "config/deploy.yml"


def verdict(
    root: Path,
    destination: str | None,
    *,
    config: str = CONFIG,
    docker_arch: str = "amd64",
    oracle: Path | str = ORACLE,
) -> dict[str, object]:
    """`valid`, `error_class` and the first line of `message`, as Kamal says them.

    Run from inside `root`, as `kamal [-d DEST]` loads it; `docker_arch` is the
    deploying machine's Docker architecture Kamal would see.
    """
    command = [str(oracle), "--jsonl", "-C", str(root)]
    if destination:
        command += ["-d", destination]
    completed = subprocess.run(
        [*command, str(root / config)],
        capture_output=True,
        text=True,
        env={**os.environ, "KAMAL_ORACLE_DOCKER_ARCH": docker_arch},
        timeout=120,
    )
    records = [x for x in completed.stdout.splitlines() if x.startswith("{")]
    if not records:
        raise RuntimeError(
            f"{root.name}: the oracle gave no verdict: {completed.stderr}"
        )

    record = json.loads(records[-1])
    message = record["message"]
    return {
        "valid": record["valid"],
        "error_class": record["error_class"],
        "message": message.splitlines()[0] if message else None,
    }


def destinations(root: Path) -> list[str | None]:
    """The base config (None) and each `config/deploy.<dest>.yml`, in order."""
    names = sorted(p.name.split(".")[1] for p in (root / "config").glob("deploy.*.yml"))
    return [None, *names]


def label(destination: str | None) -> str:
    return CONFIG + (f" -d {destination}" if destination else "")
