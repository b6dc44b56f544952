"""The registry's certificate: trusted chain, right name, time left, issuer.

Shakes hands at the address registry.tcp reached, sending the registry's
name for SNI, against the system's trust store or exactly `--ca-file`. A
failed check is explained from the certificate itself (its names, its
dates). A verified one warns when fewer than 14 days are left, and when its
issuer is not Let's Encrypt's production CA, unless a CA file is configured
(a private CA is then the intent). A registry that speaks plain HTTP passes
only on a loopback address, where Docker accepts it.
"""

from __future__ import annotations

import logging
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from dockmig.doctor import Outcome, ProbeContext, fail, ok, warn
from dockmig.doctor.certificate import Certificate, parse
from dockmig.doctor.connection import Target, is_loopback, tls_context
from dockmig.doctor.probes.registry_tcp import Reached

logger = logging.getLogger(__name__)

ID = "registry.tls"
NEEDS = ("registry.tcp",)
TIMEOUT = 5.0

WARN_DAYS = 14
LETS_ENCRYPT = "Let's Encrypt"

# OpenSSL's X509_V_ERR_* codes, as ssl.SSLCertVerificationError.verify_code.
_EXPIRED = 10
_NOT_YET_VALID = 9
_NAME_MISMATCH = (62, 64)
_UNTRUSTED = (2, 18, 19, 20, 21)


@dataclass(frozen=True)
class Secured:
    target: Target
    certificate: Certificate | None


def run(context: ProbeContext) -> Outcome:
    reached: Reached = context.data("registry.tcp")
    ca_file = context.inputs.ca_file
    target = Target("https", reached.address, reached.port, reached.name, ca_file)
    trust = f"--ca-file {ca_file}" if ca_file else "the system trust store"
    where = f"{reached.address}:{reached.port} ({reached.name})"

    context.doing(f"a TLS handshake with {where}")
    waited = context.timeout()
    try:
        der = _handshake(target, tls_context(ca_file), waited)
    except ssl.SSLCertVerificationError as error:
        return _unverified(context, target, error, trust)
    except ssl.SSLError as error:
        return _not_tls(context, target, error)
    except TimeoutError:
        return fail(
            f"no answer to a TLS handshake from {where} within {waited:.1f} s",
            "check that the registry (or kamal-proxy in front of it) is running and "
            "serves TLS on this port",
            details={"address": reached.address, "port": reached.port},
        )
    except OSError as error:
        return fail(
            f"TLS handshake with {where} failed: {error.strerror or error}",
            "check that the registry serves TLS on this port",
        )

    certificate = parse(der)
    return _judge(target, certificate, ca_file, trust)


def _handshake(target: Target, tls: ssl.SSLContext, timeout: float) -> bytes:
    raw = socket.create_connection((target.address, target.port), timeout=timeout)
    with tls.wrap_socket(raw, server_hostname=target.name) as secured:
        der = secured.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return der


def _peek(target: Target, timeout: float) -> Certificate | None:
    """The certificate, unverified, to explain why verification failed."""
    tls = ssl.create_default_context()
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE
    try:
        return parse(_handshake(target, tls, timeout))
    except (OSError, ValueError) as error:
        logger.debug("could not read the certificate: %s", error)
        return None


def _describe(certificate: Certificate) -> dict[str, object]:
    return {
        "names": list(certificate.names),
        "issuer": certificate.issuer_name,
        "not_before": certificate.not_before.isoformat(),
        "not_after": certificate.not_after.isoformat(),
        "days_left": round(certificate.days_left(), 1),
    }


