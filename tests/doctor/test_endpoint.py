"""The endpoint resolution agrees with the docker CLI itself, case by case.

Each case sets up a contexts store with the real CLI (`docker context
create/use`) and compares dockmig's answer with `docker context inspect`,
which reports the context and host the CLI would use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockmig.doctor.endpoint import DEFAULT_HOST, EndpointError, resolve
from tests.conftest import require


@pytest.fixture
def cli(tmp_path: Path) -> tuple[str, Path]:
    found = shutil.which("docker")
    require(found is not None, "the docker CLI (docker.io)")
    assert found is not None
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}")
    return found, config


def docker(cli: tuple[str, Path], *args: str, env: dict[str, str] | None = None) -> str:
    binary, config = cli
    environ = (
        {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        | {"DOCKER_CONFIG": str(config)}
        | (env or {})
    )
    return subprocess.run(
        [binary, *args], env=environ, capture_output=True, text=True, check=True
    ).stdout


def cli_choice(
    cli: tuple[str, Path], env: dict[str, str], flag: str | None = None
) -> tuple[str, str]:
    args = ["--context", flag] if flag else []
    out = docker(cli, *args, "context", "inspect", env=env)
    data = json.loads(out)[0]
    return data["Name"], data["Endpoints"]["docker"]["Host"]


CASES = [
    ("nothing set", {}, None, False),
    ("current context", {}, None, True),
    ("DOCKER_CONTEXT", {"DOCKER_CONTEXT": "blue"}, None, True),
    (
        "DOCKER_HOST wins over DOCKER_CONTEXT",
        {"DOCKER_HOST": "unix:///x.sock", "DOCKER_CONTEXT": "blue"},
        None,
        True,
    ),
    (
        "DOCKER_HOST wins over the current context",
        {"DOCKER_HOST": "unix:///x.sock"},
        None,
        True,
    ),
    (
        "--context wins over DOCKER_HOST",
        {"DOCKER_HOST": "unix:///x.sock"},
        "blue",
        True,
    ),
    ("DOCKER_CONTEXT=default", {"DOCKER_CONTEXT": "default"}, None, True),
]


@pytest.mark.parametrize(
    ("case", "env", "flag", "use_green"), CASES, ids=[c[0] for c in CASES]
)
def test_endpoint_matches_docker_context_inspect(
    cli: tuple[str, Path],
    case: str,
    env: dict[str, str],
    flag: str | None,
    use_green: bool,
) -> None:
    docker(cli, "context", "create", "blue", "--docker", "host=unix:///run/blue.sock")
    docker(cli, "context", "create", "green", "--docker", "host=tcp://127.0.0.1:2375")
    if use_green:
        docker(cli, "context", "use", "green")

    expected = cli_choice(cli, env, flag)
    found = resolve({"DOCKER_CONFIG": str(cli[1]), **env}, flag)
    assert (found.context, found.host) == expected


def test_unknown_context_raises_as_the_cli_refuses(cli: tuple[str, Path]) -> None:
    with pytest.raises(subprocess.CalledProcessError):
        docker(cli, "context", "inspect", env={"DOCKER_CONTEXT": "nope"})
    with pytest.raises(EndpointError, match="context 'nope' \\(from DOCKER_CONTEXT\\)"):
        resolve({"DOCKER_CONFIG": str(cli[1]), "DOCKER_CONTEXT": "nope"})


def test_context_tls_files_are_read_from_the_store(
    cli: tuple[str, Path], pki: Any
) -> None:
    docker(
        cli, "context", "create", "secure", "--docker",
        f"host=tcp://127.0.0.1:2376,ca={pki.ca},cert={pki.server.cert},"
        f"key={pki.server.key}",
    )  # fmt: skip
    found = resolve({"DOCKER_CONFIG": str(cli[1])}, "secure")
    assert found.tls_verify
    assert found.ca_cert is not None
    assert Path(found.ca_cert).read_bytes() == pki.ca.read_bytes()
    assert found.client_cert is not None
    assert Path(found.client_cert[1]).read_bytes() == pki.server.key.read_bytes()


def test_default_without_anything_is_the_local_socket(tmp_path: Path) -> None:
    found = resolve({"HOME": str(tmp_path)})
    assert (found.host, found.context, found.source) == (
        DEFAULT_HOST,
        "default",
        "no context chosen",
    )


def test_unreadable_config_json_is_an_endpoint_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(EndpointError, match=r"config\.json cannot be read"):
        resolve({"DOCKER_CONFIG": str(tmp_path)})


@pytest.mark.parametrize("meta", ["[]", "{not json", '"text"'])
def test_a_context_whose_meta_is_no_object_is_unreadable_not_missing(
    tmp_path: Path, meta: str
) -> None:
    from dockmig.doctor.endpoint import context_dir

    folder = tmp_path / "contexts" / "meta" / context_dir("arr")
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(meta)
    with pytest.raises(EndpointError, match="'arr' is unreadable"):
        resolve({"DOCKER_CONFIG": str(tmp_path)}, "arr")
