"""Kamal's own picture of a merged config: roles, hosts, proxies and accessories.

Several of Kamal's cross-field checks do not look at what is written but at
what Kamal builds from it: the sorted roles of `servers` (or the single role
`web` of a host list), each role's hosts with numbers and symbols silently
dropped and duplicates folded, the role proxy merged over the root proxy,
and the hosts an accessory lands on. This module builds that picture once,
with Ruby's notions of truth, blankness and equality, so that the rules
mirroring those checks agree with Kamal and with each other.

Nothing here reports; a structure Kamal would refuse earlier (a scalar
`servers`, a role that is neither list nor map) is left out, because the
schema or another rule already speaks about it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from dockmig.findings import format_path
from dockmig.yaml11 import Symbol

logger = logging.getLogger(__name__)

KeyPath = tuple[Any, ...]

# ActiveSupport's String#blank? uses [[:space:]], Unicode White_Space; Python's
# str.isspace() also counts the separators \x1c-\x1f, which Ruby does not.
_RUBY_BLANK = re.compile(
    "[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"
)

PLACEMENT_KEYS = ("host", "hosts", "role", "roles", "tag", "tags")

# Kamal matches the string "^localhost[:$]" as a regular expression: ^ is a
# line anchor and the $ sits in a character class, so it is a literal dollar.
_LOCAL_REGISTRY = re.compile(r"^localhost[:$]", re.MULTILINE)


def is_string(value: object) -> bool:
    """A Ruby String: dockmig's Symbol subclasses str, Ruby keeps them apart."""
    return isinstance(value, str) and not isinstance(value, Symbol)


def is_local_registry(server: object) -> bool:
    """Kamal's test for its own registry on the deploying machine."""
    return isinstance(server, str) and _LOCAL_REGISTRY.search(server) is not None


def truthy(value: object) -> bool:
    """Ruby truth: everything but nil and false."""
    return value is not None and value is not False


def blank(value: object) -> bool:
    """ActiveSupport's `blank?` for the values Psych can produce."""
    if value is None or value is False:
        return True
    if isinstance(value, Symbol):
        return value == ""
    if isinstance(value, str):
        return _RUBY_BLANK.fullmatch(value) is not None
    if isinstance(value, (list, dict)):
        return not value
    return False


def present(value: object) -> bool:
    return not blank(value)


def ruby_float_text(value: float) -> str:
    """Float#to_s for the values where it matters: infinities and NaN read back."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-").rjust(2, "0")
        text = f"{mantissa}e{sign}{digits}"
    return text


def ruby_to_s(value: object) -> str:
    """How Ruby's to_s spells a scalar (role names are compared this way)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return ruby_float_text(value)
    return str(value)


