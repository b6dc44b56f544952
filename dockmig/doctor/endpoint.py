"""The Docker endpoint the `docker` CLI would use, and why, read without the SDK.

The CLI's order (docker/cli `resolveContextName`): the `--context` flag; then
`DOCKER_HOST` (which means the `default` context); then `DOCKER_CONTEXT`; then
`currentContext` in `$DOCKER_CONFIG/config.json`; else `default`. The
`default` context is `DOCKER_HOST`, or the local socket. Named contexts live
in `$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json`, their TLS
files in `contexts/tls/<same>/docker/`. docker-py before 6.0 ignores contexts
altogether, which is why this module reads the store itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_HOST = "unix:///var/run/docker.sock"
DEFAULT_CONTEXT = "default"


class EndpointError(Exception):
    """The CLI itself would stop here; `remedy` says what to change."""

    def __init__(self, message: str, remedy: str) -> None:
        super().__init__(message)
        self.remedy = remedy


@dataclass(frozen=True)
class Endpoint:
    host: str
    context: str
    source: str
    tls_verify: bool = False
    ca_cert: str | None = None
    client_cert: tuple[str, str] | None = None

    @property
    def socket_path(self) -> Path | None:
        if self.host.startswith("unix://"):
            return Path(self.host[len("unix://") :])
        return None

    @property
    def uses_tls(self) -> bool:
        return self.tls_verify or self.client_cert is not None

    def describe(self) -> str:
        if self.context == DEFAULT_CONTEXT:
            return f"{self.host} ({self.source})"
        return f"{self.host} (context {self.context!r}, {self.source})"


def config_dir(environ: Mapping[str, str]) -> Path:
    configured = environ.get("DOCKER_CONFIG")
    if configured:
        return Path(configured)
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".docker"


def current_context(config: Path) -> str | None:
    path = config / "config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise EndpointError(
            f"{path} cannot be read: {error}",
            f"fix or remove {path}; the docker CLI stops on it too",
        ) from None

    name = data.get("currentContext") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def context_dir(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def read_context(config: Path, name: str) -> dict[str, Any] | None:
    """A named context's meta.json, or None when the store has no such context."""
    path = config / "contexts" / "meta" / context_dir(name) / "meta.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise EndpointError(
            f"context {name!r} is unreadable ({path}: {error})",
            f"recreate it: docker context rm {name} && docker context create {name} …",
        ) from None

    if not isinstance(data, dict):
        raise EndpointError(
            f"context {name!r} is unreadable ({path}: not a JSON object)",
            f"recreate it: docker context rm {name} && docker context create {name} …",
        )
    return data


def list_contexts(config: Path) -> dict[str, str]:
    """Every named context in the store and its Docker host."""
    found: dict[str, str] = {}
    meta = config / "contexts" / "meta"
    if not meta.is_dir():
        return found

    for path in sorted(meta.glob("*/meta.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            host = data["Endpoints"]["docker"]["Host"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(data.get("Name"), str) and isinstance(host, str):
            found[data["Name"]] = host
    return found


def resolve(environ: Mapping[str, str], flag: str | None = None) -> Endpoint:
    """The endpoint, in the CLI's order. Raises EndpointError where the CLI would."""
    config = config_dir(environ)

    if flag:
        return _named(config, flag, "--context", environ)
    if environ.get("DOCKER_HOST"):
        return _default(environ, "DOCKER_HOST")
    if environ.get("DOCKER_CONTEXT"):
        return _named(config, environ["DOCKER_CONTEXT"], "DOCKER_CONTEXT", environ)
    current = current_context(config)
    if current:
        source = f"currentContext in {config / 'config.json'}"
        return _named(config, current, source, environ)
    return _default(environ, "no context chosen")


def _named(
    config: Path, name: str, source: str, environ: Mapping[str, str]
) -> Endpoint:
    if name == DEFAULT_CONTEXT:
        return _default(environ, source)
    data = read_context(config, name)
    if data is None:
        raise EndpointError(
            f"context {name!r} (from {source}) is not in {config / 'contexts'}",
            "list the contexts with `docker context ls` and pick one with "
            "`docker context use NAME`",
        )
    try:
        docker = data["Endpoints"]["docker"]
        host = docker["Host"]
    except (KeyError, TypeError):
        raise EndpointError(
            f"context {name!r} has no Docker endpoint",
            f"recreate it with `docker context create {name} --docker host=…`",
        ) from None

    tls = config / "contexts" / "tls" / context_dir(name) / "docker"
    ca, cert, key = tls / "ca.pem", tls / "cert.pem", tls / "key.pem"
    skip_verify = bool(docker.get("SkipTLSVerify"))
    return Endpoint(
        host=str(host),
        context=name,
        source=source,
        tls_verify=ca.is_file() and not skip_verify,
        ca_cert=str(ca) if ca.is_file() else None,
        client_cert=(str(cert), str(key)) if cert.is_file() and key.is_file() else None,
    )


def _default(environ: Mapping[str, str], source: str) -> Endpoint:
    host = environ.get("DOCKER_HOST")
    if host and source != "DOCKER_HOST":
        source = f"{source}, then DOCKER_HOST"
    host = host or DEFAULT_HOST

    verify = environ.get("DOCKER_TLS_VERIFY", "") not in ("", "0")
    cert_path = Path(environ.get("DOCKER_CERT_PATH") or config_dir(environ))
    ca, cert, key = cert_path / "ca.pem", cert_path / "cert.pem", cert_path / "key.pem"
    uses_tls = verify or bool(environ.get("DOCKER_CERT_PATH"))
    return Endpoint(
        host=host,
        context=DEFAULT_CONTEXT,
        source=source,
        tls_verify=verify,
        ca_cert=str(ca) if uses_tls and ca.is_file() else None,
        client_cert=(str(cert), str(key))
        if uses_tls and cert.is_file() and key.is_file()
        else None,
    )


def same_socket(first: str, second: str) -> bool:
    """Two unix endpoints reach the same socket (symlinks resolved)."""
    if not (first.startswith("unix://") and second.startswith("unix://")):
        return first == second
    try:
        return os.path.realpath(first[7:]) == os.path.realpath(second[7:])
    except OSError:
        return first == second
