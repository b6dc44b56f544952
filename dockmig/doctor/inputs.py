"""What the probes check, gathered once: options first, then the project.

Precedence, per value: the command-line option; then the Kamal project
(`config/deploy.yml`, merged with the destination, and its `.kamal/secrets*`);
then `.dockmig.yml`. The registry itself is the exception: `.dockmig.yml`
names the registry the project moves *to*, which is what a preflight must
check while `deploy.yml` still points at Kamal's local registry, so it comes
before `deploy.yml`. Credentials are described here (where they come from),
never resolved: a value is read only by the probe that uses it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockmig import document, erb, project, settings
from dockmig import secrets as kamal_secrets
from dockmig.errors import DockmigError
from dockmig.findings import Severity
from dockmig.lint import TargetContext, mapping_of

logger = logging.getLogger(__name__)

# Kamal's test for its own registry (`^localhost[:$]`, see kamal.md §3).
LOCAL_REGISTRY = re.compile(r"^localhost:")
DOCKER_HUB = "registry-1.docker.io"
_HOST = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.-]+))(?::(?P<port>[0-9]{1,5}))?$"
)


class Secret:
    """A credential's value: `***` in every repr, string and log line.

    The value leaves only through `reveal()`, called where it goes on the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"


@dataclass(frozen=True)
class RegistryTarget:
    """The registry host as configured, split for connecting."""

    written: str
    name: str
    port: int
    source: str
    local: bool = False

    @property
    def netloc(self) -> str:
        """`name[:port]` as Docker writes it: the port only when not 443."""
        host = f"[{self.name}]" if ":" in self.name else self.name
        return host if self.port == 443 else f"{host}:{self.port}"


@dataclass(frozen=True)
class Credential:
    """Where a registry username or password comes from; never the value.

    kind is `literal` (written in a file or given as an option), `environment`
    (a variable of this shell) or `secret` (a name Kamal looks up in
    `.kamal/secrets*`).
    """

    kind: str
    name: str
    origin: str
    literal: Secret | None = None


@dataclass
class Inputs:
    root: Path
    settings: settings.Settings
    environ: dict[str, str]
    registry: RegistryTarget | None = None
    username: Credential | None = None
    password: Credential | None = None
    expected_ip: str | None = None
    ca_file: Path | None = None
    dns_server: tuple[str, int] | None = None
    docker_context: str | None = None
    destination: str | None = None
    resolve_secrets: bool = False
    project: project.Project | None = None
    project_error: str | None = None
    base: TargetContext | None = None
    targets: list[TargetContext] = field(default_factory=list)
    dotenv_names: frozenset[str] = frozenset()

    def target(self) -> TargetContext | None:
        """The target a deploy from here would use: the destination's, or the base."""
        for target in self.targets:
            if target.destination == self.destination:
                return target
        return self.base


def parse_registry(text: str, source: str) -> RegistryTarget:
    """`host`, `host:port`, `[v6]:port`, with an optional `/namespace`; no scheme."""
    written = text.strip()
    if "://" in written:
        raise ValueError(
            f"registry {written!r} has a scheme; give host[:port] as Kamal does"
        )

    host = written.split("/", 1)[0]
    match = _HOST.match(host)
    if match is None:
        raise ValueError(f"registry {written!r} is not host[:port]")
    name = match.group("v6") or match.group("name") or ""
    port = int(match.group("port") or 443)

    if not 0 < port < 65536:
        raise ValueError(f"registry {written!r} has port {port}, outside 1-65535")
    return RegistryTarget(
        written=written,
        name=name.lower(),
        port=port,
        source=source,
        local=bool(LOCAL_REGISTRY.match(written)),
    )


def parse_registry_option(text: str) -> RegistryTarget:
    return parse_registry(text, "--registry")


def parse_dns_server(text: str) -> tuple[str, int]:
    """`IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address."""
    value = text.strip()
    port = 53
    if value.startswith("["):
        address, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ValueError(f"DNS server {text!r} is not IP[:PORT]")
            port = int(rest[1:])
    elif value.count(":") == 1:
        address, _, number = value.partition(":")
        if not number.isdigit():
            raise ValueError(f"DNS server {text!r} is not IP[:PORT]")
        port = int(number)
    else:
        address = value

    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(
            f"DNS server {text!r}: {address!r} is not an IP address"
        ) from None
    if not 0 < port < 65536:
        raise ValueError(f"DNS server {text!r}: port {port} is outside 1-65535")
    return address, port


