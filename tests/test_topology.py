"""topology: Kamal's roles, hosts and proxies, with Ruby's truth and equality."""

from __future__ import annotations

import pytest

from dockmig import topology
from dockmig.yaml11 import Symbol


@pytest.mark.parametrize(
    ("value", "blank"),
    [
        (None, True),
        (False, True),
        ("", True),
        (" \t\n\u3000", True),
        ("\x1c", False),  # Python calls it space, Ruby's [[:space:]] does not
        (Symbol(""), True),
        ([], True),
        ({}, True),
        (0, False),
        (True, False),
        ("x", False),
    ],
)
def test_blank_follows_active_support(value: object, blank: bool) -> None:
    assert topology.blank(value) is blank


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "true"),
        (5, "5"),
        (2.1, "2.1"),
        (1e20, "1.0e+20"),
        (1e-05, "1.0e-05"),
        (float("inf"), "Infinity"),
        (Symbol("web"), "web"),
    ],
)
def test_ruby_to_s(value: object, text: str) -> None:
    assert topology.ruby_to_s(value) == text


def test_identity_keeps_apart_what_ruby_keeps_apart() -> None:
    assert topology.identity(80) != topology.identity(80.0)
    assert topology.identity("web") != topology.identity(Symbol("web"))
    assert topology.identity(1) != topology.identity(True)
    assert topology.identity({"a": [1]}) == topology.identity({"a": [1]})


def test_split_commas_keeps_spaces_and_drops_trailing_empties() -> None:
    assert topology.split_commas("a, b,,") == ["a", " b"]
    assert topology.split_commas(",a") == ["", "a"]
    assert topology.split_commas("") == []


def test_a_host_list_is_the_role_web_with_numbers_dropped() -> None:
    picture = topology.read({"servers": ["a", 1234, {"b": "db"}, "a"]})

    [web] = picture.roles
    assert (web.name, web.hosts, web.primary) == ("web", ["a", "b"], True)
    assert web.dropped == [(("servers", 1), 1234)]


def test_roles_are_sorted_and_the_role_proxy_merges_over_the_root() -> None:
    data = {
        "proxy": {"host": "shop.example.com", "run": {"http_port": 80}},
        "servers": {
            "web": ["a"],
            "api": {"hosts": ["b"], "proxy": {"run": {"debug": True}}},
            "job": {"hosts": ["c"]},
        },
    }
    picture = topology.read(data)

    assert [role.name for role in picture.roles] == ["api", "job", "web"]
    api, job, web = picture.roles
    assert api.proxy is not None and web.proxy is not None
    assert api.proxy.config["run"] == {"http_port": 80, "debug": True}
    assert api.proxy.source_of("run") == ("servers", "api", "proxy", "run")
    assert web.proxy.source_of("host") == ("proxy", "host")
    assert job.proxy is None


def test_a_number_as_primary_role_finds_the_role_but_not_its_proxy() -> None:
    picture = topology.read({"primary_role": 5, "servers": {"5": ["a"]}})

    role = picture.role(picture.primary_name)
    assert role is not None
    assert not role.primary and not role.running_proxy


def test_accessory_hosts_follow_kamal_s_lookup() -> None:
    data = {
        "servers": {"web": ["a", {"b": ["db"]}], "job": {"hosts": [{"c": "db"}]}},
        "accessories": {
            "by_role": {"role": "web"},
            "by_tag": {"tag": "db"},
            "no_role": {"role": False},
        },
    }
    by_role, by_tag, no_role = topology.read(data).accessories

    assert by_role.hosts == ["a", "b"]
    assert by_tag.hosts == ["b"]  # hosts under a hosts: key are never searched
    assert no_role.hosts is None and no_role.crash is not None
