"""The pre-commit hooks dockmig publishes: the source of `.pre-commit-hooks.yaml`.

pre-commit only reads `.pre-commit-hooks.yaml` at the repository root, so that
file is generated from this catalogue (`python -m hooks`) and a test fails when
the two disagree.
"""

from __future__ import annotations

import json
from typing import Any

# Kamal files and nothing else: config/deploy.yml, config/deploy.<dest>.yml,
# and .kamal/secrets, .kamal/secrets-common, .kamal/secrets.<dest>.
KAMAL_FILES = (
    r"(^|/)config/deploy(\.[A-Za-z0-9_-]+)?\.yml$"
    r"|(^|/)\.kamal/secrets(-common|\.[A-Za-z0-9_-]+)?$"
)

# What decides where a project points: its deploy files and dockmig's settings
# (registry/previous names the registry by default).
REGISTRY_FILES = (
    r"(^|/)config/deploy(\.[A-Za-z0-9_-]+)?\.yml$"
    r"|(^|/)\.dockmig\.yml$"
)

HOOKS: list[dict[str, Any]] = [
    {
        "id": "dockmig-lint",
        "name": "dockmig lint (Kamal deploy config and secrets)",
        "description": (
            "Checks config/deploy.yml, its destinations and .kamal/secrets* the "
            "way Kamal 2 reads them, every problem at file:line:col."
        ),
        "entry": "dockmig lint",
        "language": "python",
        "files": KAMAL_FILES,
        "pass_filenames": True,
        "require_serial": True,
    },
    {
        "id": "dockmig-registry-check",
        "name": "dockmig registry-check (stay off a registry left behind)",
        "description": (
            "Opt-in, for projects that have migrated: fails while config/deploy.yml "
            "or a destination still points at the registry named with --registry "
            "(default: registry/previous in .dockmig.yml), e.g. "
            "args: [--registry, localhost:5555]."
        ),
        "entry": "dockmig registry-check",
        "language": "python",
        "files": REGISTRY_FILES,
        "pass_filenames": True,
        "require_serial": True,
    },
]


def render() -> str:
    """The text of `.pre-commit-hooks.yaml` (JSON is valid YAML; no quoting doubts)."""
    lines = [
        "# Generated from hooks/__init__.py by `python -m hooks`; edit that instead.",
    ]
    for hook in HOOKS:
        lines.append(f"- id: {hook['id']}")
        for key, value in hook.items():
            if key != "id":
                lines.append(f"  {key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"
