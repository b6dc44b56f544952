"""WWW-Authenticate parsing, and where credentials may go."""

from __future__ import annotations

from typing import Any

import pytest

from dockmig.doctor import challenge
from dockmig.doctor.challenge import Challenge, LoginRefused, parse
from dockmig.doctor.connection import Target, may_send_credentials
from dockmig.doctor.inputs import Secret


def test_bearer_challenge_keeps_commas_inside_quoted_values() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:samalba/my-app:pull,push"'
    )
    assert parse(header) == Challenge(
        "bearer",
        {
            "realm": "https://auth.docker.io/token",
            "service": "registry.docker.io",
            "scope": "repository:samalba/my-app:pull,push",
        },
    )


def test_basic_challenge_with_an_escaped_quote() -> None:
    parsed = parse('Basic realm="the \\"knot\\" registry"')
    assert parsed == Challenge("basic", {"realm": 'the "knot" registry'})


@pytest.mark.parametrize("header", ["", "Negotiate", "Digest realm=x"])
def test_other_schemes_are_not_registry_challenges(header: str) -> None:
    assert parse(header) is None


@pytest.mark.parametrize(
    ("scheme", "address", "allowed"),
    [
        ("https", "203.0.113.10", True),
        ("http", "127.0.0.1", True),
        ("http", "::1", True),
        ("http", "203.0.113.10", False),
        ("http", "10.0.0.5", False),
    ],
)
def test_credentials_go_over_tls_or_to_loopback_only(
    scheme: str, address: str, allowed: bool
) -> None:
    assert may_send_credentials(Target(scheme, address, 80, "r.example")) is allowed


def test_a_plain_http_token_realm_off_loopback_gets_no_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("dockmig tried to send the request")

    monkeypatch.setattr(challenge, "exchange", never)
    registry = Target("https", "127.0.0.1", 5443, "registry.example.test")
    realm = Challenge("bearer", {"realm": "http://203.0.113.10/token", "service": "r"})
    with pytest.raises(LoginRefused, match="plain HTTP and not on loopback"):
        challenge.bearer_token(realm, registry, "admin", Secret("pw"), None, 1.0)
