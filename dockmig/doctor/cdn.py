"""Whether an address belongs to a CDN proxy, from the ranges dockmig ships.

Cloudflare is the proxy the Knot story met (a DNS record with the orange
cloud on): its ranges are a dated data file, `data/cloudflare-ranges.txt`,
read once with importlib.resources.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from importlib import resources

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Ranges:
    provider: str
    as_of: str
    source: str
    networks: tuple[IPNetwork, ...]

    def containing(self, address: str) -> IPNetwork | None:
        ip = ipaddress.ip_address(address)
        for network in self.networks:
            if ip.version == network.version and ip in network:
                return network
        return None


def parse(text: str, provider: str, source: str) -> Ranges:
    as_of = "unknown"
    networks = []

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            if line[1:].strip().startswith("as-of:"):
                as_of = line.split("as-of:", 1)[1].strip()
            continue
        if not line:
            continue
        try:
            networks.append(ipaddress.ip_network(line))
        except ValueError:
            raise ValueError(
                f"{source}:{number}: {line!r} is not a CIDR range"
            ) from None
    return Ranges(provider, as_of, source, tuple(networks))


@cache
def cloudflare() -> Ranges:
    data = resources.files("dockmig.doctor").joinpath("data/cloudflare-ranges.txt")
    return parse(
        data.read_text(encoding="utf-8"), "Cloudflare", "cloudflare-ranges.txt"
    )
