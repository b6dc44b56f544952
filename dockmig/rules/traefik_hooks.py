"""A Kamal 1 hook named after Traefik is still in the hooks folder.

Kamal 2 replaced Traefik with kamal-proxy and renamed the hooks around a
proxy reboot. So that an old `pre-traefik-reboot` or `post-traefik-reboot`
script is not silently skipped, Kamal refuses to load the config while a
file (or folder) of either name exists in `hooks_path` (default
`.kamal/hooks`, relative to the directory Kamal runs in). Rename the
script to `pre-proxy-reboot` / `post-proxy-reboot`, and check that it still
does the right thing for kamal-proxy. Sample files (`*.sample`) are fine.

`hooks_path` itself must be a plain path: Kamal crashes on a number or a
Ruby symbol (`:hooks`) when it builds the file names.

Passing example::

    service: shop
    # file: .kamal/hooks/pre-proxy-reboot
    #!/bin/sh
    echo "rebooting kamal-proxy on $KAMAL_HOSTS"

Failing example (the Kamal 1 name)::

    service: shop
    # file: .kamal/hooks/pre-traefik-reboot
    #!/bin/sh
    echo "rebooting traefik on $KAMAL_HOSTS"
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from dockmig import erb
from dockmig.findings import Mark, Severity
from dockmig.topology import is_string, ruby_to_s, truthy
from dockmig.yaml11 import ruby_type_name

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "traefik-hooks"
SEVERITY = Severity.ERROR
KAMAL = True

DEFAULT_HOOKS_PATH = ".kamal/hooks"
RENAMES = {
    "pre-traefik-reboot": "pre-proxy-reboot",
    "post-traefik-reboot": "post-proxy-reboot",
}


def check(target: TargetContext) -> None:
    setting = target.get("hooks_path", default=None)
    hooks_path = setting if truthy(setting) else DEFAULT_HOOKS_PATH
    if not is_string(hooks_path):
        if isinstance(hooks_path, (str, int, float, bool)):
            target.report(
                ID,
                ("hooks_path",),
                f"hooks_path is {ruby_type_name(hooks_path)} "
                f"({ruby_to_s(hooks_path)}), and Kamal crashes joining it into "
                "a file path; write it as a plain path such as .kamal/hooks",
            )
        return
    if erb.PLACEHOLDER_PREFIX in hooks_path:
        return  # ERB dockmig could not evaluate decides where the hooks are

    folder = target.root / hooks_path
    for old, new in RENAMES.items():
        found = folder / old
        # File.exist? follows symlinks and is true for directories too.
        if not os.path.exists(found):
            continue
        shown = target.project.display(found)
        target.report(
            ID,
            ("hooks_path",),
            f"{shown} uses the Kamal 1 hook name; Kamal 2 refuses to start while "
            f"it exists. Rename it to {new} (kamal-proxy replaced Traefik)",
            mark=Mark(shown, 1, 1),
        )
