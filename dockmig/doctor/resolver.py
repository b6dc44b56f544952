"""Name lookups: A and AAAA with dnspython, or the way the OS would do it.

With `--dns-server` every query goes to that server (split-horizon setups,
and the tests). Without it, a name listed in /etc/hosts answers from there,
as it would for Docker (the OS resolver reads it first and dnspython never
does), and everything else goes to the system's resolvers.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

HOSTS_FILE = Path("/etc/hosts")


class LookupFailed(Exception):
    """The name could not be resolved; `kind` says how."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # nxdomain, timeout, servfail, error


@dataclass(frozen=True)
class Answer:
    name: str
    server: str
    a: tuple[str, ...] = ()
    aaaa: tuple[str, ...] = ()
    canonical: str | None = None
    ttl: dict[str, int] = field(default_factory=dict)

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.a + self.aaaa


def literal(name: str) -> str | None:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return None


def from_hosts_file(name: str, path: Path | None = None) -> tuple[str, ...]:
    path = path or HOSTS_FILE
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ()

    found: list[str] = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and name.lower() in (f.lower() for f in fields[1:]):
            address = literal(fields[0].split("%", 1)[0])
            if address and address not in found:
                found.append(address)
    return tuple(found)


def lookup(name: str, server: tuple[str, int] | None, timeout: float) -> Answer:
    """A then AAAA for `name`. Raises LookupFailed."""
    if server is None:
        hosts = from_hosts_file(name)
        if hosts:
            return _split(name, str(HOSTS_FILE), hosts)
        if name.lower() == "localhost":
            return Answer(name, "the OS (localhost)", ("127.0.0.1",), ("::1",))

    import dns.exception
    import dns.resolver

    try:
        resolver = dns.resolver.Resolver(configure=server is None)
    except dns.resolver.NoResolverConfiguration:
        return _by_os(name, timeout)
    if server is not None:
        resolver.nameservers = [server[0]]
        resolver.port = server[1]
    shown = f"{server[0]}:{server[1]}" if server else "the system resolver"
    resolver.timeout = timeout
    resolver.lifetime = timeout

    records: dict[str, tuple[str, ...]] = {}
    ttl: dict[str, int] = {}
    canonical = None
    for rdtype in ("A", "AAAA"):
        try:
            answer = resolver.resolve(
                name, rdtype, search=False, raise_on_no_answer=False
            )
        except dns.resolver.NXDOMAIN:
            if records.get("A"):
                # dnsmasq answers NXDOMAIN for AAAA of a name it only has an
                # A record for; the name exists all the same.
                records[rdtype] = ()
                continue
            raise LookupFailed(
                "nxdomain", f"{name} does not exist (NXDOMAIN from {shown})"
            ) from None
        except dns.resolver.NoNameservers:
            raise LookupFailed(
                "servfail",
                f"no DNS server could answer for {name} ({shown} refused or failed)",
            ) from None
        except dns.exception.Timeout:
            raise LookupFailed(
                "timeout", f"{shown} did not answer for {name} within {timeout:.1f} s"
            ) from None
        except dns.exception.DNSException as error:
            raise LookupFailed(
                "error", f"looking up {name} at {shown}: {error}"
            ) from None
        rrset = answer.rrset
        records[rdtype] = tuple(r.to_text() for r in rrset) if rrset else ()
        if rrset:
            ttl[rdtype] = rrset.ttl
        if answer.canonical_name is not None:
            canonical_text = answer.canonical_name.to_text().rstrip(".")
            if canonical_text.lower() != name.lower().rstrip("."):
                canonical = canonical_text
    return Answer(
        name, shown, records.get("A", ()), records.get("AAAA", ()), canonical, ttl
    )


def _split(name: str, server: str, addresses: tuple[str, ...]) -> Answer:
    a = tuple(x for x in addresses if ipaddress.ip_address(x).version == 4)
    aaaa = tuple(x for x in addresses if ipaddress.ip_address(x).version == 6)
    return Answer(name, server, a, aaaa)


def _by_os(name: str, timeout: float) -> Answer:
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        kind = "nxdomain" if error.errno == socket.EAI_NONAME else "error"
        raise LookupFailed(kind, f"{name} does not resolve: {error.strerror}") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    return _split(name, "the OS resolver", addresses)


def addresses_for(
    name: str, server: tuple[str, int] | None, timeout: float
) -> list[str]:
    """Addresses to connect to for `name`: a literal, the DNS server, or the OS."""
    address = literal(name.strip("[]"))
    if address:
        return [address]
    if server is not None:
        return list(lookup(name, server, timeout).addresses)
    return list(_by_os(name, timeout).addresses)
