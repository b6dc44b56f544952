"""The rule catalogue: one module per rule, listed here by name.

Each module defines `ID`, `SEVERITY`, `KAMAL` (True when the rule mirrors a
check Kamal itself makes, so its findings mean Kamal refuses the config) and a
docstring that is its manual, with a passing and a failing example. A module
checks one merged target with `check(target)`, the whole project with
`check_project(project)`, or both.

The list is explicit on purpose: a rule that fails to import stops dockmig
with its name, rather than silently going missing.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from dockmig.findings import Severity

if TYPE_CHECKING:
    from dockmig.lint import ProjectContext, TargetContext

# Rules that run the same check Kamal runs while loading a config.
KAMAL_RULES = [
    "require_destination",
    "service_name",
    "servers_hosts",
    "minimum_version",
    "traefik_hooks",
    "role_proxy",
    "ssl_single_host",
    "ssl_shared_host",
    "local_registry_remote_builder",
    "proxy_run_conflict",
    "hooks_output",
    "accessory_placement",
    "key_types",
]

# dockmig's own advice; Kamal accepts these configs.
DOCKMIG_RULES = [
    "secret_undefined",
    "literal_credential",
    "committed_secret",
    "unread_secrets_file",
    "secrets_syntax",
    "kamal1_leftover",
    "local_registry",
    "image_repeats_registry",
    "run_directory",
    "accessory_tags",
    "localhost_without_port",
]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    kamal: bool
    module: ModuleType

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.module) or ""
        return doc.splitlines()[0] if doc else ""

    @property
    def manual(self) -> str:
        return inspect.getdoc(self.module) or ""

    @property
    def check(self) -> Callable[[TargetContext], None] | None:
        return getattr(self.module, "check", None)

    @property
    def check_project(self) -> Callable[[ProjectContext], None] | None:
        return getattr(self.module, "check_project", None)


# Findings the reader and the schema stage make; documented here so that
# `dockmig explain` and `dockmig rules` cover every ID a finding can carry.
STAGE_RULES = [
    "yaml_syntax",
    "erb",
    "duplicate_key",
    "ruby_object_tag",
    "schema",
    "unknown_suppression",
]


class RuleLoadError(Exception):
    pass


def _load(name: str) -> Rule:
    try:
        module = importlib.import_module(f"dockmig.rules.{name}")
    except Exception as error:  # a broken plug-in must fail loudly, by name
        raise RuleLoadError(
            f"rule module dockmig.rules.{name} failed: {error}"
        ) from error
    try:
        return Rule(
            id=module.ID,
            severity=module.SEVERITY,
            kamal=module.KAMAL,
            module=module,
        )
    except AttributeError as error:
        raise RuleLoadError(
            f"rule module dockmig.rules.{name} lacks {error.name}"
        ) from error


@cache
def all_rules() -> tuple[Rule, ...]:
    return tuple(_load(name) for name in STAGE_RULES + KAMAL_RULES + DOCKMIG_RULES)


def by_id() -> dict[str, Rule]:
    return {rule.id: rule for rule in all_rules()}


def checks() -> Iterator[Rule]:
    for rule in all_rules():
        if rule.check is not None or rule.check_project is not None:
            yield rule
