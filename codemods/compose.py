"""Compose files: `image:` (and any other value) naming the old registry.

Only the characters of the host inside each scalar change; ruamel.yaml is
used to find the scalars, never to write the file. The result is loaded
again and must equal the original data with exactly those references moved.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from dockmig import yamlspans
from dockmig.codemod import Migration, Outcome

logger = logging.getLogger(__name__)

NAMES = re.compile(r"^(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml$|^.*\.compose\.ya?ml$")


def is_compose(name: str) -> bool:
    return bool(NAMES.match(name))


def rewrite(text: str, display: str, migration: Migration) -> Outcome:
    """Every scalar value's image references to the old hosts get the new host."""
    outcome = Outcome(display, text)
    tree = yamlspans.compose(text)
    if tree.root is None:
        if tree.error and migration.mentions(text):
            outcome.note(
                0,
                f"cannot be read as YAML ({tree.error}); it names the old registry, "
                "check it by hand",
                blocking=True,
            )
        return outcome
    for path, node in tree.scalars(tree.root):
        yamlspans.rewrite_scalar(tree, node, path, migration, outcome)
    return outcome


def load(text: str) -> Any:
    yaml = YAML(typ="safe", pure=True)
    return yaml.load(text)


def moved(value: Any, migration: Migration) -> Any:
    """The data with every image reference in a value moved (keys stay)."""
    if isinstance(value, str):
        return migration.replace(value)
    if isinstance(value, dict):
        return {k: moved(v, migration) for k, v in value.items()}
    if isinstance(value, list):
        return [moved(v, migration) for v in value]
    return value


def check(before: str, after: str, migration: Migration) -> str:
    """Empty when `after` loads as `before`'s data with the references moved."""
    try:
        expected = moved(load(before), migration)
        actual = load(after)
    except YAMLError as error:
        return f"does not load as YAML after the edit ({str(error).splitlines()[0]})"
    return "" if expected == actual else "the data differs from the intended data"
