"""`dockmig hooks install`: Kamal hook scripts, executed as Kamal executes them."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
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
    assert calls == [
        "doctor . --registry-in-use --destination staging --only registry,kamal"
    ]


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
    ).read_text().strip() == "doctor . --registry-in-use --only docker,registry,kamal"


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
        "doctor . --registry-in-use --only registry,kamal",
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


# -- the installed hooks against the real `dockmig doctor` ---------------------------


def _real_dockmig() -> Path:
    """The dockmig this test runs under: its console script, as Kamal would find it."""
    import sys

    found = shutil.which("dockmig", path=str(Path(sys.executable).parent))
    assert found is not None, "install dockmig into the test environment (pip -e .)"
    return Path(found)


@pytest.fixture
def migrated(
    project: Path, registries: object, pki: object, dns_server: object
) -> Path:
    """The Knot example moved to a registry the test runs (TLS, htpasswd, DNS)."""
    from tests.services import REGISTRY_NAME

    registry = registries.get("tls-basic")  # type: ignore[attr-defined]
    dns = dns_server({REGISTRY_NAME: ["127.0.0.1"]})  # type: ignore[operator]
    host = f"{REGISTRY_NAME}:{registry.port}"
    deploy = project / "config/deploy.yml"
    deploy.write_text(
        deploy.read_text().replace(
            "  server: localhost:5555\n",
            f"  server: {host}\n  username: testuser\n"
            "  password:\n    - KNOT_REGISTRY_PASSWORD\n",
        )
    )
    common = project / ".kamal/secrets-common"
    common.write_text(
        common.read_text() + "KNOT_REGISTRY_PASSWORD=$KNOT_REGISTRY_PASSWORD\n"
    )
    (project / ".dockmig.yml").write_text(
        f"registry:\n  host: {host}\n  expected_ip: 127.0.0.1\n"
        f"  ca_file: {pki.ca}\n"  # type: ignore[attr-defined]
        f"doctor:\n  dns_server: {dns.address}\n  deadline: 20\n"
    )
    return project


@pytest.mark.registry
@pytest.mark.dns
def test_installed_pre_deploy_hook_passes_with_real_doctor(
    migrated: Path, tmp_path: Path, canary_password: str
) -> None:
    # Kamal reads .kamal/secrets-common and .kamal/secrets.staging for staging.
    (migrated / ".kamal/secrets.staging").write_text(
        "FALKORDB_PASSWORD=$FALKORDB_PASSWORD\n"
    )
    kamal_hooks.install(migrated)
    env = kamal_env(
        _real_dockmig(),
        tmp_path,
        KAMAL_DESTINATION="staging",
        KNOT_REGISTRY_PASSWORD=canary_password,
        FALKORDB_PASSWORD="not-a-real-one",
    )
    result = run_hook(migrated, "pre-deploy", env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "registry.login" in result.stdout
    assert canary_password not in result.stdout + result.stderr


@pytest.mark.registry
@pytest.mark.dns
def test_installed_hook_checks_kamal_s_destination_and_stops_the_deploy(
    migrated: Path, tmp_path: Path, canary_password: str
) -> None:
    # FALKORDB_PASSWORD is only in .kamal/secrets, which Kamal does not read
    # for a destination: the staging deploy would start without it.
    kamal_hooks.install(migrated)
    env = kamal_env(
        _real_dockmig(),
        tmp_path,
        KAMAL_DESTINATION="staging",
        KNOT_REGISTRY_PASSWORD=canary_password,
        FALKORDB_PASSWORD="not-a-real-one",
    )
    result = run_hook(migrated, "pre-deploy", env)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if "kamal.secrets" in line]
    assert failed and "FALKORDB_PASSWORD" in failed[0]


def test_installed_pre_build_hook_stops_when_the_engine_is_down(
    project: Path, tmp_path: Path
) -> None:
    kamal_hooks.install(project)
    env = kamal_env(
        _real_dockmig(),
        tmp_path,
        DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock",
        DOCKER_CONFIG=str(tmp_path / "docker-config"),
        HOME=str(tmp_path),
    )
    result = run_hook(project, "pre-build", env)
    assert result.returncode == 1, result.stdout + result.stderr
    engine = [line for line in result.stdout.splitlines() if "docker.engine" in line]
    assert engine and "no-engine.sock" in engine[0]


def test_install_outside_a_kamal_project_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DockmigError, match="not a Kamal project"):
        kamal_hooks.install(tmp_path)
    assert not (tmp_path / ".kamal").exists()


# -- refusals write nothing, and a config that cannot be read is one


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


def test_a_hook_refused_late_leaves_the_earlier_ones_unwritten(project: Path) -> None:
    hooks = project / ".kamal/hooks"
    (hooks / "pre-deploy").mkdir(parents=True)
    before = snapshot(project)
    with pytest.raises(DockmigError, match="pre-deploy: is not a regular file"):
        kamal_hooks.install(project)
    assert snapshot(project) == before


def test_an_original_already_kept_is_refused_before_anything_moves(
    project: Path,
) -> None:
    hooks = project / ".kamal/hooks"
    hooks.mkdir(parents=True)
    for name in ("pre-build", "pre-deploy", "pre-deploy.dockmig-orig"):
        (hooks / name).write_text(f"#!/bin/sh\n# {name}\n")
    before = snapshot(project)
    with pytest.raises(DockmigError, match=r"both pre-deploy and pre-deploy\.dockmig"):
        kamal_hooks.install(project)
    assert snapshot(project) == before


@pytest.mark.parametrize("command", [kamal_hooks.install, kamal_hooks.uninstall])
def test_a_deploy_file_that_does_not_parse_stops_before_any_hook_is_touched(
    project: Path, command: Callable[[Path], list[kamal_hooks.Change]]
) -> None:
    deploy = project / "config/deploy.yml"
    text = deploy.read_text().replace("arch: arm64", "arch: *nowhere")
    assert "*nowhere" in text
    deploy.write_text(text + "hooks_path: ops/hooks\n")
    line = text.splitlines().index("  arch: *nowhere") + 1
    before = snapshot(project)
    with pytest.raises(DockmigError) as refused:
        command(project)
    said = str(refused.value)
    assert said.startswith(f"config/deploy.yml:{line}:9: ")
    assert "undefined alias 'nowhere'" in said and "hooks_path" in said
    assert snapshot(project) == before


def test_a_deploy_file_that_cannot_be_read_stops_install(project: Path) -> None:
    deploy = project / "config/deploy.yml"
    deploy.unlink()
    deploy.mkdir()
    with pytest.raises(DockmigError, match=r"deploy\.yml: is a directory"):
        kamal_hooks.install(project)
    assert not (project / ".kamal/hooks").exists()


def test_a_deploy_file_that_is_a_broken_link_is_named_not_called_missing(
    project: Path,
) -> None:
    deploy = project / "config/deploy.yml"
    deploy.unlink()
    deploy.symlink_to("deploy.yml")
    with pytest.raises(DockmigError, match="leads back to itself"):
        kamal_hooks.install(project)
    with pytest.raises(DockmigError, match="leads back to itself"):
        kamal_hooks.uninstall(project)


def test_hooks_path_computed_by_erb_is_refused_at_its_value(project: Path) -> None:
    deploy = project / "config/deploy.yml"
    text = deploy.read_text() + 'hooks_path: <%= ENV.fetch("HOOKS") { "x" } %>\n'
    deploy.write_text(text)
    line = len(text.splitlines())
    with pytest.raises(DockmigError, match="computed by ERB") as refused:
        kamal_hooks.install(project)
    assert str(refused.value).startswith(f"config/deploy.yml:{line}:13: ")


def test_hooks_path_outside_the_project_is_shown_by_its_full_path(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "shared-hooks"
    deploy = project / "config/deploy.yml"
    deploy.write_text(deploy.read_text() + f"hooks_path: {outside}\n")
    changes = kamal_hooks.install(project)
    assert [c.path for c in changes] == [
        str(outside / "pre-build"),
        str(outside / "pre-deploy"),
    ]
    assert (outside / "pre-build").exists()


def test_a_hook_that_cannot_be_read_is_refused_not_taken_for_the_project_s(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = project / ".kamal/hooks"
    hooks.mkdir(parents=True)
    kamal_hooks.install(project)
    before = snapshot(project)
    real_open = os.open

    def refuse_pre_build(path: str | Path, flags: int, *args: int) -> int:
        if str(path).endswith("/pre-build"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse_pre_build)
    for command in (kamal_hooks.install, kamal_hooks.uninstall):
        with pytest.raises(DockmigError, match=r"pre-build: cannot be read \(Perm"):
            command(project)
    monkeypatch.undo()
    assert snapshot(project) == before


def test_an_own_hook_that_is_not_executable_still_stops_kamal_as_before(
    project: Path, recorder: Path, tmp_path: Path
) -> None:
    # Kamal runs a hook that exists (kamal.md §17); one without the x bit
    # fails with "Permission denied", so the deploy stopped before install.
    hooks = project / ".kamal/hooks"
    hooks.mkdir(parents=True)
    own = hooks / "pre-deploy"
    own.write_text('#!/bin/sh\necho "own hook" >> "$RECORDER_LOG"\n')
    own.chmod(0o644)

    kamal_hooks.install(project)
    result = run_hook(project, "pre-deploy", kamal_env(recorder, tmp_path))
    assert result.returncode != 0
    assert not (tmp_path / "calls.log").exists()


def test_a_full_disk_while_installing_leaves_the_project_s_own_hook_in_place(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = project / ".kamal/hooks"
    hooks.mkdir(parents=True)
    own = hooks / "pre-deploy"
    own.write_text("#!/bin/sh\necho own\n")
    own.chmod(0o755)
    real_write_text = Path.write_text

    def full_for_pre_deploy(path: Path, *args: object, **kwargs: object) -> int:
        if path.name.startswith(".pre-deploy"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write_text(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full_for_pre_deploy)
    with pytest.raises(DockmigError, match="No space left on device"):
        kamal_hooks.install(project)
    monkeypatch.undo()

    assert own.read_text() == "#!/bin/sh\necho own\n"
    assert os.access(own, os.X_OK)
    assert sorted(p.name for p in hooks.iterdir()) == ["pre-build", "pre-deploy"]


def test_the_hook_scripts_keep_their_line_continuations() -> None:
    # A backslash-newline in the Python source would be swallowed there and
    # fold two shell lines into one.
    for name in kamal_hooks.HOOKS:
        lines = kamal_hooks.script(name).splitlines()
        continued = [i for i, line in enumerate(lines) if line.endswith(" \\")]
        assert len(continued) == 2, name
        for index in continued:
            assert lines[index + 1].startswith("    "), lines[index + 1]
        assert not any("  " in line.strip() for line in lines), name
