"""traefik-hooks: Kamal 1 hook names left in the hooks folder."""

from __future__ import annotations

from pathlib import Path

from tests.ruleharness import lint_files, rule_findings

ID = "traefik-hooks"
SCRIPT = "#!/bin/sh\nexit 0\n"


def test_the_old_hook_file_is_the_position(tmp_path: Path) -> None:
    result = lint_files(
        tmp_path,
        {"config/deploy.yml": "", ".kamal/hooks/pre-traefik-reboot": SCRIPT},
    )

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == (
        ".kamal/hooks/pre-traefik-reboot",
        1,
        1,
    )
    assert "pre-proxy-reboot" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_both_old_hooks_are_each_reported(tmp_path: Path) -> None:
    files = {
        "config/deploy.yml": "",
        ".kamal/hooks/pre-traefik-reboot": SCRIPT,
        ".kamal/hooks/post-traefik-reboot": SCRIPT,
    }
    result = lint_files(tmp_path, files)

    assert sorted(f.file for f in rule_findings(result, ID)) == [
        ".kamal/hooks/post-traefik-reboot",
        ".kamal/hooks/pre-traefik-reboot",
    ]


def test_hooks_path_moves_where_kamal_looks(tmp_path: Path) -> None:
    files = {
        "config/deploy.yml": "hooks_path: bin/hooks\n",
        ".kamal/hooks/pre-traefik-reboot": SCRIPT,
        "bin/hooks/post-traefik-reboot": SCRIPT,
    }
    result = lint_files(tmp_path, files)

    [finding] = rule_findings(result, ID)
    assert finding.file == "bin/hooks/post-traefik-reboot"


def test_a_folder_with_the_old_name_counts(tmp_path: Path) -> None:
    files = {"config/deploy.yml": "", ".kamal/hooks/pre-traefik-reboot/x": "x\n"}
    result = lint_files(tmp_path, files)

    assert len(rule_findings(result, ID)) == 1
    assert result.targets[0].kamal_accepts is False


def test_samples_and_new_names_pass(tmp_path: Path) -> None:
    files = {
        "config/deploy.yml": "",
        ".kamal/hooks/pre-traefik-reboot.sample": SCRIPT,
        ".kamal/hooks/pre-proxy-reboot": SCRIPT,
    }
    result = lint_files(tmp_path, files)

    assert rule_findings(result, ID) == []
    assert result.targets[0].kamal_accepts is True


def test_a_symbol_hooks_path_crashes_kamal(tmp_path: Path) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": "hooks_path: :hooks\n"})

    [finding] = rule_findings(result, ID)
    assert (finding.line, finding.column) == (1, 13)
    assert "a symbol" in finding.message
    assert result.targets[0].kamal_accepts is False


def test_a_destination_with_its_own_hooks_path_is_checked_there(
    tmp_path: Path,
) -> None:
    files = {
        "config/deploy.yml": "",
        "config/deploy.staging.yml": "hooks_path: staging/hooks\n",
        "staging/hooks/pre-traefik-reboot": SCRIPT,
    }
    result = lint_files(tmp_path, files)

    [finding] = rule_findings(result, ID)
    assert finding.targets == ("staging",)
    verdicts = {t.destination: t.kamal_accepts for t in result.targets}
    assert verdicts == {None: True, "staging": False}
