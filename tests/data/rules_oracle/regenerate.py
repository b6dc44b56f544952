"""Pin Kamal's own verdicts on the rule cases: run once, commit verdicts.json.

    python tests/data/rules_oracle/regenerate.py

Each folder here is a small Kamal project exercising one of Kamal's
cross-field checks that dockmig mirrors with a rule. This runs Kamal's
validator (tools/kamal-oracle) in the folder, for the base config and for
each destination file. A `docker-arch` file in a case names the deploying
machine's Docker architecture (the oracle's KAMAL_ORACLE_DOCKER_ARCH;
dockmig's DOCKMIG_DOCKER_ARCH); without it both assume amd64.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ORACLE = os.environ.get("KAMAL_ORACLE", "/tmp/kamal-oracle/bin-oracle/kamal-oracle")
HERE = Path(__file__).resolve().parent
CONFIG = "config/deploy.yml"


def cases() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if (p / CONFIG).is_file())


def targets(case: Path) -> list[str | None]:
    """The base config and each destination, as `kamal [-d DEST]` loads them."""
    found: list[str | None] = [None]
    for path in sorted((case / "config").glob("deploy.*.yml")):
        found.append(path.name.split(".")[1])
    return found


def label(destination: str | None) -> str:
    return CONFIG + (f" -d {destination}" if destination else "")


def docker_arch(case: Path) -> str | None:
    marker = case / "docker-arch"
    return marker.read_text().strip() if marker.exists() else None


def oracle(case: Path, destination: str | None) -> dict[str, object]:
    env = dict(os.environ)
    env["KAMAL_ORACLE_DOCKER_ARCH"] = docker_arch(case) or "amd64"
    command = [ORACLE, "--jsonl", "-C", str(case)]
    if destination:
        command += ["-d", destination]
    command.append(str(case / CONFIG))
    output = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120
    )
    lines = [x for x in output.stdout.splitlines() if x.startswith("{")]
    if not lines:
        raise RuntimeError(f"{case.name}: oracle said nothing: {output.stderr}")
    result = json.loads(lines[-1])
    message = result["message"]
    return {
        "valid": result["valid"],
        "error_class": result["error_class"],
        "message": message.splitlines()[0] if message else None,
    }


def main() -> None:
    jobs = [(case, dest) for case in cases() for dest in targets(case)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        results = list(pool.map(lambda job: oracle(*job), jobs))
    verdicts: dict[str, dict[str, object]] = {}
    for (case, dest), result in zip(jobs, results, strict=True):
        verdicts.setdefault(case.name, {})[label(dest)] = result
    (HERE / "verdicts.json").write_text(
        json.dumps(verdicts, indent=2, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main()
