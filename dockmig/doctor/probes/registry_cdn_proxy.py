"""The registry's addresses are outside CDN proxy ranges (Cloudflare).

A proxied record (Cloudflare's orange cloud) breaks a self-hosted registry
twice: the proxy answers TLS with its own certificate, so kamal-proxy cannot
obtain a Let's Encrypt certificate through it, and it caps request bodies at
100 MB, so pushing a larger layer fails. Reads the addresses registry.dns
found (even when they were not the expected ones, since a proxy is the usual
reason) and connects to nothing.
"""

from __future__ import annotations

from dockmig.doctor import Outcome, ProbeContext, fail, ok, past_tense, skip
from dockmig.doctor.cdn import cloudflare
from dockmig.doctor.resolver import Answer

ID = "registry.cdn-proxy"
NEEDS: tuple[str, ...] = ()
AFTER = ("registry.dns",)
TIMEOUT = 1.0


def run(context: ProbeContext) -> Outcome:
    answer: Answer | None = context.data("registry.dns")
    if answer is None or not answer.addresses:
        dns = context.outcome("registry.dns")
        why = "did not run" if dns is None else past_tense(dns.status)
        return skip(f"no addresses to check: registry.dns {why}")

    ranges = cloudflare()
    details: dict[str, object] = {
        "addresses": list(answer.addresses),
        "ranges": f"{ranges.provider}, {ranges.source} (as of {ranges.as_of})",
    }
    proxied = [(a, ranges.containing(a)) for a in answer.addresses]
    hits = [(a, n) for a, n in proxied if n is not None]
    if hits:
        address, network = hits[0]
        details["proxied"] = [{"address": a, "range": str(n)} for a, n in hits]
        return fail(
            f"{answer.name} resolves to {address}, inside {ranges.provider}'s proxy "
            f"range {network}: Let's Encrypt cannot issue the registry's certificate "
            "through the proxy, and it cuts layer pushes over 100 MB",
            f"make the record DNS-only (grey cloud) so that {answer.name} points "
            "straight at the registry server",
            details=details,
        )
    return ok(
        f"{', '.join(answer.addresses)} is outside {ranges.provider}'s proxy ranges "
        f"(list of {ranges.as_of})",
        details=details,
    )
