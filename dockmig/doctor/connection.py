"""HTTP to a registry at the address DNS gave, with its own name for SNI and Host.

The standard library is enough and keeps two traps out: requests lets
`REQUESTS_CA_BUNDLE` replace a session's `verify`, and it would resolve the
name again through the OS, which may disagree with the DNS server the probes
were told to use. Here the socket goes to the address already checked, TLS
names the registry (SNI and the certificate check), and the Host header does
too.

Credentials go over TLS, or over plain HTTP to a loopback address only
(Docker itself treats loopback registries as insecure-but-allowed). Nothing
here logs a header.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from dockmig import __version__

logger = logging.getLogger(__name__)

USER_AGENT = f"dockmig/{__version__} (doctor)"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Target:
    scheme: str
    address: str
    port: int
    name: str
    ca_file: Path | None = None

    @property
    def host_header(self) -> str:
        host = f"[{self.name}]" if ":" in self.name else self.name
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.address)

    def describe(self) -> str:
        where = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{self.host_header} at {where}:{self.port}"


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def may_send_credentials(target: Target) -> bool:
    return target.scheme == "https" or target.loopback


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """System trust, or exactly the given CA file."""
    if ca_file is not None:
        return ssl.create_default_context(cafile=str(ca_file))
    return ssl.create_default_context()


def open_socket(target: Target, timeout: float) -> socket.socket:
    raw = socket.create_connection((target.address, target.port), timeout=timeout)
    if target.scheme != "https":
        return raw
    try:
        return tls_context(target.ca_file).wrap_socket(raw, server_hostname=target.name)
    except BaseException:
        raw.close()
        raise


def exchange(
    target: Target,
    path: str,
    timeout: float,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> Response:
    """One request on a fresh connection; the body is read up to 64 KiB."""
    connection = http.client.HTTPConnection(
        target.address, target.port, timeout=timeout
    )
    connection.sock = open_socket(target, timeout)

    try:
        sent = {"Host": target.host_header, "User-Agent": USER_AGENT, **(headers or {})}
        connection.request(method, path, headers=sent)
        response = connection.getresponse()
        body = response.read(MAX_BODY)

        collected: dict[str, list[str]] = {}
        for key, value in response.getheaders():
            collected.setdefault(key.lower(), []).append(value)
        logger.debug("%s %s %s -> %d", method, target.describe(), path, response.status)
        return Response(response.status, response.reason, collected, body)
    finally:
        connection.close()
