"""A local registry with a remote builder that is not reached over SSH.

With `registry.server: localhost:PORT` Kamal runs the registry on the
deploying machine and lets servers and builders reach it through SSH
tunnels. A remote builder therefore has to be an `ssh://` Docker endpoint
(`builder.remote: ssh://docker@builder.example.com`); a `tcp://` endpoint
or a bare host name is refused, and a value that is not a valid URL at all
makes Kamal crash.

Kamal only asks when a remote build is really needed: it builds the
architectures the deploying machine's Docker reports (amd64 on an Intel
PC, arm64 on an Apple silicon Mac) locally and sends the rest to
`builder.remote`, unless `builder.local: false` sends everything. So the
verdict depends on the machine running Kamal. dockmig assumes an amd64
machine; set DOCKMIG_DOCKER_ARCH=arm64 in the environment to check for an
arm64 one.

Passing example::

    registry:
      server: localhost:5555
    builder:
      arch: arm64
      remote: ssh://docker@builder.example.com

Failing example (a tcp:// endpoint cannot use the SSH tunnel)::

    registry:
      server: localhost:5555
    builder:
      arch: arm64
      remote: tcp://builder.example.com:2375
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig import uri
from dockmig.findings import Severity
from dockmig.topology import (
    identity,
    is_local_registry,
    is_string,
    ruby_to_s,
    truthy,
)

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "local-registry-remote-builder"
SEVERITY = Severity.ERROR
KAMAL = True

ARCH_VARIABLE = "DOCKMIG_DOCKER_ARCH"


def check(target: TargetContext) -> None:
    server = target.get("registry", "server", default=None)
    builder = target.get("builder", default=None)
    if not is_local_registry(server):
        return
    if not isinstance(builder, dict) or not truthy(builder.get("remote")):
        return

    machine = docker_arch(target.environ)
    remote_arches = _remote_arches(builder, machine)
    if not remote_arches or is_ssh_url(builder["remote"]):
        return

    remote = builder["remote"]
    shown = ruby_to_s(remote) if is_string(remote) else f"{ruby_to_s(remote)!r}"
    depends = (
        ""
        if builder.get("local") is False
        else f" (remote because this machine builds {machine} only; set "
        f"{ARCH_VARIABLE} if the deploying machine differs)"
    )
    target.report(
        ID,
        ("builder", "remote"),
        f"registry.server {server.strip()} is a local registry, which a remote "
        f"builder reaches through an SSH tunnel, but builder.remote {shown} is "
        f"not an ssh:// URL; use ssh://user@host to build "
        f"{', '.join(ruby_to_s(a) for a in remote_arches)}{depends}",
    )


def docker_arch(environ: Any) -> str:
    """The deploying machine's Docker architecture, in Kamal's spelling."""
    arch = str(environ.get(ARCH_VARIABLE, "") or "amd64").strip()
    if "aarch64" in arch:
        return "arm64"
    if "x86_64" in arch:
        return "amd64"
    return arch


def _remote_arches(builder: dict[Any, Any], machine: str) -> list[Any]:
    arch = builder.get("arch")
    arches = arch if isinstance(arch, list) else ([] if arch is None else [arch])
    if builder.get("local") is False:
        local: set[Any] = set()
    else:
        # Array#& keeps only exact matches: the symbol :amd64 is not "amd64".
        local = {identity(a) for a in arches if is_string(a) and a == machine}
    return [a for a in arches if identity(a) not in local]


def is_ssh_url(value: Any) -> bool:
    """True when Ruby's URI() parses the value and its scheme is ssh."""
    if not is_string(value):
        return False
    parsed = uri.parse(value)
    return parsed is not None and parsed.scheme == "ssh"
