"""`registry.server` points at this machine without being Kamal's local registry.

Kamal treats the registry as its local registry only when the server starts
with `localhost:` followed by a port. Plain `localhost`, `localhost/path`,
`127.0.0.1:5555` or `[::1]:5555` are ordinary remote registries to Kamal: it
logs in with the username and password, pushes there from the build
machine, and the servers try to pull from their own loopback address, where
no registry is running. Write `localhost:5555` (any port) for the local
registry, or the registry's real host name.

Passing example::

    registry:
      server: localhost:5555

Failing example::

    registry:
      server: localhost
      username: deploy
      password:
        - KAMAL_REGISTRY_PASSWORD
    # file: .kamal/secrets
    KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from dockmig.findings import Severity, format_path

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "localhost-without-port"
SEVERITY = Severity.WARNING
KAMAL = False

_LOOPBACK = re.compile(
    r"^(?:localhost(?:/.*)?|127\.0\.0\.1(?::\d+)?(?:/.*)?|\[::1\](?::\d+)?(?:/.*)?)$",
    re.IGNORECASE,
)


def check(target: TargetContext) -> None:
    _check_server(target, ("registry", "server"))
    accessories = target.get("accessories", default=None)
    if isinstance(accessories, dict):
        for name in accessories:
            _check_server(target, ("accessories", name, "registry", "server"))


def _check_server(target: TargetContext, path: tuple[Any, ...]) -> None:
    server = target.get(*path, default=None)
    if not isinstance(server, str) or not _LOOPBACK.match(server):
        return

    target.report(
        ID,
        path,
        f"{format_path(path)} {server} is not Kamal's local registry, which needs "
        "`localhost:` and a port; Kamal logs in and pushes to it as a remote "
        "registry and the servers pull from their own loopback. Write "
        "localhost:5555 for the local registry, or the registry's host name",
    )
