"""image-repeats-registry: an image named with the host Kamal prefixes anyway."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockmig.findings import Severity
from tests.ruleharness import lint_files, rule_findings

ID = "image-repeats-registry"


def _deploy(image: str, server: str) -> str:
    return (
        f"image: {image}\n"
        "registry:\n"
        f"  server: {server}\n"
        "  username: acme\n"
        "  password:\n"
        "    - KAMAL_REGISTRY_PASSWORD\n"
    )


@pytest.mark.parametrize(
    ("image", "server", "suggested"),
    [
        ("ghcr.io/acme/shop", "ghcr.io", "acme/shop"),
        ("GHCR.io/acme/shop", "ghcr.io", "acme/shop"),
        (
            "registry.digitalocean.com/acme/shop",
            "registry.digitalocean.com/acme",
            "shop",
        ),
        ("registry.example.com/other/shop", "registry.example.com/acme", "other/shop"),
    ],
)
def test_a_repeated_host_is_reported_at_the_image(
    tmp_path: Path, image: str, server: str, suggested: str
) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": _deploy(image, server)})

    [finding] = rule_findings(result, ID)
    assert (finding.file, finding.line, finding.column) == ("config/deploy.yml", 1, 8)
    assert finding.severity is Severity.WARNING
    assert finding.message.endswith(f"write image: {suggested}")


@pytest.mark.parametrize(
    ("image", "server"),
    [
        ("acme/shop", "ghcr.io"),
        ("shop", "sjc.vultrcr.com/acme"),
        ("ghcr.io.mirror/acme/shop", "ghcr.io"),
    ],
)
def test_images_without_the_host_pass(tmp_path: Path, image: str, server: str) -> None:
    result = lint_files(tmp_path, {"config/deploy.yml": _deploy(image, server)})

    assert rule_findings(result, ID) == []


def test_docker_hub_images_are_left_alone(tmp_path: Path) -> None:
    deploy = (
        "image: docker.io/acme/shop\nregistry:\n  username: acme\n"
        "  password:\n    - KAMAL_REGISTRY_PASSWORD\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    assert rule_findings(result, ID) == []


def test_only_an_accessory_registry_prefixes_accessory_images(tmp_path: Path) -> None:
    deploy = _deploy("acme/shop", "ghcr.io") + (
        "accessories:\n"
        "  tool:\n"
        "    image: ghcr.io/acme/tool\n"
        "    host: 192.0.2.10\n"
        "  own:\n"
        "    image: quay.io/acme/own\n"
        "    host: 192.0.2.10\n"
        "    registry:\n"
        "      server: quay.io\n"
        "      username: acme\n"
        "      password:\n"
        "        - QUAY_PASSWORD\n"
    )
    result = lint_files(tmp_path, {"config/deploy.yml": deploy})

    [finding] = rule_findings(result, ID)
    assert finding.key_path == "accessories/own/image"
    assert (finding.line, finding.column) == (12, 12)
