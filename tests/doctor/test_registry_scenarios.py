"""The issue's registry scenarios against the real Distribution registry.

Each registry runs on 127.0.0.1 with the test PKI; an in-process DNS server
maps registry.example.test to 127.0.0.1 (or, for the CDN case, to an address
outside loopback, with every connecting probe left out).
"""

from __future__ import annotations

import re
import ssl
from pathlib import Path
from typing import Any

import pytest

from tests.doctor.conftest import REGISTRY_PROBES, Run, doctor, write_project
from tests.services import REGISTRY_NAME

pytestmark = [pytest.mark.registry, pytest.mark.dns]


def check(
    tmp_path: Path,
    registry: Any,
    dns_server: Any,
    *extra: str,
    password: str | None,
    records: dict[str, list[str]] | None = None,
    expect_ip: str = "127.0.0.1",
    ca_file: Path | None = None,
) -> Run:
    dns = dns_server(records or {REGISTRY_NAME: ["127.0.0.1"]})
    project = write_project(
        tmp_path / "project", registry=f"{REGISTRY_NAME}:{registry.port}"
    )
    env = {"KAMAL_REGISTRY_PASSWORD": password} if password is not None else {}
    options = [str(project), "--only", "registry", "--dns-server", dns.address]
    options += ["--expect-ip", expect_ip]
    if ca_file is not None:
        options += ["--ca-file", str(ca_file)]
    return doctor(*options, *extra, env=env)


def test_healthy_registry_passes_every_registry_probe(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server,
        password=canary_password, ca_file=pki.ca,
    )  # fmt: skip
    assert run.statuses == dict.fromkeys(REGISTRY_PROBES, "ok"), run.stdout
    assert run.exit_code == 0
    login = run.probe("registry.login")
    assert login["details"]["username"] == "testuser"
    assert "KAMAL_REGISTRY_PASSWORD" in login["details"]["password_from"]


def test_wrong_password_fails_only_the_login(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server,
        password="not-the-password", ca_file=pki.ca,
    )  # fmt: skip
    expected = dict.fromkeys(REGISTRY_PROBES, "ok") | {"registry.login": "fail"}
    assert run.statuses == expected, run.stdout
    assert run.exit_code == 1
    assert "testuser" in run.probe("registry.login")["summary"]


def test_unexported_password_fails_the_login_naming_the_variable(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server, password=None, ca_file=pki.ca
    )
    assert run.statuses["registry.login"] == "fail"
    assert "$KAMAL_REGISTRY_PASSWORD" in run.probe("registry.login")["summary"]


def test_wrong_expected_ip_fails_dns_and_skips_the_connecting_probes(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server,
        password=canary_password, ca_file=pki.ca, expect_ip="127.0.0.2",
    )  # fmt: skip
    assert run.statuses == {
        "registry.dns": "fail",
        "registry.cdn-proxy": "ok",
        "registry.tcp": "skip",
        "registry.tls": "skip",
        "registry.api": "skip",
        "registry.login": "skip",
    }, run.stdout
    assert "not the expected 127.0.0.2" in run.probe("registry.dns")["summary"]


def test_nxdomain_fails_dns_and_skips_the_rest(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server,
        password=canary_password, ca_file=pki.ca, records={"other.example.test": ["127.0.0.1"]},
    )  # fmt: skip
    assert run.statuses == {
        "registry.dns": "fail",
        "registry.cdn-proxy": "skip",
        "registry.tcp": "skip",
        "registry.tls": "skip",
        "registry.api": "skip",
        "registry.login": "skip",
    }, run.stdout
    assert "NXDOMAIN" in run.probe("registry.dns")["summary"]


def test_cdn_proxied_address_fails_with_the_reason_and_connects_nowhere(
    tmp_path: Path, dns_server: Any
) -> None:
    # 104.16.0.10 is in Cloudflare's 104.16.0.0/13: only the probes that
    # connect to nothing run.
    dns = dns_server({REGISTRY_NAME: ["104.16.0.10"]})
    run = doctor(
        str(tmp_path), "--registry", REGISTRY_NAME, "--dns-server", dns.address,
        "--expect-ip", "203.0.113.10", "--only", "registry.dns,registry.cdn-proxy",
    )  # fmt: skip
    assert run.statuses == {"registry.dns": "fail", "registry.cdn-proxy": "fail"}
    cdn = run.probe("registry.cdn-proxy")
    assert "104.16.0.0/13" in cdn["summary"]
    assert "Let's Encrypt" in cdn["summary"] and "100 MB" in cdn["summary"]
    assert "DNS-only" in cdn["remedy"]


