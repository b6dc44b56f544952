"""The Docker endpoint the docker CLI (and so Kamal) would use here, and why.

The order is the CLI's: `--context`, `DOCKER_HOST`, `DOCKER_CONTEXT`,
`currentContext` in `$DOCKER_CONFIG/config.json`, then the default socket.
Fails where the CLI itself would stop: a context that is not in the store,
an unreadable config.json.
"""

from __future__ import annotations

from dockmig.doctor import Outcome, ProbeContext, fail, ok
from dockmig.doctor.endpoint import EndpointError, config_dir, resolve

ID = "docker.endpoint"
NEEDS: tuple[str, ...] = ()
TIMEOUT = 1.0


def run(context: ProbeContext) -> Outcome:
    environ = context.inputs.environ
    try:
        endpoint = resolve(environ, context.inputs.docker_context)
    except EndpointError as error:
        return fail(str(error), error.remedy)

    details = {
        "host": endpoint.host,
        "context": endpoint.context,
        "source": endpoint.source,
        "docker_config": str(config_dir(environ)),
        "tls": endpoint.uses_tls,
    }
    summary = endpoint.describe()
    if environ.get("DOCKER_HOST") and environ.get("DOCKER_CONTEXT"):
        summary += "; DOCKER_HOST wins over DOCKER_CONTEXT"
    return ok(summary, details=details, data=endpoint)
