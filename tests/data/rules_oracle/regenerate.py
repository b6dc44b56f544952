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
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.kamal_oracle import CONFIG, destinations, label, verdict  # noqa: E402


def docker_arch(case: Path) -> str:
    marker = case / "docker-arch"
    return marker.read_text().strip() if marker.exists() else "amd64"


def main() -> None:
    cases = sorted(p for p in HERE.iterdir() if (p / CONFIG).is_file())
    jobs = [(case, dest) for case in cases for dest in destinations(case)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        results = list(
            pool.map(lambda job: verdict(*job, docker_arch=docker_arch(job[0])), jobs)
        )
    verdicts: dict[str, dict[str, object]] = {}
    for (case, dest), result in zip(jobs, results, strict=True):
        verdicts.setdefault(case.name, {})[label(dest)] = result
    (HERE / "verdicts.json").write_text(
        json.dumps(verdicts, indent=2, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main()
