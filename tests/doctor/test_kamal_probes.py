"""The kamal group: lint verdict, secrets available in this shell, the builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.doctor.conftest import doctor, write_project

SECRETS = (
    "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\nDATABASE_URL=$DATABASE_URL\n"
)
USES_DATABASE_URL = """\
    env:
      secret:
        - DATABASE_URL
    """


def test_secret_defined_only_in_dotenv_fails_saying_kamal_2_ignores_it(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, secrets=SECRETS, extra=USES_DATABASE_URL)
    (root / ".env").write_text("DATABASE_URL=postgres://only-in-dotenv\n")
    run = doctor(
        str(root), "--only", "kamal.secrets", env={"KAMAL_REGISTRY_PASSWORD": "x"}
    )
    assert run.statuses == {"kamal.secrets": "fail"}
    secrets = run.probe("kamal.secrets")
    assert secrets["summary"] == (
        "DATABASE_URL in .kamal/secrets uses $DATABASE_URL, not set in this shell; "
        "DATABASE_URL is only in .env, which Kamal 2 does not read"
    )
    assert "Kamal 2 does not read .env" in secrets["remedy"]
    assert secrets["details"] == {
        "KAMAL_REGISTRY_PASSWORD": {"base": "available"},
        "DATABASE_URL": {"base": "missing"},
    }


def test_secret_missing_from_the_secrets_files_but_in_dotenv_fails(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, extra=USES_DATABASE_URL)
    (root / ".env").write_text("DATABASE_URL=postgres://only-in-dotenv\n")
    run = doctor(
        str(root), "--only", "kamal.secrets", env={"KAMAL_REGISTRY_PASSWORD": "x"}
    )
    assert run.statuses == {"kamal.secrets": "fail"}
    assert run.probe("kamal.secrets")["summary"] == (
        "DATABASE_URL is defined in none of the secrets files Kamal reads "
        "(.kamal/secrets); it is only in .env, which Kamal 2 does not read"
    )


def test_secrets_exported_in_this_shell_pass(tmp_path: Path) -> None:
    root = write_project(tmp_path, secrets=SECRETS, extra=USES_DATABASE_URL)
    (root / ".env").write_text("DATABASE_URL=postgres://also-in-dotenv\n")
    run = doctor(
        str(root),
        "--only",
        "kamal.secrets",
        env={"KAMAL_REGISTRY_PASSWORD": "x", "DATABASE_URL": "postgres://db"},
    )
    assert run.statuses == {"kamal.secrets": "ok"}
    assert run.probe("kamal.secrets")["summary"] == (
        "every secret the config uses has a value in this shell "
        "(KAMAL_REGISTRY_PASSWORD, DATABASE_URL)"
    )


def test_secret_from_a_command_warns_until_resolved(tmp_path: Path) -> None:
    secrets = "KAMAL_REGISTRY_PASSWORD=$(printf '%s' from-a-command)\n"
    root = write_project(tmp_path, secrets=secrets)
    run = doctor(str(root), "--only", "kamal.secrets")
    assert run.statuses == {"kamal.secrets": "warn"}
    assert "--resolve-secrets" in run.probe("kamal.secrets")["remedy"]

    resolved = doctor(str(root), "--only", "kamal.secrets", "--resolve-secrets")
    assert resolved.statuses == {"kamal.secrets": "ok"}


def test_secret_command_that_fails_fails_with_its_exit_status(tmp_path: Path) -> None:
    root = write_project(tmp_path, secrets="KAMAL_REGISTRY_PASSWORD=$(exit 3)\n")
    run = doctor(str(root), "--only", "kamal.secrets", "--resolve-secrets")
    assert run.statuses == {"kamal.secrets": "fail"}
    assert "exited with 3" in run.probe("kamal.secrets")["summary"]
    # The secret is defined; it is the command that has to be fixed.
    assert run.probe("kamal.secrets")["remedy"].startswith("make each command succeed")


def test_destination_from_a_kamal_hook_checks_that_destinations_secrets(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, secrets=SECRETS, extra=USES_DATABASE_URL)
    (root / "config" / "deploy.staging.yml").write_text("servers:\n  - 192.0.2.11\n")
    (root / ".kamal" / "secrets.staging").write_text(
        "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
    )
    run = doctor(
        str(root),
        "--only",
        "kamal.secrets",
        env={"KAMAL_DESTINATION": "staging", "KAMAL_REGISTRY_PASSWORD": "x"},
    )
    assert run.statuses == {"kamal.secrets": "fail"}
    assert run.probe("kamal.secrets")["details"] == {
        "KAMAL_REGISTRY_PASSWORD": {"staging": "available"},
        "DATABASE_URL": {"staging": "missing"},
    }
    # With -d staging Kamal reads secrets.staging; the plain file would not help.
    assert ".kamal/secrets.staging" in run.probe("kamal.secrets")["remedy"]


def test_lint_verdict_passes_a_config_kamal_accepts(tmp_path: Path) -> None:
    run = doctor(str(write_project(tmp_path)), "--only", "kamal.lint")
    assert run.statuses == {"kamal.lint": "ok"}
    assert run.probe("kamal.lint")["details"]["targets"] == {"base": True}


def test_lint_verdict_fails_a_config_kamal_rejects(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    deploy = root / "config" / "deploy.yml"
    deploy.write_text(deploy.read_text().replace("service: shop\n", ""))
    run = doctor(str(root), "--only", "kamal.lint")
    assert run.statuses == {"kamal.lint": "fail"}
    assert run.probe("kamal.lint")["summary"].startswith(
        "Kamal rejects the config (base)"
    )


def test_lint_from_a_hook_without_destination_judges_the_base_alone(
    tmp_path: Path,
) -> None:
    # `kamal deploy` without -d deploys the base config; a broken staging
    # destination is no reason to stop it.
    root = write_project(tmp_path)
    (root / "config" / "deploy.staging.yml").write_text("servers: 5\n")

    by_hand = doctor(str(root), "--only", "kamal.lint")
    from_hook = doctor(
        str(root), "--only", "kamal.lint", env={"KAMAL_COMMAND": "deploy"}
    )

    assert by_hand.statuses == {"kamal.lint": "fail"}
    assert by_hand.probe("kamal.lint")["details"]["targets"] == {
        "base": True,
        "staging": False,
    }
    assert from_hook.statuses == {"kamal.lint": "ok"}
    assert from_hook.probe("kamal.lint")["details"]["targets"] == {"base": True}


def test_kamal_probes_skip_outside_a_kamal_project(tmp_path: Path) -> None:
    run = doctor(str(tmp_path), "--only", "kamal")
    assert run.statuses == dict.fromkeys(
        ("kamal.lint", "kamal.secrets", "kamal.builder"), "skip"
    )


def test_kamal_probes_fail_on_a_deploy_file_that_is_a_broken_link(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path)
    deploy = root / "config" / "deploy.yml"
    deploy.unlink()
    deploy.symlink_to("deploy.yml")
    run = doctor(str(root), "--only", "kamal")
    assert run.exit_code == 1
    assert run.statuses == dict.fromkeys(
        ("kamal.lint", "kamal.secrets", "kamal.builder"), "fail"
    )
    summary = run.probe("kamal.lint")["summary"]
    assert "config/deploy.yml: is a symbolic link that leads back to itself" in summary


def test_probes_that_read_the_config_skip_a_target_that_did_not_load(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path)
    deploy = root / "config" / "deploy.yml"
    deploy.write_text(deploy.read_text().replace("arch: amd64", "arch: *nowhere"))
    run = doctor(str(root), "--only", "kamal", env={"KAMAL_REGISTRY_PASSWORD": "x"})
    assert run.statuses == {
        "kamal.lint": "fail",
        "kamal.secrets": "skip",
        "kamal.builder": "skip",
    }
    line = deploy.read_text().splitlines().index("  arch: *nowhere") + 1
    for probe_id in ("kamal.secrets", "kamal.builder"):
        summary = run.probe(probe_id)["summary"]
        assert f"config/deploy.yml:{line}:9: " in summary, summary
        assert "undefined alias 'nowhere'" in summary, summary
        assert summary.endswith("(base)"), summary


REMOTE = """\
    builder:
      arch: amd64
      remote: {url}
    """


def project_with_remote(
    root: Path, url: str, registry: str = "registry.example.test"
) -> Path:
    write_project(root, registry=registry)
    deploy = root / "config" / "deploy.yml"
    text = deploy.read_text().replace("builder:\n  arch: amd64\n", "")
    deploy.write_text(text + REMOTE.replace("    ", "").format(url=url))
    return root


def test_remote_builder_that_answers_passes(
    tmp_path: Path, silent_listener: Any
) -> None:
    root = project_with_remote(
        tmp_path, f"ssh://deploy@127.0.0.1:{silent_listener.port}"
    )
    run = doctor(str(root), "--only", "kamal.builder")
    assert run.statuses == {"kamal.builder": "ok"}
    assert silent_listener.wait_for(1) == 1


def test_remote_builder_that_refuses_fails(tmp_path: Path) -> None:
    from tests.services import free_port

    root = project_with_remote(tmp_path, f"ssh://deploy@127.0.0.1:{free_port()}")
    run = doctor(str(root), "--only", "kamal.builder")
    assert run.statuses == {"kamal.builder": "fail"}
    assert "connection refused" in run.probe("kamal.builder")["summary"]


def test_local_registry_refuses_a_tcp_remote_builder(tmp_path: Path) -> None:
    root = project_with_remote(
        tmp_path, "tcp://127.0.0.1:2375", registry="localhost:5555"
    )
    deploy = root / "config" / "deploy.yml"
    deploy.write_text(deploy.read_text() + "  local: false\n")
    run = doctor(str(root), "--only", "kamal.builder")
    assert run.statuses == {"kamal.builder": "fail"}
    assert "must be an ssh:// URL" in run.probe("kamal.builder")["summary"]


def test_local_registry_with_the_engine_down_fails(tmp_path: Path) -> None:
    root = write_project(tmp_path, registry="localhost:5555")
    run = doctor(
        str(root),
        "--only",
        "kamal.builder,docker.engine",
        env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"},
    )
    assert run.statuses == {
        "docker.endpoint": "ok",
        "docker.engine": "fail",
        "kamal.builder": "fail",
    }
    assert "every deploy needs it" in run.probe("kamal.builder")["summary"]


@pytest.mark.docker
def test_local_registry_with_the_engine_up_says_it_must_stay_up(
    tmp_path: Path, dockerd: Any
) -> None:
    root = write_project(tmp_path, registry="localhost:5555")
    run = doctor(
        str(root),
        "--only",
        "kamal.builder,docker.engine,registry",
        env={"DOCKER_HOST": dockerd.host},
    )
    assert run.statuses["kamal.builder"] == "ok"
    assert (
        "must run for every deploy (it answers)"
        in run.probe("kamal.builder")["summary"]
    )
    assert run.statuses["registry.dns"] == "skip"
    assert "Kamal's local registry" in run.probe("registry.dns")["summary"]


def test_local_registry_checks_the_engine_even_without_the_docker_group(
    tmp_path: Path,
) -> None:
    # The pre-deploy hook runs `--only registry,kamal`.
    root = write_project(tmp_path, registry="localhost:5555")
    run = doctor(
        str(root),
        "--only",
        "kamal.builder",
        env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"},
    )
    assert run.statuses == {"kamal.builder": "fail"}
    assert "every deploy needs it" in run.probe("kamal.builder")["summary"]
