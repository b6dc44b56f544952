"""Configuration written for Kamal 1 that Kamal 2 refuses or silently ignores.

Kamal 2 replaced Traefik with kamal-proxy, dropped the container
healthcheck section and the `multiarch` switch, and moved secrets from
`.env` files made by `kamal envify` to `.kamal/secrets`. Some leftovers make
Kamal 2 refuse the config outright as unknown keys: top-level `traefik` and
`healthcheck`, the same keys inside a role, and `builder.multiarch`; for
those dockmig names the Kamal 2 replacement (`proxy`, `proxy.healthcheck`,
`builder.arch`). Others are accepted but do nothing: `traefik.*` labels, a
`.env.erb` template, and secret names still prefixed `MRSK_` (Kamal's name
before it was renamed) are reported as warnings.

Note that kamal-proxy checks health on `proxy.app_port` (80 unless set),
where Kamal 1's healthcheck defaulted to port 3000.

Passing example::

    builder:
      arch: amd64
    proxy:
      app_port: 3000
      healthcheck:
        path: /up

Failing example::

    builder:
      multiarch: false
    healthcheck:
      path: /up
      port: 3000
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig.findings import Mark, Severity, format_path
from dockmig.rules.secret_undefined import secret_uses

if TYPE_CHECKING:
    from dockmig.lint import ProjectContext, TargetContext

logger = logging.getLogger(__name__)

ID = "kamal1-leftover"
SEVERITY = Severity.ERROR
KAMAL = False

_OLD_PREFIX = "MRSK_"


def check(target: TargetContext) -> None:
    data = target.data if isinstance(target.data, dict) else {}

    if "traefik" in data:
        _refused(target, ("traefik",), _traefik_advice("proxy"))
    if "healthcheck" in data:
        _refused(
            target, ("healthcheck",), _healthcheck_advice(target, data["healthcheck"])
        )
    builder = data.get("builder")
    if isinstance(builder, dict) and "multiarch" in builder:
        _refused(target, ("builder", "multiarch"), _multiarch_advice(builder))

    servers = data.get("servers")
    if isinstance(servers, dict):
        for role, config in servers.items():
            if not isinstance(config, dict):
                continue
            if "traefik" in config:
                advice = _traefik_advice(format_path(("servers", role, "proxy")))
                _refused(target, ("servers", role, "traefik"), advice)
            if "healthcheck" in config:
                advice = _healthcheck_advice(target, config["healthcheck"], role)
                _refused(target, ("servers", role, "healthcheck"), advice)
            _traefik_labels(target, config.get("labels"), ("servers", role, "labels"))
    _traefik_labels(target, data.get("labels"), ("labels",))

    for use in secret_uses(target):
        if use.name.startswith(_OLD_PREFIX):
            renamed = "KAMAL_" + use.name[len(_OLD_PREFIX) :]
            target.report(
                ID,
                use.path,
                f"{format_path(use.path)}: {use.name} keeps the MRSK_ prefix from "
                f"before Kamal's rename; rename it to {renamed} here and in the "
                "secrets files so it matches Kamal 2's conventions and docs",
                severity=Severity.WARNING,
            )


def _refused(target: TargetContext, path: tuple[Any, ...], advice: str) -> None:
    # Reported where the schema reports the unknown key, so that this
    # explanation replaces the generic one.
    target.report(
        ID,
        path,
        f"{format_path(path)} is Kamal 1 configuration that Kamal 2 refuses as an "
        f"unknown key; {advice}",
        at="key",
        kamal_rejects=True,
    )


def _traefik_advice(proxy: str) -> str:
    return (
        f"Kamal 2 routes with kamal-proxy, so move host, SSL and port settings to "
        f"{proxy} (host, ssl, app_port) and delete this section"
    )


def _healthcheck_advice(
    target: TargetContext, healthcheck: Any, role: Any = None
) -> str:
    proxy = ("proxy",) if role is None else ("servers", role, "proxy")
    advice = f"move path, interval and timeout to {format_path(proxy)}/healthcheck"
    port = healthcheck.get("port") if isinstance(healthcheck, dict) else None
    app_port = target.get(*proxy, "app_port", default=None)

    if isinstance(port, int) and not isinstance(port, bool) and app_port != port:
        advice += (
            f" and set {format_path(proxy)}/app_port: {port}, where kamal-proxy "
            "checks health"
        )
    return advice + ", then delete this section"


def _multiarch_advice(builder: dict[Any, Any]) -> str:
    if "arch" in builder:
        return "builder/arch already says what to build, so delete multiarch"
    if builder["multiarch"] is True:
        return "replace it with builder/arch: [amd64, arm64]"
    return "replace it with builder/arch: amd64 (or arm64, the servers' architecture)"


def _traefik_labels(target: TargetContext, labels: Any, path: tuple[Any, ...]) -> None:
    if not isinstance(labels, dict):
        return
    traefik = [key for key in labels if str(key).startswith("traefik.")]
    if not traefik:
        return

    where = (*path, traefik[0])
    target.report(
        ID,
        where,
        f"{format_path(path)} has {len(traefik)} Traefik label(s), which do nothing "
        "since Kamal 2 replaced Traefik with kamal-proxy; express the routing with "
        "proxy (host, ssl, path_prefix) and delete them",
        at="key",
        severity=Severity.WARNING,
    )


def check_project(project: ProjectContext) -> None:
    for template in sorted(project.root.glob(".env*.erb")):
        if not template.is_file():
            continue

        name = project.project.display(template)
        project.report(
            ID,
            Mark(name, 1, 1),
            f"{name} is a Kamal 1 `kamal envify` template, and Kamal 2 neither has "
            "envify nor reads .env; write each secret as a line of .kamal/secrets "
            "(KEY=$(command) instead of <%= `command` %>) and delete this file",
            severity=Severity.WARNING,
        )
