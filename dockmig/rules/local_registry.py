"""The deploy uses Kamal's local registry, which ties every deploy to this machine.

With `registry.server: localhost:PORT` Kamal runs a `registry` container on
the machine that runs `kamal`, pushes the image there, and lets each server
pull it back through an SSH tunnel. Nothing is wrong with the config, but
every deploy needs this machine's Docker engine running and its disk to hold
the images and build cache, and nobody else can deploy or roll back while it
is off. A registry on a server (for example `registry:2` behind kamal-proxy)
removes that dependency; `dockmig rewrite-registry --to HOST` switches every
file of the project in one step, and `--to localhost:PORT` switches back.

Passing example::

    registry:
      server: registry.example.com
      username: deploy
      password:
        - KAMAL_REGISTRY_PASSWORD
    # file: .kamal/secrets
    KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD

Failing example::

    registry:
      server: localhost:5555
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dockmig.findings import Severity
from dockmig.rules.secret_undefined import is_local_registry

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "local-registry"
SEVERITY = Severity.INFO
KAMAL = False


def check(target: TargetContext) -> None:
    server = target.get("registry", "server", default=None)
    if not is_local_registry(server):
        return

    host = target.settings.registry_host or "HOST"
    target.report(
        ID,
        ("registry", "server"),
        f"registry/server {server} is Kamal's local registry: each deploy runs a "
        "registry container on this machine and tunnels it to the servers over SSH, "
        "so this machine's Docker must be running for every deploy; to deploy "
        f"without it, run `dockmig rewrite-registry --to {host}`",
    )
