"""Ignore comments silence findings only where they are comments.

Text inside a value (a quoted YAML string, a block scalar, a dotenv value)
that looks like `# dockmig: ignore[...]` is data: it must neither silence a
finding nor be reported as naming an unknown rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig import lint

DEPLOY = """\
service: shop
image: acme/shop
servers:
  - 192.0.2.10
registry:
  server: localhost:5555
builder:
  arch: amd64
env:
  secret:
    - KAMAL_REGISTRY_PASSWORD
"""


def _project(root: Path, deploy: str, secrets: str) -> Path:
    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_text(deploy, newline="")
    (root / ".kamal").mkdir()
    (root / ".kamal" / "secrets").write_text(secrets, newline="")
    return root


def _rules(root: Path) -> list[tuple[str, int]]:
    result = lint.lint(root, environ={})
    return [(f.rule, f.line) for f in result.findings]


@pytest.mark.parametrize(
    "secrets",
    [
        'KAMAL_REGISTRY_PASSWORD="hunter2xyzzy # dockmig: ignore[committed-secret]"\n',
        "KAMAL_REGISTRY_PASSWORD='hunter2xyzzy #dockmig:ignore[committed-secret]'\n",
    ],
)
def test_ignore_text_inside_a_secret_value_silences_nothing(
    tmp_path: Path, secrets: str
) -> None:
    found = _rules(_project(tmp_path, DEPLOY, secrets))
    assert ("committed-secret", 1) in found
    assert not [rule for rule, _ in found if rule == "unknown-suppression"]


def test_a_comment_after_a_secret_silences_its_line(tmp_path: Path) -> None:
    secrets = (
        "# a\fb\u2028c\n"
        "KAMAL_REGISTRY_PASSWORD=hunter2xyzzy # dockmig: ignore[committed-secret]\n"
    )
    found = _rules(_project(tmp_path, DEPLOY, secrets))
    assert not [rule for rule, _ in found if rule == "committed-secret"]


def test_ignore_text_inside_a_deploy_value_silences_nothing(tmp_path: Path) -> None:
    deploy = DEPLOY + 'retain_containers: "x # dockmig: ignore[schema, bogus]"\n'
    secrets = "KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\n"
    found = _rules(_project(tmp_path, deploy, secrets))
    assert ("schema", 12) in found
    assert not [rule for rule, _ in found if rule == "unknown-suppression"]
