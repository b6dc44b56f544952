"""kamal1-leftover: Kamal 1 configuration, with Kamal 2's replacement named."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dockmig.findings import Severity
from tests.conftest import REPO, require
from tests.ruleharness import lint_files, rule_findings, write_project

ID = "kamal1-leftover"
ORACLE = Path("/tmp/kamal-oracle/bin-oracle/kamal-oracle")
PINNED = json.loads(
    (REPO / "tests/data/kamal1-leftover/verdicts.json").read_text(encoding="utf-8")
)

# Each case is merged over tests.ruleharness.MINIMAL, a config Kamal accepts.
CASES = {
    "traefik": "traefik:\n  args:\n    accesslog: true\n",
    "healthcheck": "healthcheck:\n  path: /up\n  port: 3000\n",
    "multiarch": "builder:\n  multiarch: false\n  arch: amd64\n",
    "role_traefik": "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n"
    "    traefik: true\n",
    "role_healthcheck": "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n"
    "    healthcheck:\n      path: /up\n",
    "traefik_labels": "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n"
    "    labels:\n      traefik.http.routers.shop.rule: Host(`shop.example.com`)\n"
    "      traefik.enable: true\n",
    "mrsk_secret": "env:\n  secret:\n    - MRSK_DATABASE_URL\n",
}
# Where the finding is, and whether Kamal itself refuses the key there.
EXPECTED = {
    "traefik": ((1, 1), True),
    "healthcheck": ((1, 1), True),
    "multiarch": ((2, 3), True),
    "role_traefik": ((5, 5), True),
    "role_healthcheck": ((5, 5), True),
    "traefik_labels": ((6, 7), False),
    "mrsk_secret": ((3, 7), False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_leftover_is_reported_where_it_is_written(
    tmp_path: Path, case: str
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": CASES[case]})

    [finding] = rule_findings(result, ID)
    position, refused = EXPECTED[case]
    assert (finding.line, finding.column) == position
    assert finding.kamal_rejects is refused
    assert finding.severity is (Severity.ERROR if refused else Severity.WARNING)
    assert result.targets[0].kamal_accepts is (PINNED[case] == "VALID")


@pytest.mark.parametrize("case", sorted(k for k, v in EXPECTED.items() if v[1]))
def test_the_generic_unknown_key_finding_gives_way(tmp_path: Path, case: str) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": CASES[case]})

    [finding] = rule_findings(result, ID)
    assert not [
        f
        for f in rule_findings(result, "schema")
        if (f.line, f.column) == (finding.line, finding.column)
    ]


def test_the_replacements_are_named(tmp_path: Path) -> None:
    deploy = (
        "traefik:\n  args:\n    accesslog: true\n"
        "healthcheck:\n  path: /up\n  port: 3000\n"
        "builder:\n  multiarch: true\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    messages = {f.key_path: f.message for f in rule_findings(result, ID)}
    assert "proxy (host, ssl, app_port)" in messages["traefik"]
    assert "proxy/healthcheck" in messages["healthcheck"]
    assert "proxy/app_port: 3000" in messages["healthcheck"]
    assert "builder/arch: [amd64, arm64]" in messages["builder/multiarch"]


def test_a_matching_app_port_is_not_asked_for_again(tmp_path: Path) -> None:
    deploy = "proxy:\n  app_port: 3000\nhealthcheck:\n  port: 3000\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert "app_port" not in finding.message


def test_the_mrsk_name_suggests_the_kamal_one(tmp_path: Path) -> None:
    deploy = (
        "registry:\n  server: ghcr.io\n  username: acme\n"
        "  password:\n    - MRSK_REGISTRY_PASSWORD\n"
    )
    result = lint_files(
        tmp_path,
        {
            "config/deploy.yml": deploy,
            ".kamal/secrets": "MRSK_REGISTRY_PASSWORD=$MRSK_REGISTRY_PASSWORD\n",
        },
    )

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (5, 7)
    assert "KAMAL_REGISTRY_PASSWORD" in finding.message


@pytest.mark.parametrize("name", [".env.erb", ".env.production.erb"])
def test_an_envify_template_is_a_warning(tmp_path: Path, name: str) -> None:
    result = lint_files(tmp_path, {name: "SECRET=<%= `op read x` %>\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == (name, 1, 1)
    assert finding.severity is Severity.WARNING
    assert not finding.kamal_rejects
    assert ".kamal/secrets" in finding.message
    assert result.targets[0].kamal_accepts is True


def test_a_kamal2_config_passes(tmp_path: Path) -> None:
    deploy = "proxy:\n  app_port: 3000\n  healthcheck:\n    path: /up\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


@pytest.mark.oracle
def test_pinned_verdicts_match_kamal(tmp_path: Path) -> None:
    require(ORACLE.exists(), "Kamal's validator (shared/tools/kamal-oracle/setup.sh)")
    paths = []
    for case, text in sorted(CASES.items()):
        root = write_project(tmp_path / case, {"config/deploy.yml": text})
        paths.append((case, root))

    for case, root in paths:
        run = subprocess.run(
            [str(ORACLE), "-C", str(root), str(root / "config/deploy.yml")],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "KAMAL_ORACLE_DOCKER_ARCH": "amd64"},
            check=False,
        )
        verdict = "VALID" if run.stdout.startswith("VALID") else "INVALID"
        assert verdict == PINNED[case], (case, run.stdout, run.stderr)
