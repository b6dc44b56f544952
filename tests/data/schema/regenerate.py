"""Re-run Kamal's own validator over the schema cases and pin its verdicts.

    /work/venv/bin/python tests/data/schema/regenerate.py [--oracle PATH]

Every `cases/*.yml` and `divergent/*.yml` is validated by kamal-oracle (Kamal
loaded once, `--jsonl`), from an empty project folder so that no hook file or
secrets file on this machine can change a verdict. The verdicts are written to
`kamal-verdicts.json` next to this script; tests/test_deploy_schema.py reads
that file, so run this only when a case is added or Kamal is upgraded, and
review the diff.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FOLDERS = ("cases", "divergent")
VERDICTS = HERE / "kamal-verdicts.json"
DEFAULT_ORACLE = Path("/tmp/kamal-oracle/bin-oracle/kamal-oracle")


def case_files() -> list[Path]:
    return [
        path for folder in FOLDERS for path in sorted((HERE / folder).glob("*.yml"))
    ]


def case_key(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def run_oracle(oracle: Path, files: list[Path]) -> dict[str, dict[str, object]]:
    """Kamal's verdict for each file, keyed like `cases/service-missing`."""
    with tempfile.TemporaryDirectory(prefix="kamal-oracle-root-") as root:
        # The oracle exits 1 when any file is invalid; only 2 means it broke.
        completed = subprocess.run(
            [str(oracle), "-C", root, "--jsonl", *(str(f) for f in files)],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"kamal-oracle failed: {completed.stdout}{completed.stderr}")

    by_path = {str(f): case_key(f) for f in files}
    verdicts: dict[str, dict[str, object]] = {}
    for line in completed.stdout.splitlines():
        record = json.loads(line)
        message = (record["message"] or "").splitlines()
        verdicts[by_path[record["path"]]] = {
            "valid": record["valid"],
            "error_class": record["error_class"],
            "message": message[0] if message else None,
        }

    missing = sorted(set(by_path.values()) - set(verdicts))
    if missing:
        raise RuntimeError(f"kamal-oracle gave no verdict for {', '.join(missing)}")
    return verdicts


def kamal_version(oracle: Path) -> str | None:
    home = Path(os.environ.get("KAMAL_ORACLE_HOME", oracle.resolve().parents[1]))
    version_file = home / "lib" / "kamal" / "version.rb"
    if not version_file.exists():
        return None
    found = re.search(r'VERSION\s*=\s*"([^"]+)"', version_file.read_text())
    return found.group(1) if found else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE)
    args = parser.parse_args(argv)
    if not args.oracle.exists():
        print(f"kamal-oracle not found at {args.oracle}", file=sys.stderr)
        return 2

    verdicts = run_oracle(args.oracle, case_files())
    document = {
        "kamal_version": kamal_version(args.oracle),
        "generated_by": "tests/data/schema/regenerate.py (kamal-oracle --jsonl)",
        "verdicts": dict(sorted(verdicts.items())),
    }
    VERDICTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    valid = sum(1 for v in verdicts.values() if v["valid"])
    print(f"{len(verdicts)} verdicts ({valid} valid) written to {VERDICTS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
