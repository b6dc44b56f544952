"""Telling an image reference to the old registry from other mentions of its host."""

from __future__ import annotations

import pytest

from dockmig import references


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("localhost:5555/shop:1", references.IMAGE),
        ("docker push localhost:5555/$APP", references.IMAGE),
        ('f"localhost:5555/{name}"', references.IMAGE),
        ("'localhost:5555/%s' % name", references.IMAGE),
        ("http://localhost:5555/v2/_catalog", references.URL),
        ("curl localhost:5555/v2/", references.URL),
        ("https://user@localhost:5555", references.URL),
        ("REGISTRY=localhost:5555", references.BARE),
        ("${REGISTRY:-localhost:5555}/shop", references.BARE),
        ('"localhost:5555""/shop"', references.BARE),
    ],
)
def test_mentions_are_classified_by_what_surrounds_the_host(
    text: str, kind: str
) -> None:
    found = references.mentions(text, ["localhost:5555"])

    assert [m.kind for m in found] == [kind]
    assert text[found[0].start : found[0].end] == "localhost:5555"


@pytest.mark.parametrize(
    "text",
    [
        "localhost:55555/shop",
        "my-localhost:5555/shop",
        "localhost:5555.example.com/shop",
        "127.0.0.1:5555/shop",
    ],
)
def test_other_hosts_are_not_mentions(text: str) -> None:
    assert references.mentions(text, ["localhost:5555"]) == []


def test_a_host_with_a_path_matches_only_with_that_path() -> None:
    hosts = ["registry.digitalocean.com/acme"]

    assert [
        m.kind for m in references.mentions("registry.digitalocean.com/acme/app", hosts)
    ] == [references.IMAGE]
    assert references.mentions("registry.digitalocean.com/other/app", hosts) == []


def test_host_match_ignores_case() -> None:
    found = references.mentions("Registry.Example.COM/app", ["registry.example.com"])

    assert found[0].host == "Registry.Example.COM"


def test_on_a_shared_registry_only_the_apps_own_images_move() -> None:
    text = "ghcr.io/acme/shop:1 ghcr.io/someone/tool:2"

    moved = references.replace_images(
        text, ["ghcr.io"], "registry.example.com", ["acme/shop"]
    )

    assert moved == "registry.example.com/acme/shop:1 ghcr.io/someone/tool:2"


def test_on_a_private_registry_every_image_moves() -> None:
    text = "localhost:5555/shop localhost:5555/base-image:3"

    moved = references.replace_images(text, ["localhost:5555"], "registry.example.com")

    assert moved == "registry.example.com/shop registry.example.com/base-image:3"


@pytest.mark.parametrize(
    ("host", "shared"),
    [
        ("ghcr.io", True),
        ("docker.io", True),
        ("europe-docker.pkg.dev", True),
        ("eu.gcr.io", True),
        ("localhost:5555", False),
        ("registry.example.com", False),
        ("registry.digitalocean.com/acme", False),
    ],
)
def test_shared_registries_are_the_multi_tenant_ones(host: str, shared: bool) -> None:
    assert references.shared(host) is shared


def test_localhost_alone_is_not_worth_reporting_but_a_port_is() -> None:
    assert not references.distinctive("localhost")
    assert references.distinctive("localhost:5555")
    assert references.distinctive("ghcr.io")
