"""Where the doctor's inputs come from: options, then the project, then settings."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from dockmig.doctor import inputs
from dockmig.doctor.availability import AVAILABLE, MISSING, credential
from dockmig.doctor.cdn import cloudflare
from dockmig.errors import DockmigError
from tests.doctor.conftest import write_project

KNOT_SETTINGS = """\
    registry:
      host: registry.example.com
      username: admin
      password_secret: KNOT_REGISTRY_PASSWORD
      expected_ip: 203.0.113.10
    """


def test_settings_name_the_target_registry_while_deploy_yml_is_still_local(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, registry="localhost:5555", settings=KNOT_SETTINGS)
    gathered = inputs.gather(root, environ={})
    assert gathered.registry is not None
    assert (gathered.registry.name, gathered.registry.port) == (
        "registry.example.com",
        443,
    )
    assert gathered.registry.source == ".dockmig.yml registry/host"
    assert gathered.expected_ip == "203.0.113.10"
    assert gathered.username is not None and gathered.username.origin.startswith(
        ".dockmig.yml"
    )
    assert gathered.password is not None
    assert (gathered.password.kind, gathered.password.name) == (
        "secret",
        "KNOT_REGISTRY_PASSWORD",
    )


@pytest.mark.parametrize(
    ("deployed", "name", "local"),
    [("localhost:5555", "localhost", True), ("ghcr.io", "ghcr.io", False)],
)
def test_the_registry_in_use_is_the_one_deploy_yml_names(
    tmp_path: Path, deployed: str, name: str, local: bool
) -> None:
    # What a Kamal hook checks: the registry this deploy pushes to, even while
    # .dockmig.yml already names the one the project will move to.
    root = write_project(tmp_path, registry=deployed, settings=KNOT_SETTINGS)
    gathered = inputs.gather(root, environ={}, in_use=True)
    assert gathered.registry is not None
    assert (gathered.registry.name, gathered.registry.local) == (name, local)
    assert gathered.registry.source.startswith("config/deploy.yml")
    assert gathered.expected_ip != "203.0.113.10"


def test_settings_address_is_not_expected_of_a_registry_named_on_the_command_line(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, registry="localhost:5555", settings=KNOT_SETTINGS)
    gathered = inputs.gather(root, environ={}, registry="127.0.0.1:5000")
    assert gathered.expected_ip is None
    asked = inputs.gather(
        root, environ={}, registry="127.0.0.1:5000", expect_ip="127.0.0.1"
    )
    assert asked.expected_ip == "127.0.0.1"


def test_deploy_yml_credentials_apply_when_it_names_the_same_registry(
    tmp_path: Path,
) -> None:
    root = write_project(
        tmp_path, registry="registry.example.com", settings=KNOT_SETTINGS
    )
    gathered = inputs.gather(root, environ={})
    assert gathered.password is not None
    assert gathered.password.name == "KAMAL_REGISTRY_PASSWORD"
    assert gathered.password.origin == (
        "config/deploy.yml registry/password [KAMAL_REGISTRY_PASSWORD]"
    )


def test_options_win_over_the_project(tmp_path: Path) -> None:
    root = write_project(tmp_path, settings=KNOT_SETTINGS)
    gathered = inputs.gather(
        root,
        registry="[::1]:5000",
        username="ci",
        password_env="CI_REGISTRY_PASSWORD",
        expect_ip="::1",
        dns_server="127.0.0.1:5353",
        environ={},
    )
    assert gathered.registry is not None
    assert (gathered.registry.name, gathered.registry.port) == ("::1", 5000)
    assert gathered.registry.netloc == "[::1]:5000"
    assert gathered.password is not None and gathered.password.kind == "environment"
    assert gathered.dns_server == ("127.0.0.1", 5353)
    assert gathered.expected_ip == "::1"


def test_kamal_destination_from_a_hook_selects_the_destination(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    (root / "config" / "deploy.staging.yml").write_text(
        "registry:\n  server: staging-registry.example.com\n"
    )
    gathered = inputs.gather(root, environ={"KAMAL_DESTINATION": "staging"})
    assert gathered.destination == "staging"
    assert [t.destination for t in gathered.targets] == ["staging"]
    assert gathered.registry is not None
    assert gathered.registry.name == "staging-registry.example.com"


def test_by_hand_every_target_is_checked_but_a_plain_kamal_hook_checks_the_base(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path)
    (root / "config" / "deploy.staging.yml").write_text("servers: [192.0.2.20]\n")
    by_hand = inputs.gather(root, environ={})
    assert [t.destination for t in by_hand.targets] == [None, "staging"]
    # `kamal deploy` without -d runs its hooks with KAMAL_COMMAND and no
    # KAMAL_DESTINATION: that deploy reads the base config alone.
    from_hook = inputs.gather(root, environ={"KAMAL_COMMAND": "deploy"})
    assert [t.destination for t in from_hook.targets] == [None]


def test_password_secret_resolves_from_the_environment_through_the_secrets_file(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path)
    found = inputs.gather(root, environ={"KAMAL_REGISTRY_PASSWORD": "s3cret"})
    assert found.password is not None
    result = credential(found.password, found)
    assert result.state == AVAILABLE
    assert result.value is not None and result.value.reveal() == "s3cret"
    assert "s3cret" not in repr(result) + str(result.value)


def test_password_secret_missing_names_the_variable_not_a_value(tmp_path: Path) -> None:
    root = write_project(tmp_path)
    found = inputs.gather(root, environ={})
    assert found.password is not None
    result = credential(found.password, found)
    assert result.state == MISSING
    assert result.reason == (
        "KAMAL_REGISTRY_PASSWORD in .kamal/secrets uses $KAMAL_REGISTRY_PASSWORD, "
        "not set in this shell"
    )


def test_settings_password_secret_falls_back_to_the_environment(tmp_path: Path) -> None:
    root = write_project(tmp_path, registry="localhost:5555", settings=KNOT_SETTINGS)
    found = inputs.gather(root, environ={"KNOT_REGISTRY_PASSWORD": "pw"})
    assert found.password is not None
    result = credential(found.password, found)
    assert result.state == AVAILABLE
    assert "defined in none of .kamal/secrets" in result.reason


def test_bad_dns_server_in_settings_stops_with_exit_3_material(tmp_path: Path) -> None:
    (tmp_path / ".dockmig.yml").write_text(
        textwrap.dedent("doctor:\n  dns_server: dns.example\n")
    )
    with pytest.raises(DockmigError, match="not an IP address"):
        inputs.gather(tmp_path, environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("registry.example.com", ("registry.example.com", 443, False)),
        ("Registry.Example.com:5443/team", ("registry.example.com", 5443, False)),
        ("localhost:5555", ("localhost", 5555, True)),
        ("127.0.0.1:5000", ("127.0.0.1", 5000, False)),
    ],
)
def test_registry_hosts_are_split_as_docker_does(
    text: str, expected: tuple[str, int, bool]
) -> None:
    target = inputs.parse_registry(text, "test")
    assert (target.name, target.port, target.local) == expected


@pytest.mark.parametrize(
    "text", ["https://registry.example.com", "reg istry", "r.example:99999"]
)
def test_registry_hosts_that_are_not_host_port_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        inputs.parse_registry(text, "test")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5353", ("::1", 5353)),
        ("::1", ("::1", 53)),
    ],
)
def test_dns_server_forms(text: str, expected: tuple[str, int]) -> None:
    assert inputs.parse_dns_server(text) == expected


def test_secret_wrapper_never_shows_its_value() -> None:
    secret = inputs.Secret("hunter2")
    assert "hunter2" not in repr(secret) + str(secret) + f"{secret}" + repr([secret])
    assert secret.reveal() == "hunter2"


def test_cloudflare_ranges_are_dated_and_cover_both_families() -> None:
    ranges = cloudflare()
    assert ranges.as_of != "unknown"
    assert {n.version for n in ranges.networks} == {4, 6}
    assert str(ranges.containing("104.16.0.10")) == "104.16.0.0/13"
    assert str(ranges.containing("2606:4700::6810:1")) == "2606:4700::/32"
    assert ranges.containing("203.0.113.10") is None
    assert ranges.containing("127.0.0.1") is None


# -- a project whose files do not read is said to be so, never taken for none


@pytest.mark.parametrize(
    ("link_to", "says"),
    [
        ("deploy.yml", "leads back to itself"),
        ("nothing-here.yml", "to a file that does not exist"),
    ],
)
def test_a_deploy_file_that_is_a_broken_link_is_a_project_that_cannot_be_read(
    tmp_path: Path, link_to: str, says: str
) -> None:
    root = write_project(tmp_path)
    deploy = root / "config" / "deploy.yml"
    deploy.unlink()
    deploy.symlink_to(link_to)
    gathered = inputs.gather(root, environ={})
    assert gathered.project_error is not None
    assert gathered.project_error.startswith("config/deploy.yml: ")
    assert says in gathered.project_error


def test_a_folder_without_a_deploy_file_is_no_project_and_no_error(
    tmp_path: Path,
) -> None:
    gathered = inputs.gather(tmp_path, environ={})
    assert (gathered.project, gathered.project_error) == (None, None)


def test_a_deploy_file_that_does_not_parse_leaves_its_target_without_data(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path)
    deploy = root / "config" / "deploy.yml"
    deploy.write_text(deploy.read_text().replace("arch: amd64", "arch: *nowhere"))
    base = inputs.gather(root, environ={}).base
    assert base is not None and base.data is None
    line = deploy.read_text().splitlines().index("  arch: *nowhere") + 1
    failure = inputs.load_failure(base)
    assert failure is not None
    assert failure.startswith(f"config/deploy.yml:{line}:9: ")
    assert "undefined alias 'nowhere'" in failure


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "is empty"), ("# only a comment\n", "is empty"), ("- a\n", "is not a")],
)
def test_a_deploy_file_that_loads_as_no_mapping_is_named_as_lint_names_it(
    tmp_path: Path, text: str, says: str
) -> None:
    root = write_project(tmp_path)
    (root / "config" / "deploy.yml").write_text(text)
    base = inputs.gather(root, environ={}).base
    assert base is not None and base.data is None
    failure = inputs.load_failure(base)
    assert failure is not None and failure.startswith("config/deploy.yml:1:1: ")
    assert says in failure


def test_a_destination_that_does_not_load_leaves_no_config_not_the_base_alone(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path)
    (root / "config" / "deploy.staging.yml").write_text("servers: [192.0.2.11\n")
    gathered = inputs.gather(root, environ={})
    by_name = {t.destination: t for t in gathered.targets}
    assert by_name[None].data is not None
    assert inputs.load_failure(by_name[None]) is None
    assert by_name["staging"].data is None
    failure = inputs.load_failure(by_name["staging"])
    assert failure is not None and failure.startswith("config/deploy.staging.yml:")


@pytest.mark.parametrize("kind", ["folder", "named pipe"])
def test_a_secrets_file_that_is_not_a_file_is_a_project_error_not_an_empty_file(
    tmp_path: Path, kind: str
) -> None:
    root = write_project(tmp_path)
    secrets = root / ".kamal" / "secrets"
    secrets.unlink()
    if kind == "folder":
        secrets.mkdir()
    else:
        os.mkfifo(secrets)
    gathered = inputs.gather(root, environ={})
    assert gathered.project_error is not None
    assert gathered.project_error.startswith(".kamal/secrets: is a ")


def test_a_secrets_file_that_links_to_nothing_is_skipped_as_kamal_skips_it(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path)
    secrets = root / ".kamal" / "secrets"
    secrets.unlink()
    secrets.symlink_to(tmp_path / "nowhere")
    gathered = inputs.gather(root, environ={})
    assert gathered.project_error is None
    assert gathered.base is not None and gathered.base.secrets_files == []
