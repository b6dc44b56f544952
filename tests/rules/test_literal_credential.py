"""literal-credential: passwords, keys and tokens written into deploy files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.findings import Severity
from dockmig.rules.literal_credential import looks_like_credential_name
from tests.ruleharness import lint_files, rule_findings
from tests.rules.reports import every_format

ID = "literal-credential"
CANARY = "canary-Zq93x"


def test_a_literal_registry_password_is_an_error_at_its_value(tmp_path: Path) -> None:
    deploy = (
        "registry:\n"
        "  server: registry.example.com\n"
        "  username: deploy\n"
        f"  password: {CANARY}\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == ("config/deploy.yml", 4, 13)
    assert finding.severity is Severity.ERROR
    assert finding.key_path == "registry/password"
    assert "[KAMAL_REGISTRY_PASSWORD]" in finding.message
    assert result.targets[0].kamal_accepts is True
    assert CANARY not in every_format(result)


def test_a_secret_list_password_is_not_literal(tmp_path: Path) -> None:
    deploy = (
        "registry:\n"
        "  server: registry.example.com\n"
        "  username: deploy\n"
        "  password:\n"
        "    - KAMAL_REGISTRY_PASSWORD\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


@pytest.mark.parametrize(
    "password",
    [
        "<%= %x(aws ecr get-login-password) %>",
        '<%= ENV["REGISTRY_PASSWORD"] %>',
        "<%= ENV.fetch('REGISTRY_PASSWORD', 'x') %>",
    ],
)
def test_a_password_computed_by_erb_is_not_literal(
    tmp_path: Path, password: str
) -> None:
    deploy = (
        "registry:\n"
        "  server: 123456789012.dkr.ecr.us-east-1.amazonaws.com\n"
        "  username: AWS\n"
        f"  password: {password}\n"
    )
    result = lint_files(
        tmp_path,
        {"config/deploy.yml": deploy},
        environ={"REGISTRY_PASSWORD": CANARY},
    )

    assert rule_findings(result, ID) == []


def test_a_local_registry_password_is_only_a_note(tmp_path: Path) -> None:
    deploy = (
        f"registry:\n  server: localhost:5555\n  username: me\n  password: {CANARY}\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert finding.severity is Severity.INFO
    assert (finding.line, finding.column) == (4, 13)
    assert "ignores it" in finding.message
    assert CANARY not in every_format(result)


def test_an_accessory_registry_password_is_checked(tmp_path: Path) -> None:
    deploy = (
        "accessories:\n"
        "  db:\n"
        "    image: acme/db\n"
        "    host: 192.0.2.10\n"
        "    registry:\n"
        "      server: ghcr.io\n"
        "      username: acme\n"
        f"      password: {CANARY}\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "accessories/db/registry/password"
    assert (finding.line, finding.column) == (8, 17)


def test_pem_text_in_ssh_key_data_is_an_error(tmp_path: Path) -> None:
    deploy = (
        "ssh:\n"
        "  key_data:\n"
        "    - SSH_KEY\n"
        "    - |\n"
        "      -----BEGIN OPENSSH PRIVATE KEY-----\n"
        f"      {CANARY}\n"
        "      -----END OPENSSH PRIVATE KEY-----\n"
    )
    result = lint_files(
        tmp_path, {"config/deploy.yml": deploy, ".kamal/secrets": "SSH_KEY=$SSH_KEY\n"}
    )

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "ssh/key_data/1"
    assert (finding.line, finding.column) == (4, 7)
    assert finding.severity is Severity.ERROR
    output = every_format(result)
    assert CANARY not in output
    assert "BEGIN OPENSSH" not in output
    assert rule_findings(result, "secret-undefined") == []


def test_pem_text_where_a_certificate_name_belongs_is_an_error(
    tmp_path: Path,
) -> None:
    deploy = (
        "proxy:\n"
        "  host: app.example.com\n"
        "  ssl:\n"
        "    certificate_pem: CERT_PEM\n"
        f'    private_key_pem: "-----BEGIN PRIVATE KEY-----\\n{CANARY}"\n'
    )
    result = lint_files(
        tmp_path,
        {"config/deploy.yml": deploy, ".kamal/secrets": "CERT_PEM=$CERT_PEM\n"},
    )

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "proxy/ssl/private_key_pem"
    assert (finding.line, finding.column) == (5, 22)
    assert CANARY not in every_format(result)
    assert rule_findings(result, "secret-undefined") == []


def test_credential_looking_clear_env_values_are_warnings(tmp_path: Path) -> None:
    deploy = (
        "env:\n"
        "  clear:\n"
        f"    SMTP_PASSWORD: {CANARY}\n"
        "    POSTGRES_PASSWORD_FILE: /run/secrets/pg\n"
        "    RAILS_ENV: production\n"
        '    EMPTY_TOKEN: ""\n'
        "servers:\n"
        "  web:\n"
        "    hosts:\n"
        "      - 192.0.2.10\n"
        "    env:\n"
        f"      GITHUB_TOKEN: {CANARY}\n"
        "accessories:\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    host: 192.0.2.10\n"
        "    env:\n"
        "      clear:\n"
        f"        POSTGRES_PASSWORD: {CANARY}\n"
        "builder:\n"
        "  arch: amd64\n"
        "  args:\n"
        f"    NPM_TOKEN: {CANARY}\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    found = {(f.line, f.column, f.key_path) for f in rule_findings(result, ID)}
    assert found == {
        (3, 20, "env/clear/SMTP_PASSWORD"),
        (12, 21, "servers/web/env/GITHUB_TOKEN"),
        (19, 28, "accessories/db/env/clear/POSTGRES_PASSWORD"),
        (23, 16, "builder/args/NPM_TOKEN"),
    }
    assert {f.severity for f in rule_findings(result, ID)} == {Severity.WARNING}
    by_path = {f.key_path: f.message for f in rule_findings(result, ID)}
    assert "builder/secrets" in by_path["builder/args/NPM_TOKEN"]
    assert (
        "accessories/db/env/secret"
        in by_path["accessories/db/env/clear/POSTGRES_PASSWORD"]
    )
    assert CANARY not in every_format(result)


def test_env_tag_values_are_checked(tmp_path: Path) -> None:
    deploy = (
        f"env:\n  clear:\n    APP: shop\n  tags:\n    blue:\n      API_KEY: {CANARY}\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "env/tags/blue/API_KEY"
    assert (finding.line, finding.column) == (6, 16)


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("SMTP_PASSWORD", True),
        ("GITHUB_TOKEN", True),
        ("SECRET_KEY_BASE", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("stripe.api_key", True),
        ("POSTGRES_PASS", True),
        ("POSTGRES_PASSWORD_FILE", False),
        ("TOKEN_URL", False),
        ("AWS_ACCESS_KEY_ID", False),
        ("BYPASS", False),
        ("RAILS_ENV", False),
        (12, False),
    ],
)
def test_credential_names_are_judged_by_their_ending(
    name: object, credential: bool
) -> None:
    assert looks_like_credential_name(name) is credential