def test_wrong_name_certificate_fails_tls_naming_the_certificate_names(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic-wrongname"), dns_server,
        password=canary_password, ca_file=pki.ca,
    )  # fmt: skip
    assert run.statuses == {
        "registry.dns": "ok",
        "registry.cdn-proxy": "ok",
        "registry.tcp": "ok",
        "registry.tls": "fail",
        "registry.api": "skip",
        "registry.login": "skip",
    }, run.stdout
    assert (
        "is for wrong.example.test, not registry.example.test"
        in (run.probe("registry.tls")["summary"])
    )


def test_untrusted_ca_fails_tls_against_the_system_store(
    tmp_path: Path, registries: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server, password=canary_password
    )
    assert run.statuses["registry.tls"] == "fail", run.stdout
    assert run.statuses["registry.api"] == "skip"
    assert run.statuses["registry.login"] == "skip"
    tls = run.probe("registry.tls")
    assert "dockmig test CA" in tls["summary"]
    assert "system trust store" in tls["summary"]


def test_certificate_from_another_ca_fails_with_the_given_ca_file(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server,
        password=canary_password, ca_file=pki.other_ca,
    )  # fmt: skip
    assert run.statuses["registry.tls"] == "fail"
    assert "--ca-file" in run.probe("registry.tls")["summary"]


def test_expired_certificate_fails_tls_with_its_date(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic-expired"), dns_server,
        password=canary_password, ca_file=pki.ca,
    )  # fmt: skip
    assert run.statuses["registry.tls"] == "fail", run.stdout
    assert run.statuses["registry.api"] == "skip"
    assert "expired on 2020-02-01" in run.probe("registry.tls")["summary"]


def test_certificate_expiring_within_two_weeks_warns(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-basic-expiring"), dns_server,
        password=canary_password, ca_file=pki.ca,
    )  # fmt: skip
    assert run.statuses == dict.fromkeys(REGISTRY_PROBES, "ok") | {
        "registry.tls": "warn"
    }
    assert re.search(
        r"expires in [45]\.[0-9] days", run.probe("registry.tls")["summary"]
    )
    assert run.exit_code == 0


def test_issuer_other_than_lets_encrypt_warns_when_trusted_by_the_system(
    tmp_path: Path,
    registries: Any,
    pki: Any,
    dns_server: Any,
    canary_password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # OpenSSL's default store honours SSL_CERT_FILE: the test CA becomes
    # "system" trust, as a corporate CA would.
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))
    assert ssl.get_default_verify_paths().cafile == str(pki.ca)
    run = check(
        tmp_path, registries.get("tls-basic"), dns_server, password=canary_password
    )
    assert run.statuses == dict.fromkeys(REGISTRY_PROBES, "ok") | {
        "registry.tls": "warn"
    }
    assert "not Let's Encrypt's production CA" in run.probe("registry.tls")["summary"]


def test_bearer_token_registry_logs_in_through_the_token_realm(
    tmp_path: Path,
    registries: Any,
    pki: Any,
    dns_server: Any,
    canary_password: str,
    token_server: Any,
) -> None:
    before = len(token_server.requests)
    run = check(
        tmp_path, registries.get("tls-token"), dns_server,
        password=canary_password, ca_file=pki.ca,
    )  # fmt: skip
    assert run.statuses == dict.fromkeys(REGISTRY_PROBES, "ok"), run.stdout
    assert run.probe("registry.api")["details"]["challenge"] == "bearer"
    assert run.probe("registry.api")["details"]["realm"] == token_server.realm
    calls = token_server.requests[before:]
    assert [had_credentials for _, had_credentials in calls] == [True]
    assert "service=dockmig-test-registry" in calls[0][0]


def test_bearer_token_registry_with_a_wrong_password_fails_at_the_realm(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any
) -> None:
    run = check(
        tmp_path, registries.get("tls-token"), dns_server,
        password="not-the-password", ca_file=pki.ca,
    )  # fmt: skip
    assert run.statuses["registry.api"] == "ok"
    assert run.statuses["registry.login"] == "fail"
    assert "token service" in run.probe("registry.login")["summary"]


