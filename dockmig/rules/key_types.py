"""A value of a kind Kamal does not expect: it crashes, or refuses a Ruby symbol.

Some values pass the type checks a schema can make and are still refused:
either Kamal crashes on them while it builds the configuration, with a Ruby
error instead of a message, or it wants a real string where YAML produced a
Ruby symbol (a value written with a leading colon, `:always`). dockmig
reports them as what they are:

- role, accessory and alias names that are not strings (an unquoted number
  such as `5:`, `true:`, or a symbol such as `:web:`); quote the name;
- an accessory with `tag:` when `servers` is a plain list of hosts or is
  missing (Kamal looks tags up in a map of roles only), or `role: false`;
- an accessory tag that is not a string while a host carries a single
  string tag, and a host tag that is neither a string nor a list;
- `proxy.host` that is a number, a boolean or a symbol on a role with SSL;
- `output.otel.endpoint` that does not make a URL, or a symbol there or in
  `output.file.path`;
- a symbol for registry `username`/`password`, `options.restart`,
  `ssh.config` or `builder.cache.type`, where Kamal compares real strings.

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

from dockmig import erb, topology, uri
from dockmig.findings import Severity, format_path
from dockmig.topology import HostNameCrash, is_local_registry, is_string, ruby_to_s
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

    picture = target.topology()
    _check_accessory_hosts(target, picture)
    _check_ssl_host_names(target, picture)

    _check_output(target)
    for path in _strict_string_paths(target.data):
        value = target.get(*path)
        text = value[0] if isinstance(value, list) else value
        target.report(
            ID,
            path,
            f"{format_path(path)} is the Ruby symbol :{text} (YAML reads a "
            "leading colon that way) and Kamal wants a plain string here; "
            "write it without the colon",
        )


def _check_accessory_hosts(target: TargetContext, picture: topology.Topology) -> None:
    for accessory in picture.accessories:
        if accessory.crash is None or len(accessory.placement) != 1:
            continue
        path, reason = accessory.crash
        target.report(
            ID,
            path,
            f"{format_path(accessory.path)}: {reason}, and Kamal crashes "
            "looking up its hosts; " + _placement_fix(accessory.placement[0]),
        )


def _check_ssl_host_names(target: TargetContext, picture: topology.Topology) -> None:
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


def _check_output(target: TargetContext) -> None:
    for logger_name, key in (("otel", "endpoint"), ("file", "path")):
        value = target.get("output", logger_name, key, default=None)
        if isinstance(value, Symbol):
            target.report(
                ID,
                ("output", logger_name, key),
                f"output/{logger_name}/{key} is the Ruby symbol :{value}, and "
                "Kamal crashes using it; write it without the leading colon",
            )

    endpoint = target.get("output", "otel", "endpoint", default=None)
    if not is_string(endpoint) or erb.PLACEHOLDER_PREFIX in endpoint:
        return
    # Kamal appends the OTLP logs path and parses the result with URI().
    url = endpoint.removesuffix("/") + "/v1/logs"
    if uri.parse(url) is None:
        target.report(
            ID,
            ("output", "otel", "endpoint"),
            f"output/otel/endpoint {endpoint!r} does not make a valid URL, and "
            "Kamal crashes parsing it; write the collector's base URL, e.g. "
            "http://otel-collector:4318",
        )


def _strict_string_paths(data: dict[Any, Any]) -> list[tuple[Any, ...]]:
    """Where a Ruby symbol is refused although Kamal's other strings take one."""
    registries: list[tuple[tuple[Any, ...], Any]] = [
        (("registry",), data.get("registry"))
    ]
    holders: list[tuple[tuple[Any, ...], Any]] = []
    for section in ("servers", "accessories"):
        entries = data.get(section)
        if isinstance(entries, dict):
            holders += [((section, name), entry) for name, entry in entries.items()]
    for path, holder in holders:
        if (
            path[0] == "accessories"
            and isinstance(holder, dict)
            and holder.get("registry")
        ):
            registries.append(((*path, "registry"), holder["registry"]))

    found: list[tuple[Any, ...]] = []
    for path, registry in registries:
        # A local registry's credentials are never looked at.
        if not isinstance(registry, dict) or is_local_registry(registry.get("server")):
            continue
        for key in ("username", "password"):
            credential = registry.get(key)
            if isinstance(credential, list) and len(credential) == 1:
                credential = credential[0]
            if isinstance(credential, Symbol):
                found.append((*path, key))

    for path, holder in holders:
        options = holder.get("options") if isinstance(holder, dict) else None
        for key, policy in options.items() if isinstance(options, dict) else ():
            if str(key) == "restart" and isinstance(policy, Symbol):
                found.append((*path, "options", key))

    for path in (("ssh", "config"), ("builder", "cache", "type")):
        value: Any = data
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, Symbol):
            found.append(path)
    return found


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
