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

import ipaddress
import logging
import re
from typing import TYPE_CHECKING, Any

from dockmig.findings import Severity
from dockmig.topology import identity, is_string, ruby_to_s, truthy

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "local-registry-remote-builder"
SEVERITY = Severity.ERROR
KAMAL = True

ARCH_VARIABLE = "DOCKMIG_DOCKER_ARCH"

# Kamal matches the string "^localhost[:$]" as a regular expression: ^ is a
# line anchor and the $ sits in a character class, so it is a literal dollar.
_LOCAL = re.compile(r"^localhost[:$]", re.MULTILINE)

# RFC 3986 (Ruby's URI parser): an absolute URI, ASCII only.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_URI = re.compile(
    rf"(?P<scheme>[A-Za-z][A-Za-z0-9+\-.]*):"
    rf"(?:(?://(?:(?P<userinfo>(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*)@)?"
    rf"(?P<host>\[[^\]]*\]|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*)"
    rf"(?::(?P<port>[0-9]*))?"
    rf"(?:/{_PCHAR}*)*)"
    rf"|(?:/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"
    rf"|(?:{_PCHAR}+(?:/{_PCHAR}*)*)"
    rf"|)"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?"
    rf"(?:#(?:{_PCHAR}|[/?])*)?"
)


def check(target: TargetContext) -> None:
    server = target.get("registry", "server", default=None)
    builder = target.get("builder", default=None)
    if not isinstance(server, str) or not _LOCAL.search(server):
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
    if not is_string(value) or not value.isascii():
        return False
    match = _URI.fullmatch(value)
    if match is None or match.group("scheme").lower() != "ssh":
        return False
    host = match.group("host") or ""
    if host.startswith("["):
        return _ip_literal(host[1:-1])
    return True


def _ip_literal(text: str) -> bool:
    if re.fullmatch(rf"v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+", text):
        return True
    if "%" in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
