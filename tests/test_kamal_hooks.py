"""`dockmig hooks install`: Kamal hook scripts, executed as Kamal executes them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from dockmig import kamal_hooks
from dockmig.errors import DockmigError
from tests.conftest import REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "knot"
    shutil.copytree(REPO / "examples" / "knot", root)
    return root


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    """Stands in for dockmig: records its arguments, exits with $RECORDER_EXIT."""
    path = tmp_path / "fake-dockmig"
    path.write_text(
        '#!/bin/sh\necho "$@" >> "$RECORDER_LOG"\nexit "${RECORDER_EXIT:-0}"\n'
    )
    path.chmod(0o755)
    return path


def kamal_env(recorder: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    # The variables Kamal 2.12 passes to every hook (kamal.md §17).
    env = {
        "PATH": os.environ["PATH"],
        "DOCKMIG": str(recorder),
        "RECORDER_LOG": str(tmp_path / "calls.log"),
        "KAMAL_RECORDED_AT": "2026-12-04T10:00:00Z",
        "KAMAL_PERFORMER": "user@example.com",
        "KAMAL_VERSION": "abc1234",
        "KAMAL_SERVICE_VERSION": "knot@abc1234",
        "KAMAL_SERVICE": "knot",
        "KAMAL_HOSTS": "192.0.2.10",
        "KAMAL_LOCK": "false",
        "KAMAL_COMMAND": "deploy",
    }
    env.update(extra)
    return env


def run_hook(
    project: Path, name: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project / ".kamal/hooks" / name)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )


def test_install_writes_executable_hooks_and_is_idempotent(project: Path) -> None:
    first = kamal_hooks.install(project)
    assert [c.action for c in first] == ["installed", "installed"]
    for name in ("pre-build", "pre-deploy"):
        mode = (project / ".kamal/hooks" / name).stat().st_mode
        assert mode & stat.S_IXUSR
    snapshot = {p: p.read_bytes() for p in (project / ".kamal/hooks").iterdir()}
    second = kamal_hooks.install(project)
    assert [c.action for c in second] == ["unchanged", "unchanged"]
    assert {p: p.read_bytes() for p in (project / ".kamal/hooks").iterdir()} == snapshot


def test_hook_runs_doctor_for_kamal_s_destination(
    project: Path, recorder: Path, tmp_path: Path
) -> None:
    kamal_hooks.install(project)
    result = run_hook(
        project,
        "pre-deploy",
        kamal_env(recorder, tmp_path, KAMAL_DESTINATION="staging"),
    )
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls == ["doctor . --destination staging --only registry,kamal"]


def test_hook_without_destination_and_failure_stops_kamal(
    project: Path, recorder: Path, tmp_path: Path
) -> None:
    kamal_hooks.install(project)
    result = run_hook(
        project, "pre-build", kamal_env(recorder, tmp_path, RECORDER_EXIT="1")
    )
    assert result.returncode == 1
    assert (
        tmp_path / "calls.log"
    ).read_text().strip() == "doctor . --only docker,registry,kamal"


def test_existing_hook_is_kept_called_first_and_restored(
    project: Path, recorder: Path, tmp_path: Path
) -> None:
    hooks = project / ".kamal/hooks"
    hooks.mkdir(parents=True)
    own = hooks / "pre-deploy"
    own.write_text('#!/bin/sh\necho "own hook" >> "$RECORDER_LOG"\n')
    own.chmod(0o755)
    original_bytes = own.read_bytes()

    kamal_hooks.install(project)
    result = run_hook(project, "pre-deploy", kamal_env(recorder, tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "calls.log").read_text().splitlines() == [
        "own hook",
        "doctor . --only registry,kamal",
    ]

    kamal_hooks.uninstall(project)
    assert own.read_bytes() == original_bytes
    assert not (hooks / "pre-build").exists()
    assert not (hooks / "pre-deploy.dockmig-orig").exists()


def test_failing_own_hook_stops_before_doctor(
    project: Path, recorder: Path, tmp_path: Path
) -> None:
    hooks = project / ".kamal/hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-build").write_text("#!/bin/sh\nexit 3\n")
    (hooks / "pre-build").chmod(0o755)
    kamal_hooks.install(project)
    result = run_hook(project, "pre-build", kamal_env(recorder, tmp_path))
    assert result.returncode == 3
    assert not (tmp_path / "calls.log").exists()


def test_missing_dockmig_fails_loudly(project: Path, tmp_path: Path) -> None:
    kamal_hooks.install(project)
    env = kamal_env(tmp_path / "nowhere", tmp_path)
    result = run_hook(project, "pre-deploy", env)
    assert result.returncode == 1
    assert "dockmig is not on PATH" in result.stderr


def test_hooks_path_from_the_deploy_config_is_honoured(project: Path) -> None:
    deploy = project / "config/deploy.yml"
    deploy.write_text(deploy.read_text() + "hooks_path: ops/hooks\n")
    kamal_hooks.install(project)
    assert (project / "ops/hooks/pre-build").exists()


def test_symlinked_hook_is_refused(project: Path, tmp_path: Path) -> None:
    hooks = project / ".kamal/hooks"
    hooks.mkdir(parents=True)
    (hooks / "pre-build").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(DockmigError, match="not a regular file"):
        kamal_hooks.install(project)
