"""The same SSL host name is served by two roles (or listed twice in one).

Every role that runs kamal-proxy with SSL asks for a certificate for its
proxy host names (`proxy.host`, comma-separated, or `proxy.hosts`, after the
role's proxy is merged over the root `proxy`). kamal-proxy routes a host
name to one application target only, so Kamal refuses a config where a
host name appears more than once among the SSL roles, whether two roles
share it or one role lists it twice. The usual cause is a second role with
`proxy: true` that inherits the root `host`; give that role its own host.

Passing example::

    proxy:
      ssl: true
      host: shop.example.com
    servers:
      web:
        - 192.0.2.10
      api:
        hosts:
          - 192.0.2.11
        proxy:
          host: api.example.com

Failing example (api inherits shop.example.com from the root proxy)::

    proxy:
      ssl: true
      host: shop.example.com
    servers:
      web:
        - 192.0.2.10
      api:
        hosts:
          - 192.0.2.11
        proxy: true
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from dockmig.findings import Severity, format_path
from dockmig.topology import HostNameCrash, identity, ruby_to_s

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "ssl-shared-host"
SEVERITY = Severity.ERROR
KAMAL = True


def check(target: TargetContext) -> None:
    if not isinstance(target.data, dict):
        return
    picture = target.topology()
    if not picture.complete:
        return

    # host name -> [(role name, where it was written)], in Kamal's role order
    claims: dict[Hashable, list[tuple[str, tuple[Any, ...]]]] = {}
    names: dict[Hashable, Any] = {}
    for role in picture.roles:
        if role.proxy is None or not role.proxy.ssl:
            continue
        try:
            hosts = role.proxy.host_names()
        except HostNameCrash:
            continue  # key-types reports a host Kamal cannot split
        for name, path in hosts:
            key = identity(name)
            names.setdefault(key, name)
            claims.setdefault(key, []).append((role.name, path))

    for key, claimants in claims.items():
        if len(claimants) < 2:
            continue
        _report(target, ruby_to_s(names[key]), claimants, picture.primary_name)


def _report(
    target: TargetContext,
    host: str,
    claimants: list[tuple[str, tuple[Any, ...]]],
    primary: str,
) -> None:
    roles = list(dict.fromkeys(role for role, _ in claimants))
    paths = list(dict.fromkeys(path for _, path in claimants))

    if len(roles) == 1:
        target.report(
            ID,
            claimants[-1][1],
            f"SSL host {host} is listed twice for role {roles[0]}; kamal-proxy "
            "takes each host name once, so remove the repeat",
        )
        return

    # Point at the role to change: the last one that is not the primary role.
    fix_role, fix_path = next(
        ((r, p) for r, p in reversed(claimants) if r != primary), claimants[-1]
    )
    inherited = all(path[0] == "proxy" for path in paths)
    shared = " (inherited from the root proxy)" if inherited else ""
    target.report(
        ID,
        fix_path,
        f"SSL host {host} is used by roles {' and '.join(roles)}{shared}; "
        "kamal-proxy routes a host name to one role only, so give "
        f"{fix_role} its own host under "
        f"{format_path(('servers', fix_role, 'proxy', 'host'))}",
    )
