"""The registry's `WWW-Authenticate` challenge, and logging in through it.

Distribution-style registries answer `/v2/` with 401 and either
`Basic realm="…"` (htpasswd, kamal-proxy setups) or
`Bearer realm="https://auth…/token",service="…"` (Docker Hub, GHCR, Harbor,
a token server). Basic sends the credentials with the retried request;
Bearer sends them to the realm, which returns a token for the retried
request, as `docker login` does.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import urllib.parse
from dataclasses import dataclass, field

from dockmig.doctor.connection import Response, Target, exchange, may_send_credentials
from dockmig.doctor.inputs import Secret
from dockmig.doctor.resolver import addresses_for

logger = logging.getLogger(__name__)

_PARAMETER = re.compile(
    r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?'
)


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "basic" or "bearer", lower case
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.parameters.get("realm", "")


class LoginRefused(Exception):
    """The credentials were refused, or could not safely be sent."""


def parse(header: str) -> Challenge | None:
    """The first Basic or Bearer challenge of a WWW-Authenticate value."""
    match = re.match(r"\s*([A-Za-z]+)\s*(.*)$", header, re.DOTALL)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if scheme not in ("basic", "bearer"):
        return None

    parameters: dict[str, str] = {}
    rest = match.group(2)
    position = 0
    while position < len(rest):
        found = _PARAMETER.match(rest, position)
        if found is None or found.end() == position:
            break
        quoted, bare = found.group(2), found.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
        parameters[found.group(1).lower()] = value
        position = found.end()
    return Challenge(scheme, parameters)


def basic(username: str, password: Secret) -> str:
    pair = f"{username}:{password.reveal()}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def realm_target(
    realm: str, dns_server: tuple[str, int] | None, timeout: float, registry: Target
) -> tuple[Target, str]:
    """Where the token service is, and the path to ask, from the realm URL."""
    url = urllib.parse.urlsplit(realm)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise LoginRefused(f"the token realm {realm!r} is not an http(s) URL")
    port = url.port or (443 if url.scheme == "https" else 80)

    if url.hostname.lower() == registry.name.lower():
        address = registry.address
    else:
        found = addresses_for(url.hostname, dns_server, timeout)
        if not found:
            raise LoginRefused(f"the token service {url.hostname} has no address")
        address = found[0]
    target = Target(url.scheme, address, port, url.hostname, registry.ca_file)
    return target, url.path or "/"


def bearer_token(
    challenge: Challenge,
    registry: Target,
    username: str,
    password: Secret,
    dns_server: tuple[str, int] | None,
    timeout: float,
    *,
    who: str | None = None,
) -> str:
    """A token from the realm for these credentials. Raises LoginRefused.

    `who` names the user in messages when the name itself is a secret.
    """
    service, base_path = realm_target(challenge.realm, dns_server, timeout, registry)
    if not may_send_credentials(service):
        raise LoginRefused(
            f"the token service {service.describe()} is plain HTTP and not on "
            "loopback; dockmig does not send a password there"
        )

    query = {"account": username, "client_id": "dockmig", "offline_token": "true"}
    if challenge.parameters.get("service"):
        query["service"] = challenge.parameters["service"]
    existing = urllib.parse.urlsplit(challenge.realm).query
    path = (
        base_path
        + "?"
        + "&".join(part for part in (existing, urllib.parse.urlencode(query)) if part)
    )

    response = exchange(
        service, path, timeout, headers={"Authorization": basic(username, password)}
    )
    if response.status in (401, 403):
        raise LoginRefused(
            f"the token service {service.host_header} refused "
            f"{who or 'user ' + repr(username)} "
            f"({response.status})"
        )
    if response.status != 200:
        raise LoginRefused(
            f"the token service {service.host_header} answered {response.status} "
            f"{response.reason}"
        )
    return _token_from(response)


def _token_from(response: Response) -> str:
    try:
        data = json.loads(response.body)
    except ValueError:
        raise LoginRefused("the token service did not answer with JSON") from None

    token = (
        data.get("token") or data.get("access_token")
        if isinstance(data, dict)
        else None
    )
    if not isinstance(token, str) or not token:
        raise LoginRefused("the token service answered without a token")
    return token
