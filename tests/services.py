"""Real services for the tests, started and stopped by the tests themselves.

Everything binds 127.0.0.1 or a unix socket in a private temporary folder:
a test PKI (openssl), the Distribution registry (Debian `docker-registry`)
over HTTP or TLS with htpasswd or token auth, a Bearer token server, DNS
servers (dnsmasq, and one in-process on dnspython), a TCP listener that
accepts and never answers, a UDP port that never answers, and a private
dockerd. Every class stops what it started, by its own PID, in `stop()`;
the fixtures in `tests/conftest.py` call it on teardown.

`available(...)` tells whether a component is installed; the fixtures turn
a missing one into a skip, or a failure in CI (`CI=true`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import io
import ipaddress
import json
import os
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REGISTRY_NAME = "registry.example.test"
# P-256 keys: generating seven RSA keys would take most of the PKI's second.
_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
SYSTEM_DOCKER = Path("/usr/bin/docker")  # the 20.10 client: builds without buildx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing_binaries(*names: str) -> list[str]:
    return [name for name in names if shutil.which(name) is None]


def _wait(check: Any, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready within {seconds:g} s")


def orphan_proof(command: list[str]) -> list[str]:
    """`command`, set to get SIGTERM when the test process dies without teardown.

    A killed pytest (a CI time-out, kill -9) never runs fixture teardown;
    util-linux's setpriv makes the kernel stop the service instead of leaving
    it running. The process keeps its PID: setpriv execs the command.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return command
    return [setpriv, "--pdeathsig", "TERM", "--", *command]


