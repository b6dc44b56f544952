"""Which files Kamal reads for a target, and how destinations merge."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig import document, project
from dockmig.errors import DockmigError


def merged(base: str, overlay: str) -> tuple[object, dict]:
    a = document.parse(base, "config/deploy.yml", {})
    b = document.parse(overlay, "config/deploy.staging.yml", {})
    return project.deep_merge(a.data, a.positions, b.data, b.positions)


def test_maps_merge_and_lists_replace() -> None:
    data, positions = merged(
        "servers:\n  web: [a, b]\nenv:\n  clear: {A: 1, B: 2}\n",
        "servers:\n  web: [c]\nenv:\n  clear: {B: 3}\n",
    )
    assert data == {"servers": {"web": ["c"]}, "env": {"clear": {"A": 1, "B": 3}}}
    assert positions[("servers", "web", 0)].value.file == "config/deploy.staging.yml"
    assert ("servers", "web", 1) not in positions
    assert positions[("env", "clear", "A")].value.file == "config/deploy.yml"
    assert positions[("env", "clear", "B")].value.file == "config/deploy.staging.yml"


def test_explicit_null_in_a_destination_replaces_the_base_section() -> None:
    data, positions = merged("builder:\n  arch: amd64\n", "builder:\n")
    assert data == {"builder": None}
    assert ("builder", "arch") not in positions


def test_destination_files_follow_kamal_sub_ext(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    for name in (
        "deploy.yml",
        "deploy.staging.yml",
        "deploy.prod.yml",
        "deploy-worker.yml",
    ):
        (tmp_path / "config" / name).write_text("service: x\n")
    found = project.discover(tmp_path, None, [])
    assert found.destinations == ["prod", "staging"]
    assert found.destination_config("prod") == "config/deploy.prod.yml"
    yaml_config = project.Project(tmp_path, "config/deploy.yaml")
    assert yaml_config.destination_config("prod") == "config/deploy.prod.yml"


def test_secrets_files_for_a_destination_skip_the_plain_file(tmp_path: Path) -> None:
    plain = project.secrets_files(tmp_path, ".kamal/secrets", None)
    staged = project.secrets_files(tmp_path, ".kamal/secrets", "staging")
    assert [p.name for p in plain] == ["secrets-common", "secrets"]
    assert [p.name for p in staged] == ["secrets-common", "secrets.staging"]


def test_missing_config_and_unknown_destination_are_clear_errors(
    tmp_path: Path,
) -> None:
    with pytest.raises(DockmigError, match=r"config/deploy\.yml not found"):
        project.discover(tmp_path, None, [])
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text("service: x\n")
    with pytest.raises(DockmigError, match=r"deploy\.nope\.yml not found"):
        project.discover(tmp_path, None, ["nope"])


def test_files_passed_by_pre_commit_find_their_project(tmp_path: Path) -> None:
    root = tmp_path / "apps" / "shop"
    (root / "config").mkdir(parents=True)
    (root / ".kamal").mkdir()
    (root / "config/deploy.yml").write_text("service: x\n")
    (root / ".kamal/secrets").write_text("A=$A\n")
    groups = project.group_by_root(
        [root / "config/deploy.yml", root / ".kamal/secrets"]
    )
    assert list(groups) == [root.resolve()]
