"""role-proxy: a role's proxy map fails only once merged over the root proxy."""

from __future__ import annotations

from pathlib import Path

from tests.ruleharness import lint_files, rule_findings

ID = "role-proxy"

ROLE_HOST = (
    "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n    proxy:\n"
    "      host: www.example.com\n"
)


def test_role_host_meets_root_hosts_at_the_role_key(tmp_path: Path) -> None:
    deploy = "proxy:\n  hosts:\n    - shop.example.com\n" + ROLE_HOST
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (9, 13)
    assert "servers/web/proxy sets host while the root proxy sets hosts" in (
        finding.message
    )
    assert result.targets[0].kamal_accepts is False


def test_the_same_key_in_both_blocks_passes(tmp_path: Path) -> None:
    deploy = "proxy:\n  host: shop.example.com\n" + ROLE_HOST
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_publish_false_meets_a_root_port(tmp_path: Path) -> None:
    deploy = (
        "proxy:\n  run:\n    http_port: 8080\nservers:\n  web:\n    hosts:\n"
        "      - 192.0.2.10\n    proxy:\n      run:\n        publish: false\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (10, 18)
    assert "http_port" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_role_blanking_the_ssl_host_is_reported(tmp_path: Path) -> None:
    deploy = (
        "proxy:\n  ssl: true\n  host: shop.example.com\nservers:\n  web:\n"
        '    hosts:\n      - 192.0.2.10\n    proxy:\n      host: ""\n'
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (9, 13)
    assert "automatic SSL has no host" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_problem_of_one_block_alone_is_left_to_the_schema(tmp_path: Path) -> None:
    deploy = (
        "proxy:\n  host: shop.example.com\nservers:\n  web:\n    hosts:\n"
        "      - 192.0.2.10\n    proxy:\n      ssl: true\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert [f.rule for f in result.findings if f.kamal_rejects] == ["schema"]
    assert result.targets[0].kamal_accepts is False


def test_a_role_without_the_proxy_is_not_merged(tmp_path: Path) -> None:
    deploy = (
        "proxy:\n  hosts:\n    - shop.example.com\nservers:\n  web:\n"
        "    - 192.0.2.10\n  job:\n    hosts:\n      - 192.0.2.11\n    proxy: false\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_a_destination_role_proxy_can_clash_with_the_base_root_proxy(
    tmp_path: Path,
) -> None:
    files = {
        "config/deploy.yml": (
            "proxy:\n  hosts:\n    - shop.example.com\n"
            "servers:\n  web:\n    hosts:\n      - 192.0.2.10\n"
        ),
        "config/deploy.production.yml": (
            "servers:\n  web:\n    proxy:\n      host: www.example.com\n"
        ),
    }
    result = lint_files(tmp_path, files)

    [finding] = rule_findings(result, ID)
    assert finding.targets == ("production",)
    assert (finding.file, finding.line, finding.column) == (
        "config/deploy.production.yml",
        4,
        13,
    )
    verdicts = {t.destination: t.kamal_accepts for t in result.targets}
    assert verdicts == {None: True, "production": False}
