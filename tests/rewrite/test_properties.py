"""Properties of rewrite-registry over generated Kamal projects.

The generator writes deploy configs the way people do: LF or CRLF, with or
without a byte-order mark, `---` and a final newline, two or four spaces,
lists flush with their key or indented, quoted or plain servers, comments
between and inside sections, credentials as plain values, block lists or
flow lists, commented-out templates, and sometimes a destination.

- Rewriting to the registry a project already uses changes no byte.
- Moving away and back restores the data Kamal loads (for a local registry,
  Kamal ignores credentials and defaults the image to the service, so those
  are compared as Kamal reads them).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockmig import document
from dockmig.codemod import is_local
from dockmig.rewrite_command import run
from dockmig.secrets import parse_secrets

SERVERS = ["localhost:5555", "localhost:5000", "ghcr.io", "registry.example.net"]
COMMENTS = ["# Registry settings.", "# TODO: review", "#", "# Where images live"]


@dataclass
class Project:
    files: dict[str, str] = field(default_factory=dict)
    server: str = ""
    username: str | None = None
    secret: str | None = None


def _scalar(draw: Any, value: str) -> str:
    quote = draw(st.sampled_from(["", "'", '"']))
    return f"{quote}{value}{quote}"


@st.composite
def projects(draw: Any, local_only: bool = False) -> Project:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    unit = draw(st.sampled_from([2, 4]))
    dash = draw(st.sampled_from([0, unit]))
    pad = " " * unit
    servers = [s for s in SERVERS if is_local(s)] if local_only else SERVERS
    server = draw(st.sampled_from(servers))
    local = is_local(server)
    project = Project(server=server)

    def comment() -> list[str]:
        if not draw(st.booleans()):
            return []
        text = draw(st.sampled_from(COMMENTS))
        return [text + draw(st.sampled_from(["", " ", "  "]))]

    lines: list[str] = []
    if draw(st.booleans()):
        lines.append("---")
    lines += [*comment(), "service: shop"]
    if not local or draw(st.booleans()):
        lines += ["image: " + _scalar(draw, "acme/shop")]
    lines += [*comment(), "servers:", f"{pad}web:", f"{pad}{' ' * dash}- 192.0.2.10"]
    lines += [""] * draw(st.integers(0, 1))

    lines += [*comment(), "registry:"]
    lines += [pad + line for line in comment()]
    lines += [f"{pad}server: " + _scalar(draw, server)]
    username_form = draw(st.sampled_from(["plain", "list", "flow"] + ["none"] * local))
    if username_form == "plain":
        project.username = "deploy"
        lines += [f"{pad}username: deploy"]
    elif username_form == "list":
        lines += [f"{pad}username:", f"{pad}{' ' * dash}- REGISTRY_USER"]
        project.username = None
    elif username_form == "flow":
        lines += [f"{pad}username: [REGISTRY_USER]"]
    elif draw(st.booleans()):
        lines += [f"{pad}# username: your-user"]
    password_form = draw(st.sampled_from(["list", "flow"] + ["none"] * local))
    if password_form == "list":
        project.secret = "OLD_REGISTRY_PASSWORD"
        lines += [f"{pad}password:", f"{pad}{' ' * dash}- OLD_REGISTRY_PASSWORD"]
    elif password_form == "flow":
        project.secret = "OLD_REGISTRY_PASSWORD"
        lines += [f"{pad}password: [OLD_REGISTRY_PASSWORD]"]
    elif draw(st.booleans()):
        lines += [f"{pad}# password:", f"{pad}#   - KAMAL_REGISTRY_PASSWORD"]

    lines += [""] * draw(st.integers(0, 2))
    lines += [*comment(), "builder:", f"{pad}arch: amd64"]
    lines += [
        *comment(),
        "env:",
        f"{pad}secret:",
        f"{pad}{' ' * dash}- RAILS_MASTER_KEY",
    ]
    body = eol.join(lines) + (eol if draw(st.booleans()) else "")
    bom = "\ufeff" if draw(st.booleans()) else ""
    project.files["config/deploy.yml"] = bom + body

    if draw(st.booleans()):
        project.files["config/deploy.staging.yml"] = eol.join(
            ["servers:", f"{pad}web:", f"{pad}{' ' * dash}- 192.0.2.20", ""]
        )
    secrets = ["RAILS_MASTER_KEY=$RAILS_MASTER_KEY"]
    if project.secret:
        secrets.append(f"{project.secret}=${project.secret}")
    project.files[".kamal/secrets-common"] = eol.join(secrets) + eol
    return project


def _write(root: Path, project: Project) -> None:
    for relative, text in project.files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _move(root: Path, to: str, **credentials: str | None) -> None:
    out = io.StringIO()
    code = run(root, to=to, mode="write", out=out, environ={}, **credentials)  # type: ignore[arg-type]
    assert code == 0, out.getvalue()


def _kamal_data(root: Path) -> dict[str | None, Any]:
    """What Kamal loads for every target, credentials ignored where it ignores them."""
    base = document.load(root / "config/deploy.yml", "deploy.yml", {}).data
    targets: dict[str | None, Any] = {None: base}
    staging = root / "config/deploy.staging.yml"
    if staging.exists():
        overlay = document.load(staging, "deploy.staging.yml", {}).data
        targets["staging"] = {**base, **overlay}
    for data in targets.values():
        registry = dict(data["registry"])
        if is_local(registry.get("server")):
            registry.pop("username", None)
            registry.pop("password", None)
            data.setdefault("image", data["service"])
        data["registry"] = registry
    return targets


def _secret_names(root: Path) -> set[str]:
    names: set[str] = set()
    for path in (root / ".kamal").glob("secrets*"):
        names |= parse_secrets(path.read_text(encoding="utf-8"), path.name).names()
    return names


SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(projects())
def test_rewriting_to_the_registry_already_configured_changes_no_byte(
    project: Project,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write(root, project)
        before = _tree(root)

        out = io.StringIO()
        code = run(root, to=project.server, mode="check", out=out, environ={})

        assert code == 0, out.getvalue()
        assert _tree(root) == before


@SETTINGS
@given(projects(local_only=True))
def test_moving_away_from_a_local_registry_and_back_restores_the_data(
    project: Project,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write(root, project)
        data = _kamal_data(root)
        names = _secret_names(root)

        _move(
            root,
            "registry.example.com",
            username="admin",
            password_secret="KNOT_REGISTRY_PASSWORD",
        )
        assert "KNOT_REGISTRY_PASSWORD" in _secret_names(root)
        _move(root, project.server)

        assert _kamal_data(root) == data
        assert _secret_names(root) == names


@SETTINGS
@given(projects().filter(lambda p: not is_local(p.server) and p.username))
def test_moving_a_remote_registry_away_and_back_restores_the_data(
    project: Project,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _write(root, project)
        data = _kamal_data(root)

        _move(
            root,
            "registry.example.com",
            username="admin",
            password_secret="KNOT_REGISTRY_PASSWORD",
        )
        _move(
            root,
            project.server,
            username=project.username,
            password_secret=project.secret,
        )

        assert _kamal_data(root) == data
