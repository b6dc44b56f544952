"""The DER reader agrees with openssl on the test PKI's certificates."""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockmig.doctor.certificate import parse


def der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


def openssl_view(pem: Path) -> str:
    return subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-noout", "-subject", "-issuer",
         "-enddate", "-ext", "subjectAltName", "-dateopt", "iso_8601"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("leaf", ["server", "wrong_name", "expired", "expiring"])
def test_names_dates_and_issuer_match_openssl(pki: Any, leaf: str) -> None:
    pem = getattr(pki, leaf).cert
    certificate = parse(der(pem))
    view = openssl_view(pem)

    assert f"subject=CN = {certificate.subject['CN']}" in view
    assert f"issuer=CN = {certificate.issuer['CN']}" in view
    end = certificate.not_after.strftime("%Y-%m-%d %H:%M:%SZ")
    assert f"notAfter={end}" in view
    written = [f"DNS:{n}" for n in certificate.dns_names]
    written += [f"IP Address:{a}" for a in certificate.ip_addresses]
    assert ", ".join(written) in view


def test_expired_certificate_reads_its_past_validity(pki: Any) -> None:
    certificate = parse(der(pki.expired.cert))
    assert certificate.not_after == dt.datetime(2020, 2, 1, tzinfo=dt.timezone.utc)
    assert certificate.days_left() < 0
    assert certificate.names == ("localhost", "registry.example.test", "127.0.0.1")


def test_a_ca_certificate_without_sans_is_named_by_its_common_name(pki: Any) -> None:
    assert parse(der(pki.ca)).names == ("dockmig test CA",)


@pytest.mark.parametrize(
    "data", [b"", b"\x30\x03\x02\x01", b"not a certificate at all"]
)
def test_garbage_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse(data)
