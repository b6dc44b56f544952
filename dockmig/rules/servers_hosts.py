"""A role Kamal needs has no hosts, or the primary role does not exist.

Kamal turns `servers` into roles: a plain list of hosts is the single role
`web`; a map names each role, with a list of hosts or a map with `hosts:`.
It then insists that the primary role (`primary_role`, default `web`)
exists and has at least one host, and that every other role has hosts too,
unless `allow_empty_roles: true` says empty roles are intended.

Host entries must be strings or `host: tags` maps. A number such as
`- 1234` or `- 10.0` passes validation and is then silently dropped, which is
how a role ends up empty although something is written under it; dockmig
warns about every dropped entry.

Passing example::

    servers:
      web:
        - 192.0.2.10
      job:
        hosts:
          - 192.0.2.11
        cmd: bin/jobs

Failing example (the job role has no hosts)::

    servers:
      web:
        - 192.0.2.10
      job:
        cmd: bin/jobs
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig import topology
from dockmig.findings import Severity, format_path
from dockmig.topology import Role, ruby_to_s, truthy
from dockmig.yaml11 import ruby_type_name

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "servers-hosts"
SEVERITY = Severity.ERROR
KAMAL = True


def check(target: TargetContext) -> None:
    # Without `servers` the schema asks for servers or accessories.
    if not isinstance(target.data, dict) or target.data.get("servers") is None:
        return
    picture = target.topology()
    if not picture.complete:
        return

    for role in picture.roles:
        for path, value in role.dropped:
            target.report(
                ID,
                path,
                f"Kamal silently ignores this host because it is "
                f"{ruby_type_name(value)} ({ruby_to_s(value)}), not text; quote it",
                severity=Severity.WARNING,
                kamal_rejects=False,
            )

    primary = picture.role(picture.primary_name)
    if primary is None:
        if picture.primary_name not in picture.unreadable_roles:
            _report_missing_primary(target, picture)
    elif not primary.hosts and not primary.malformed:
        target.report(
            ID,
            primary.hosts_path,
            f"the primary role {primary.name} has no hosts{_why_empty(primary)}; "
            "Kamal needs at least one host for it (allow_empty_roles does not "
            "cover the primary role)",
        )

    if truthy(target.data.get("allow_empty_roles")):
        return
    for role in picture.roles:
        # A null or nested entry is the schema's finding, not an empty role.
        if role is primary or role.hosts or role.malformed:
            continue
        target.report(
            ID,
            role.hosts_path,
            f"role {role.name} has no hosts{_why_empty(role)}; give it hosts, or "
            "set allow_empty_roles: true if it is meant to be empty here",
        )


def _report_missing_primary(target: TargetContext, picture: topology.Topology) -> None:
    name = picture.primary_name
    names = ", ".join(role.name for role in picture.roles) or "none"
    written = "primary_role" in target.data
    where: tuple[Any, ...] = ("primary_role",) if written else ("servers",)

    if picture.servers_form == "list":
        message = (
            f"primary_role is {name}, but a plain list under servers is the single "
            f"role web; write servers as a map with a {name} role, or drop "
            "primary_role"
        )
    elif written:
        message = (
            f"primary_role {name} is not a role in servers (roles: {names}); "
            "add that role or name an existing one"
        )
    else:
        message = (
            f"servers has no role named web, the default primary role (roles: "
            f"{names}); add a web role or set primary_role to one of them"
        )
    target.report(ID, where, message)


def _why_empty(role: Role) -> str:
    if role.dropped:
        shown = ", ".join(ruby_to_s(value) for _, value in role.dropped)
        return f" (Kamal ignores {shown}: host entries must be text)"
    if role.hosts_path == role.path and isinstance(role.config, dict) and role.config:
        return f" ({format_path(role.path)} has no hosts key)"
    return ""
