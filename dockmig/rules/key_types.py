"""A value of a kind Kamal does not expect makes it crash instead of reporting.

Some values pass Kamal's validation and then crash it while it builds the
configuration, with a Ruby error instead of a message. dockmig reports them
as what they are:

- role, accessory and alias names that are not strings (an unquoted number
  such as `5:`, `true:`, or a symbol such as `:web:`); quote the name;
- an accessory with `tag:` when `servers` is a plain list of hosts or is
  missing (Kamal looks tags up in a map of roles only), or `role: false`;
- an accessory tag that is not a string while a host carries a single
  string tag, and a host tag that is neither a string nor a list;
- `proxy.host` that is a number, a boolean or a symbol on a role with SSL;
- `output.otel.endpoint` or `output.file.path` written as a Ruby symbol.

Passing example::

    servers:
      web:
        - 192.0.2.10
      "5":
        - 192.0.2.11

Failing example (an unquoted number as a role name)::

    servers:
      web:
        - 192.0.2.10
      5:
        - 192.0.2.11
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig import topology
from dockmig.findings import Severity, format_path
from dockmig.topology import HostNameCrash, is_string, ruby_to_s
from dockmig.yaml11 import Symbol, ruby_type_name

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "key-types"
SEVERITY = Severity.ERROR
KAMAL = True

_NAMED_SECTIONS = {
    "servers": "role",
    "accessories": "accessory",
    "aliases": "alias",
}


def check(target: TargetContext) -> None:
    if not isinstance(target.data, dict):
        return
    _check_names(target)

    picture = topology.read(target.data)
    for accessory in picture.accessories:
        if accessory.crash is not None and len(accessory.placement) == 1:
            path, reason = accessory.crash
            target.report(
                ID,
                path,
                f"{format_path(accessory.path)}: {reason}, and Kamal crashes "
                "looking up its hosts; " + _placement_fix(accessory.placement[0]),
            )

    for role in picture.roles:
        if role.proxy is None or not role.proxy.ssl:
            continue
        try:
            role.proxy.host_names()
        except HostNameCrash as crash:
            path = role.proxy.source_of("host")
            target.report(
                ID,
                path,
                f"{format_path(path)} is {ruby_type_name(target.get(*path))} "
                f"({crash}); Kamal splits it as text for role {role.name} and "
                "crashes, so quote it",
            )

    for logger_name, key in (("otel", "endpoint"), ("file", "path")):
        value = target.get("output", logger_name, key, default=None)
        if isinstance(value, Symbol):
            target.report(
                ID,
                ("output", logger_name, key),
                f"output/{logger_name}/{key} is the Ruby symbol :{value}, and "
                "Kamal crashes using it; write it without the leading colon",
            )


def _check_names(target: TargetContext) -> None:
    for section, kind in _NAMED_SECTIONS.items():
        entries = target.get(section, default=None)
        if not isinstance(entries, dict):
            continue
        for name in entries:
            if is_string(name):
                continue
            target.report(
                ID,
                (section, name),
                _name_message(section, kind, name),
                at="key",
            )


def _name_message(section: str, kind: str, name: Any) -> str:
    text = ruby_to_s(name)
    if isinstance(name, Symbol):
        fix = f"write it without the leading colon ({text}:)"
    else:
        fix = f'quote it ("{text}":)'
    return (
        f"the {kind} name {text} under {section} is {ruby_type_name(name)}, not "
        f"text, and Kamal crashes on it; {fix}"
    )


def _placement_fix(key: str) -> str:
    if key == "tag":
        return (
            "write servers as a map of roles with tagged hosts, or place the "
            "accessory with host, hosts or role instead"
        )
    if key == "role":
        return "name an existing role, or place it with host or hosts"
    return "make every tag a plain string (quote numbers) and host tags a list"
