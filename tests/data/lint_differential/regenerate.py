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
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.kamal_oracle import CONFIG, destinations, label, verdict  # noqa: E402


def main() -> None:
    cases = sorted(p for p in HERE.iterdir() if (p / CONFIG).is_file())
    verdicts = {
        case.name: {label(d): verdict(case, d) for d in destinations(case)}
        for case in cases
    }
    (HERE / "verdicts.json").write_text(
        json.dumps(verdicts, indent=2, sort_keys=True) + "\n"
    )


if __name__ == "__main__":
    main()
