"""Logging in with the configured credentials works (Basic or Bearer).

The username and password come from `--username`/`--password-env`, else
`config/deploy.yml` (`registry/password: [NAME]` resolved from
`.kamal/secrets*` the way Kamal does), else `.dockmig.yml`. Credentials go
only over TLS, or plain HTTP to loopback; no value is ever shown or logged.
"""

from __future__ import annotations

from dockmig.doctor import Outcome, ProbeContext, fail, ok, skip
from dockmig.doctor.availability import credential
from dockmig.doctor.challenge import LoginRefused, basic, bearer_token
from dockmig.doctor.connection import exchange, may_send_credentials
from dockmig.doctor.inputs import Secret
from dockmig.doctor.probes.registry_api import Api

ID = "registry.login"
NEEDS = ("registry.api",)
TIMEOUT = 6.0


def run(context: ProbeContext) -> Outcome:
    api: Api = context.data("registry.api")
    inputs = context.inputs
    target = api.target
    if api.challenge is None:
        return ok(f"{target.host_header} asks for no login")
    if inputs.username is None or inputs.password is None:
        missing = "username" if inputs.username is None else "password"
        return skip(
            f"no registry {missing} configured (--username/--password-env, "
            "registry/username and password in config/deploy.yml, or .dockmig.yml)"
        )

    context.doing("the registry credentials")
    user = credential(inputs.username, inputs, timeout=context.timeout())
    password = credential(inputs.password, inputs, timeout=context.timeout())
    for found, source in ((user, inputs.username), (password, inputs.password)):
        if not found.available or found.value is None:
            return fail(
                f"cannot log in: {found.reason}",
                f"make {source.origin} available in this shell (export it), then "
                "run again",
                details={"credential": source.origin},
            )
    assert user.value is not None and password.value is not None
    username = user.value.reveal()
    # A username looked up as a secret is a secret value (Kamal's own login
    # marks it sensitive too); one written in a file or given as an option is
    # shown, since it is what a person checks first.
    shown = inputs.username.kind == "literal"
    who = f"user {username!r}" if shown else f"the user from {inputs.username.origin}"
    details = {
        **({"username": username} if shown else {}),
        "username_from": inputs.username.origin,
        "password_from": inputs.password.origin,
        "scheme": api.challenge.scheme,
    }

    if not may_send_credentials(target):
        return fail(
            f"{target.describe()} is plain HTTP and not loopback; dockmig does not "
            "send a password there",
            "serve the registry over HTTPS",
            details=details,
        )
    try:
        status = _log_in(context, api, username, password.value, who)
    except LoginRefused as error:
        return fail(
            f"login as {who} failed: {error}",
            _remedy(inputs.password.origin),
            details=details,
        )
    except OSError as error:
        return fail(
            f"login as {who} could not reach the registry: {error}",
            "check the registry and its token service are reachable",
            details=details,
        )
    if status == 200:
        return ok(
            f"logged in to {target.host_header} as {who} "
            f"({api.challenge.scheme.capitalize()})",
            details=details,
        )
    return fail(
        f"{target.host_header} refused {who} ({status})",
        _remedy(inputs.password.origin),
        details=details,
    )


def _log_in(
    context: ProbeContext, api: Api, username: str, password: Secret, who: str
) -> int:
    target = api.target
    assert api.challenge is not None
    if api.challenge.scheme == "basic":
        context.doing(f"a Basic login to {target.describe()}")
        authorization = basic(username, password)

    else:
        context.doing(f"a token from {api.challenge.realm}")
        token = bearer_token(
            api.challenge,
            target,
            username,
            password,
            context.inputs.dns_server,
            context.timeout(),
            who=who,
        )
        authorization = f"Bearer {token}"
        context.doing(f"GET /v2/ with the token from {target.describe()}")

    response = exchange(
        target, "/v2/", context.timeout(), headers={"Authorization": authorization}
    )
    return response.status


def _remedy(origin: str) -> str:
    return f"check the username and the password from {origin}"
