"""A role runs kamal-proxy with automatic SSL on more than one host.

With `proxy.ssl: true` (or an `ssl` map) kamal-proxy obtains a Let's Encrypt
certificate on each host by itself, and several hosts answering for one
host name cannot all pass the challenge behind a load balancer. Kamal
therefore refuses a role that runs the proxy with SSL on two or more hosts,
unless `ssl` names your own certificate with both `certificate_pem` and
`private_key_pem`. The role's proxy settings count after merging over the
root `proxy`, so a role inherits the root's `ssl: true`. Accessories are not
checked. Duplicate host entries count once.

Passing example::

    proxy:
      ssl: true
      host: shop.example.com
    servers:
      web:
        - 192.0.2.10

Failing example (two hosts, automatic certificates)::

    proxy:
      ssl: true
      host: shop.example.com
    servers:
      web:
        - 192.0.2.10
        - 192.0.2.11
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dockmig.findings import Severity, format_path

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "ssl-single-host"
SEVERITY = Severity.ERROR
KAMAL = True


def check(target: TargetContext) -> None:
    if not isinstance(target.data, dict):
        return
    picture = target.topology()
    if not picture.complete:
        return

    for role in picture.roles:
        proxy = role.proxy
        if proxy is None or not proxy.ssl or proxy.custom_certificate:
            continue
        if len(role.hosts) < 2:
            continue
        where = format_path(role.hosts_path)
        target.report(
            ID,
            role.hosts_path,
            f"role {role.name} runs kamal-proxy with automatic SSL on "
            f"{len(role.hosts)} hosts ({where}); Kamal allows one host per SSL "
            "role, so keep one host, or set proxy ssl certificate_pem and "
            "private_key_pem to your own certificate",
        )
