"""accessory-tags: accessory placement by tags that Kamal matches unexpectedly."""

from __future__ import annotations

from pathlib import Path

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "accessory-tags"
ACCESSORY = "accessories:\n  db:\n    image: postgres:16\n"


def test_tagged_hosts_under_a_hosts_key_are_never_found(tmp_path: Path) -> None:
    deploy = (
        "servers:\n"
        "  web:\n"
        "    hosts:\n"
        "      - 192.0.2.10: db\n" + ACCESSORY + "    tag: db\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == ("config/deploy.yml", 8, 10)
    assert finding.severity is Severity.WARNING
    assert "servers/web/hosts" in finding.message
    assert "gets no host" in finding.message
    assert result.targets[0].kamal_accepts is True


def test_a_single_tag_string_matches_by_substring(tmp_path: Path) -> None:
    deploy = (
        "servers:\n"
        "  web:\n"
        "    - 192.0.2.10: dbx\n"
        "    - 192.0.2.11: [db]\n" + ACCESSORY + "    tag: db\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (8, 10)
    assert "192.0.2.10" in finding.message
    assert "substring" in finding.message


def test_a_tag_nobody_carries_is_reported_in_the_tags_list(tmp_path: Path) -> None:
    deploy = (
        "servers:\n"
        "  web:\n"
        "    - 192.0.2.10: [db]\n" + ACCESSORY + "    tags:\n"
        "      - db\n"
        "      - cache\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "accessories/db/tags/1"
    assert (finding.line, finding.column) == (9, 9)
    assert "runs nowhere" in finding.message


def test_exact_tags_in_a_plain_host_list_pass(tmp_path: Path) -> None:
    deploy = (
        "servers:\n"
        "  web:\n"
        "    - 192.0.2.10: [db, primary]\n"
        "    - 192.0.2.11: db\n"
        "  jobs:\n"
        "    hosts:\n"
        "      - 192.0.2.12\n" + ACCESSORY + "    tags: [db]\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


def test_a_tagged_entry_under_accessory_hosts_is_reported(tmp_path: Path) -> None:
    deploy = ACCESSORY + "    hosts:\n      - 192.0.2.10\n      - 192.0.2.11: db\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "accessories/db/hosts/1"
    assert (finding.line, finding.column) == (6, 9)
    assert "write - 192.0.2.11" in finding.message


def test_servers_as_a_list_is_left_to_the_crash_check(tmp_path: Path) -> None:
    deploy = "servers:\n  - 192.0.2.10\n" + ACCESSORY + "    tag: db\n"
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
