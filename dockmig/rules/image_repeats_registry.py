"""`image` already starts with the registry host, which Kamal puts in front of it again.

Kamal builds the image reference as `<registry.server>/<image>`, so `image`
is written without the registry host: `image: acme/shop` with
`server: ghcr.io` gives `ghcr.io/acme/shop`. Writing `image:
ghcr.io/acme/shop` makes Kamal push and pull `ghcr.io/ghcr.io/acme/shop`,
which the registry refuses or stores under a surprising name. The same
holds for an accessory with its own `registry` (the root registry never
prefixes accessory images).

Passing example::

    image: acme/shop
    registry:
      server: ghcr.io
      username: acme
      password:
        - KAMAL_REGISTRY_PASSWORD
    # file: .kamal/secrets
    KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD

Failing example::

    image: ghcr.io/acme/shop
    registry:
      server: ghcr.io
      username: acme
      password:
        - KAMAL_REGISTRY_PASSWORD
    # file: .kamal/secrets
    KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig import erb
from dockmig.findings import Severity, format_path

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "image-repeats-registry"
SEVERITY = Severity.WARNING
KAMAL = False


def check(target: TargetContext) -> None:
    _check(target, (), target.get("registry", "server", default=None))
    accessories = target.get("accessories", default=None)
    if isinstance(accessories, dict):
        for name, config in accessories.items():
            registry = config.get("registry") if isinstance(config, dict) else None
            if isinstance(registry, dict):
                _check(target, ("accessories", name), registry.get("server"))


def _without_server(image: str, server: str) -> str | None:
    """`image` with the repeated registry part removed, or None if not repeated."""
    if "/" not in image:
        return None
    lowered = image.lower()
    if lowered.startswith(server.lower().rstrip("/") + "/"):
        return image[len(server.rstrip("/")) + 1 :]

    host = server.split("/", 1)[0].lower()
    first, rest = image.split("/", 1)
    return rest if first.lower() == host else None


def _check(target: TargetContext, owner: tuple[Any, ...], server: Any) -> None:
    path = (*owner, "image")
    image = target.get(*path, default=None)
    if not isinstance(server, str) or not server or not isinstance(image, str):
        return
    if erb.PLACEHOLDER_PREFIX in image or erb.PLACEHOLDER_PREFIX in server:
        return
    rest = _without_server(image, server)
    if rest is None:
        return

    target.report(
        ID,
        path,
        f"{format_path(path)} {image} already starts with the registry server "
        f"{server}, and Kamal puts the server in front of it again "
        f"({server}/{image}); write {format_path(path)}: {rest}",
    )
