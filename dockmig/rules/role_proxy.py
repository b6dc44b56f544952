"""A role's proxy settings only break once Kamal merges them over the root proxy.

Kamal checks a role's `proxy` map twice: alone (the schema does that part),
and again after merging it over the top-level `proxy`, with the role's keys
winning. The second check catches combinations that neither block shows on
its own: a role `host` next to a root `hosts` (Kamal wants one of the two),
a role `run.publish: false` next to a root `run.http_port`, or a role that
blanks the root's host while the root turns on automatic SSL. Use the same
key as the root block, or move the setting entirely into one place.

Passing example::

    proxy:
      host: shop.example.com
    servers:
      web:
        hosts: [192.0.2.10]
        proxy:
          host: www.example.com

Failing example (the role's host meets the root's hosts)::

    proxy:
      hosts: [shop.example.com]
    servers:
      web:
        hosts: [192.0.2.10]
        proxy:
          host: www.example.com
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig.findings import Severity, format_path
from dockmig.topology import Role, blank, present, truthy

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "role-proxy"
SEVERITY = Severity.ERROR
KAMAL = True


def check(target: TargetContext) -> None:
    if not isinstance(target.data, dict):
        return
    picture = target.topology()
    if not picture.complete:
        return

    root_problems = problems(picture.root_proxy)
    for role in picture.roles:
        if role.proxy is None or role.own_proxy_path is None:
            continue
        # What the schema already reports for either block alone is not repeated.
        known = root_problems | problems(role.own_proxy)
        for problem in sorted(problems(role.proxy.config) - known):
            path, message = _explain(problem, role, picture.root_proxy)
            target.report(ID, path, message)


def problems(proxy: dict[Any, Any]) -> set[str]:
    """The checks Kamal's proxy validator makes beyond key names and types."""
    found = set()
    if (
        truthy(proxy.get("ssl"))
        and blank(proxy.get("host"))
        and blank(proxy.get("hosts"))
    ):
        found.add("ssl-without-host")
    if "host" in proxy and "hosts" in proxy:
        found.add("host-and-hosts")
    ssl = proxy.get("ssl")
    if isinstance(ssl, dict):
        certificate = present(ssl.get("certificate_pem"))
        key = present(ssl.get("private_key_pem"))
        if certificate != key:
            found.add("certificate-pair")
    run = proxy.get("run")
    ports = ("http_port", "https_port", "bind_ips")
    if (
        isinstance(run, dict)
        and run.get("publish") is False
        and any(present(run.get(key)) for key in ports)
    ):
        found.add("publish-conflict")
    return found


def _explain(
    problem: str, role: Role, root: dict[Any, Any]
) -> tuple[tuple[Any, ...], str]:
    own = role.own_proxy
    base = role.own_proxy_path or role.path
    where = format_path(base)

    if problem == "host-and-hosts":
        mine = "host" if "host" in own else "hosts"
        theirs = "hosts" if mine == "host" else "host"
        return (*base, mine), (
            f"{where} sets {mine} while the root proxy sets {theirs}; Kamal merges "
            f"the two and refuses a proxy with both, so use {theirs} here too "
            f"(or {mine} in the root proxy)"
        )

    if problem == "publish-conflict":
        run = _map(own.get("run"))
        if run.get("publish") is False:
            root_run = _map(root.get("run"))
            ports = [
                k for k in ("http_port", "https_port", "bind_ips") if k in root_run
            ]
            return (*base, "run", "publish"), (
                f"{where}/run sets publish: false, but the root proxy/run sets "
                f"{', '.join(ports) or 'ports'}, and Kamal merges them; drop those "
                "from the root or publish the ports for this role"
            )
        return (*base, "run"), (
            f"{where}/run sets ports while the root proxy/run says publish: false; "
            "Kamal merges them and refuses ports that are not published"
        )

    if problem == "ssl-without-host":
        blanked = next((k for k in ("host", "hosts") if k in own), None)
        key = blanked or "ssl"
        return (*base, key), (
            f"after {where} is merged over the root proxy, automatic SSL has no "
            f"host ({where}/{key} leaves it empty); set a host for this role"
        )

    return (*base, "ssl"), (
        f"after {where} is merged over the root proxy, proxy ssl has only one of "
        "certificate_pem and private_key_pem; set both in the same block"
    )


def _map(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}
