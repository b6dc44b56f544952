"""`.dockmig.yml`: defaults when absent, exit 3 with a position when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig import settings
from dockmig.errors import DockmigError
from dockmig.findings import Severity
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".dockmig.yml").write_text(text)
    return tmp_path


def test_absent_file_gives_defaults(tmp_path: Path) -> None:
    loaded = settings.load(tmp_path)
    assert loaded.path is None
    assert loaded.registry_host is None
    assert loaded.deadline == 10.0
    assert loaded.cache_limit_bytes == 20 * 10**9


def test_example_settings_load() -> None:
    loaded = settings.load(REPO / "examples" / "knot")
    assert loaded.registry_host == "registry.example.com"
    assert loaded.password_secret == "KNOT_REGISTRY_PASSWORD"
    assert loaded.expected_ip == "203.0.113.10"
    assert loaded.volumes == ["falkordb_data"]
    assert loaded.previous_registry == "localhost:5555"


def test_sizes_and_rule_levels_are_parsed(tmp_path: Path) -> None:
    loaded = settings.load(
        write(
            tmp_path,
            "buildkit:\n  cache_limit: 1.5GiB\ndisk:\n  min_free: 500MB\n"
            "lint:\n  rules:\n    local-registry: off\n    run-directory: error\n",
        )
    )
    assert loaded.cache_limit_bytes == int(1.5 * 2**30)
    assert loaded.min_free_bytes == 500 * 10**6
    assert loaded.rule_severities == {
        "local-registry": None,
        "run-directory": Severity.ERROR,
    }


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("registry:\n  hots: x\n", ":2:"),
        ("volumes: falkordb_data\n", ":1:"),
        ("registry:\n  expected_ip: 203.0.113.999\n", ":2:"),
        ("doctor:\n  deadline: -1\n", ":2:"),
        ("doctor:\n  deadline: .nan\n", ":2:13"),
        ("backup:\n  max_age_hours: .inf\n", ":2:18"),
        ("lint:\n  rules:\n    x: loud\n", ":3:"),
        ("lint:\n  rules:\n    local-registy: 'off'\n", ":3:5"),
        ("registry: [\n", ":2:"),
    ],
)
def test_bad_settings_name_file_line_and_column(
    tmp_path: Path, text: str, where: str
) -> None:
    with pytest.raises(DockmigError) as raised:
        settings.load(write(tmp_path, text))
    message = str(raised.value)
    assert message.startswith(".dockmig.yml" + where), message
    assert "\n" not in message


def test_size_parser_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="not a size"):
        settings.parse_size("lots")


def test_bad_level_lists_the_choices_as_written(tmp_path: Path) -> None:
    with pytest.raises(DockmigError) as raised:
        settings.load(write(tmp_path, "lint:\n  rules:\n    schema: loud\n"))
    assert "'loud' is not one of error, warning, info, off" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("registry:\n  host: https://registry.example.com/\n", "without https://"),
        ("buildkit:\n  cache_limit: 10 gigs\n", "should be a size such as 20GB"),
        ("volumes: ['bad name']\n", "should be a Docker volume name"),
        ("registry:\n  password_secret: 1PASS\n", "should be a secret name"),
    ],
)
def test_a_bad_value_says_what_form_it_should_have(
    tmp_path: Path, text: str, says: str
) -> None:
    with pytest.raises(DockmigError, match=says):
        settings.load(write(tmp_path, text))


@pytest.mark.parametrize("port", ["0", "99999", "65536"])
def test_a_registry_port_outside_tcp_s_range_is_refused_at_its_value(
    tmp_path: Path, port: str
) -> None:
    # The schema's pattern lets five digits through; doctor then crashed on them.
    with pytest.raises(DockmigError) as raised:
        settings.load(write(tmp_path, f"registry:\n  host: reg.example.com:{port}\n"))
    message = str(raised.value)
    assert message.startswith(".dockmig.yml:2:9: "), message
    assert "outside 1-65535" in message


def test_the_highest_port_is_accepted(tmp_path: Path) -> None:
    loaded = settings.load(
        write(tmp_path, "registry:\n  host: reg.example.com:65535\n")
    )
    assert loaded.registry_host == "reg.example.com:65535"


def test_a_settings_link_to_nothing_stops_instead_of_defaulting(
    tmp_path: Path,
) -> None:
    (tmp_path / ".dockmig.yml").symlink_to(tmp_path / "moved-away.yml")
    with pytest.raises(DockmigError, match="does not exist"):
        settings.load(tmp_path)
