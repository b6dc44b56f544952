"""dockmig's verdict on the shared corpus of real Kamal projects equals Kamal's.

The verdicts in tests/data/corpus/verdicts.json come from Kamal's own
validator (tests/data/corpus/regenerate.py). Where Kamal's verdict depends on
ERB that reads files or runs commands, dockmig must say it cannot decide
(`kamal_accepts` null) and why; those targets are listed here by hand, so
that the list cannot grow without a test changing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dockmig import lint
from tests.conftest import corpus_dir

HERE = Path(__file__).resolve().parent
VERDICTS = json.loads((HERE / "data/corpus/verdicts.json").read_text())

# Targets whose verdict rests on ERB dockmig does not run, and what that ERB does.
ERB_DECIDES = {
    (
        "019-k1-ecr-erb-destinations",
        "config/deploy.yml",
    ): "%x(aws ecr ...) runs a command",
    (
        "019-k1-ecr-erb-destinations",
        "config/deploy.yml -d production",
    ): "%x(aws ecr ...)",
    ("029-erb-destinations-ssl-pem", "config/deploy.yml"): "File.read('.ruby-version')",
    ("029-erb-destinations-ssl-pem", "config/deploy.yml -d production"): "File.read",
    ("043-multi-config-ecr-erb", "config/deploy.yml"): "%x(./registry_password.sh)",
    (
        "043-multi-config-ecr-erb",
        "config/deploy-worker.yml",
    ): "%x(./registry_password.sh)",
    (
        "045-large-commented-prod",
        "config/deploy.yml -d prod",
    ): "File.read('package.json')",
    ("053-docr-placeholder-path", "config/deploy.yml"): "File.read('.ruby-version')",
    ("053-docr-placeholder-path", "config/deploy.yml -d production"): "File.read",
}

TARGETS = [(case, label) for case, labels in VERDICTS.items() for label in labels]


def _split(label: str) -> tuple[str, str | None]:
    config, _, destination = label.partition(" -d ")
    return config, destination or None


def _lint_target(
    corpus: Path, env: dict[str, str], case: str, label: str
) -> lint.TargetVerdict:
    config, destination = _split(label)
    result = lint.lint(
        corpus / "kamal" / case,
        config=config,
        destinations=[destination] if destination else [],
        environ=env,
    )
    matching = [t for t in result.targets if t.destination == destination]
    assert matching, result.targets
    return matching[0]


@pytest.mark.parametrize(
    ("case", "label"), TARGETS, ids=[f"{c}:{t}" for c, t in TARGETS]
)
def test_verdict_matches_kamal(
    corpus: Path, corpus_env: dict[str, str], case: str, label: str
) -> None:
    verdict = _lint_target(corpus, corpus_env, case, label)
    if (case, label) in ERB_DECIDES:
        assert verdict.kamal_accepts is None, verdict.findings
        assert verdict.undecided_because and "ERB" in verdict.undecided_because
        return
    expected = VERDICTS[case][label]["valid"]
    assert verdict.kamal_accepts is expected, (
        VERDICTS[case][label]["message"],
        [(f.rule, f.line, f.message) for f in verdict.findings],
    )


@pytest.mark.parametrize(
    ("case", "label"), TARGETS, ids=[f"{c}:{t}" for c, t in TARGETS]
)
def test_every_kamal_refusal_has_a_position(
    corpus: Path, corpus_env: dict[str, str], case: str, label: str
) -> None:
    verdict = _lint_target(corpus, corpus_env, case, label)
    for finding in verdict.findings:
        assert finding.line >= 1 and finding.column >= 1
        assert (
            corpus / "kamal" / case / finding.file
        ).exists() or finding.file.startswith(".kamal")


def test_several_problems_are_all_listed(
    corpus: Path, corpus_env: dict[str, str]
) -> None:
    # Kamal stops at the first unknown key; dockmig names each one where it is.
    result = lint.lint(
        corpus / "kamal" / "023-not-kamal-keys-noeol", environ=corpus_env
    )
    unknown = {f.key_path for f in result.findings if f.kamal_rejects}
    for key in ("environments", "database", "redis", "monitoring", "security"):
        assert key in unknown


@pytest.mark.oracle
def test_pinned_verdicts_are_still_kamal_s(
    oracle: Path, corpus_env: dict[str, str]
) -> None:
    corpus = corpus_dir()
    env = {**os.environ, **corpus_env}
    for case, labels in VERDICTS.items():
        for label, pinned in labels.items():
            config, destination = _split(label)
            root = corpus / "kamal" / case
            command = [str(oracle), "--jsonl", "-C", str(root)]
            if destination:
                command += ["-d", destination]
            command.append(str(root / config))
            output = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=120
            )
            line = [x for x in output.stdout.splitlines() if x.startswith("{")][-1]
            assert json.loads(line)["valid"] is pinned["valid"], (case, label)
