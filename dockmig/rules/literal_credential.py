"""A password, key or token written into a deploy file instead of named as a secret.

Deploy files are committed, so whatever is written in them is readable by
everyone with the repository. Kamal takes `registry.password` literally when it
is a plain string and looks it up in `.kamal/secrets` only when it is written
as a one-item list such as `[KAMAL_REGISTRY_PASSWORD]`; it still accepts
literal PEM text in `ssh.key_data`, although it deprecates it; and everything
under `env.clear` (or a simple env map) and `builder.args` is passed as
written, build arguments even ending up in the image's history.

Values computed by ERB (`<%= %x(aws ecr get-login-password) %>`) are not
literal and are left alone. With Kamal's local registry (`localhost:PORT`)
the credentials are never used at all, which is worth a note rather than an
error. Findings name the key, never the value.

Passing example::

    registry:
      server: registry.example.com
      username: deploy
      password:
        - KAMAL_REGISTRY_PASSWORD
    env:
      secret:
        - SMTP_PASSWORD
    # file: .kamal/secrets
    KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD
    SMTP_PASSWORD=$SMTP_PASSWORD

Failing example::

    registry:
      server: registry.example.com
      username: deploy
      password: hunter2-but-longer
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dockmig import erb
from dockmig.findings import Severity, format_path
from dockmig.rules.secret_undefined import PEM_MARKER, is_local_registry, pem_paths

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "literal-credential"
SEVERITY = Severity.ERROR
KAMAL = False

# Judged on the end of the name, so that POSTGRES_PASSWORD_FILE (a path) and
# TOKEN_URL (an address) are not mistaken for the secret itself.
_CREDENTIAL_WORDS = {
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIALS",
}
_CREDENTIAL_PAIRS = {
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SECRET", "KEY"),
    ("MASTER", "KEY"),
    ("AUTH", "KEY"),
    ("SIGNING", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("KEY", "BASE"),
}
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def looks_like_credential_name(name: object) -> bool:
    """True for names such as SMTP_PASSWORD, GITHUB_TOKEN or SECRET_KEY_BASE."""
    if not isinstance(name, str):
        return False
    words = [word for word in _WORD_SPLIT.split(name.upper()) if word]
    if not words:
        return False
    return words[-1] in _CREDENTIAL_WORDS or tuple(words[-2:]) in _CREDENTIAL_PAIRS


def computed_by_erb(target: TargetContext, path: tuple[Any, ...]) -> bool:
    """True when ERB wrote the value at `path`, evaluated by dockmig or not."""
    value = target.get(*path, default=None)
    if isinstance(value, str) and erb.PLACEHOLDER_PREFIX in value:
        return True

    mark = target.mark(path)
    for doc in target.documents:
        if doc.path != mark.file:
            continue
        lines = doc.source.splitlines()
        if 0 < mark.line <= len(lines):
            return "<%" in lines[mark.line - 1][mark.column - 1 :]
    return False


def check(target: TargetContext) -> None:
    data = target.data if isinstance(target.data, dict) else {}

    _check_registry(target, data.get("registry"), ("registry",))
    accessories = data.get("accessories")
    if isinstance(accessories, dict):
        for name, config in accessories.items():
            if isinstance(config, dict):
                where = ("accessories", name, "registry")
                _check_registry(target, config.get("registry"), where)

    _check_key_material(target, data)
    for path, key in _clear_values(data):
        _check_clear(target, path, key)


def _check_key_material(target: TargetContext, data: dict[Any, Any]) -> None:
    ssh = data.get("ssh")
    key_data = ssh.get("key_data") if isinstance(ssh, dict) else None
    if isinstance(key_data, list):
        for index, entry in enumerate(key_data):
            if isinstance(entry, str) and PEM_MARKER in entry:
                path = ("ssh", "key_data", index)
                target.report(
                    ID,
                    path,
                    f"{format_path(path)} holds private key text in the deploy file; "
                    "list a secret name instead (key_data: [SSH_PRIVATE_KEY]) and "
                    "define SSH_PRIVATE_KEY in .kamal/secrets",
                )

    for pem in pem_paths(target):
        if PEM_MARKER in target.get(*pem):
            target.report(
                ID,
                pem,
                f"{format_path(pem)} holds certificate or key text, but Kamal expects "
                "the name of a secret here; write a name such as SSL_PRIVATE_KEY_PEM "
                "and define it in .kamal/secrets",
            )


def _check_registry(
    target: TargetContext, registry: Any, path: tuple[Any, ...]
) -> None:
    if not isinstance(registry, dict):
        return
    password = registry.get("password")
    where = (*path, "password")
    if not isinstance(password, str) or not password:
        return
    if computed_by_erb(target, where):
        return

    if is_local_registry(registry.get("server")):
        target.report(
            ID,
            where,
            f"{format_path(where)} is written literally, but Kamal never logs in to "
            "its local registry and ignores it; delete username and password here",
            severity=Severity.INFO,
        )
        return
    target.report(
        ID,
        where,
        f"{format_path(where)} is a literal password in a committed deploy file; "
        "write `password: [KAMAL_REGISTRY_PASSWORD]` and define "
        "KAMAL_REGISTRY_PASSWORD in .kamal/secrets from the environment or a "
        "password manager",
    )


def _clear_values(data: dict[Any, Any]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, key) of each plain env value and build argument in the config."""
    yield from _env_clear(data.get("env"), ("env",), tags=True)

    servers = data.get("servers")
    if isinstance(servers, dict):
        for role, config in servers.items():
            if isinstance(config, dict):
                yield from _env_clear(config.get("env"), ("servers", role, "env"))
    accessories = data.get("accessories")
    if isinstance(accessories, dict):
        for name, config in accessories.items():
            if isinstance(config, dict):
                yield from _env_clear(config.get("env"), ("accessories", name, "env"))

    builder = data.get("builder")
    if isinstance(builder, dict) and isinstance(builder.get("args"), dict):
        for key in builder["args"]:
            yield ("builder", "args", key), key


def _env_clear(
    env: Any, path: tuple[Any, ...], *, tags: bool = False
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if not isinstance(env, dict):
        return
    # Any of these keys switches Kamal to the clear/secret/tags shape.
    if not ({"clear", "secret", "tags"} & set(env)):
        for key in env:
            yield (*path, key), key
        return

    clear = env.get("clear")
    if isinstance(clear, dict):
        for key in clear:
            yield (*path, "clear", key), key

    tagged = env.get("tags")
    if tags and isinstance(tagged, dict):
        for tag, tag_env in tagged.items():
            yield from _env_clear(tag_env, (*path, "tags", tag))


def _check_clear(target: TargetContext, path: tuple[Any, ...], key: Any) -> None:
    if not looks_like_credential_name(key):
        return
    value = target.get(*path, default=None)
    literal = (isinstance(value, str) and value.strip()) or (
        isinstance(value, int) and not isinstance(value, bool)
    )
    if not literal or computed_by_erb(target, path):
        return

    if path[0] == "builder":
        advice = (
            "build arguments stay readable in the image's history; pass it with "
            f"builder/secrets and define {key} in .kamal/secrets"
        )
    else:
        env_path = path[: path.index("clear")] if "clear" in path else path[:-1]
        advice = (
            f"move {key} to {format_path((*env_path, 'secret'))} and define it in "
            ".kamal/secrets"
        )
    target.report(
        ID,
        path,
        f"{format_path(path)} looks like a credential written in clear in a "
        f"committed deploy file; {advice}",
        severity=Severity.WARNING,
    )
