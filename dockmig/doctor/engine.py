"""Talking to a Docker engine: a client per probe, and which engine it is.

The SDK is imported here, inside functions, so that loading the doctor costs
nothing until a docker probe runs. Two environment quirks are handled once:
the SDK negotiates the API version with I/O in its constructor (so the
version is asked for explicitly, under the probe's time-out), and requests
lets `REQUESTS_CA_BUNDLE` override a session's `verify`, which would replace
a context's CA; `trust_env` is turned off for that reason.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockmig.doctor.endpoint import Endpoint

logger = logging.getLogger(__name__)

# Any engine answers a request at this version for /version itself, which
# carries no version prefix; the real one is negotiated from its answer.
_BOOTSTRAP_VERSION = "1.24"

ORBSTACK = "OrbStack"
DOCKER_DESKTOP = "Docker Desktop"
PODMAN = "Podman"
COLIMA = "Colima"
RANCHER_DESKTOP = "Rancher Desktop"
DOCKER_ENGINE = "Docker Engine"


@dataclass(frozen=True)
class EngineFacts:
    endpoint: Endpoint
    api_version: str
    kind: str
    info: Mapping[str, Any] = field(repr=False)
    version: Mapping[str, Any] = field(repr=False)


def _client(endpoint: Endpoint, timeout: float, version: str) -> Any:
    import docker
    from docker.tls import TLSConfig

    options: dict[str, Any] = {"base_url": endpoint.host, "timeout": timeout}
    if endpoint.uses_tls:
        options["tls"] = TLSConfig(
            client_cert=endpoint.client_cert,
            ca_cert=endpoint.ca_cert,
            verify=endpoint.ca_cert if endpoint.tls_verify else False,
        )
    if endpoint.host.startswith("ssh://"):
        # The system ssh honours ~/.ssh/config, as the docker CLI does.
        options["use_ssh_client"] = True
    client = docker.APIClient(version=version, **options)
    client.trust_env = False
    return client


def _older(first: str, second: str) -> str:
    def key(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split(".") if part.isdigit())

    return first if key(first) <= key(second) else second


_HANDSHAKE_SECONDS = 10.0


def connect(endpoint: Endpoint, timeout: float, api_version: str | None = None) -> Any:
    """A low-level client for `endpoint`, at the API version both sides speak."""
    if endpoint.socket_path is not None:
        _reachable(endpoint.socket_path, timeout)
    if api_version is not None:
        return _client(endpoint, timeout, api_version)
    import docker.constants

    # An engine that takes longer than this to say its version is not going
    # to do the real work in time either; only that work gets `timeout`.
    first = _client(endpoint, min(timeout, _HANDSHAKE_SECONDS), _BOOTSTRAP_VERSION)
    try:
        server = first.version(api_version=False)
    finally:
        first.close()
    spoken = _older(
        str(server.get("ApiVersion", _BOOTSTRAP_VERSION)),
        str(docker.constants.DEFAULT_DOCKER_API_VERSION),
    )
    return _client(endpoint, timeout, spoken)


def _reachable(path: Path, timeout: float) -> None:
    """Connect once ourselves: docker-py leaks the socket of a failed connect."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(timeout)
        probe.connect(str(path))


def identify(info: Mapping[str, Any], version: Mapping[str, Any]) -> str:
    """Which product runs the engine, from what its /info and /version say."""
    components = version.get("Components") or []
    names = {str(c.get("Name", "")) for c in components if isinstance(c, dict)}
    if "Podman Engine" in names or "BuildahVersion" in info:
        return PODMAN

    system = str(info.get("OperatingSystem") or "")
    name = str(info.get("Name") or "")
    labels = " ".join(str(label) for label in info.get("Labels") or [])
    if "orbstack" in system.lower() or name.lower() == "orbstack":
        return ORBSTACK
    if system == "Docker Desktop" or "com.docker.desktop" in labels:
        return DOCKER_DESKTOP
    if "rancher-desktop" in name.lower() or "Rancher Desktop" in system:
        return RANCHER_DESKTOP
    if name.lower().startswith("colima"):
        return COLIMA
    return DOCKER_ENGINE


def facts(endpoint: Endpoint, timeout: float) -> EngineFacts:
    client = connect(endpoint, timeout)

    try:
        version = client.version()
        info = client.info()
    finally:
        client.close()

    return EngineFacts(
        endpoint=endpoint,
        api_version=str(client.api_version),
        kind=identify(info, version),
        info=info,
        version=version,
    )


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it wraps: requests and urllib3 keep causes in `reason`."""
    found: list[BaseException] = []
    pending: list[BaseException] = [error]

    while pending and len(found) < 20:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        wrapped = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
        ]
        wrapped += [a for a in current.args if isinstance(a, BaseException)]
        pending.extend(w for w in wrapped if isinstance(w, BaseException))
    return found


def describe_error(error: BaseException, endpoint: Endpoint) -> str:
    """One line on why an engine did not answer, without the SDK's noise."""
    chain = _causes(error)
    text = " ".join(str(e) for e in chain)
    socket = endpoint.socket_path
    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if tls is not None:
        reason = getattr(tls, "verify_message", None) or tls.reason or str(tls)
        return f"TLS with {endpoint.host} failed: {reason}"

    if any(isinstance(e, FileNotFoundError) for e in chain) or "No such file" in text:
        return f"no socket at {socket}" if socket else f"{endpoint.host} is not there"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return f"nothing accepts connections at {socket or endpoint.host}"
    if (
        any(isinstance(e, PermissionError) for e in chain)
        or "Permission denied" in text
    ):
        return f"permission denied on {socket or endpoint.host}"
    if any(isinstance(e, TimeoutError) for e in chain) or "timed out" in text.lower():
        return f"{endpoint.host} did not answer in time"

    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
    return f"{endpoint.host}: {first_line[:200]}"
