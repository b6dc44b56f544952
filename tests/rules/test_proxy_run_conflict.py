"""proxy-run-conflict: different proxy run maps for one host's kamal-proxy."""

from __future__ import annotations

from pathlib import Path

from tests.ruleharness import lint_files, rule_findings

ID = "proxy-run-conflict"
ROOT_RUN = "proxy:\n  run:\n    http_port: 8080\n"


def _api(hosts: str, proxy: str) -> str:
    return (
        f"servers:\n  web:\n    - 192.0.2.10\n  api:\n    hosts:\n      - {hosts}\n"
        f"    proxy:{proxy}"
    )


def test_a_role_s_own_run_is_reported_where_it_is_written(tmp_path: Path) -> None:
    deploy = ROOT_RUN + _api("192.0.2.10", "\n      run:\n        http_port: 9090\n")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (12, 9)
    assert "192.0.2.10" in finding.message
    assert "servers/api/proxy/run and proxy/run" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_an_inherited_run_is_the_same_map(tmp_path: Path) -> None:
    deploy = ROOT_RUN + _api("192.0.2.10", " true\n")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_different_hosts_may_differ(tmp_path: Path) -> None:
    deploy = ROOT_RUN + _api("192.0.2.11", "\n      run:\n        http_port: 9090\n")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


def test_a_party_without_run_settings_does_not_count(tmp_path: Path) -> None:
    deploy = _api("192.0.2.10", "\n      run:\n        http_port: 9090\n")
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_an_integer_and_a_float_differ_as_in_ruby(tmp_path: Path) -> None:
    deploy = "proxy:\n  run:\n    log_max_size: 10\n" + _api(
        "192.0.2.10", "\n      run:\n        log_max_size: 10.0\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert len(rule_findings(result, ID)) == 1
    assert result.targets[0].kamal_accepts is False


def test_an_accessory_placed_on_a_role_host_is_compared(tmp_path: Path) -> None:
    deploy = ROOT_RUN + (
        "accessories:\n  docs:\n    image: acme/docs\n    role: web\n    proxy:\n"
        "      host: docs.example.com\n      run:\n        http_port: 9090\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (11, 9)
    assert "accessories/docs/proxy/run" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_hosts_with_the_same_conflict_share_one_finding(tmp_path: Path) -> None:
    deploy = ROOT_RUN + (
        "servers:\n  web:\n    - 192.0.2.10\n    - 192.0.2.11\n  api:\n    hosts:\n"
        "      - 192.0.2.10\n      - 192.0.2.11\n    proxy:\n      run:\n"
        "        http_port: 9090\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert "192.0.2.10, 192.0.2.11" in finding.message
