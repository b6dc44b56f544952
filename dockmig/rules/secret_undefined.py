"""A secret the config uses is missing from every secrets file Kamal reads for it.

Kamal looks secrets up by name only when a command needs them (`kamal deploy`
writing the env files, `kamal build` passing build secrets, `kamal registry
login`), never while it loads the config, so a name with no definition
passes `kamal config` and then stops the deploy half-way. The names come
from `registry.username`/`password` written as a one-item list (also in
accessory registries), `env.secret` entries of the root, roles, accessories
and root env tags (`NAME:KEY` looks up KEY), `builder.secrets`,
`ssh.key_data`, and `proxy.ssl.certificate_pem`/`private_key_pem`.

Kamal reads `.kamal/secrets-common` and then `.kamal/secrets` without a
destination, or `.kamal/secrets.DEST` with `-d DEST` (the plain file is then
not read at all); `secrets_path` moves them. The process environment is not
consulted. dockmig checks each destination against exactly its files, and
says so when the name is only defined in a file that destination never
reads. Nothing in the secrets files is executed.

Passing example::

    env:
      secret:
        - RAILS_MASTER_KEY
    # file: .kamal/secrets
    RAILS_MASTER_KEY=$(cat config/master.key)

Failing example (the secrets file defines a different name)::

    env:
      secret:
        - RAILS_MASTER_KEY
        - DATABASE_URL
    # file: .kamal/secrets
    RAILS_MASTER_KEY=$(cat config/master.key)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockmig import document, erb
from dockmig.errors import DockmigError
from dockmig.findings import Severity, format_path
from dockmig.secrets import KEY_PATTERN, SecretsFile, parse_secrets

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "secret-undefined"
SEVERITY = Severity.ERROR
KAMAL = False

# Kamal passes ssh.key_data entries containing this marker through as key
# material instead of looking them up as secret names.
PEM_MARKER = "-----BEGIN"
_NAME = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class SecretUse:
    """One place in the merged config where Kamal looks up a secret by name."""

    path: tuple[Any, ...]
    name: str
    what: str


def is_local_registry(server: Any) -> bool:
    """Kamal's test `^localhost[:$]`: in practice `localhost:` and a port."""
    return isinstance(server, str) and server.startswith("localhost:")


def secret_uses(target: TargetContext) -> list[SecretUse]:
    """Every secret name the merged config of `target` makes Kamal look up."""
    data = target.data if isinstance(target.data, dict) else {}
    uses: list[SecretUse] = []

    uses.extend(_registry_uses(data.get("registry"), ("registry",)))
    uses.extend(_env_uses(data.get("env"), ("env",), tags=True))
    servers = data.get("servers")
    if isinstance(servers, dict):
        for role, config in servers.items():
            if isinstance(config, dict):
                uses.extend(_env_uses(config.get("env"), ("servers", role, "env")))
                uses.extend(
                    _proxy_uses(config.get("proxy"), ("servers", role, "proxy"))
                )
    accessories = data.get("accessories")
    if isinstance(accessories, dict):
        for name, config in accessories.items():
            if not isinstance(config, dict):
                continue
            where = ("accessories", name)
            uses.extend(_registry_uses(config.get("registry"), (*where, "registry")))
            uses.extend(_env_uses(config.get("env"), (*where, "env")))
            uses.extend(_proxy_uses(config.get("proxy"), (*where, "proxy")))

    builder = data.get("builder")
    if isinstance(builder, dict):
        uses.extend(_list_uses(builder.get("secrets"), ("builder", "secrets"), "build"))
    ssh = data.get("ssh")
    if isinstance(ssh, dict):
        uses.extend(_list_uses(ssh.get("key_data"), ("ssh", "key_data"), "SSH key"))
    uses.extend(_proxy_uses(data.get("proxy"), ("proxy",)))
    # Key text pasted where a name belongs is literal_credential's finding.
    return [
        use
        for use in uses
        if erb.PLACEHOLDER_PREFIX not in use.name and PEM_MARKER not in use.name
    ]


def _registry_uses(registry: Any, path: tuple[Any, ...]) -> Iterator[SecretUse]:
    # Kamal never logs in to its local registry, so it never looks these up.
    if not isinstance(registry, dict) or is_local_registry(registry.get("server")):
        return
    for key in ("username", "password"):
        value = registry.get(key)
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
            yield SecretUse((*path, key, 0), value[0], f"registry {key}")


