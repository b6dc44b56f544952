"""secret-undefined: every secret name the config uses is in a file Kamal reads."""

from __future__ import annotations

from pathlib import Path

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings
from tests.rules.reports import every_format

ID = "secret-undefined"

REGISTRY = """\
registry:
  server: registry.example.com
  username:
    - REGISTRY_USER
  password:
    - REGISTRY_PASSWORD
"""


def test_reports_the_missing_name_at_its_list_item(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": (
                "env:\n  secret:\n    - RAILS_MASTER_KEY\n    - DATABASE_URL\n"
            ),
            ".kamal/secrets": "RAILS_MASTER_KEY=$RAILS_MASTER_KEY\n",
        },
    )

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == ("config/deploy.yml", 4, 7)
    assert finding.severity is Severity.ERROR
    assert finding.key_path == "env/secret/1"
    assert "DATABASE_URL" in finding.message
    assert ".kamal/secrets" in finding.message
    assert result.targets[0].kamal_accepts is True


def test_every_place_kamal_looks_secrets_up_is_checked(tmp_path: Path) -> None:
    deploy = (
        REGISTRY
        + """\
env:
  secret:
    - APP_SECRET
  tags:
    blue:
      secret:
        - TAG_SECRET
servers:
  web:
    hosts:
      - 192.0.2.10
    env:
      secret:
        - ROLE_SECRET
    proxy:
      host: app.example.com
      ssl:
        certificate_pem: ROLE_CERT
        private_key_pem: ROLE_KEY
builder:
  arch: amd64
  secrets:
    - BUILD_SECRET
ssh:
  key_data:
    - SSH_KEY
proxy:
  host: app.example.com
  ssl:
    certificate_pem: ROOT_CERT
    private_key_pem: ROOT_KEY
accessories:
  db:
    image: postgres:16
    host: 192.0.2.10
    registry:
      server: ghcr.io
      username: acme
      password:
        - ACCESSORY_REGISTRY_PASSWORD
    env:
      secret:
        - POSTGRES_PASSWORD:DB_PASSWORD
"""
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    found = {(f.line, f.column, f.key_path) for f in rule_findings(result, ID)}
    assert found == {
        (4, 7, "registry/username/0"),
        (6, 7, "registry/password/0"),
        (9, 7, "env/secret/0"),
        (13, 11, "env/tags/blue/secret/0"),
        (20, 11, "servers/web/env/secret/0"),
        (24, 26, "servers/web/proxy/ssl/certificate_pem"),
        (25, 26, "servers/web/proxy/ssl/private_key_pem"),
        (29, 7, "builder/secrets/0"),
        (32, 7, "ssh/key_data/0"),
        (36, 22, "proxy/ssl/certificate_pem"),
        (37, 22, "proxy/ssl/private_key_pem"),
        (46, 11, "accessories/db/registry/password/0"),
        (49, 11, "accessories/db/env/secret/0"),
    }
    by_path = {f.key_path: f.message for f in rule_findings(result, ID)}
    assert " DB_PASSWORD " in by_path["accessories/db/env/secret/0"]
    assert "POSTGRES_PASSWORD" not in by_path["accessories/db/env/secret/0"]


def test_an_alias_entry_looks_up_the_name_after_the_colon(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "env:\n  secret:\n    - DATABASE_URL:MAIN_DB_URL\n",
            ".kamal/secrets": "DATABASE_URL=$DATABASE_URL\n",
        },
    )

    [finding] = rule_findings(result, ID)
    assert "MAIN_DB_URL" in finding.message
    assert (finding.line, finding.column) == (3, 7)


def test_a_local_registry_never_looks_its_credentials_up(tmp_path: Path) -> None:
    deploy = "registry:\n  server: localhost:5555\n  password:\n    - UNUSED_PASSWORD\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


def test_secrets_common_counts_for_every_target(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "env:\n  secret:\n    - SHARED\n",
            "config/deploy.prod.yml": "servers:\n  web:\n    - 192.0.2.20\n",
            ".kamal/secrets-common": "SHARED=$SHARED\n",
        },
    )

    assert rule_findings(result, ID) == []


def test_a_destination_does_not_read_the_plain_secrets_file(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "env:\n  secret:\n    - RAILS_MASTER_KEY\n",
            "config/deploy.prod.yml": "servers:\n  web:\n    - 192.0.2.20\n",
            ".kamal/secrets": "RAILS_MASTER_KEY=$(cat config/master.key)\n",
        },
    )

    [finding] = rule_findings(result, ID)
    assert finding.targets == ("prod",)
    assert (finding.line, finding.column) == (3, 7)
    assert ".kamal/secrets.prod" in finding.message
    assert "only in .kamal/secrets, which Kamal does not read with -d prod" in (
        finding.message
    )


def test_each_destination_is_checked_against_its_own_file(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "env:\n  secret:\n    - API_TOKEN\n",
            "config/deploy.staging.yml": "servers:\n  web:\n    - 192.0.2.30\n",
            "config/deploy.production.yml": "servers:\n  web:\n    - 192.0.2.40\n",
            ".kamal/secrets.production": "API_TOKEN=$API_TOKEN\n",
        },
        destinations=["staging", "production"],
    )

    [finding] = rule_findings(result, ID)
    assert finding.targets == ("staging",)
    assert "with -d staging" in finding.message
    assert "only in .kamal/secrets.production" in finding.message


def test_secrets_path_moves_the_files_kamal_reads(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": (
                "secrets_path: config/secrets\nenv:\n  secret:\n    - TOKEN\n"
            ),
            ".kamal/secrets": "TOKEN=$TOKEN\n",
            "config/secrets": "OTHER=$OTHER\n",
        },
    )

    [finding] = rule_findings(result, ID)
    assert "config/secrets-common or config/secrets" in finding.message


def test_commands_in_secrets_files_are_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "command-ran"
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "env:\n  secret:\n    - TOKEN\n",
            ".kamal/secrets": f"TOKEN=$(touch {marker})\n",
        },
    )

    assert rule_findings(result, ID) == []
    assert not marker.exists()


def test_a_name_computed_by_erb_is_not_guessed(tmp_path: Path) -> None:
    deploy = "env:\n  secret:\n    - <%= File.read('name.txt').strip %>\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


def test_a_value_pasted_where_a_name_belongs_is_not_echoed(tmp_path: Path) -> None:
    canary = "canary-Zq93x with spaces"
    deploy = f'env:\n  secret:\n    - "{canary}"\n'
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (3, 7)
    assert "not a name a secrets file can define" in finding.message
    assert "canary-Zq93x" not in every_format(result)


def test_a_name_ending_in_a_line_break_is_not_a_name(tmp_path: Path) -> None:
    deploy = 'env:\n  secret:\n    - "TOKEN\\n"\n'
    result = lint_files(
        tmp_path, {"config/deploy.yml": deploy, ".kamal/secrets": "TOKEN=$TOKEN\n"}
    )

    [finding] = rule_findings(result, ID)
    assert "not a name a secrets file can define" in finding.message


def test_secret_values_never_reach_any_report_format(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": "env:\n  secret:\n    - KNOWN\n    - MISSING\n",
            "config/deploy.prod.yml": "servers:\n  web:\n    - 192.0.2.20\n",
            ".kamal/secrets": "KNOWN=canary-Zq93x\nMISSING_TOO=canary-Zq93x\n",
        },
    )

    assert rule_findings(result, ID)
    assert "canary-Zq93x" not in every_format(result)
