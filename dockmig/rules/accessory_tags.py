"""An accessory placed by host tags that Kamal matches differently than it reads.

An accessory with `tag:` or `tags:` runs on the hosts carrying that tag, but
Kamal's search is narrow. It only looks at roles written as a plain list of
hosts (`web: [- host: tag]`): hosts under a role's `hosts:` key are never
found, and the accessory silently gets no host at all. A host whose tag is
one string (`- host: dbx`) is matched by substring, so `tag: db` picks it up
too; a list of tags (`- host: [dbx]`) is matched exactly. A tag nobody
carries also leaves the accessory without hosts, which Kamal accepts.

Under the accessory's own `hosts:`, a tagged entry (`- host: tag`) is
accepted as well, but the whole map becomes the "host name"; write plain
host names there. (With `servers` written as a plain list, `tag`/`tags` make
Kamal crash; that is reported by accessory-placement.)

Passing example::

    servers:
      web:
        - 192.0.2.10: [db]
    accessories:
      postgres:
        image: postgres:16
        tag: db

Failing example (the tagged host sits under `hosts:`)::

    servers:
      web:
        hosts:
          - 192.0.2.10: db
    accessories:
      postgres:
        image: postgres:16
        tag: db
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockmig.findings import Severity, format_path

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "accessory-tags"
SEVERITY = Severity.WARNING
KAMAL = False


@dataclass
class _Matches:
    exact: list[str] = field(default_factory=list)
    # (host, its single tag string) matched only because the tag contains ours
    partial: list[tuple[str, str]] = field(default_factory=list)
    # roles whose `hosts:` list carries the tag, which Kamal never searches
    skipped: list[Any] = field(default_factory=list)


def _tagged(entry: Any) -> tuple[str, Any] | None:
    if isinstance(entry, dict) and len(entry) == 1:
        host, tags = next(iter(entry.items()))
        return str(host), tags
    return None


def _carries(tags: Any, tag: str) -> bool:
    if isinstance(tags, str):
        return tag in tags
    return isinstance(tags, list) and tag in tags


def _matches(servers: dict[Any, Any], tag: str) -> _Matches:
    found = _Matches()
    for role, config in servers.items():
        if isinstance(config, list):
            _match_plain_list(config, tag, found)
        elif isinstance(config, dict) and isinstance(config.get("hosts"), list):
            carried = (_tagged(entry) for entry in config["hosts"])
            if any(t is not None and _carries(t[1], tag) for t in carried):
                found.skipped.append(role)
    return found


def _match_plain_list(entries: list[Any], tag: str, found: _Matches) -> None:
    """Kamal's own search: one-key maps of a role written as a host list."""
    for entry in entries:
        tagged = _tagged(entry)
        if tagged is None or not _carries(tagged[1], tag):
            continue
        host, tags = tagged
        if isinstance(tags, str) and tags != tag:
            found.partial.append((host, tags))
        else:
            found.exact.append(host)


def check(target: TargetContext) -> None:
    accessories = target.get("accessories", default=None)
    if not isinstance(accessories, dict):
        return
    servers = target.get("servers", default=None)

    for name, config in accessories.items():
        if not isinstance(config, dict):
            continue
        _check_hosts(target, ("accessories", name), config.get("hosts"))
        if not isinstance(servers, dict):
            continue
        for path, tag in _tags(("accessories", name), config):
            _check_tag(target, path, tag, _matches(servers, tag))


def _tags(owner: tuple[Any, ...], config: dict[Any, Any]) -> list[tuple[Any, str]]:
    if "tag" in config:
        tag = config["tag"]
        return [((*owner, "tag"), tag)] if isinstance(tag, str) else []

    tags = config.get("tags")
    if not isinstance(tags, list):
        return []
    return [
        ((*owner, "tags", index), tag)
        for index, tag in enumerate(tags)
        if isinstance(tag, str)
    ]


def _check_hosts(target: TargetContext, owner: tuple[Any, ...], hosts: Any) -> None:
    if not isinstance(hosts, list):
        return
    for index, entry in enumerate(hosts):
        tagged = _tagged(entry)
        if tagged is None:
            continue

        path = (*owner, "hosts", index)
        target.report(
            ID,
            path,
            f"{format_path(path)} is a tagged host ({tagged[0]}: ...), but accessory "
            "hosts take no tags and Kamal uses the whole map as the host name; "
            f"write - {tagged[0]}",
        )


def _check_tag(
    target: TargetContext, path: tuple[Any, ...], tag: str, found: _Matches
) -> None:
    where = format_path(path)
    for host, tags in found.partial:
        target.report(
            ID,
            path,
            f"{where} {tag!r} also selects host {host}, tagged {tags!r}, because Kamal "
            "matches a single tag string by substring; give the host a list of tags "
            f"(- {host}: [{tags}]) so only exact tags match",
        )

    if found.skipped:
        roles = ", ".join(
            format_path(("servers", role, "hosts")) for role in found.skipped
        )
        placed = (
            "" if found.exact or found.partial else ", so the accessory gets no host"
        )
        target.report(
            ID,
            path,
            f"{where} {tag!r} is carried by hosts in {roles}, which Kamal never "
            f"searches for accessory tags (only roles written as a plain host list)"
            f"{placed}; list those hosts directly under the role, or use role/roles",
        )
    elif not found.exact and not found.partial:
        target.report(
            ID,
            path,
            f"{where} {tag!r} is carried by no host in servers, so the accessory runs "
            "nowhere; tag a host (- HOST: [tag]) in a role written as a plain host "
            "list, or use host/hosts/role instead",
        )