def _stop_process(process: subprocess.Popen[bytes] | None, grace: float = 15.0) -> None:
    """TERM the one process we started, then KILL it if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def openssl(*args: str, cwd: Path, stdin: bytes | None = None) -> bytes:
    completed = subprocess.run(
        ["openssl", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
    )

    if completed.returncode != 0:
        raise RuntimeError(
            f"openssl {' '.join(args[:2])} failed: {completed.stderr.decode()[-500:]}"
        )
    return completed.stdout


# -- PKI ---------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    cert: Path
    key: Path


@dataclass
class Pki:
    """A test CA and leaf certificates issued by it.

    server: SANs localhost, registry.example.test, 127.0.0.1, valid 90 days;
    wrong_name: only wrong.example.test; expired: the server's names, valid
    in January 2020; expiring: the server's names, 5 days left; client: a
    client certificate (for an engine's mutual TLS).
    """

    folder: Path
    ca: Path
    ca_key: Path
    server: Leaf
    wrong_name: Leaf
    expired: Leaf
    expiring: Leaf
    client: Leaf
    other_ca: Path

    @classmethod
    def create(cls, folder: Path) -> Pki:
        folder.mkdir(parents=True, exist_ok=True)
        ca, ca_key = _make_ca(folder, "ca", "dockmig test CA")
        other_ca, _ = _make_ca(folder, "other-ca", "dockmig other CA")

        (folder / "db").mkdir(exist_ok=True)
        (folder / "db" / "index.txt").write_text("")
        (folder / "db" / "serial").write_text("1000\n")

        server_names = f"DNS:localhost,DNS:{REGISTRY_NAME},IP:127.0.0.1"
        now = time.time()
        return cls(
            folder=folder,
            ca=ca,
            ca_key=ca_key,
            server=_issue(folder, "server", server_names, now - 3600, now + 90 * 86400),
            wrong_name=_issue(
                folder,
                "wrongname",
                "DNS:wrong.example.test",
                now - 3600,
                now + 90 * 86400,
            ),
            expired=_issue(folder, "expired", server_names, 1577836800, 1580515200),
            expiring=_issue(
                folder, "expiring", server_names, now - 3600, now + 5 * 86400
            ),
            client=_issue(
                folder,
                "client",
                "DNS:client",
                now - 3600,
                now + 90 * 86400,
                "clientAuth",
            ),
            other_ca=other_ca,
        )


def _make_ca(folder: Path, name: str, common_name: str) -> tuple[Path, Path]:
    openssl(
        "req", "-x509", *_EC_KEY, "-nodes", "-days", "400",
        "-subj", f"/CN={common_name}",
        "-keyout", f"{name}.key", "-out", f"{name}.crt",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return folder / f"{name}.crt", folder / f"{name}.key"


def _stamp(seconds: float) -> str:
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(seconds))


def _issue(
    folder: Path,
    name: str,
    names: str,
    start: float,
    end: float,
    usage: str = "serverAuth",
) -> Leaf:
    """A leaf signed by the CA with exact validity dates (`openssl ca` allows past ones)."""
    config = folder / f"{name}.cnf"
    config.write_text(
        "[ca]\ndefault_ca = test\n"
        "[test]\ndatabase = db/index.txt\nnew_certs_dir = db\nserial = db/serial\n"
        "default_md = sha256\npolicy = any\nunique_subject = no\n"
        "[any]\ncommonName = supplied\n"
        f"[leaf]\nsubjectAltName = {names}\nbasicConstraints = CA:FALSE\n"
        f"keyUsage = digitalSignature\nextendedKeyUsage = {usage}\n"
    )

    openssl(
        "req", *_EC_KEY, "-nodes", "-subj", f"/CN={name}.example.test",
        "-keyout", f"{name}.key", "-out", f"{name}.csr",
        cwd=folder,
    )  # fmt: skip
    openssl(
        "ca", "-batch", "-notext", "-config", config.name, "-extensions", "leaf",
        "-cert", "ca.crt", "-keyfile", "ca.key", "-in", f"{name}.csr",
        "-out", f"{name}.crt", "-startdate", _stamp(start), "-enddate", _stamp(end),
        cwd=folder,
    )  # fmt: skip
    return Leaf(folder / f"{name}.crt", folder / f"{name}.key")


def htpasswd(path: Path, users: Mapping[str, str]) -> Path:
    """A bcrypt htpasswd file; passwords go through stdin, not the command line."""
    path.unlink(missing_ok=True)

    for user, password in users.items():
        flags = "-iB" if path.exists() else "-iBc"
        subprocess.run(
            ["htpasswd", flags, str(path), user],
            input=password.encode(),
            capture_output=True,
            check=True,
        )
    return path


# -- Bearer token server -------------------------------------------------------


class TokenServer:
    """A Docker registry token service (RS256 JWTs), in this process.

    Basic credentials that match `users` get a token carrying the requested
    scopes; wrong ones get 401; no credentials get an anonymous token with
    no access. Signing goes through `openssl dgst`, so no crypto library is
    needed. `requests` records (path, had credentials) of each call.
    """

    def __init__(
        self,
        folder: Path,
        users: Mapping[str, str],
        service: str = "dockmig-test-registry",
        issuer: str = "dockmig-test-issuer",
    ) -> None:
        self.folder = folder
        self.users = dict(users)
        self.service = service
        self.issuer = issuer
        self.requests: list[tuple[str, bool]] = []

        folder.mkdir(parents=True, exist_ok=True)
        self.key = folder / "token.key"
        self.cert = folder / "token.crt"
        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=dockmig token signer",
            "-keyout", self.key.name, "-out", self.cert.name,
            cwd=folder,
        )  # fmt: skip
        spki = openssl(
            "pkey", "-in", self.key.name, "-pubout", "-outform", "DER", cwd=folder
        )
        self.kid = _libtrust_key_id(spki)
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def realm(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def token(self, subject: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})

        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 600,
            "nbf": now - 30,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }

        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = (
            f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        )
        signature = openssl(
            "dgst", "-sha256", "-sign", self.key.name, cwd=self.folder,
            stdin=signing_input.encode(),
        )  # fmt: skip
        return f"{signing_input}.{_b64(signature)}"

    def start(self) -> TokenServer:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                header = self.headers.get("Authorization", "")
                outer.requests.append((self.path, bool(header)))

                subject = ""
                if header.startswith("Basic "):
                    user, _, password = (
                        base64.b64decode(header[6:]).decode().partition(":")
                    )
                    if outer.users.get(user) != password:
                        self.send_response(401)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    subject = user

                scopes = query.get("scope", []) if subject else []
                token = outer.token(subject, scopes)
                body = json.dumps({"token": token, "access_token": token}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _libtrust_key_id(spki_der: bytes) -> str:
    """The key ID the registry expects: SHA-256 of the key, 240 bits, base32 in fours."""
    encoded = base64.b32encode(hashlib.sha256(spki_der).digest()[:30]).decode()
    encoded = encoded.rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


# -- Distribution registry -------------------------------------------------------


@dataclass
class Registry:
    """`docker-registry serve` on 127.0.0.1 with a config written here."""

    folder: Path
    tls: Leaf | None = None
    htpasswd_file: Path | None = None
    token: TokenServer | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: info",
            "  accesslog: {disabled: true}",
            "storage:",
            f"  filesystem: {{rootdirectory: {self.folder / 'data'}}}",
            "  delete: {enabled: true}",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
            "  secret: dockmig-test-only-secret",
        ]

        if self.tls:
            lines.append(
                f"  tls: {{certificate: {self.tls.cert}, key: {self.tls.key}}}"
            )
        if self.htpasswd_file:
            lines.append(
                f"auth: {{htpasswd: {{realm: dockmig-test-realm, path: {self.htpasswd_file}}}}}"
            )
        elif self.token:
            lines.append(
                f"auth: {{token: {{realm: '{self.token.realm}', service: {self.token.service}, "
                f"issuer: {self.token.issuer}, rootcertbundle: {self.token.cert}}}}}"
            )
        return "\n".join(lines) + "\n"

    def start(self) -> Registry:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.folder / "config.yml"
        config.write_text(self.config())

        log = (self.folder / "registry.log").open("wb")
        self.process = subprocess.Popen(
            orphan_proof(["docker-registry", "serve", str(config)]),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()

        try:
            _wait(self._answers, f"registry on 127.0.0.1:{self.port}")
        except RuntimeError:
            self.stop()
            raise RuntimeError(
                (self.folder / "registry.log").read_text(errors="replace")[-2000:]
            ) from None
        return self

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {self.process.returncode}")

        try:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=1)
        except OSError:
            return False

        stream: socket.socket = raw
        try:
            if self.tls:
                unchecked = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                unchecked.check_hostname = False
                unchecked.verify_mode = ssl.CERT_NONE
                stream = unchecked.wrap_socket(raw)
            stream.sendall(b"GET /v2/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
            head = stream.recv(64)
            return head.startswith(b"HTTP/") and (b" 200" in head or b" 401" in head)
        except OSError:
            return False
        finally:
            stream.close()
            raw.close()

    def stop(self) -> None:
        _stop_process(self.process)
        self.process = None


# -- DNS ---------------------------------------------------------------------------


class MiniDns:
    """An authoritative DNS server in this process (dnspython), UDP and TCP.

    `records` maps names to addresses; A and AAAA answers come from the
    addresses of that family. A known name with no address of the asked
    family answers NODATA; an unknown name NXDOMAIN. Change `records` at
    any time.
    """

    def __init__(self, records: Mapping[str, list[str]], ttl: int = 60) -> None:
        import dns.flags
        import dns.message
        import dns.rcode
        import dns.rdatatype
        import dns.rrset

        self.records = {k.lower().rstrip("."): list(v) for k, v in records.items()}
        self.queries: list[str] = []
        outer = self

        def reply(wire: bytes) -> bytes:
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            question = query.question[0]
            name = question.name.to_text().lower().rstrip(".")
            outer.queries.append(f"{name} {dns.rdatatype.to_text(question.rdtype)}")

            if name not in outer.records:
                response.set_rcode(dns.rcode.NXDOMAIN)
                return response.to_wire()

            version = {dns.rdatatype.A: 4, dns.rdatatype.AAAA: 6}.get(question.rdtype)
            found = [
                a
                for a in outer.records[name]
                if ipaddress.ip_address(a).version == version
            ]
            if found:
                kind = dns.rdatatype.to_text(question.rdtype)
                response.answer.append(
                    dns.rrset.from_text_list(question.name, ttl, "IN", kind, found)
                )
            return response.to_wire()

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                sock.sendto(reply(data), self.client_address)

        class Tcp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                size = self.request.recv(2)
                if len(size) < 2:
                    return
                (length,) = struct.unpack("!H", size)

                data = b""
                while len(data) < length:
                    chunk = self.request.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk

                answer = reply(data)
                self.request.sendall(struct.pack("!H", len(answer)) + answer)

        self._udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Udp)
        self.port = int(self._udp.server_address[1])

        class ReusableTcp(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._tcp = ReusableTcp(("127.0.0.1", self.port), Tcp)
        self._udp.daemon_threads = True

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> MiniDns:
        for server in (self._udp, self._tcp):
            threading.Thread(
                target=server.serve_forever, args=(0.05,), daemon=True
            ).start()
        return self

    def stop(self) -> None:
        for server in (self._udp, self._tcp):
            server.shutdown()
            server.server_close()


@dataclass
class Dnsmasq:
    """dnsmasq answering only for example.test, on a loopback port."""

    folder: Path
    records: Mapping[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Dnsmasq:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        records = [f"--address=/{name}/{ip}" for name, ip in self.records.items()]

        errors = (self.folder / "dnsmasq.err").open("wb")
        self.process = subprocess.Popen(
            orphan_proof([
                "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--no-poll",
                "--listen-address=127.0.0.1", "--bind-interfaces",
                f"--port={self.port}", "--user=root", "--group=root",
                "--local=/example.test/", "--local-ttl=60",
                f"--pid-file={self.folder / 'dnsmasq.pid'}",
                f"--log-facility={self.folder / 'dnsmasq.log'}", "--log-queries",
                *records,
            ]),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )  # fmt: skip
        errors.close()

        _wait(self._listening, f"dnsmasq on 127.0.0.1:{self.port}")
        return self

    def _listening(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                "dnsmasq exited: "
                + (self.folder / "dnsmasq.err").read_text(errors="replace")[-500:]
            )

        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
        ):
            return True
        return False

    def stop(self) -> None:
        _stop_process(self.process)
        self.process = None


# -- silence -------------------------------------------------------------------------


class SilentListener:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = int(self._socket.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> SilentListener:
        self._thread.start()
        return self

    def _accept(self) -> None:
        self._socket.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)

    @property
    def accepted(self) -> int:
        return len(self._held)

    def wait_for(self, connections: int, seconds: float = 5.0) -> int:
        """Connections accepted, once `connections` arrived or `seconds` passed.

        A client's connect returns when the kernel queues the connection,
        before this listener's thread accepts it.
        """
        deadline = time.monotonic() + seconds
        while len(self._held) < connections and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self._held)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(2)
        for connection in self._held:
            connection.close()
        self._socket.close()


class SilentUdp:
    """A bound UDP port that reads nothing: a DNS server that never answers."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._socket.close()


# -- dockerd -------------------------------------------------------------------------


class Dockerd:
    """A private Docker engine: its own data, exec root, pidfile and socket.

    No bridge, no iptables: containers run with `--network none` and builds
    use `--network none`. daemon.json moves key.json into the folder, since
    without it dockerd writes /etc/docker/key.json.
    """

    def __init__(self, folder: Path, tls: tuple[Path, Leaf] | None = None) -> None:
        self.folder = folder
        self.socket = folder / "docker.sock"
        self.process: subprocess.Popen[bytes] | None = None
        # (CA, server certificate): also listen on 127.0.0.1 with mutual TLS.
        self.tls = tls
        self.tcp_port = 0

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> Dockerd:
        self.folder.mkdir(parents=True, exist_ok=True)
        daemon_json = self.folder / "daemon.json"
        daemon_json.write_text(
            json.dumps({"deprecated-key-path": str(self.folder / "key.json")})
        )

        listeners = ["-H", self.host]
        if self.tls:
            ca, server = self.tls
            self.tcp_port = free_port()
            listeners += [
                "-H", f"tcp://127.0.0.1:{self.tcp_port}", "--tlsverify",
                "--tlscacert", str(ca), "--tlscert", str(server.cert),
                "--tlskey", str(server.key),
            ]  # fmt: skip

        log = (self.folder / "dockerd.log").open("wb")
        self.process = subprocess.Popen(
            orphan_proof([
                "dockerd", "--config-file", str(daemon_json), *listeners,
                "--data-root", str(self.folder / "root"),
                "--exec-root", str(self.folder / "exec"),
                "--pidfile", str(self.folder / "dockerd.pid"),
                "--storage-driver=overlay2",
                "--iptables=false", "--ip6tables=false", "--bridge=none",
                "--ip-masq=false", "--ip-forward=false", "--userland-proxy=false",
            ]),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        log.close()

        try:
            _wait(self._pings, "dockerd", 30)
        except RuntimeError:
            self.stop()
            raise RuntimeError(
                (self.folder / "dockerd.log").read_text(errors="replace")[-2000:]
            ) from None
        return self

    def _pings(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"dockerd exited with {self.process.returncode}")
        return ping_unix(self.socket)

    def docker(
        self, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """The 20.10 CLI against this engine, with its own config folder."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG")
        }
        env.update(
            DOCKER_HOST=self.host,
            DOCKER_CONFIG=str(self.folder / "cli"),
            DOCKER_BUILDKIT="1",
        )

        return subprocess.run(
            [str(SYSTEM_DOCKER), *args],
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def seed(self, volumes: list[str]) -> None:
        """An image (busybox), the given volumes with data, and BuildKit cache."""
        seed = self.folder / "seed"
        seed.mkdir(exist_ok=True)
        rootfs = seed / "rootfs.tar"
        _busybox_rootfs(rootfs)
        self.docker(
            "import", "-c", 'CMD ["/bin/sh"]', str(rootfs), "dockmig/busybox:test"
        )

        for volume in volumes:
            self.docker("volume", "create", volume)
            self.docker(
                "run", "--rm", "--network", "none", "-v", f"{volume}:/data",
                "dockmig/busybox:test", "/bin/sh", "-c", "echo payload > /data/f",
            )  # fmt: skip

        context = seed / "context"
        context.mkdir(exist_ok=True)
        (context / "Dockerfile").write_text(
            "FROM dockmig/busybox:test\n"
            "RUN /bin/busybox dd if=/dev/zero of=/cache-filler bs=1024 count=2048\n"
        )
        self.docker(
            "build", "-q", "--network", "none", "-t", "dockmig/built:1", str(context)
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            listed = self.docker("ps", "-aq", check=False).stdout.split()
            if listed:
                self.docker("rm", "-f", *listed, check=False)
        _stop_process(self.process, grace=20)
        self.process = None
        _unmount_below(self.folder)


def ping_unix(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
            raw.settimeout(1)
            raw.connect(str(path))
            raw.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return raw.recv(32).split(b" ")[1:2] == [b"200"]
    except OSError:
        return False


def _busybox_rootfs(target: Path) -> None:
    busybox = shutil.which("busybox")
    assert busybox is not None
    with tarfile.open(target, "w") as archive:
        data = Path(busybox).read_bytes()
        entry = tarfile.TarInfo("bin/busybox")
        entry.size = len(data)
        entry.mode = 0o755
        archive.addfile(entry, io.BytesIO(data))

        for applet in ("sh", "echo", "dd", "tar", "sleep"):
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            archive.addfile(link)


def _unmount_below(folder: Path) -> None:
    """Mounts dockerd left under its own folder (none, when it stopped cleanly)."""
    prefix = str(folder.resolve()) + "/"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return
    for line in reversed(mounts):
        fields = line.split()
        if len(fields) > 1 and fields[1].startswith(prefix):
            subprocess.run(["umount", fields[1]], capture_output=True, check=False)


def private_folder(prefix: str) -> Path:
    """A short folder under /tmp: unix socket paths must stay under 108 bytes."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@contextlib.contextmanager
def running(service: Any) -> Iterator[Any]:
    """Start a service and stop it whatever happens."""
    try:
        yield service.start()
    finally:
        service.stop()