def _env_uses(
    env: Any, path: tuple[Any, ...], *, tags: bool = False
) -> Iterator[SecretUse]:
    if not isinstance(env, dict):
        return
    secret = env.get("secret")
    if isinstance(secret, list):
        for index, entry in enumerate(secret):
            if isinstance(entry, str):
                # `NAME:KEY` sets the variable NAME from the secret KEY.
                name = entry.split(":", 1)[1] if ":" in entry else entry
                yield SecretUse((*path, "secret", index), name, "env secret")

    tagged = env.get("tags")
    if tags and isinstance(tagged, dict):
        for tag, tag_env in tagged.items():
            yield from _env_uses(tag_env, (*path, "tags", tag))


def _list_uses(value: Any, path: tuple[Any, ...], what: str) -> Iterator[SecretUse]:
    if isinstance(value, list):
        for index, name in enumerate(value):
            if isinstance(name, str):
                yield SecretUse((*path, index), name, f"{what} secret")


def _proxy_uses(proxy: Any, path: tuple[Any, ...]) -> Iterator[SecretUse]:
    if not isinstance(proxy, dict) or not isinstance(proxy.get("ssl"), dict):
        return
    for key in ("certificate_pem", "private_key_pem"):
        name = proxy["ssl"].get(key)
        if isinstance(name, str):
            yield SecretUse((*path, "ssl", key), name, "TLS certificate")


def pem_paths(target: TargetContext) -> Iterator[tuple[Any, ...]]:
    """Where the config names a PEM secret; literal key text there is a mistake."""
    data = target.data if isinstance(target.data, dict) else {}
    proxies: list[tuple[Any, ...]] = [("proxy",)]
    for section in ("servers", "accessories"):
        entries = data.get(section)
        if isinstance(entries, dict):
            proxies.extend((section, name, "proxy") for name in entries)

    for proxy in proxies:
        for key in ("certificate_pem", "private_key_pem"):
            if isinstance(target.get(*proxy, "ssl", key, default=None), str):
                yield (*proxy, "ssl", key)


def scope(target: TargetContext) -> str:
    """How a person would run Kamal for this target."""
    if target.destination is None:
        return "without -d"
    return f"with -d {target.destination}"


def unread_secrets_files(target: TargetContext) -> list[SecretsFile]:
    """Secrets files next to the ones Kamal reads for `target`, that it skips."""
    read = set(target.secrets_paths)
    if not target.secrets_paths:
        return []
    first = target.root / target.secrets_paths[0]
    folder = first.parent
    stem = first.name.removesuffix("-common")
    if not folder.is_dir():
        return []

    found = []
    for path in sorted(folder.iterdir()):
        display = target.project.display(path)
        if display in read or not path.name.startswith(stem) or not path.is_file():
            continue
        parsed = _parse_quietly(path, display)
        if parsed is not None:
            found.append(parsed)
    return found


def _parse_quietly(path: Path, display: str) -> SecretsFile | None:
    try:
        return parse_secrets(document.read_text(path, display), display)
    except DockmigError as error:
        logger.info("not reading %s: %s", display, error)
        return None


def check(target: TargetContext) -> None:
    uses = secret_uses(target)
    defined = target.secret_names()
    missing = [use for use in uses if use.name not in defined]
    if not missing:
        return

    existing = {f.path for f in target.secrets_files}
    paths = target.secrets_paths
    if existing:
        where = (
            f"is not defined in {' or '.join(paths)}, the files Kamal reads "
            f"{scope(target)}"
        )
    else:
        nothing = "neither exists" if len(paths) == 2 else "none exists"
        where = (
            f"is undefined: {scope(target)} Kamal reads {' and '.join(paths)}, "
            f"and {nothing}"
        )
    own = paths[-1] if paths else ".kamal/secrets"
    others = unread_secrets_files(target)

    for use in missing:
        if not _NAME.fullmatch(use.name):
            # Not a key dotenv can define, and perhaps a pasted value: no echo.
            target.report(
                ID,
                use.path,
                f"{format_path(use.path)}: this {use.what} is not a name a secrets "
                "file can define (keys use only letters, digits, _ and .); write "
                "the secret's name here and its value in " + own,
            )
            continue
        elsewhere = [f.path for f in others if use.name in f.names()]
        message = f"{format_path(use.path)}: {use.what} {use.name} {where}"
        if elsewhere:
            message += (
                f"; it is only in {', '.join(elsewhere)}, which Kamal does not read "
                f"{scope(target)}"
            )
        message += (
            f". The deploy stops when Kamal looks it up: define {use.name} in {own}"
        )
        target.report(ID, use.path, message)
