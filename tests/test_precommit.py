"""dockmig as a pre-commit hook, run by real pre-commit from PyPI.

A throwaway Kamal project names this repository (a local clone at HEAD; these
machines reach PyPI but no git hosting) in its `.pre-commit-config.yaml`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, require

pytestmark = [pytest.mark.precommit, pytest.mark.slow]


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    require(found is not None, "pre-commit (pip install -e '.[test]')")
    assert found is not None
    return found


def _git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_manifest_and_config_are_valid_for_pre_commit() -> None:
    tool = _pre_commit()
    for command in (
        [tool, "validate-manifest", ".pre-commit-hooks.yaml"],
        [tool, "validate-config", ".pre-commit-config.yaml"],
    ):
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git snapshot of the working tree, so uncommitted changes are tested too."""
    snapshot = tmp_path_factory.mktemp("dockmig-hook-repo")
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for name in files:
        source = REPO / name
        if source.is_file():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git("init", "-q", cwd=snapshot)
    _git("add", "-A", cwd=snapshot)
    _git("commit", "-qm", "snapshot", cwd=snapshot)
    return snapshot, _git("rev-parse", "HEAD", cwd=snapshot)


def test_hook_fails_a_bad_deploy_file_and_passes_the_fixed_one(
    tmp_path: Path, hook_repo: tuple[Path, str]
) -> None:
    tool = _pre_commit()
    repo, rev = hook_repo
    project = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "knot", project)
    (project / ".kamal/secrets").write_text("FALKORDB_PASSWORD=$FALKORDB_PASSWORD\n")
    (project / "config/deploy.staging.yml").unlink()
    (project / "notes.yml").write_text("this: [is not: kamal\n")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: dockmig-lint\n"
    )
    deploy = project / "config/deploy.yml"
    good = deploy.read_text()
    deploy.write_text(
        good.replace("  arch: arm64", "  arch: arm64\n  multiarch: false")
    )
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)

    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(tmp_path / "virtualenv-data"),
    }
    bad = subprocess.run(
        [tool, "run", "--all-files", "--verbose"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "config/deploy.yml:" in bad.stdout
    assert "multiarch" in bad.stdout
    # pre-commit passes only Kamal files: the broken notes.yml is never linted.
    assert "notes.yml" not in bad.stdout

    deploy.write_text(good)
    _git("add", "-A", cwd=project)
    fixed = subprocess.run(
        [tool, "run", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_registry_check_hook_fails_until_the_project_has_moved_off_the_registry(
    tmp_path: Path, hook_repo: tuple[Path, str]
) -> None:
    tool = _pre_commit()
    repo, rev = hook_repo
    project = tmp_path / "shop"
    shutil.copytree(REPO / "examples" / "knot", project)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: dockmig-registry-check\n"
        "        args: [--registry, localhost:5555]\n"
    )
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(tmp_path / "virtualenv-data"),
    }

    still_local = subprocess.run(
        [tool, "run", "--all-files", "--verbose"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert still_local.returncode == 1, still_local.stdout + still_local.stderr
    deploy = project / "config/deploy.yml"
    number = next(
        n
        for n, line in enumerate(deploy.read_text().splitlines(), 1)
        if "server: localhost:5555" in line
    )
    assert f"config/deploy.yml:{number}:" in still_local.stdout
    assert "still points at localhost:5555" in still_local.stdout

    deploy.write_text(
        deploy.read_text().replace(
            "  server: localhost:5555\n",
            "  server: registry.example.com\n  username: admin\n"
            "  password:\n    - KNOT_REGISTRY_PASSWORD\n",
        )
    )
    _git("add", "-A", cwd=project)
    moved = subprocess.run(
        [tool, "run", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert moved.returncode == 0, moved.stdout + moved.stderr
