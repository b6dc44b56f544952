"""service-name: an empty service, or one Kamal's name check refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ruleharness import lint_files, rule_findings

ID = "service-name"


def test_a_space_is_reported_at_the_value_with_a_suggestion(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "service: shop api\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 10)
    assert "`service: shop-api`" in finding.message
    assert result.targets[0].kamal_accepts is False


@pytest.mark.parametrize("value", ['""', '"   "', "false", "[]"])
def test_empty_values_are_reported_once_as_empty(tmp_path: Path, value: str) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": f"service: {value}\n"})

    [finding] = rule_findings(result, ID)
    assert "empty" in finding.message
    # The schema's finding at the same place gives way to this one.
    assert [f.rule for f in result.findings if f.line == 1] == [ID]
    assert result.targets[0].kamal_accepts is False


def test_a_number_must_be_quoted(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "service: 123\n"})

    [finding] = rule_findings(result, ID)
    assert 'service: "123"' in finding.message
    assert result.targets[0].kamal_accepts is False

    quoted = lint_files(tmp_path, {"config/deploy.yml": 'service: "123"\n'})
    assert rule_findings(quoted, ID) == []
    assert quoted.targets[0].kamal_accepts is True


@pytest.mark.parametrize("value", ["shop", "Shop_API-2", ":shop", '"shop\\n"'])
def test_names_kamal_accepts_pass(tmp_path: Path, value: str) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": f"service: {value}\n"})

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


@pytest.mark.parametrize("value", ['"\\u017Fhop"', '"\\u212Aiosk"'])
def test_letters_ruby_folds_to_ascii_pass_this_rule(tmp_path: Path, value: str) -> None:
    # Kamal's /i matches the long s and the Kelvin sign (checked with the oracle).
    result = lint_files(tmp_path, {"config/deploy.yml": f"service: {value}\n"})

    assert rule_findings(result, ID) == []


@pytest.mark.parametrize("value", ['"\\u0131nn"', '"sh\\u00f6p"', "shop.api"])
def test_non_ascii_letters_and_dots_fail(tmp_path: Path, value: str) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": f"service: {value}\n"})

    assert len(rule_findings(result, ID)) == 1
    assert result.targets[0].kamal_accepts is False


def test_a_multi_line_name_passes_this_rule_when_one_line_is_clean(
    tmp_path: Path,
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": 'service: "bad name\\nshop"\n'})

    assert rule_findings(result, ID) == []


def test_a_missing_service_is_one_finding_overall(tmp_path: Path) -> None:
    deploy = "image: acme/shop\n"
    (tmp_path / "config").mkdir()
    (tmp_path / "config/deploy.yml").write_text(
        deploy
        + "servers:\n  - 192.0.2.10\nregistry:\n  server: localhost:5555\n"
        + "builder:\n  arch: amd64\n"
    )
    from dockmig import lint

    result = lint.lint(tmp_path, environ={})

    about_service = [f for f in result.findings if "service" in f.message]
    assert [f.rule for f in about_service] == ["schema"]
    assert result.targets[0].kamal_accepts is False
