"""An accessory does not say where it runs in exactly one way, or names an unknown role.

Each accessory must choose its hosts with exactly one of `host`, `hosts`,
`role`, `roles`, `tag` or `tags`. Kamal counts the keys that are written,
whatever their value, so `host:` next to `hosts: []` is two choices, and an
accessory with none of them is refused as well. `role` and `roles` must name
roles that exist in `servers` (a plain list of hosts is the role `web`);
`roles` entries are compared exactly, so `- :web` (a Ruby symbol) or an
unquoted number does not match the role `web` or `"5"`. `hosts: []` is
valid and runs the accessory nowhere.

Passing example::

    accessories:
      db:
        image: postgres:16
        role: web

Failing example (two ways of placing it)::

    accessories:
      db:
        image: postgres:16
        host: 192.0.2.10
        roles: [web]
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig import topology
from dockmig.findings import Severity, format_path
from dockmig.topology import Accessory, identity, ruby_to_s, truthy
from dockmig.yaml11 import Symbol

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "accessory-placement"
SEVERITY = Severity.ERROR
KAMAL = True

_CHOICES = "host, hosts, role, roles, tag or tags"


def check(target: TargetContext) -> None:
    if not isinstance(target.data, dict):
        return
    picture = target.topology()
    for accessory in picture.accessories:
        _check_placement(target, accessory)
        if picture.complete:
            _check_roles(target, accessory, picture)


def _check_placement(target: TargetContext, accessory: Accessory) -> None:
    where = format_path(accessory.path)
    chosen = accessory.placement
    if not chosen:
        target.report(
            ID,
            accessory.path,
            f"{where} does not say where it runs; add one of {_CHOICES} "
            "(e.g. `host: 192.0.2.10` or `role: web`)",
            at="key",
        )
    elif len(chosen) > 1:
        target.report(
            ID,
            (*accessory.path, chosen[1]),
            f"{where} sets {' and '.join(chosen)}; Kamal takes exactly one of "
            f"{_CHOICES} (even an empty one counts), so keep one",
            at="key",
        )


def _check_roles(
    target: TargetContext, accessory: Accessory, picture: topology.Topology
) -> None:
    names = [role.name for role in picture.roles]
    known = ", ".join(names) or "none"
    config = accessory.config
    roles = config.get("roles")

    # Kamal checks `roles` first and looks at `role` only when roles is unset.
    if truthy(roles):
        wanted = {identity(name) for name in names}
        for index, entry in enumerate(roles if isinstance(roles, list) else []):
            if identity(entry) in wanted:
                continue
            target.report(
                ID,
                (*accessory.path, "roles", index),
                _unknown(accessory, "roles", entry, known),
            )
        return

    role = config.get("role")
    if truthy(role) and picture.role(role) is None:
        target.report(
            ID, (*accessory.path, "role"), _unknown(accessory, "role", role, known)
        )


def _unknown(accessory: Accessory, key: str, entry: Any, known: str) -> str:
    where = format_path((*accessory.path, key))
    text = ruby_to_s(entry)
    if isinstance(entry, Symbol) and text in known.split(", "):
        return (
            f"{where} names :{text}, a Ruby symbol, which does not match the role "
            f"{text}; write it without the colon"
        )
    if not isinstance(entry, str) and text in known.split(", "):
        return (
            f'{where} names {text} unquoted; Kamal compares it with the role "{text}" '
            f'exactly and finds no match, so quote it: "{text}"'
        )
    return (
        f"{where} names {text}, which is not a role in servers (roles: {known}); "
        "name an existing role or add it to servers"
    )
