"""Roles or accessories on one host want kamal-proxy started differently.

`proxy.run` (since Kamal 2.10) says how the kamal-proxy container itself is
started: its ports, image, logging, options. One host runs one kamal-proxy
for everything on it, so Kamal refuses a config where the roles and
accessories that use the proxy on the same host end up with different
`run` settings. A role's settings are its own `proxy.run` merged over the
root `proxy.run`; an accessory's are only its own. Parties without any
`run` settings do not count. Make the maps identical, or put the setting
in the root `proxy.run` only.

Passing example::

    proxy:
      run:
        http_port: 8080
    servers:
      web: [192.0.2.10]
      api:
        hosts: [192.0.2.10]
        proxy: true

Failing example (two ports for the one kamal-proxy on 192.0.2.10)::

    proxy:
      run:
        http_port: 8080
    servers:
      web: [192.0.2.10]
      api:
        hosts: [192.0.2.10]
        proxy:
          run:
            http_port: 9090
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from dockmig import topology
from dockmig.findings import Severity, format_path
from dockmig.topology import ProxyView, identity, present, ruby_to_s

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "proxy-run-conflict"
SEVERITY = Severity.ERROR
KAMAL = True

KeyPath = tuple[Any, ...]


def check(target: TargetContext) -> None:
    if not isinstance(target.data, dict):
        return
    picture = target.topology()
    if not picture.complete:
        return
    parties = _parties(picture)

    # All hosts, roles first, in Kamal's order; each host's distinct runs.
    hosts: dict[Hashable, Any] = {}
    everywhere = [role.hosts for role in picture.roles] + [
        accessory.hosts or [] for accessory in picture.accessories
    ]
    for listed in everywhere:
        for host in listed:
            hosts.setdefault(identity(host), host)

    conflicts: dict[tuple[KeyPath, ...], list[Any]] = {}
    for key, host in hosts.items():
        runs: dict[Hashable, KeyPath] = {}
        for on_host, run, source in parties:
            if key in on_host:
                runs.setdefault(identity(run), source)
        if len(runs) > 1:
            conflicts.setdefault(tuple(runs.values()), []).append(host)

    for sources, conflicted in conflicts.items():
        shown = ", ".join(ruby_to_s(h) for h in conflicted)
        named = " and ".join(format_path(s) for s in sources)
        # Point at a role's or accessory's own run map rather than the root's.
        own = [s for s in sources if s != ("proxy", "run")]
        target.report(
            ID,
            (own or list(sources))[-1],
            f"kamal-proxy on {shown} would be started with different settings "
            f"from {named}; one proxy serves the whole host, so make these run "
            "maps identical or keep the setting in the root proxy/run only",
        )


def _parties(
    picture: topology.Topology,
) -> list[tuple[set[Hashable], dict[Any, Any], KeyPath]]:
    """(hosts, run settings, where they were written) of everything using the proxy."""
    parties = []
    for role in picture.roles:
        run = _run(role.proxy)
        if run is not None and role.proxy is not None:
            hosts = {identity(h) for h in role.hosts}
            parties.append((hosts, run, role.proxy.source_of("run")))
    for accessory in picture.accessories:
        run = _run(accessory.proxy)
        if run is not None and accessory.proxy is not None:
            hosts = {identity(h) for h in accessory.hosts or []}
            parties.append((hosts, run, accessory.proxy.source_of("run")))
    return parties


def _run(proxy: ProxyView | None) -> dict[Any, Any] | None:
    if proxy is None:
        return None
    run = proxy.config.get("run")
    # An empty run map is no run settings at all (Kamal tests present?).
    return run if isinstance(run, dict) and present(run) else None
