"""The engine at that endpoint answers, and which one it is.

Asks `/version` and `/info`. The kind comes from what the engine reports
about itself: OrbStack and Docker Desktop name themselves in
`OperatingSystem`, Podman lists a "Podman Engine" component, Colima and
Rancher Desktop show in the engine's name.
"""

from __future__ import annotations

from dockmig.doctor import Outcome, ProbeContext, fail, ok
from dockmig.doctor.endpoint import DEFAULT_HOST, Endpoint
from dockmig.doctor.engine import describe_error, facts

ID = "docker.engine"
NEEDS = ("docker.endpoint",)
TIMEOUT = 5.0


def run(context: ProbeContext) -> Outcome:
    endpoint: Endpoint = context.data("docker.endpoint")
    context.doing(f"the Docker engine at {endpoint.host}")
    try:
        found = facts(endpoint, context.timeout())
    except Exception as error:  # the SDK raises many types for one cause
        reason = describe_error(error, endpoint)
        return fail(
            f"no engine answers at {endpoint.describe()}: {reason}",
            _remedy(endpoint),
            details={"host": endpoint.host, "context": endpoint.context},
        )

    info = found.info
    server = str(info.get("ServerVersion") or found.version.get("Version") or "?")
    summary = (
        f"{found.kind} {server} (API {found.api_version}) answers at {endpoint.host}"
    )
    details = {
        "kind": found.kind,
        "server_version": server,
        "api_version": found.api_version,
        "operating_system": info.get("OperatingSystem"),
        "name": info.get("Name"),
        "architecture": info.get("Architecture"),
        "docker_root_dir": info.get("DockerRootDir"),
        "containers": info.get("Containers"),
        "images": info.get("Images"),
    }
    return ok(summary, details=details, data=found)


def _remedy(endpoint: Endpoint) -> str:
    host = endpoint.host
    if ".orbstack" in host:
        start = "start OrbStack (`orb start`)"
    elif "/.docker/run/" in host or "com.docker.docker" in host:
        start = "start Docker Desktop"
    elif host == DEFAULT_HOST:
        start = "start the Docker engine (on Linux: `sudo systemctl start docker`)"
    else:
        start = f"start the engine behind {host}"

    if endpoint.context != "default":
        return (
            f"{start}, or switch to a running one: `docker context ls`, then "
            "`docker context use NAME`"
        )
    if "DOCKER_HOST" in endpoint.source:
        return f"{start}, or unset DOCKER_HOST to use the current context"
    return f"{start}, or choose another engine with `docker context use NAME`"