def test_hanging_registry_costs_one_deadline(
    tmp_path: Path, silent_listener: Any, dns_server: Any, canary_password: str
) -> None:
    dns = dns_server({REGISTRY_NAME: ["127.0.0.1"]})
    project = write_project(
        tmp_path, registry=f"{REGISTRY_NAME}:{silent_listener.port}"
    )
    run = doctor(
        str(project), "--only", "registry", "--dns-server", dns.address,
        "--expect-ip", "127.0.0.1", "--deadline", "3",
        env={"KAMAL_REGISTRY_PASSWORD": canary_password},
    )  # fmt: skip
    assert run.statuses == {
        "registry.dns": "ok",
        "registry.cdn-proxy": "ok",
        "registry.tcp": "ok",
        "registry.tls": "fail",
        "registry.api": "skip",
        "registry.login": "skip",
    }, run.stdout
    # The probe's own time-out normally ends it just before the runner's
    # deadline would; either way the summary names what did not answer.
    tls = run.probe("registry.tls")["summary"]
    assert "TLS handshake" in tls and f"127.0.0.1:{silent_listener.port}" in tls
    # Not a timing test (the benchmark measures it): a sanity bound that would
    # catch time-outs adding up, generous enough for a loaded machine.
    assert run.report["elapsed_s"] < 3 + 5


def test_dns_server_that_never_answers_fails_naming_it(tmp_path: Path) -> None:
    from tests.services import SilentUdp

    silent = SilentUdp()
    try:
        run = doctor(
            str(tmp_path), "--registry", REGISTRY_NAME, "--dns-server", silent.address,
            "--only", "registry.dns", "--deadline", "2",
        )  # fmt: skip
    finally:
        silent.stop()
    assert run.statuses == {"registry.dns": "fail"}
    assert silent.address in run.probe("registry.dns")["summary"]


def test_plain_http_registry_on_loopback_logs_in(
    tmp_path: Path, registries: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("http-basic"), dns_server, password=canary_password
    )
    assert run.statuses == dict.fromkeys(REGISTRY_PROBES, "ok"), run.stdout
    assert "plain HTTP" in run.probe("registry.tls")["summary"]


def test_registry_without_authentication_warns(
    tmp_path: Path, registries: Any, pki: Any, dns_server: Any, canary_password: str
) -> None:
    run = check(
        tmp_path, registries.get("tls-open"), dns_server,
        password=canary_password, ca_file=pki.ca,
    )  # fmt: skip
    assert run.statuses["registry.api"] == "warn"
    assert run.statuses["registry.login"] == "ok"
    assert "anyone can pull and push" in run.probe("registry.api")["summary"]


def test_nothing_listening_fails_tcp(
    tmp_path: Path, dns_server: Any, canary_password: str
) -> None:
    from tests.services import free_port

    dns = dns_server({REGISTRY_NAME: ["127.0.0.1"]})
    run = doctor(
        str(tmp_path), "--registry", f"{REGISTRY_NAME}:{free_port()}",
        "--dns-server", dns.address, "--only", "registry",
    )  # fmt: skip
    assert run.statuses["registry.tcp"] == "fail"
    assert "refused" in run.probe("registry.tcp")["summary"]
    assert run.statuses["registry.tls"] == "skip"


@pytest.mark.parametrize("name", ["nope.example.test", REGISTRY_NAME])
def test_dnsmasq_answers_like_the_in_process_server(tmp_path: Path, name: str) -> None:
    from tests.conftest import require_binaries
    from tests.services import Dnsmasq, running

    require_binaries("dnsmasq")
    with running(Dnsmasq(tmp_path / "dns", {REGISTRY_NAME: "127.0.0.1"})) as dnsmasq:
        run = doctor(
            str(tmp_path), "--registry", name, "--dns-server", dnsmasq.address,
            "--expect-ip", "127.0.0.1", "--only", "registry.dns",
        )  # fmt: skip
    expected = "ok" if name == REGISTRY_NAME else "fail"
    assert run.statuses == {"registry.dns": expected}, run.stdout
