"""A TCP connection opens to the registry's port at each address DNS gave.

Connects to the addresses themselves (no second lookup through the OS), A
records first. All connect: ok. Some: a warning, since a client may pick a
dead one. None: a failure naming each address and why.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from dockmig.doctor import Outcome, ProbeContext, fail, ok, warn
from dockmig.doctor.inputs import RegistryTarget
from dockmig.doctor.resolver import Answer

ID = "registry.tcp"
NEEDS = ("registry.dns",)
TIMEOUT = 4.0


@dataclass(frozen=True)
class Reached:
    address: str
    port: int
    name: str


def run(context: ProbeContext) -> Outcome:
    registry: RegistryTarget | None = context.inputs.registry
    assert registry is not None, "registry.dns resolved no registry"
    answer: Answer = context.data("registry.dns")
    port = registry.port

    reached: list[tuple[str, float]] = []
    failed: list[tuple[str, str]] = []
    for address in answer.addresses:
        shown = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        context.doing(f"a TCP connection to {shown} ({registry.name})")
        started = time.monotonic()
        try:
            # Each address gets its share, so one dead address leaves time
            # for the next.
            share = context.timeout(TIMEOUT / len(answer.addresses))
            with socket.create_connection((address, port), timeout=share):
                reached.append((address, time.monotonic() - started))
        except TimeoutError:
            failed.append((shown, "no answer (time-out)"))
        except ConnectionRefusedError:
            failed.append((shown, "refused"))
        except OSError as error:
            failed.append((shown, error.strerror or str(error)))

    details = {
        "port": port,
        "connected": [{"address": a, "ms": round(s * 1000, 1)} for a, s in reached],
        "failed": [{"address": a, "error": e} for a, e in failed],
    }
    problems = "; ".join(f"{a} {e}" for a, e in failed)
    remedy = (
        f"check that the registry server listens on port {port} and that no "
        "firewall drops the connection"
    )
    if not reached:
        return fail(
            f"no connection to {registry.name}: {problems}", remedy, details=details
        )

    first = Reached(reached[0][0], port, registry.name)
    where = ", ".join(f"{a} ({s * 1000:.0f} ms)" for a, s in reached)
    if failed:
        return warn(
            f"connected to {where}, but not to {problems}",
            remedy,
            details=details,
            data=first,
        )
    return ok(f"connected to port {port} at {where}", details=details, data=first)
