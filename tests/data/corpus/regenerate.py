"""Pin Kamal's own verdicts on the shared corpus: run once, commit verdicts.json.

    python tests/data/corpus/regenerate.py [CORPUS_DIR]

Runs tools/kamal-oracle for the base config and each destination of every
case (and each custom config file with -c), with corpus.env as environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ORACLE = "/tmp/kamal-oracle/bin-oracle/kamal-oracle"
HERE = Path(__file__).resolve().parent


def targets(case: Path) -> list[tuple[str, str | None]]:
    """(config, destination) pairs: what `kamal -c CONFIG [-d DEST]` can load."""
    found: list[tuple[str, str | None]] = []
    for config in sorted((case / "config").glob("*.yml")):
        name = config.name
        parts = name.split(".")
        if len(parts) == 2:
            found.append((f"config/{name}", None))
            stem = parts[0]
            for dest in sorted((case / "config").glob(f"{stem}.*.yml")):
                found.append((f"config/{name}", dest.name.split(".")[1]))
    return found


def environment(corpus: Path) -> dict[str, str]:
    env = dict(os.environ)
    for line in (corpus / "corpus.env").read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return env


def oracle(
    case: Path, config: str, destination: str | None, env: dict[str, str]
) -> dict:
    command = [ORACLE, "--jsonl", "-C", str(case)]
    if destination:
        command += ["-d", destination]
    command.append(str(case / config))
    output = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120
    )
    line = [x for x in output.stdout.splitlines() if x.startswith("{")][-1]
    result = json.loads(line)
    return {
        "valid": result["valid"],
        "error_class": result["error_class"],
        "message": (result["message"] or "").splitlines()[0]
        if result["message"]
        else None,
    }


def main() -> None:
    corpus = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else HERE.parents[3] / "shared" / "corpus"
    )
    env = environment(corpus)
    verdicts: dict[str, dict[str, dict]] = {}
    for case in sorted((corpus / "kamal").iterdir()):
        for config, destination in targets(case):
            label = config + (f" -d {destination}" if destination else "")
            verdicts.setdefault(case.name, {})[label] = oracle(
                case, config, destination, env
            )
    (HERE / "verdicts.json").write_text(
        json.dumps(verdicts, indent=2, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main()
