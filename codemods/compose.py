"""Compose files: `image:` (and any other value) naming the old registry.

Only the characters of the host inside each scalar change; ruamel.yaml is
used to find the scalars, never to write the file. The result is loaded
again and must equal the original data with exactly those references moved.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockmig import yamlspans
from dockmig.codemod import Migration, Outcome

logger = logging.getLogger(__name__)

Path = tuple[Any, ...]

NAMES = re.compile(r"^(?:docker-)?compose(?:[.-][^/]*)?\.ya?ml$|^.*\.compose\.ya?ml$")


def is_compose(name: str) -> bool:
    return bool(NAMES.match(name))


@lru_cache(maxsize=8)
def _composed(text: str) -> yamlspans.Tree:
    # `check` looks at the text `rewrite` just composed; compose it once.
    return yamlspans.compose(text)


def rewrite(text: str, display: str, migration: Migration) -> Outcome:
    """Every scalar value's image references to the old hosts get the new host."""
    outcome = Outcome(display, text)
    tree = _composed(text)

    if tree.root is None:
        if tree.error and migration.mentions(text):
            outcome.note(
                tree.error_at,
                f"cannot be read as YAML ({tree.error}); it names the old registry, "
                "check it by hand",
                blocking=True,
            )
        return outcome

    for path, node in tree.scalars(tree.root):
        yamlspans.rewrite_scalar(tree, node, path, migration, outcome)

    return outcome


def check(before: str, after: str, migration: Migration) -> str:
    """Empty when `after` composes to `before`'s nodes with the references moved.

    Node by node: the same kinds, tags (which carry each scalar's type),
    styles, keys and anchors; only scalar values differ, and exactly by the
    moved references. Equal node graphs load to equal data.
    """
    old = _composed(before)
    new = yamlspans.compose(after)

    if new.root is None:
        return f"does not load as YAML after the edit ({new.error})"

    return _same(old.root, new.root, migration, ())


def _same(old: Node | None, new: Node | None, migration: Migration, path: Path) -> str:
    where = "/".join(map(str, path)) or "the document"

    if old is None or new is None:
        return "" if old is new else f"{where}: present on one side only"

    if type(old) is not type(new) or old.tag != new.tag:
        return f"{where}: the node changed kind or type"

    if getattr(old, "anchor", None) != getattr(new, "anchor", None):
        return f"{where}: the anchor changed"

    if yamlspans.is_alias(old):
        same_name = yamlspans.alias_name(old) == yamlspans.alias_name(new)
        return "" if same_name else f"{where}: the alias changed"

    if isinstance(old, ScalarNode):
        changed = migration.replace(old.value) != new.value
        if old.style != getattr(new, "style", None) or changed:
            return f"{where}: the value is not the intended one"
        return ""

    if isinstance(old, SequenceNode):
        if len(old.value) != len(new.value):
            return f"{where}: the number of items changed"
        for index, (left, right) in enumerate(zip(old.value, new.value, strict=True)):
            found = _same(left, right, migration, (*path, index))
            if found:
                return found
        return ""

    if isinstance(old, MappingNode):
        if len(old.value) != len(new.value):
            return f"{where}: the number of keys changed"
        for (old_key, old_value), (new_key, new_value) in zip(
            old.value, new.value, strict=True
        ):
            if not isinstance(old_key, ScalarNode) or not isinstance(
                new_key, ScalarNode
            ):
                found = _same(old_key, new_key, migration, path)
            elif (old_key.value, old_key.tag) != (new_key.value, new_key.tag):
                found = f"{where}: a key changed"
            else:
                found = _same(old_value, new_value, migration, (*path, old_key.value))
            if found:
                return found
        return ""

    return f"{where}: an unknown kind of node"
