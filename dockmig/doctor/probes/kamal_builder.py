"""The builder can build: remote host reachable, local-registry needs met.

With `builder/remote` (`ssh://user@host[:port]` or `tcp://host:port`), its
host must accept a TCP connection on that port. With Kamal's local registry
(`registry/server: localhost:PORT`), Kamal 2.8.2+ refuses a remote builder
that is not `ssh://` whenever part of the build runs remotely, and every
deploy needs this machine's engine: Kamal runs the registry there and
tunnels it to the servers. A local build needs this machine's engine too.
"""

from __future__ import annotations

import logging
import platform
import socket
import urllib.parse
from typing import Any

from dockmig import erb
from dockmig.doctor import Outcome, ProbeContext, fail, ok, skip
from dockmig.doctor.endpoint import resolve
from dockmig.doctor.engine import EngineFacts, connect
from dockmig.doctor.inputs import LOCAL_REGISTRY
from dockmig.doctor.probes.kamal_lint import no_project
from dockmig.doctor.resolver import LookupFailed, addresses_for

logger = logging.getLogger(__name__)

ID = "kamal.builder"
NEEDS: tuple[str, ...] = ()
AFTER = ("docker.engine",)
TIMEOUT = 4.0

_DEFAULT_PORTS = {"ssh": 22, "tcp": 2375}
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def run(context: ProbeContext) -> Outcome:
    missing = no_project(context)
    if missing is not None:
        return missing
    target = context.inputs.target()
    data: dict[str, Any] = target.data if target is not None and target.data else {}
    builder = _mapping(data.get("builder"))
    server = _mapping(data.get("registry")).get("server")
    local_registry = isinstance(server, str) and bool(LOCAL_REGISTRY.match(server))
    remote = builder.get("remote")
    if not isinstance(remote, str) or not remote.strip():
        remote = None
    if remote is not None and erb.PLACEHOLDER_PREFIX in remote:
        return skip("builder/remote is computed by ERB; dockmig does not run it")
    engine = context.outcome("docker.engine")
    details: dict[str, Any] = {
        "remote": remote,
        "local_registry": server if local_registry else None,
    }

    # What Kamal itself refuses comes before what is down right now.
    url = urllib.parse.urlsplit(remote) if remote is not None else None
    if url is not None and (url.scheme not in _DEFAULT_PORTS or not url.hostname):
        return fail(
            f"builder/remote {remote!r} is not an ssh:// or tcp:// URL",
            "write the remote builder as ssh://user@host",
            details=details,
        )
    if (
        url is not None
        and local_registry
        and url.scheme != "ssh"
        and _builds_remotely(builder, engine)
    ):
        return fail(
            f"with the local registry {server}, Kamal refuses the remote builder "
            f"{remote}: it must be an ssh:// URL",
            "use builder/remote: ssh://user@host, or move to a registry that is "
            "not local",
            details=details,
        )

    engine_up = engine.status.passed if engine is not None else None
    if local_registry and engine is None:
        # Not selected (a pre-deploy hook skips the docker group), yet the
        # deploy pulls through the registry this engine runs: ask it anyway.
        engine_up = _engine_answers(context)
    details["engine_answers"] = engine_up
    if local_registry and engine_up is False:
        return fail(
            f"the local registry {server} runs on this machine's engine, which "
            "does not answer: every deploy needs it",
            "start the engine (see docker.engine) before deploying, or move to a "
            "registry that is not local",
            details=details,
        )

    notes = []
    if url is not None and url.hostname:
        port = url.port or _DEFAULT_PORTS[url.scheme]
        details["remote_port"] = port
        reached = _connect(context, url.hostname, port)
        if reached is not None:
            return fail(
                f"the remote builder {url.hostname}:{port} does not answer: {reached}",
                f"check that {url.hostname} is up and its port {port} is open to this "
                "machine",
                details=details,
            )
        notes.append(f"remote builder {url.hostname}:{port} answers")
    elif builder.get("local") is not False:
        if engine_up is False:
            return fail(
                "Kamal builds on this machine's engine, which does not answer",
                "start the engine (see docker.engine), or set builder/remote",
                details=details,
            )
        state = "it answers" if engine_up else "not checked"
        notes.append(f"builds on this machine's engine ({state})")

    if local_registry:
        notes.append(
            f"with the local registry {server}, this machine's engine must run for "
            "every deploy (it answers)"
        )
    return ok("; ".join(notes) or "nothing to build with here", details=details)


def _engine_answers(context: ProbeContext) -> bool:
    try:
        endpoint = resolve(context.inputs.environ, context.inputs.docker_context)
        context.doing(f"the Docker engine at {endpoint.host}")
        client = connect(endpoint, context.timeout())
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as error:  # any failure means: no engine for the registry
        logger.debug("the engine does not answer: %s", error)
        return False


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _builds_remotely(builder: dict[str, Any], engine: Outcome | None) -> bool:
    """Kamal builds remotely what this machine's architecture cannot build."""
    if builder.get("local") is False:
        return True
    arch = builder.get("arch")
    arches = [arch] if isinstance(arch, str) else arch if isinstance(arch, list) else []

    machine = platform.machine()
    facts = engine.data if engine is not None else None
    if isinstance(facts, EngineFacts) and facts.info.get("Architecture"):
        machine = str(facts.info["Architecture"])
    here = _ARCHES.get(machine.lower(), machine.lower())
    return any(str(a) != here for a in arches)


def _connect(context: ProbeContext, host: str, port: int) -> str | None:
    """None when `host:port` accepts a connection, else why not."""
    context.doing(f"the remote builder {host}:{port}")
    try:
        addresses = addresses_for(host, context.inputs.dns_server, context.timeout())
    except LookupFailed as error:
        return str(error)
    if not addresses:
        return f"{host} has no address"

    try:
        with socket.create_connection((addresses[0], port), timeout=context.timeout()):
            return None
    except TimeoutError:
        return "no answer (time-out)"
    except ConnectionRefusedError:
        return "connection refused"
    except OSError as error:
        return error.strerror or str(error)
