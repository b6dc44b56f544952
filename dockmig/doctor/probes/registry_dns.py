"""The registry's name resolves (A and AAAA) to the address it should.

Asks the `--dns-server` (or `.dockmig.yml` doctor/dns_server), else the
system's resolvers, with /etc/hosts first as the OS would. With an expected
address (`--expect-ip`, `.dockmig.yml` registry/expected_ip), the records of
that family must include it; other records of the same family are a warning,
since a client may pick them.
"""

from __future__ import annotations

import ipaddress

from dockmig.doctor import Outcome, ProbeContext, fail, ok, skip, warn
from dockmig.doctor.resolver import Answer, LookupFailed, literal, lookup

ID = "registry.dns"
NEEDS: tuple[str, ...] = ()
TIMEOUT = 4.0


def run(context: ProbeContext) -> Outcome:
    inputs = context.inputs
    registry = inputs.registry
    if registry is None:
        return skip(
            "no registry to check: give --registry, or set registry/host in "
            ".dockmig.yml or registry/server in config/deploy.yml"
        )
    if registry.local:
        return skip(
            f"{registry.written} is Kamal's local registry, run on this machine "
            "during deploys; nothing to resolve"
        )
    expected = inputs.expected_ip

    address = literal(registry.name)
    if address is not None:
        answer = Answer(
            registry.name, "an address, not a name", _v4(address), _v6(address)
        )
    else:
        server = inputs.dns_server
        asked = f"{server[0]}:{server[1]}" if server else "the system resolver"
        context.doing(f"DNS answers for {registry.name} from {asked}")
        try:
            answer = lookup(registry.name, inputs.dns_server, context.timeout())
        except LookupFailed as error:
            # Only NXDOMAIN says the record is missing; a timeout or a server
            # failure says nothing about it (plan keeps such an item unknown).
            return fail(
                str(error),
                _remedy_for(error.kind, registry.name, expected),
                details={"name": registry.name, "error": error.kind},
            )

    details = {
        "name": registry.name,
        "server": answer.server,
        "a": list(answer.a),
        "aaaa": list(answer.aaaa),
        "canonical_name": answer.canonical,
        "expected": expected,
    }
    shown = ", ".join(answer.addresses)
    if not answer.addresses:
        return fail(
            f"{registry.name} has no A or AAAA record ({answer.server})",
            f"add an A record for {registry.name}"
            + (f" pointing at {expected}" if expected else ""),
            details=details,
        )
    if expected is None:
        return ok(
            f"{registry.name} resolves to {shown} (no expected address set: "
            "--expect-ip or .dockmig.yml registry/expected_ip)",
            details=details,
            data=answer,
        )

    wanted = ipaddress.ip_address(expected)
    family = answer.a if wanted.version == 4 else answer.aaaa
    same = [a for a in family if ipaddress.ip_address(a) == wanted]
    others = [a for a in family if ipaddress.ip_address(a) != wanted]
    if not same:
        return fail(
            f"{registry.name} resolves to {shown}, not the expected {expected}",
            f"point the {'A' if wanted.version == 4 else 'AAAA'} record of "
            f"{registry.name} at {expected} (DNS only, no proxy), then wait for the "
            "old record's TTL to pass",
            details=details,
            data=answer,
        )
    if others:
        return warn(
            f"{registry.name} resolves to {expected} but also to {', '.join(others)}",
            f"remove the other {'A' if wanted.version == 4 else 'AAAA'} records of "
            f"{registry.name}; clients may connect to any of them",
            details=details,
            data=answer,
        )
    return ok(
        f"{registry.name} resolves to {shown}, as expected",
        details=details,
        data=answer,
    )


def _v4(address: str) -> tuple[str, ...]:
    return (address,) if ipaddress.ip_address(address).version == 4 else ()


def _v6(address: str) -> tuple[str, ...]:
    return (address,) if ipaddress.ip_address(address).version == 6 else ()


def _remedy_for(kind: str, name: str, expected: str | None) -> str:
    if kind == "nxdomain":
        target = f" pointing at {expected}" if expected else ""
        return f"create an A record for {name}{target}, or fix the registry name"
    if kind == "timeout":
        return "check the DNS server address (--dns-server) and that it is reachable"
    return "check the DNS zone of the registry name and the DNS server"
