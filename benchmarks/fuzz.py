"""Coverage-guided fuzzing (atheris) of dockmig's readers and its span editor.

    pip install atheris
    python benchmarks/fuzz.py [--seconds 60] [--target NAME]... [--add-to-corpus]

Each target runs in a process of its own for the given time, under a memory
limit, with dockmig's modules instrumented for coverage:

- `dotenv`: `dockmig.secrets.parse_secrets` on arbitrary text; every position
  it gives must lie inside the text;
- `erb`: `dockmig.erb.render`; copied runs verbatim, offsets inside the source;
- `yaml11`: `dockmig.yaml11.resolve_plain`; every value can be shown;
- `deploy`: `dockmig.document.parse` (ERB, YAML, Psych typing, positions);
- `spans`: `dockmig.spans.apply` with edits made from the input; characters
  outside the edits kept in order, overlaps refused with OverlappingEdits.

Any other exception, a failed check, a timeout or running out of memory is
a crash: libFuzzer writes the input to benchmarks/results/fuzz/<target>/.
The runs start from the hostile corpus (tests/data/hostile/inputs). With
`--add-to-corpus`, a crash of a file reader (dotenv, erb, yaml11, deploy) is
also copied into tests/data/hostile/inputs/ and listed in the manifest with
no expected outcome yet, so tests/test_hostile.py fails until someone has
looked at it and written down what dockmig must do.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "benchmarks" / "results" / "fuzz"
CORPUS = REPO / "tests" / "data" / "hostile"
TARGETS = ("dotenv", "erb", "yaml11", "deploy", "spans")
# Which project file a crashing input of each reader stands for.
READS = {
    "dotenv": ".kamal/secrets-common",
    "erb": "config/deploy.yml",
    "yaml11": "config/deploy.yml",
    "deploy": "config/deploy.yml",
}


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def check_dotenv(data: bytes) -> None:
    from dockmig.secrets import parse_secrets

    text = _text(data)
    parsed = parse_secrets(text, ".kamal/secrets")
    lines = text.count("\n") + text.count("\r") + 1
    for entry in parsed.entries:
        assert 1 <= entry.line <= lines and entry.column >= 1, entry
    for problem in parsed.problems:
        assert 1 <= problem.line <= lines and problem.column >= 1, problem


def check_erb(data: bytes) -> None:
    from dockmig import erb

    source = _text(data)
    rendered = erb.render(source, {"A": "x", "REGISTRY": "localhost:5555"})
    for start, source_start, length in rendered._segments:
        if length >= 0:
            copied = rendered.text[start : start + length]
            assert copied == source[source_start : source_start + length]
    for offset in range(0, len(rendered.text) + 1, max(len(rendered.text) // 64, 1)):
        assert 0 <= rendered.source_offset(offset) <= len(source)


def check_yaml11(data: bytes) -> None:
    from dockmig.yaml11 import resolve_plain

    value = resolve_plain(_text(data))
    repr(value)
    str(value)


def check_deploy(data: bytes) -> None:
    from dockmig import document

    source = _text(data)
    parsed = document.parse(source, "config/deploy.yml", {"A": "x"})
    lines = len(source.splitlines()) + 1
    for finding in parsed.findings:
        assert 1 <= finding.line <= lines and finding.column >= 1, finding


def check_spans(data: bytes) -> None:
    from dockmig import spans

    if not data:
        return
    count = min(data[0] % 6, (len(data) - 1) // 2)
    text = _text(data[1 + 2 * count :])
    edits = []
    for index in range(count):
        start = data[1 + 2 * index] % (len(text) + 1)
        end = min(start + data[2 + 2 * index] % 4, len(text))
        edits.append(spans.Edit(start, end, "x" * (index % 3), order=index))
    ordered = sorted(edits, key=lambda e: (e.start, e.end > e.start, e.order))
    overlapping = any(
        later.start < earlier.end for earlier, later in itertools.pairwise(ordered)
    )
    try:
        result = spans.apply(text, edits)
    except spans.OverlappingEdits:
        assert overlapping
        return
    assert not overlapping
    rebuilt, position = [], 0
    for edit in ordered:
        rebuilt += [text[position : edit.start], edit.replacement]
        position = edit.end
    rebuilt.append(text[position:])
    assert result == "".join(rebuilt)


CHECKS = {
    "dotenv": check_dotenv,
    "erb": check_erb,
    "yaml11": check_yaml11,
    "deploy": check_deploy,
    "spans": check_spans,
}


def fuzz_one(target: str, libfuzzer: list[str]) -> None:
    """Runs inside the child: instrument dockmig, then hand over to libFuzzer."""
    import atheris

    with atheris.instrument_imports(include=["dockmig"]):
        import dockmig.document
        import dockmig.erb
        import dockmig.secrets
        import dockmig.spans
        import dockmig.yaml11  # noqa: F401

    check = CHECKS[target]
    atheris.Setup([sys.argv[0], *libfuzzer], check)
    atheris.Fuzz()


def run(target: str, seconds: int, memory_mb: int) -> tuple[int, list[Path]]:
    folder = ARTIFACTS / target
    folder.mkdir(parents=True, exist_ok=True)
    seeds = Path(tempfile.mkdtemp(prefix=f"dm-fuzz-{target}-"))
    _seed(target, seeds)
    before = set(folder.glob("crash-*")) | set(folder.glob("timeout-*"))
    before |= set(folder.glob("oom-*"))
    command = [
        sys.executable,
        __file__,
        "--child",
        target,
        "--",
        f"-max_total_time={seconds}",
        f"-rss_limit_mb={memory_mb}",
        "-timeout=20",
        f"-artifact_prefix={folder}/",
        "-print_final_stats=1",
        str(seeds),
    ]
    try:
        completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    finally:
        shutil.rmtree(seeds, ignore_errors=True)
    after = set(folder.glob("crash-*")) | set(folder.glob("timeout-*"))
    after |= set(folder.glob("oom-*"))
    stats = [
        line for line in completed.stderr.splitlines() if line.startswith("stat::")
    ]
    executions = next(
        (
            line.split(":")[-1].strip()
            for line in stats
            if "number_of_executed_units" in line
        ),
        "?",
    )
    print(f"{target}: {executions} inputs in {seconds} s, exit {completed.returncode}")
    if not any(folder.iterdir()):
        folder.rmdir()
    return completed.returncode, sorted(after - before)


def _seed(target: str, seeds: Path) -> None:
    """Start from the hostile corpus and the base project, not from nothing."""
    relative = READS.get(target, "config/deploy.yml")
    sources = [CORPUS / "base" / relative, *sorted((CORPUS / "inputs").iterdir())]
    for source in sources:
        # The alias bombs cost a second or more each; they teach no new paths.
        slow = any(word in source.name for word in ("bomb", "laughs", "fan-out"))
        if source.is_file() and source.stat().st_size < 64 * 1024 and not slow:
            (seeds / source.name).write_bytes(source.read_bytes())


def add_to_corpus(target: str, crash: Path) -> str | None:
    """List a crashing reader input in the hostile manifest, outcome unwritten."""
    if target not in READS:
        return None
    data = crash.read_bytes()
    case_id = f"fuzz-{target}-{hashlib.sha256(data).hexdigest()[:10]}"
    name = f"{case_id}.bin"
    (CORPUS / "inputs" / name).write_bytes(data)
    manifest_path = CORPUS / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    if any(case["id"] == case_id for case in manifest["cases"]):
        return case_id
    manifest["cases"].append(
        {
            "id": case_id,
            "covers": "found by fuzzing",
            "why": f"benchmarks/fuzz.py ({target}) crashed on it; write the outcome",
            "put": {READS[target]: {"file": f"inputs/{name}"}},
            "expect": {},
        }
    )
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return case_id


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        fuzz_one(sys.argv[2], sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--target", action="append", choices=TARGETS)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--add-to-corpus", action="store_true")
    args = parser.parse_args()
    try:
        import atheris  # noqa: F401
    except ImportError:
        sys.exit("atheris is not installed: pip install atheris")

    found = []
    for target in args.target or TARGETS:
        _, crashes = run(target, args.seconds, args.memory_mb)
        for crash in crashes:
            case = add_to_corpus(target, crash) if args.add_to_corpus else None
            found.append((target, crash, case))
    for target, crash, case in found:
        where = f" (hostile case {case})" if case else ""
        print(f"CRASH {target}: {crash.relative_to(REPO)}{where}")
    if not found:
        print("no crash found")
    if ARTIFACTS.is_dir() and not any(ARTIFACTS.iterdir()):
        ARTIFACTS.rmdir()
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
