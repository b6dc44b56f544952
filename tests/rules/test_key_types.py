"""key-types: values that pass validation and then crash Kamal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ruleharness import lint_files, rule_findings

ID = "key-types"
DB = "accessories:\n  db:\n    image: postgres:16\n"


@pytest.mark.parametrize(
    ("deploy", "where", "fix"),
    [
        ("servers:\n  web:\n    - 192.0.2.10\n  5:\n    - 192.0.2.11\n", (4, 3), '"5"'),
        ("servers:\n  :web:\n    - 192.0.2.10\n", (2, 3), "leading colon"),
        ("aliases:\n  5: app logs\n", (2, 3), '"5"'),
        ("accessories:\n  true:\n    image: redis:7\n    host: a\n", (2, 3), '"true"'),
    ],
)
def test_names_that_are_not_strings_are_reported_at_the_name(
    tmp_path: Path, deploy: str, where: tuple[int, int], fix: str
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == where
    assert fix in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_tag_needs_a_map_of_roles(tmp_path: Path) -> None:
    deploy = "servers:\n  - 192.0.2.10\n" + DB + "    tag: db\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (6, 10)
    assert "map of roles" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_tags_as_a_list_do_not_crash(tmp_path: Path) -> None:
    deploy = "servers:\n  - 192.0.2.10\n" + DB + "    tags:\n      - db\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_role_false_leaves_kamal_without_hosts(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": DB + "    role: false\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (4, 11)
    assert result.targets[0].kamal_accepts is False


@pytest.mark.parametrize(
    ("host_tag", "tag", "crashes"),
    [
        ("db", "5", True),  # String#include? with a number
        ("[db]", "5", False),  # Array#include? compares
        ("7", "db", True),  # a number has no include?
        ("dbx", "db", False),  # a substring match, no crash
    ],
)
def test_tag_lookups_that_crash(
    tmp_path: Path, host_tag: str, tag: str, crashes: bool
) -> None:
    deploy = (
        f"servers:\n  web:\n    - 192.0.2.10: {host_tag}\n" + DB + f"    tag: {tag}\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert (len(rule_findings(result, ID)) == 1) is crashes
    assert result.targets[0].kamal_accepts is not crashes


def test_a_number_as_ssl_host_crashes_but_not_without_ssl(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path, {"config/deploy.yml": "proxy:\n  ssl: true\n  host: 5\n"}
    )

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (3, 9)
    assert "quote it" in finding.message
    assert result.targets[0].kamal_accepts is False

    result = lint_files(tmp_path, {"config/deploy.yml": "proxy:\n  host: 5\n"})
    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


@pytest.mark.parametrize(("logger", "key"), [("otel", "endpoint"), ("file", "path")])
def test_a_symbol_in_output_crashes(tmp_path: Path, logger: str, key: str) -> None:
    deploy = f"output:\n  {logger}:\n    {key}: :somewhere\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (3, 5 + len(key) + 2)
    assert result.targets[0].kamal_accepts is False


@pytest.mark.parametrize(
    ("deploy", "where"),
    [
        (
            "registry:\n  server: ghcr.io\n  username: :deployer\n"
            "  password:\n    - KAMAL_REGISTRY_PASSWORD\n",
            (3, 13),
        ),
        (
            "registry:\n  server: ghcr.io\n  username: deployer\n"
            "  password:\n    - :KAMAL_REGISTRY_PASSWORD\n",
            (5, 5),
        ),
        (
            "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n    options:\n"
            "      restart: :always\n",
            (6, 16),
        ),
        ("ssh:\n  config: :default\n", (2, 11)),
        ("builder:\n  arch: amd64\n  cache:\n    type: :gha\n", (4, 11)),
    ],
)
def test_a_symbol_where_kamal_compares_strings(
    tmp_path: Path, deploy: str, where: tuple[int, int]
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == where
    assert "without the colon" in finding.message
    assert result.targets[0].kamal_accepts is False


@pytest.mark.parametrize(
    "deploy",
    [
        "registry:\n  server: localhost:5555\n  username: :deployer\n",
        "ssh:\n  config:\n    - :default\n",
        "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n    options:\n"
        "      :restart: always\n",
    ],
)
def test_symbols_kamal_does_not_compare_pass(tmp_path: Path, deploy: str) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


@pytest.mark.parametrize(
    ("endpoint", "crashes"),
    [
        ("http://otel:4318", False),
        ("http://otel:4318/", False),
        ("otel:4318", False),
        ('""', False),
        ("not a url", True),
        ("http://otel:4318/%zz", True),
        ('"http://\\u00f6tel:4318"', True),
    ],
)
def test_the_otel_endpoint_must_make_a_url(
    tmp_path: Path, endpoint: str, crashes: bool
) -> None:
    deploy = f"output:\n  otel:\n    endpoint: {endpoint}\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert (len(rule_findings(result, ID)) == 1) is crashes
    assert result.targets[0].kamal_accepts is not crashes