def identity(value: object) -> Hashable:
    """A key that is equal exactly when Ruby's `eql?` would be.

    Array#uniq, Hash keys and tally compare this way: 80 and 80.0 differ, and
    so do the string "web" and the symbol :web.
    """
    if value is None or isinstance(value, bool):
        return ("literal", value)
    if isinstance(value, Symbol):
        return ("symbol", str(value))
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, int):
        return ("integer", value)
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, dict):
        return ("hash", frozenset((identity(k), identity(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(identity(item) for item in value))
    if isinstance(value, (dt.date, dt.datetime)):
        return ("time", value.isoformat())
    return ("other", repr(value))


def ruby_equal(left: object, right: object) -> bool:
    """Ruby's `==` for scalars: numbers compare by value, other kinds by identity."""
    numbers = (int, float)
    if (
        isinstance(left, numbers)
        and isinstance(right, numbers)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ):
        return left == right
    return identity(left) == identity(right)


def deep_merge(base: dict[Any, Any], overlay: dict[Any, Any]) -> dict[Any, Any]:
    """ActiveSupport's Hash#deep_merge: maps merge, anything else replaces."""
    merged = dict(base)
    for key, value in overlay.items():
        earlier = merged.get(key)
        if isinstance(earlier, dict) and isinstance(value, dict):
            merged[key] = deep_merge(earlier, value)
        else:
            merged[key] = value
    return merged


def split_commas(text: str) -> list[str]:
    """Ruby's String#split(","): no trimming, trailing empty fields dropped."""
    parts = text.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


class HostNameCrash(Exception):
    """Kamal calls `split` on a proxy host that is not a string and crashes."""


@dataclass
class ProxyView:
    """A proxy map as Kamal uses it, with where each effective key was written."""

    config: dict[Any, Any]
    # key -> the path of the map that supplied it (the role's own or the root's)
    sources: dict[Any, KeyPath] = field(default_factory=dict)

    @property
    def ssl(self) -> bool:
        return truthy(self.config.get("ssl", False))

    @property
    def custom_certificate(self) -> bool:
        ssl = self.config.get("ssl")
        return (
            isinstance(ssl, dict)
            and present(ssl.get("certificate_pem"))
            and present(ssl.get("private_key_pem"))
        )

    def host_names(self) -> list[tuple[Any, KeyPath]]:
        """`hosts`, else `host` split on commas, each with where it was written.

        Raises HostNameCrash when `host` is a number, a boolean or a symbol:
        Kamal splits it as a string.
        """
        hosts = self.config.get("hosts")
        if truthy(hosts):
            source = (*self.sources.get("hosts", ()), "hosts")
            if not isinstance(hosts, list):
                return []
            return [(name, (*source, index)) for index, name in enumerate(hosts)]
        host = self.config.get("host")
        # A false host never gets here in Kamal: SSL without a host is refused first.
        if host is None or host is False:
            return []
        if not is_string(host):
            raise HostNameCrash(ruby_to_s(host))
        source = (*self.sources.get("host", ()), "host")
        return [(name, source) for name in split_commas(host)]

    def source_of(self, key: str) -> KeyPath:
        return (*self.sources.get(key, ()), key)


@dataclass
class Role:
    name: str
    path: KeyPath  # ("servers",) for a plain host list, else ("servers", name)
    config: dict[Any, Any]  # the role map; {} for a host list
    hosts: list[Any]  # what Kamal keeps: unique, in order
    hosts_path: KeyPath
    dropped: list[tuple[KeyPath, Any]]  # entries Kamal silently ignores
    malformed: bool  # an entry validation refuses (null, a list, a 2-key map)
    primary: bool
    running_proxy: bool
    own_proxy: dict[Any, Any] = field(default_factory=dict)
    own_proxy_path: KeyPath | None = None
    proxy: ProxyView | None = None


@dataclass
class Accessory:
    name: str
    path: KeyPath
    config: dict[Any, Any]
    placement: list[str]  # which of host/hosts/role/roles/tag/tags are written
    # The hosts Kamal computes; None where Kamal gets nil and later crashes.
    hosts: list[Any] | None
    crash: tuple[KeyPath, str] | None = None  # a crash while finding the hosts
    proxy: ProxyView | None = None


@dataclass
class Topology:
    servers_form: str  # "absent", "list", "map" or "invalid"
    roles: list[Role]
    primary_name: str
    accessories: list[Accessory]
    root_proxy: dict[Any, Any]
    primary_value: Any = None
    bad_role_names: list[Any] = field(default_factory=list)
    # Roles whose value is neither a host list nor a map: the schema's finding.
    unreadable_roles: list[str] = field(default_factory=list)

    def is_primary(self, name: str) -> bool:
        """Role#primary? compares the name with primary_role as written.

        `config.role(5)` finds the role "5", yet that role is not primary
        (the string "5" is not the integer 5), so it gets no proxy by default.
        """
        if not truthy(self.primary_value):
            return name == "web"
        return is_string(self.primary_value) and name == self.primary_value

    def role(self, name: object) -> Role | None:
        """Kamal's `config.role(name)`: names compare as strings (to_s)."""
        wanted = ruby_to_s(name)
        return next((role for role in self.roles if role.name == wanted), None)

    @property
    def complete(self) -> bool:
        """False when Kamal would crash or refuse before roles exist at all."""
        return self.servers_form != "invalid" and not self.bad_role_names


def read(data: dict[Any, Any]) -> Topology:
    """Kamal's roles and accessories for one merged target."""
    servers = data.get("servers")
    primary_value = data.get("primary_role")
    primary_name = ruby_to_s(primary_value) if truthy(primary_value) else "web"
    root_proxy = data.get("proxy")
    root_proxy = root_proxy if isinstance(root_proxy, dict) else {}

    topology = Topology(
        servers_form="absent",
        roles=[],
        primary_name=primary_name,
        accessories=[],
        root_proxy=root_proxy,
        primary_value=primary_value,
    )
    if isinstance(servers, list):
        topology.servers_form = "list"
        web = _role("web", ("servers",), servers, topology)
        topology.roles = [web] if web is not None else []
    elif isinstance(servers, dict):
        topology.servers_form = "map"
        topology.bad_role_names = [name for name in servers if not is_string(name)]
        if not topology.bad_role_names:
            for name in sorted(servers):
                role = _role(name, ("servers", name), servers[name], topology)
                if role is None:
                    topology.unreadable_roles.append(name)
                else:
                    topology.roles.append(role)
    elif servers is not None:
        topology.servers_form = "invalid"

    accessories = data.get("accessories")
    if isinstance(accessories, dict):
        for name, config in accessories.items():
            if is_string(name) and isinstance(config, dict):
                topology.accessories.append(_accessory(name, config, data, topology))
    return topology


def _role(name: str, path: KeyPath, value: Any, topology: Topology) -> Role | None:
    if isinstance(value, list):
        config: dict[Any, Any] = {}
        entries, hosts_path = value, path
    elif isinstance(value, dict):
        config = value
        listed = value.get("hosts")
        entries = listed if isinstance(listed, list) else []
        hosts_path = (*path, "hosts") if "hosts" in value else path
    else:
        return None

    hosts, dropped = _hosts(entries, hosts_path)
    malformed = any(
        entry is None
        or isinstance(entry, (list, dt.date))
        or (isinstance(entry, dict) and len(entry) != 1)
        for entry in entries
    )
    role = Role(
        name=name,
        path=path,
        config=config,
        hosts=hosts,
        hosts_path=hosts_path,
        dropped=dropped,
        malformed=malformed,
        primary=topology.is_primary(name),
        running_proxy=False,
    )
    _attach_proxy(role, topology.root_proxy)
    return role


def _hosts(entries: list[Any], path: KeyPath) -> tuple[list[Any], list[Any]]:
    # Kamal keeps a host written as a string or as `host: tags`; any other
    # scalar (1234, yes, :name) passes validation and is then ignored.
    hosts: list[Any] = []
    seen: set[Hashable] = set()
    dropped: list[tuple[KeyPath, Any]] = []
    for index, entry in enumerate(entries):
        if isinstance(entry, dict):
            if not entry:
                continue
            host = next(iter(entry))
        elif is_string(entry):
            host = entry
        else:
            if isinstance(entry, (str, int, float)):
                dropped.append(((*path, index), entry))
            continue
        key = identity(host)
        if key not in seen:
            seen.add(key)
            hosts.append(host)
    return hosts, dropped


def _attach_proxy(role: Role, root_proxy: dict[Any, Any]) -> None:
    # The primary role runs the proxy unless it says `proxy: false`; any
    # other role only when its `proxy` is truthy (true or a map, even {}).
    setting = role.config.get("proxy")
    role.running_proxy = setting is not False if role.primary else truthy(setting)
    if not role.running_proxy:
        return
    if isinstance(setting, dict):
        role.own_proxy = setting
        role.own_proxy_path = (*role.path, "proxy")
    merged = deep_merge(root_proxy, role.own_proxy)
    sources: dict[Any, KeyPath] = dict.fromkeys(merged, ("proxy",))
    if role.own_proxy_path is not None:
        sources.update(dict.fromkeys(role.own_proxy, role.own_proxy_path))
    role.proxy = ProxyView(merged, sources)


def _accessory(
    name: str, config: dict[Any, Any], data: dict[Any, Any], topology: Topology
) -> Accessory:
    path = ("accessories", name)
    placement = [key for key in config if is_string(key) and key in PLACEMENT_KEYS]
    accessory = Accessory(
        name=name, path=path, config=config, placement=placement, hosts=None
    )
    _place(accessory, data.get("servers"), topology)

    proxy = config.get("proxy")
    if isinstance(proxy, dict) and proxy:
        accessory.proxy = ProxyView(proxy, dict.fromkeys(proxy, (*path, "proxy")))
    return accessory


def _place(accessory: Accessory, servers: Any, topology: Topology) -> None:
    """Kamal's host lookup: host, else hosts, else role(s), else tag(s)."""
    config = accessory.config
    if "host" in config:
        accessory.hosts = [config["host"]]
    elif "hosts" in config:
        hosts = config["hosts"]
        accessory.hosts = hosts if isinstance(hosts, list) else None
    elif "role" in config:
        role = topology.role(config["role"])
        accessory.hosts = role.hosts if role is not None else None
        if role is None and not truthy(config["role"]):
            # An unknown role is refused by name; `role: false` skips that
            # check, finds no role and leaves Kamal holding nil.
            accessory.crash = (
                (*accessory.path, "role"),
                f"role {ruby_to_s(config['role'])} names no role",
            )
    elif "roles" in config:
        names = config["roles"]
        found: list[Any] = []
        for name in names if isinstance(names, list) else []:
            role = topology.role(name)
            found.extend(role.hosts if role is not None else [None])
        accessory.hosts = found
    elif "tag" in config:
        accessory.hosts = _tagged(accessory, config["tag"], servers, ("tag",))
    elif "tags" in config:
        tags = config["tags"]
        found = []
        for index, tag in enumerate(tags if isinstance(tags, list) else []):
            hosts = _tagged(accessory, tag, servers, ("tags", index))
            # Ruby's flat_map keeps a nil result as one nil element.
            found.extend(hosts if hosts is not None else [None])
        accessory.hosts = found


def _tagged(
    accessory: Accessory, tag: Any, servers: Any, where: KeyPath
) -> list[Any] | None:
    # Kamal only searches roles written as plain host lists, and only when
    # `servers` is a map; otherwise the lookup answers nil.
    if not isinstance(servers, dict):
        if where == ("tag",):
            accessory.crash = (
                (*accessory.path, "tag"),
                "Kamal only looks tags up in a servers map of roles",
            )
        return None
    found = []
    for role_name, entries in servers.items():
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry:
                continue
            host, tags = next(iter(entry.items()))
            entry_path = ("servers", role_name, index, host)
            if isinstance(tags, list):
                matched = any(ruby_equal(item, tag) for item in tags)
            elif is_string(tags):
                if not is_string(tag):
                    accessory.crash = (
                        (*accessory.path, *where),
                        f"tag {ruby_to_s(tag)!s} is not a string, and Kamal "
                        f"searches the string tag of {format_path(entry_path)} "
                        "with it",
                    )
                    return []
                # A single tag is searched as text: `dbx` contains `db`.
                matched = tag in tags
            else:
                accessory.crash = (
                    entry_path,
                    f"the tag of host {ruby_to_s(host)} is neither a string nor "
                    "a list, and Kamal cannot search it",
                )
                return []
            if matched:
                found.append(host)
    return found