def parse_ip(text: str) -> str:
    return str(ipaddress.ip_address(text.strip()))


def gather(
    root: Path,
    *,
    registry: str | None = None,
    in_use: bool = False,
    expect_ip: str | None = None,
    username: str | None = None,
    password_env: str | None = None,
    ca_file: str | None = None,
    dns_server: str | None = None,
    docker_context: str | None = None,
    destination: str | None = None,
    resolve_secrets: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Inputs:
    """Everything the probes need. Raises DockmigError for bad settings."""
    environ = dict(os.environ if environ is None else environ)
    if destination is None and environ.get("KAMAL_DESTINATION"):
        # A Kamal hook runs with the destination of the deploy in progress.
        destination = environ["KAMAL_DESTINATION"]
    project_settings = settings.load(root)
    inputs = Inputs(
        root=root,
        settings=project_settings,
        environ=environ,
        docker_context=docker_context,
        destination=destination,
        resolve_secrets=resolve_secrets,
    )

    _read_project(inputs)
    _choose_registry(inputs, registry, in_use=in_use)
    _choose_credentials(inputs, username, password_env)

    # The settings' address belongs to the settings' registry: a registry
    # named with --registry (or taken from deploy.yml) has its own.
    checking_settings_host = (
        inputs.registry is not None
        and project_settings.registry_host is not None
        and inputs.registry.written == project_settings.registry_host
    )
    inputs.expected_ip = expect_ip or (
        project_settings.expected_ip if checking_settings_host else None
    )
    if ca_file is not None:
        inputs.ca_file = Path(ca_file)
    elif project_settings.ca_file:
        inputs.ca_file = root / project_settings.ca_file
    server = dns_server or project_settings.dns_server
    if server:
        try:
            inputs.dns_server = parse_dns_server(server)
        except ValueError as error:
            raise DockmigError(f"{error}", path=settings.FILENAME) from None
    return inputs


def _read_project(inputs: Inputs) -> None:
    """The Kamal targets a deploy from here would read, or why there are none."""
    root = inputs.root
    config = root / project.DEFAULT_CONFIG
    # A link that leads nowhere is a project whose deploy file cannot be read,
    # not a folder without one: discover() says what is wrong with it.
    if not (config.exists() or config.is_symlink()):
        logger.info("no %s under %s", project.DEFAULT_CONFIG, root)
        return
    explicit = [inputs.destination] if inputs.destination else []
    try:
        proj = project.discover(root, None, explicit)
        inputs.project = proj
        inputs.base = _target(proj, None, inputs)
        names: list[str | None] = [None, *proj.destinations]
        if inputs.destination:
            names = [inputs.destination]
        elif inputs.environ.get("KAMAL_COMMAND"):
            # Run from a Kamal hook without a destination: this deploy uses
            # the base config alone, so only the base is this run's business.
            names = [None]
        inputs.targets = [
            inputs.base if name is None else _target(proj, name, inputs)
            for name in names
        ]
    except DockmigError as error:
        inputs.project_error = str(error)
        return

    dotenv = root / ".env"
    if dotenv.is_file():
        try:
            parsed = kamal_secrets.parse_secrets(
                document.read_text(dotenv, ".env"), ".env"
            )
            inputs.dotenv_names = frozenset(parsed.names())
        except DockmigError as error:
            logger.info("not reading .env: %s", error)


def _target(
    proj: project.Project, destination: str | None, inputs: Inputs
) -> TargetContext:
    environ = dict(inputs.environ)
    environ.pop("KAMAL_DESTINATION", None)
    if destination is not None:
        environ["KAMAL_DESTINATION"] = destination

    documents = [document.load(proj.config_path, proj.config, environ)]
    data, positions = mapping_of(documents[0])
    if destination is not None:
        relative = proj.destination_config(destination)
        overlay = document.load(proj.root / relative, relative, environ)
        documents.append(overlay)
        overlay_data, overlay_positions = mapping_of(overlay)
        # Kamal loads both files or neither: a destination file that does not
        # load leaves no config, not the base's alone.
        if data is not None and overlay_data is not None:
            data, positions = project.deep_merge(
                data, positions, overlay_data, overlay_positions
            )
        else:
            data, positions = None, {}

    secrets_path = project.DEFAULT_SECRETS_PATH
    if data is not None and isinstance(data.get("secrets_path"), str):
        secrets_path = data["secrets_path"]
    paths = project.secrets_files(proj.root, secrets_path, destination)
    files = []
    for path in paths:
        # Kamal skips a secrets file that does not exist (a link to nothing
        # included); anything else that is there must read, or it says why.
        if path.exists():
            display = proj.display(path)
            text = document.read_text(path, display)
            files.append(kamal_secrets.parse_secrets(text, display))
    return TargetContext(
        project=proj,
        destination=destination,
        documents=documents,
        data=data,
        positions=positions,
        environ=environ,
        secrets_files=files,
        secrets_paths=[proj.display(p) for p in paths],
        settings=inputs.settings,
    )


def load_failure(target: TargetContext) -> str | None:
    """Why Kamal gets no config for `target`, as `file:line:col: what`; else None.

    The reason is the reader's first error in the file that did not load,
    the same finding `dockmig lint` reports there.
    """
    if target.data is not None:
        return None

    for doc in target.documents:
        if doc.parsed and isinstance(doc.data, dict):
            continue
        errors = [f for f in doc.findings if f.severity >= Severity.ERROR]
        if errors:
            first = errors[0]
            return f"{first.file}:{first.line}:{first.column}: {first.message}"
    return f"{target.config_file}: dockmig could not read it"


def _deploy_registry(inputs: Inputs) -> dict[str, Any]:
    target = inputs.target()
    data = target.data if target is not None else None
    registry = data.get("registry") if isinstance(data, dict) else None
    return registry if isinstance(registry, dict) else {}


def _config_name(inputs: Inputs) -> str:
    target = inputs.target()
    return target.config_file if target is not None else project.DEFAULT_CONFIG


def _choose_registry(inputs: Inputs, option: str | None, *, in_use: bool) -> None:
    configured = _deploy_registry(inputs)
    server = configured.get("server")
    if isinstance(server, str) and erb.PLACEHOLDER_PREFIX in server:
        server = None

    if option:
        inputs.registry = parse_registry(option, "--registry")
    elif inputs.settings.registry_host and not in_use:
        inputs.registry = parse_registry(
            inputs.settings.registry_host, ".dockmig.yml registry/host"
        )
    elif isinstance(server, str) and server.strip():
        try:
            inputs.registry = parse_registry(
                server, f"{_config_name(inputs)} registry/server"
            )
        except ValueError as error:
            logger.info("not checking the registry: %s", error)
    elif inputs.base is not None and configured:
        inputs.registry = RegistryTarget(
            written=DOCKER_HUB,
            name=DOCKER_HUB,
            port=443,
            source=f"{_config_name(inputs)} (no registry/server: Docker Hub)",
        )


def _deploy_applies(inputs: Inputs) -> bool:
    """deploy.yml's credentials belong to the registry being checked."""
    server = _deploy_registry(inputs).get("server")
    if inputs.registry is None or not isinstance(server, str):
        return inputs.registry is not None and inputs.registry.name == DOCKER_HUB

    try:
        configured = parse_registry(server, "")
    except ValueError:
        return False
    return (configured.name, configured.port) == (
        inputs.registry.name,
        inputs.registry.port,
    )


def _from_config(value: Any, origin: str) -> Credential | None:
    """`username: admin` is a literal; `password: [NAME]` names a secret."""
    if isinstance(value, str) and value and erb.PLACEHOLDER_PREFIX not in value:
        return Credential(
            "literal", "", f"{origin} (written in the file)", Secret(value)
        )
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return Credential("secret", value[0], f"{origin} [{value[0]}]")
    return None


def _choose_credentials(
    inputs: Inputs, username: str | None, password_env: str | None
) -> None:
    configured = _deploy_registry(inputs) if _deploy_applies(inputs) else {}
    where = f"{_config_name(inputs)} registry"
    project_settings = inputs.settings

    if username:
        inputs.username = Credential("literal", "", "--username", Secret(username))
    else:
        inputs.username = _from_config(configured.get("username"), f"{where}/username")
        if inputs.username is None and project_settings.registry_username:
            inputs.username = Credential(
                "literal",
                "",
                ".dockmig.yml registry/username",
                Secret(project_settings.registry_username),
            )

    if password_env:
        inputs.password = Credential(
            "environment", password_env, f"--password-env {password_env}"
        )
    else:
        inputs.password = _from_config(configured.get("password"), f"{where}/password")
        if inputs.password is None and project_settings.password_secret:
            name = project_settings.password_secret
            inputs.password = Credential(
                "secret", name, f".dockmig.yml registry/password_secret {name}"
            )