def _unverified(
    context: ProbeContext,
    target: Target,
    error: ssl.SSLCertVerificationError,
    trust: str,
) -> Outcome:
    context.doing(f"the certificate of {target.address}:{target.port}, unverified")
    certificate = _peek(target, context.timeout())
    details: dict[str, object] = {
        "verify_code": error.verify_code,
        "verify_message": error.verify_message,
        "trust": trust,
    }
    if certificate is not None:
        details.update(_describe(certificate))
    code = error.verify_code
    name = target.name

    if code == _EXPIRED:
        when = (
            f" on {certificate.not_after:%Y-%m-%d}" if certificate is not None else ""
        )
        return fail(
            f"the certificate for {name} expired{when}",
            "renew it; kamal-proxy renews Let's Encrypt certificates itself when it "
            "can reach Let's Encrypt and the name points straight at the server",
            details=details,
        )
    if code == _NOT_YET_VALID:
        return fail(
            f"the certificate for {name} is not valid yet",
            "check the clock of this machine and of the server",
            details=details,
        )
    if code in _NAME_MISMATCH:
        names = ", ".join(certificate.names) if certificate else "other names"
        return fail(
            f"the certificate at {target.address}:{target.port} is for {names}, "
            f"not {name}",
            f"serve a certificate for {name} (kamal-proxy: proxy/host must be {name})",
            details=details,
        )
    if code in _UNTRUSTED:
        issuer = certificate.issuer_name if certificate else "its issuer"
        return fail(
            f"the certificate for {name} does not verify against {trust}: issued by "
            f"{issuer}, which is not trusted here ({error.verify_message})",
            "use a certificate from a public CA such as Let's Encrypt, or pass the "
            "private CA with --ca-file (Docker also needs it, in "
            f"/etc/docker/certs.d/{target.host_header}/ca.crt)",
            details=details,
        )
    return fail(
        f"the certificate for {name} does not verify: {error.verify_message}",
        "serve a valid certificate chain for the registry name",
        details=details,
    )


def _not_tls(context: ProbeContext, target: Target, error: ssl.SSLError) -> Outcome:
    """A TLS error that may be a plain-HTTP registry answering the handshake."""
    plain = _speaks_http(target, context.timeout())
    where = f"{target.address}:{target.port}"

    if not plain:
        return fail(
            f"TLS handshake with {where} ({target.name}) failed: "
            f"{error.reason or error}",
            "check that the registry serves TLS on this port",
        )

    http_target = Target("http", target.address, target.port, target.name)
    if is_loopback(target.address):
        return ok(
            f"{target.name} speaks plain HTTP at {where}, which Docker accepts on "
            "loopback only",
            details={"scheme": "http"},
            data=Secured(http_target, None),
        )
    return fail(
        f"{target.name} speaks plain HTTP at {where}; Docker refuses a registry "
        "without TLS unless it is on loopback or listed as insecure",
        "serve the registry over HTTPS, e.g. behind kamal-proxy with ssl: true",
        details={"scheme": "http"},
    )


def _speaks_http(target: Target, timeout: float) -> bool:
    try:
        with socket.create_connection(
            (target.address, target.port), timeout=timeout
        ) as raw:
            raw.sendall(
                b"GET /v2/ HTTP/1.0\r\nHost: " + target.name.encode() + b"\r\n\r\n"
            )
            return raw.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def _judge(
    target: Target, certificate: Certificate, ca_file: Path | None, trust: str
) -> Outcome:
    details = {**_describe(certificate), "trust": trust}
    data = Secured(target, certificate)
    days = certificate.days_left()
    expires = f"{certificate.not_after:%Y-%m-%d}"
    issuer = certificate.issuer_name
    summary = (
        f"certificate for {target.name} verifies against {trust}; issued by "
        f"{issuer}, valid until {expires} ({days:.0f} days)"
    )
    if days < WARN_DAYS:
        return warn(
            f"the certificate for {target.name} expires in {days:.1f} days ({expires})",
            "renew it now; kamal-proxy renews Let's Encrypt certificates when the "
            "name points straight at it and port 80 is open",
            details=details,
            data=data,
        )

    organisation = certificate.issuer.get("O", "")
    if ca_file is None and organisation != LETS_ENCRYPT:
        kind = (
            "Let's Encrypt's staging CA"
            if "STAGING" in organisation.upper()
            else issuer
        )
        return warn(
            f"the certificate for {target.name} is issued by {kind}, not Let's "
            "Encrypt's production CA",
            "check that kamal-proxy (proxy/ssl: true) serves the registry host; with "
            "a private CA on purpose, set registry/ca_file in .dockmig.yml",
            details=details,
            data=data,
        )
    return ok(summary, details=details, data=data)
