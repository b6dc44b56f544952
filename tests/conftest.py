"""Shared test configuration.

Real components (Kamal's validator, ruby, dockerd, the registry, DNS,
pre-commit) are started by the tests. Where one is not installed the test
skips with the reason, except in CI (`CI=true`), where `.ci/run` installed
everything and a missing component must fail the run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ORACLE = Path("/tmp/kamal-oracle/bin-oracle/kamal-oracle")


def require(available: bool, what: str) -> None:
    """Skip when `what` is missing, or fail in CI where nothing may skip."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing in CI; .ci/run should have installed it")
    pytest.skip(f"{what} is not installed here")


def corpus_dir() -> Path:
    configured = os.environ.get("DOCKMIG_CORPUS")
    return Path(configured) if configured else REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = corpus_dir()
    require((path / "kamal").is_dir(), f"the Kamal corpus at {path}")
    return path


@pytest.fixture(scope="session")
def corpus_env(corpus: Path) -> dict[str, str]:
    env = {}
    for line in (corpus / "corpus.env").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    return env


@pytest.fixture(scope="session")
def oracle() -> Path:
    require(ORACLE.exists(), "Kamal's validator (shared/tools/kamal-oracle/setup.sh)")
    return ORACLE
