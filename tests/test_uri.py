"""uri: the strings Ruby's URI() parses (checked against Kamal's oracle runs)."""

from __future__ import annotations

import pytest

from dockmig import uri


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("ssh://docker@builder.example.com:22", "ssh"),
        ("SSH://builder", "ssh"),
        ("http://otel:4318/v1/logs", "http"),
        ("otel:4318/v1/logs", "otel"),
        ("/v1/logs", None),
        ("otel/v1/logs", None),
        ("ssh://[2001:db8::1]:22", "ssh"),
        ("ssh://[v1.fe80::a]", "ssh"),
    ],
)
def test_parsed_references_report_their_scheme(text: str, scheme: str | None) -> None:
    parsed = uri.parse(text)

    assert parsed is not None
    assert parsed.scheme == scheme


@pytest.mark.parametrize(
    "text",
    [
        "not a url/v1/logs",
        "://otel/v1/logs",
        "http://otel/%zz",
        "http://\u00f6tel",
        "ssh://u@v@h",
        "ssh://host:ssh",
        "ssh://[2001:db8::1",
        "ssh://[fe80::1%eth0]",
        "ssh://host\n",
    ],
)
def test_what_ruby_refuses_does_not_parse(text: str) -> None:
    assert uri.parse(text) is None
