"""dockmig's own rules on the shared corpus: no crash, and they fire where the notes say.

The expectations come from each case's notes (case.toml) in the corpus;
the verdicts themselves are pinned by tests/test_corpus.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockmig import lint, rules
from dockmig.findings import Finding, Severity
from tests.conftest import corpus_dir

OWN = {rule.id for rule in rules.all_rules() if not rule.kamal}


def _cases() -> list[str]:
    kamal = corpus_dir() / "kamal"
    return (
        sorted(p.name for p in kamal.iterdir() if p.is_dir()) if kamal.is_dir() else []
    )


def _lint(corpus: Path, env: dict[str, str], case: str, **kw: Any) -> lint.LintResult:
    return lint.lint(corpus / "kamal" / case, environ=env, **kw)


def _by(result: lint.LintResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule_id]


def _where(findings: list[Finding]) -> set[tuple[str, int, int]]:
    return {(f.file, f.line, f.column) for f in findings}


@pytest.mark.parametrize("case", _cases())
def test_every_case_lints_and_own_findings_are_advice(
    corpus: Path, corpus_env: dict[str, str], case: str
) -> None:
    result = _lint(corpus, corpus_env, case)

    for finding in result.findings:
        if finding.rule in OWN and finding.rule != "kamal1-leftover":
            assert not finding.kamal_rejects, finding


def test_a_second_config_file_lints(corpus: Path, corpus_env: dict[str, str]) -> None:
    result = _lint(
        corpus,
        corpus_env,
        "043-multi-config-ecr-erb",
        config="config/deploy-worker.yml",
    )

    assert _by(result, "literal-credential") == []


def test_047_bash_secrets_file(corpus: Path, corpus_env: dict[str, str]) -> None:
    result = _lint(corpus, corpus_env, "047-bash-secrets-noeol")

    shell = [f for f in _by(result, "secrets-syntax") if "shell script" in f.message]
    assert _where(shell) == {(".kamal/secrets", 7, 1)}
    assert shell[0].severity is Severity.ERROR
    undefined = _by(result, "secret-undefined")
    assert undefined
    assert {f.targets for f in undefined} == {("production",)}
    assert all(
        "only in .kamal/secrets, which Kamal does not read with -d production"
        in f.message
        for f in undefined
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "013-k1-makefile-placeholders",
            {
                (".env.erb", 1, 1),
                ("config/deploy.yml", 18, 7),
                ("config/deploy.yml", 50, 1),
                ("config/deploy.yml", 63, 3),
                ("config/deploy.yml", 66, 1),
            },
        ),
        (
            "015-k1-cable-server-roles",
            {
                (".env.erb", 1, 1),
                ("config/deploy.yml", 20, 1),
                ("config/deploy.yml", 26, 7),
            },
        ),
        (
            "017-k1-traefik-flow",
            {("config/deploy.yml", 30, 3), ("config/deploy.yml", 61, 1)},
        ),
        (
            "021-mixed-healthcheck-proxy",
            {("config/deploy.yml", 78, 1), ("config/deploy.yml", 99, 3)},
        ),
    ],
)
def test_kamal1_leftovers(
    corpus: Path, corpus_env: dict[str, str], case: str, expected: set[object]
) -> None:
    result = _lint(corpus, corpus_env, case)

    assert _where(_by(result, "kamal1-leftover")) == expected
    assert result.targets[0].kamal_accepts is False


def test_015_keeps_the_mrsk_secret_name(
    corpus: Path, corpus_env: dict[str, str]
) -> None:
    result = _lint(corpus, corpus_env, "015-k1-cable-server-roles")

    [mrsk] = [f for f in _by(result, "kamal1-leftover") if "MRSK_" in f.message]
    assert "KAMAL_REGISTRY_PASSWORD" in mrsk.message


def test_007_localhost_without_port(corpus: Path, corpus_env: dict[str, str]) -> None:
    result = _lint(corpus, corpus_env, "007-localhost-without-port")

    assert _where(_by(result, "localhost-without-port")) == {
        ("config/deploy.yml", 33, 11)
    }
    assert _where(_by(result, "literal-credential")) == {("config/deploy.yml", 35, 13)}
    assert _by(result, "local-registry") == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("001-rails81-default-local", {("config/deploy.yml", 30, 11)}),
        ("003-local-registry-port5000-auth", {("config/deploy.yml", 30, 11)}),
        (
            "005-local-registry-anchor-ssm",
            {("config/deploy.yml", 38, 11), ("config/deploy.local.yml", 21, 11)},
        ),
    ],
)
def test_local_registry_notes(
    corpus: Path, corpus_env: dict[str, str], case: str, expected: set[object]
) -> None:
    result = _lint(corpus, corpus_env, case)

    found = _by(result, "local-registry")
    assert _where(found) == expected
    assert {f.severity for f in found} == {Severity.INFO}


@pytest.mark.parametrize(
    "case", ["019-k1-ecr-erb-destinations", "043-multi-config-ecr-erb"]
)
def test_erb_computed_registry_passwords_are_not_literal(
    corpus: Path, corpus_env: dict[str, str], case: str
) -> None:
    result = _lint(corpus, corpus_env, case)

    assert [
        f for f in _by(result, "literal-credential") if "registry" in f.key_path
    ] == []


@pytest.mark.parametrize(
    ("case", "destination"),
    [
        ("036-hub-explicit-tiny-secrets", None),
        ("039-anchors-tags-block-scalars", None),
        ("045-large-commented-prod", "prod"),
        ("052-ghcr-servers-in-destination", "production"),
    ],
)
def test_secrets_defined_where_kamal_reads_them(
    corpus: Path, corpus_env: dict[str, str], case: str, destination: str | None
) -> None:
    result = _lint(corpus, corpus_env, case)

    assert [
        f for f in _by(result, "secret-undefined") if destination in f.targets
    ] == []


def test_049_empty_destination_secrets_file(
    corpus: Path, corpus_env: dict[str, str]
) -> None:
    result = _lint(corpus, corpus_env, "049-vultr-empty-secrets")

    production = [
        f for f in _by(result, "secret-undefined") if f.targets == ("production",)
    ]
    assert len(production) == 11
    assert all(f.severity is Severity.ERROR for f in production)
