"""A finding that rests on ERB dockmig does not run is a doubt, never a failure.

Kamal renders ERB before it reads the YAML; where dockmig cannot compute the
output (a method call, arithmetic, control flow), a type or key it reports
there is a guess. Each case below is one Kamal accepts (its oracle says
VALID): lint shows the doubt as a warning, exits 0 without --strict, and
the verdict is "cannot be decided".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig import lint
from dockmig.findings import Severity

BASE = """\
service: shop
image: acme/shop
servers: [192.0.2.10]
registry:
  server: localhost:5555
builder:
  arch: amd64
"""


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        ('proxy:\n  app_port: <%= ENV.fetch("PORT", "3000").to_i %>\n', "schema"),
        ("retain_containers: <%= 1 + 2 %>\n", "schema"),
        ("<%- if false -%>\nfoo: 1\n<%- end -%>\n", "schema"),
    ],
)
def test_a_finding_on_uncomputed_erb_warns_and_does_not_fail(
    tmp_path: Path, extra: str, rule: str
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(BASE + extra)

    result = lint.lint(tmp_path, environ={})

    doubts = [f for f in result.findings if f.rule == rule]
    assert doubts, result.findings
    assert all(f.uncertain and f.severity is Severity.WARNING for f in doubts)
    assert "a string" not in " ".join(f.message for f in doubts)
    assert not result.failed(strict=False)
    assert result.failed(strict=True)
    assert [t.kamal_accepts for t in result.targets] == [None]


def test_a_certain_error_next_to_erb_still_fails(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(
        BASE + "retain_containers: <%= 1 + 2 %>\nstop_timeout: soon\n"
    )
    result = lint.lint(tmp_path, environ={})
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert [f.key_path for f in errors] == ["stop_timeout"]
    assert result.failed(strict=False)


def test_the_undecided_reason_quotes_a_backtick_command_once(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(
        "service: shop\nimage: acme/shop\nservers:\n  - 192.0.2.10\n"
        "registry:\n  server: localhost:5555\nbuilder:\n  arch: amd64\n"
        "env:\n  clear:\n    REVISION: <%= `git rev-parse HEAD` %>\n"
    )

    (target,) = lint.lint(tmp_path, environ={}).targets

    assert target.kamal_accepts is None
    assert target.undecided_because is not None
    assert 'ERB "`git rev-parse HEAD`" may read files' in target.undecided_because
