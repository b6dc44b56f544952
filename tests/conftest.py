"""Shared test configuration.

Real components (Kamal's validator, ruby, dockerd, the registry, DNS,
pre-commit) are started by the tests. Where one is not installed the test
skips with the reason, except in CI (`CI=true`), where `.ci/run` installed
everything and a missing component must fail the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    require(
        (path / "kamal").is_dir(),
        f"the Kamal corpus at {path} (set DOCKMIG_CORPUS to its folder)",
    )
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


# -- Real services (tests/services.py): dockerd, the registry, DNS, a PKI --------
# Started on 127.0.0.1 or private unix sockets, stopped on teardown. Startup
# costs are paid once per session where the service can be shared.


def require_binaries(*names: str) -> None:
    from tests import services

    missing = services.missing_binaries(*names)
    require(not missing, " and ".join(missing) + " (apt, see .ci/install-apt.sh)")


@pytest.fixture(scope="session")
def canary_password() -> str:
    """A password no output may ever contain."""
    import secrets

    return "canary-" + secrets.token_hex(12)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    require_binaries("openssl")
    from tests.services import Pki

    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def token_server(
    tmp_path_factory: pytest.TempPathFactory, canary_password: str
) -> Iterator[Any]:
    require_binaries("openssl")
    from tests.services import TokenServer

    server = TokenServer(
        tmp_path_factory.mktemp("token"), {"testuser": canary_password}
    ).start()
    yield server
    server.stop()


class RegistryPool:
    """Registries by kind, each started once per session when first asked for."""

    def __init__(self, root: Path, pki: Any, token_server: Any, password: str) -> None:
        self.root = root
        self.pki = pki
        self.token_server = token_server
        self.password = password
        self.started: dict[str, Any] = {}

    def get(self, kind: str) -> Any:
        from tests.services import Registry, htpasswd

        if kind in self.started:
            return self.started[kind]
        folder = self.root / kind
        folder.mkdir(parents=True, exist_ok=True)
        users = htpasswd(folder / "htpasswd", {"testuser": self.password})
        leaves = {
            "tls-basic": self.pki.server,
            "tls-basic-wrongname": self.pki.wrong_name,
            "tls-basic-expired": self.pki.expired,
            "tls-basic-expiring": self.pki.expiring,
            "tls-token": self.pki.server,
            "tls-open": self.pki.server,
        }
        registry = Registry(
            folder,
            tls=leaves.get(kind),
            htpasswd_file=users
            if kind.endswith("basic") or "-basic-" in kind
            else None,
            token=self.token_server if kind == "tls-token" else None,
        )
        self.started[kind] = registry.start()
        return registry

    def stop(self) -> None:
        for registry in self.started.values():
            registry.stop()


@pytest.fixture(scope="session")
def registries(
    tmp_path_factory: pytest.TempPathFactory,
    pki: Any,
    token_server: Any,
    canary_password: str,
) -> Iterator[RegistryPool]:
    """`registries.get(kind)`: tls-basic, tls-basic-wrongname, tls-basic-expired,
    tls-basic-expiring, tls-token, tls-open (no auth), http-basic."""
    require_binaries("docker-registry", "htpasswd")
    pool = RegistryPool(
        tmp_path_factory.mktemp("registries"), pki, token_server, canary_password
    )
    yield pool
    pool.stop()


@pytest.fixture
def dns_server() -> Iterator[Any]:
    """`dns_server(records)` starts an in-process DNS server; all stop after the test."""
    import importlib.util

    require(importlib.util.find_spec("dns") is not None, "dnspython (pip)")
    from tests.services import MiniDns

    started: list[Any] = []

    def start(records: dict[str, list[str]]) -> Any:
        server = MiniDns(records).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def silent_listener() -> Iterator[Any]:
    """A TCP port on 127.0.0.1 that accepts and never answers."""
    from tests.services import SilentListener

    listener = SilentListener().start()
    yield listener
    listener.stop()


@pytest.fixture(scope="session")
def dockerd(pki: Any) -> Iterator[Any]:
    """A private dockerd, seeded with an image, volume falkordb_data and build cache.

    It listens on a unix socket (`host`) and, with mutual TLS against the test
    PKI, on `tcp://127.0.0.1:<tcp_port>` (client certificate: `pki.client`).
    """
    from tests import services

    require_binaries("dockerd", "containerd", "busybox")
    require(services.SYSTEM_DOCKER.exists(), f"{services.SYSTEM_DOCKER} (docker.io)")
    require(os.geteuid() == 0, "root, which dockerd needs")
    engine = services.Dockerd(
        services.private_folder("dm-dockerd-"), tls=(pki.ca, pki.server)
    )
    try:
        engine.start()
        engine.seed(["falkordb_data"])
        yield engine
    finally:
        engine.stop()
        import shutil

        shutil.rmtree(engine.folder, ignore_errors=True)
