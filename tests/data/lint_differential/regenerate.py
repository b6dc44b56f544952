"""Ask Kamal's validator about every case here and write verdicts.json.

    /work/venv/bin/python tests/data/lint_differential/regenerate.py

Each folder is a small project reduced from a disagreement between
`dockmig lint` and Kamal that differential testing found. Every target (the
base config, and the base with each `config/deploy.<dest>.yml`) goes
through kamal-oracle from inside the folder, as `kamal [-d DEST]` would load
it. Run this only when a case is added or Kamal changes; review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ORACLE = os.environ.get("KAMAL_ORACLE", "/tmp/kamal-oracle/bin-oracle/kamal-oracle")
HERE = Path(__file__).resolve().parent
CONFIG = "config/deploy.yml"


def cases() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if (p / CONFIG).is_file())


def destinations(case: Path) -> list[str | None]:
    names = sorted(p.name.split(".")[1] for p in (case / "config").glob("deploy.*.yml"))
    return [None, *names]


def label(destination: str | None) -> str:
    return f"{CONFIG} -d {destination}" if destination else CONFIG


def ask(case: Path, destination: str | None) -> dict[str, object]:
    command = [ORACLE, "--jsonl", "-C", str(case)]
    if destination:
        command += ["-d", destination]
    completed = subprocess.run(
        [*command, str(case / CONFIG)],
        capture_output=True,
        text=True,
        env={**os.environ, "KAMAL_ORACLE_DOCKER_ARCH": "amd64"},
        timeout=120,
    )
    records = [x for x in completed.stdout.splitlines() if x.startswith("{")]
    if not records:
        raise RuntimeError(f"{case.name}: no verdict: {completed.stderr}")

    record = json.loads(records[-1])
    message = record["message"]
    return {
        "valid": record["valid"],
        "error_class": record["error_class"],
        "message": message.splitlines()[0] if message else None,
    }


def main() -> None:
    verdicts = {
        case.name: {label(d): ask(case, d) for d in destinations(case)}
        for case in cases()
    }
    (HERE / "verdicts.json").write_text(
        json.dumps(verdicts, indent=2, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main()
