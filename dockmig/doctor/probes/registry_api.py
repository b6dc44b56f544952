"""`/v2/` answers as a Docker registry: a 401 challenge and registry/2.0.

Anything else means the name does not reach a registry: kamal-proxy routing
to the wrong app, a web server, a proxy's error page. A 200 without
credentials means anyone can pull and push, which a registry on the open
internet should not allow.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockmig.doctor import Outcome, ProbeContext, fail, ok, warn
from dockmig.doctor.challenge import Challenge, parse
from dockmig.doctor.connection import Target, exchange
from dockmig.doctor.probes.registry_tls import Secured

ID = "registry.api"
NEEDS = ("registry.tls",)
TIMEOUT = 5.0

API_HEADER = "Docker-Distribution-Api-Version"


@dataclass(frozen=True)
class Api:
    target: Target
    challenge: Challenge | None


def run(context: ProbeContext) -> Outcome:
    secured: Secured = context.data("registry.tls")
    target = secured.target
    context.doing(f"an answer to GET /v2/ from {target.describe()}")
    waited = context.timeout()
    try:
        response = exchange(target, "/v2/", waited)
    except TimeoutError:
        return fail(
            f"GET /v2/ on {target.describe()} got no answer within {waited:.1f} s",
            "check that the registry process answers behind its proxy",
        )
    except OSError as error:
        return fail(
            f"GET /v2/ on {target.describe()} failed: {error}",
            "check that the registry process answers behind its proxy",
        )

    version = response.header(API_HEADER)
    authenticate = response.header("WWW-Authenticate") or ""
    challenge = parse(authenticate) if authenticate else None
    details = {
        "status": response.status,
        "api_version": version,
        "challenge": challenge.scheme if challenge else None,
        "realm": challenge.realm if challenge else None,
        "service": challenge.parameters.get("service") if challenge else None,
    }
    not_registry = (
        "make the name reach the registry: with kamal-proxy, the registry "
        "accessory's proxy/host must be this name"
    )
    if version != "registry/2.0":
        return fail(
            f"/v2/ answered {response.status} without {API_HEADER}: registry/2.0; "
            "this is not a Docker registry",
            not_registry,
            details=details,
        )
    if response.status == 200:
        return warn(
            f"/v2/ answers 200 without credentials: anyone can pull and push "
            f"to {target.host_header}",
            "turn on authentication (htpasswd or a token service) in the registry",
            details=details,
            data=Api(target, None),
        )
    if response.status != 401 or challenge is None:
        return fail(
            f"/v2/ answered {response.status} {response.reason}"
            + (f" with an unusable challenge {authenticate!r}" if authenticate else ""),
            not_registry,
            details=details,
        )
    realm = f" (realm {challenge.realm})" if challenge.realm else ""
    return ok(
        f"/v2/ asks for {challenge.scheme.capitalize()} credentials{realm}, "
        "registry/2.0",
        details=details,
        data=Api(target, challenge),
    )
