"""`rewrite-registry --diff` prints a patch on stdout and its notes on stderr."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_stdout_is_a_patch_git_can_apply(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(REPO / "tests/data/rules/yaml-syntax/pass/flow-and-block", project)
    (project / ".kamal").mkdir()
    (project / ".kamal/secrets").write_text("REGISTRY_PASSWORD=$REGISTRY_PASSWORD\n")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dockmig",
            "rewrite-registry",
            ".",
            "--to",
            "registry.example.net",
            "--username",
            "admin",
            "--password-secret",
            "REGISTRY_PASSWORD",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("--- a/")
    assert "note:" not in result.stdout and "would change" in result.stderr

    patch = tmp_path / "move.patch"
    patch.write_text(result.stdout)
    applied = subprocess.run(
        ["git", "apply", "--check", str(patch)],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert applied.returncode == 0, applied.stderr
