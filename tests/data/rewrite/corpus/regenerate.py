"""Pin Kamal's verdicts for tests/rewrite/test_corpus_acceptance.py.

Run from the repository root with Kamal's validator installed:

    python tests/data/rewrite/corpus/regenerate.py

For every corpus case with a config/deploy.yml it records the validator's
verdict on each target before the move, after `--to registry.example.net`
and after moving back to `localhost:5555`, and the command's exit codes.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from tests.conftest import ORACLE, corpus_dir  # noqa: E402
from tests.rewrite import test_corpus_acceptance as acceptance  # noqa: E402


def main() -> None:
    corpus = corpus_dir()
    env = {}
    for line in (corpus / "corpus.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    pinned = {}
    for case in sorted(p for p in (corpus / "kamal").iterdir()):
        if not (case / "config/deploy.yml").exists():
            continue
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / case.name
            shutil.copytree(case, root)
            destinations = acceptance._destinations(root)
            targets = {acceptance._label(d): {} for d in destinations}

            def record(stage: str) -> None:
                for destination in destinations:
                    verdict = acceptance.oracle_verdict(ORACLE, root, destination, env)
                    targets[acceptance._label(destination)][stage] = verdict

            record("before")
            forward = acceptance._move(root, env, acceptance.FORWARD)
            back = None
            if forward == 0:
                record("forward")
                back = acceptance._move(root, env, acceptance.BACK)
                record("back")
            pinned[case.name] = {
                "forward_exit": forward,
                "back_exit": back,
                "targets": targets,
            }
            print(case.name, forward, back, targets)
    path = HERE / "verdicts.json"
    path.write_text(json.dumps(pinned, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
