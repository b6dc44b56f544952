"""`hooks/` is the single source of `.pre-commit-hooks.yaml`, and its patterns are exact."""

from __future__ import annotations

import re

import pytest

import hooks
from tests.conftest import REPO


def test_manifest_is_generated_from_the_catalogue() -> None:
    manifest = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert manifest == hooks.render(), "run `python -m hooks` to regenerate it"


def test_manifest_is_the_yaml_pre_commit_reads() -> None:
    from ruamel.yaml import YAML

    loaded = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert loaded == hooks.HOOKS


MATCH = [
    "config/deploy.yml",
    "config/deploy.staging.yml",
    "config/deploy.prod-eu.yml",
    "apps/shop/config/deploy.yml",
    ".kamal/secrets",
    ".kamal/secrets-common",
    ".kamal/secrets.staging",
    "apps/shop/.kamal/secrets.prod",
]
NO_MATCH = [
    "config/deploy.yaml.bak",
    "config/deploy-worker.yml",
    "config/database.yml",
    "config/deploy.yml.orig",
    ".kamal/hooks/pre-deploy",
    ".kamal/secrets-staging.bak",
    ".kamal/secrets/other",
    "docker-compose.yml",
    ".github/workflows/deploy.yml",
    "myconfig/deploy.yml",
]


@pytest.mark.parametrize("path", MATCH)
def test_lint_hook_matches_kamal_files(path: str) -> None:
    assert re.search(hooks.KAMAL_FILES, path)


@pytest.mark.parametrize("path", NO_MATCH)
def test_lint_hook_ignores_other_files(path: str) -> None:
    assert not re.search(hooks.KAMAL_FILES, path)


REGISTRY_MATCH = [
    "config/deploy.yml",
    "config/deploy.staging.yml",
    "apps/shop/config/deploy.prod-eu.yml",
    ".dockmig.yml",
    "apps/shop/.dockmig.yml",
]
REGISTRY_NO_MATCH = [
    ".kamal/secrets",
    ".kamal/secrets-common",
    "config/deploy.yml.orig",
    "config/deploy-worker.yml",
    "docker-compose.yml",
    ".github/workflows/deploy.yml",
    "dockmig.yml",
    ".dockmig.yml.bak",
    "myconfig/deploy.yml",
]


@pytest.mark.parametrize("path", REGISTRY_MATCH)
def test_registry_check_hook_matches_deploy_files_and_settings(path: str) -> None:
    assert re.search(hooks.REGISTRY_FILES, path)


@pytest.mark.parametrize("path", REGISTRY_NO_MATCH)
def test_registry_check_hook_ignores_other_files(path: str) -> None:
    assert not re.search(hooks.REGISTRY_FILES, path)


def test_registry_check_hook_runs_the_registry_check_command() -> None:
    from dockmig.registry_check_command import registry_check_command

    [hook] = [h for h in hooks.HOOKS if h["id"] == "dockmig-registry-check"]
    assert hook["entry"] == f"dockmig {registry_check_command.name}"
    assert "--registry" in hook["description"]
