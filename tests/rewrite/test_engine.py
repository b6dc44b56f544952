"""The rewrite engine: one transaction, atomic writes, safety, output, wiring."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockmig import rewrite
from dockmig.errors import DockmigError
from dockmig.rewrite_command import rewrite_registry_command, run

LOCAL_CONFIG = """\
service: shop
image: shop
servers:
  - 192.0.2.10
registry:
  server: localhost:5555
builder:
  arch: amd64
"""
TO_KNOT = {
    "to": "registry.example.com",
    "username": "admin",
    "password_secret": "KNOT_REGISTRY_PASSWORD",
}


def _project(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in {"config/deploy.yml": LOCAL_CONFIG, **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _run(root: Path, mode: str = "write", **arguments: str) -> tuple[int, str]:
    out = io.StringIO()
    options = {**TO_KNOT, **arguments}
    code = run(root, mode=mode, out=out, environ={}, **options)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_every_kind_of_file_moves_in_one_run(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "Dockerfile": "FROM localhost:5555/base:1\n",
            "compose.yml": "services:\n  web:\n    image: localhost:5555/shop\n",
            ".github/workflows/ci.yml": "env:\n  IMAGE: localhost:5555/shop\n",
            "bin/push.sh": "docker push localhost:5555/shop\n",
            "app/images.py": 'IMAGE = "localhost:5555/shop"\n',
            "README.md": "Push to localhost:5555 first.\n",
        },
    )

    code, output = _run(root)

    assert code == 0, output
    assert (root / "Dockerfile").read_text() == "FROM registry.example.com/base:1\n"
    assert "registry.example.com/shop" in (root / "compose.yml").read_text()
    assert (
        "registry.example.com/shop" in (root / ".github/workflows/ci.yml").read_text()
    )
    assert "registry.example.com/shop" in (root / "bin/push.sh").read_text()
    assert "registry.example.com/shop" in (root / "app/images.py").read_text()
    assert (root / "README.md").read_text() == "Push to localhost:5555 first.\n"
    assert "README.md:1:9: names the old registry" in output


def test_a_write_keeps_the_mode_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = _project(tmp_path, {"bin/push": "#!/bin/sh\ndocker push localhost:5555/a\n"})
    (root / "bin/push").chmod(0o750)
    (root / "config/deploy.yml").chmod(0o600)

    code, _output = _run(root)

    assert code == 0
    assert stat.S_IMODE((root / "bin/push").stat().st_mode) == 0o750
    assert stat.S_IMODE((root / "config/deploy.yml").stat().st_mode) == 0o600
    assert not [p for p in root.rglob("*") if p.name.endswith(".dockmig")]


def test_a_failed_write_restores_what_was_already_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, {"Dockerfile": "FROM localhost:5555/base:1\n"})
    before = _snapshot(root)
    real = rewrite._atomic_write
    calls = []

    def failing_second_write(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(rewrite, "_atomic_write", failing_second_write)

    result = rewrite.plan(rewrite.Options(root=root, environ={}, **TO_KNOT))
    assert len(result.changes) == 3
    with pytest.raises(DockmigError, match="restored"):
        rewrite.write(result)

    assert _snapshot(root) == before
    assert not (root / ".kamal").exists()


def test_a_file_changed_after_planning_is_not_overwritten(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    result = rewrite.plan(rewrite.Options(root=root, environ={}, **TO_KNOT))
    (root / "config/deploy.yml").write_text(LOCAL_CONFIG + "# edited meanwhile\n")

    with pytest.raises(DockmigError, match="changed while dockmig was planning"):
        rewrite.write(result)

    assert (root / "config/deploy.yml").read_text().endswith("# edited meanwhile\n")


def test_a_symbolic_link_out_of_the_project_is_never_written(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "deploy.yml"
    outside.parent.mkdir()
    outside.write_text(LOCAL_CONFIG)
    root = _project(tmp_path / "project", {})
    (root / "config/deploy.yml").unlink()
    (root / "config/deploy.yml").symlink_to(outside)

    code, output = _run(root)

    assert code == 1
    assert "symbolic link that leads out of the project" in output
    assert outside.read_text() == LOCAL_CONFIG
    assert (root / "config/deploy.yml").is_symlink()


@pytest.mark.parametrize("written", ["absolute", "relative"])
def test_a_config_outside_the_project_is_named_as_outside_not_as_a_link(
    tmp_path: Path, written: str
) -> None:
    outside = tmp_path / "elsewhere" / "deploy.yml"
    outside.parent.mkdir()
    outside.write_text(LOCAL_CONFIG)
    root = _project(tmp_path / "project", {})
    config = str(outside) if written == "absolute" else "../elsewhere/deploy.yml"

    code, output = _run(root, config=config)

    assert code == 1
    assert "is outside the project" in output
    assert "symbolic link" not in output
    assert outside.read_text() == LOCAL_CONFIG


def test_an_erb_username_in_a_file_with_a_byte_order_mark_is_replaced(
    tmp_path: Path,
) -> None:
    config = LOCAL_CONFIG.replace(
        "  server: localhost:5555\n",
        '  server: localhost:5555\n  username: <%= ENV["REGISTRY_USER"] %>\n',
    )
    root = _project(tmp_path, {"config/deploy.yml": "\ufeff" + config})

    out = io.StringIO()
    code = run(root, mode="write", out=out, environ={"REGISTRY_USER": "ru"}, **TO_KNOT)  # type: ignore[arg-type]

    assert code == 0, out.getvalue()
    written = (root / "config/deploy.yml").read_text(encoding="utf-8")
    assert written.startswith("\ufeffservice: shop\n")
    assert "  username: admin\n" in written and "REGISTRY_USER" not in written


def test_a_link_inside_the_project_is_edited_once_through_its_target(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"scripts/push.sh": "docker push localhost:5555/a\n"})
    (root / "bin").mkdir()
    (root / "bin/push").symlink_to(root / "scripts/push.sh")

    code, _output = _run(root)

    assert code == 0
    assert (root / "bin/push").is_symlink()
    assert (root / "scripts/push.sh").read_text() == (
        "docker push registry.example.com/a\n"
    )


def test_a_file_of_a_known_kind_that_is_not_utf8_blocks_the_run(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"Dockerfile": b"# caf\xe9\nFROM localhost:5555/base\n"})
    before = _snapshot(root)

    code, output = _run(root)

    assert code == 1
    assert "Dockerfile: names the old registry but is not UTF-8" in output
    assert _snapshot(root) == before


def test_a_deploy_config_that_is_not_utf8_stops_with_its_position(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"config/deploy.yml": b"service: caf\xe9\n"})

    with pytest.raises(DockmigError) as raised:
        rewrite.plan(rewrite.Options(root=root, environ={}, **TO_KNOT))

    assert str(raised.value).startswith(
        "config/deploy.yml:1:13: byte 0xe9 is not UTF-8"
    )


def test_files_without_the_old_host_are_read_but_never_parsed(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        f"app/module_{n}.py": f"VALUE = {n}\n" for n in range(40)
    }
    files["app/images.py"] = 'IMAGE = "localhost:5555/shop"\n'
    root = _project(tmp_path, files)

    result = rewrite.plan(rewrite.Options(root=root, environ={}, **TO_KNOT))

    assert result.files_read == 41
    assert result.files_parsed == 1


def test_libcst_loads_only_when_a_python_file_names_the_old_host(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"app/plain.py": "VALUE = 1\n"})
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dockmig import rewrite\n"
        f"rewrite.plan(rewrite.Options(root=Path({str(root)!r}), environ={{}}, "
        "to='registry.example.com', username='a', password_secret='S'))\n"
        "print('libcst' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


def test_importing_the_command_loads_neither_the_engine_nor_its_parsers() -> None:
    script = (
        "import sys\n"
        "import dockmig.rewrite_command\n"
        "loaded = [m for m in sys.modules if m.startswith(('ruamel', 'libcst', "
        "'dockmig.rewrite', 'dockmig.codemods'))]\n"
        "print(sorted(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "['dockmig.rewrite_command']"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_diff_is_coloured_only_on_a_terminal_without_no_color(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, {})
    monkeypatch.delenv("NO_COLOR", raising=False)

    terminal = _Terminal()
    run(root, mode="diff", out=terminal, environ={}, **TO_KNOT)
    piped = io.StringIO()
    run(root, mode="diff", out=piped, environ={}, **TO_KNOT)
    monkeypatch.setenv("NO_COLOR", "1")
    no_color = _Terminal()
    run(root, mode="diff", out=no_color, environ={}, **TO_KNOT)

    assert "\033[32m+  server: registry.example.com" in terminal.getvalue()
    assert "\033[" not in piped.getvalue()
    assert "\033[" not in no_color.getvalue()
    assert piped.getvalue() == no_color.getvalue()


def test_check_exits_1_while_anything_would_change_and_0_after_the_write(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {})

    pending, pending_output = _run(root, "check")
    _run(root, "write")
    done, done_output = _run(root, "check")

    assert (pending, done) == (1, 0)
    assert pending_output == (
        "2 files would change; moving to registry.example.com; "
        "0 other files read, 0 parsed\n"
    )
    assert "0 files would change" in done_output


def test_without_a_username_the_command_says_what_is_missing(tmp_path: Path) -> None:
    root = _project(tmp_path, {})

    with pytest.raises(DockmigError, match="pass --username USER"):
        rewrite.plan(rewrite.Options(root=root, to="registry.example.com", environ={}))


def test_the_project_settings_supply_every_default(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            ".dockmig.yml": (
                "registry:\n  host: registry.example.com\n  username: admin\n"
                "  password_secret: KNOT_REGISTRY_PASSWORD\n"
                "  previous: localhost:5555\n"
            )
        },
    )

    out = io.StringIO()
    code = run(root, mode="write", out=out, environ={})

    assert code == 0, out.getvalue()
    text = (root / "config/deploy.yml").read_text()
    assert "server: registry.example.com" in text
    assert "username: admin" in text
    assert "- KNOT_REGISTRY_PASSWORD" in text
    assert (root / ".dockmig.yml").read_text().endswith("previous: localhost:5555\n")


@pytest.mark.parametrize("host", ["https://registry.example.com", "reg istry", "a/b"])
def test_a_target_that_is_not_host_and_port_is_refused(
    tmp_path: Path, host: str
) -> None:
    root = _project(tmp_path, {})

    with pytest.raises(DockmigError, match="is not HOST or HOST:PORT"):
        rewrite.plan(rewrite.Options(root=root, to=host, environ={}))


@pytest.mark.parametrize("host", ["registry.example.com:99999", "localhost:0"])
def test_a_port_outside_the_tcp_range_is_refused(tmp_path: Path, host: str) -> None:
    root = _project(tmp_path, {})

    with pytest.raises(DockmigError, match="outside 1-65535"):
        rewrite.plan(rewrite.Options(root=root, to=host, environ={}))


def test_the_click_command_parses_and_returns_the_exit_code(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    runner = CliRunner()

    checked = runner.invoke(
        rewrite_registry_command,
        [
            str(root),
            *("--to", "registry.example.com", "--username", "admin"),
            *("--password-secret", "KNOT_REGISTRY_PASSWORD", "--check"),
        ],
    )
    refused = runner.invoke(
        rewrite_registry_command, [str(root), "--to", "https://nope"]
    )

    assert checked.exit_code == 1
    assert "2 files would change" in checked.output
    assert refused.exit_code == 2
    assert "is not HOST or HOST:PORT" in refused.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--check", "--write"], "cannot be combined"),
        (["--diff", "--write"], "cannot be combined"),
        (["--to", "registry.example.com:99999", "--username", "admin"], "65535"),
        (["--to", "r.example.com", "--password-secret", "bad name"], "secret name"),
        (["--from", "https://old.example"], "is not HOST or HOST:PORT"),
        (["--to", "r.example.com", "--username", "a\nb"], "one line"),
        (["--to", "r.example.com", "--username", " "], "one line"),
        (["--to", "r.example.com"], "needs a username"),
    ],
)
def test_a_mistaken_command_line_is_a_usage_error_and_writes_nothing(
    tmp_path: Path, args: list[str], says: str
) -> None:
    root = _project(tmp_path, {})
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = CliRunner().invoke(
        rewrite_registry_command,
        [str(root), "--password-secret", "KNOT_REGISTRY_PASSWORD", *args],
    )
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_from_leaves_targets_on_another_registry_alone(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "config/deploy.staging.yml": (
                "registry:\n  server: ghcr.io\n  username: acme\n"
                "  password:\n    - GHCR_TOKEN\n"
            ),
        },
    )

    code, output = _run(root, from_host="localhost:5555")

    assert code == 0
    assert "server: ghcr.io" in (root / "config/deploy.staging.yml").read_text()
    assert "-d staging uses the registry ghcr.io, not --from; left as it is" in output


def test_a_destination_on_another_registry_stays_there_both_ways(
    tmp_path: Path,
) -> None:
    # Without --from, the registry being left is config/deploy.yml's.
    staging = (
        "registry:\n  server: ghcr.io\n  username: acme\n"
        "  password:\n    - GHCR_TOKEN\n"
    )
    root = _project(tmp_path, {"config/deploy.staging.yml": staging})

    forward, said = _run(root)
    moved = (root / "config/deploy.yml").read_text()
    back, _said = _run(root, to="localhost:5555")

    assert "server: localhost:5555" not in moved

    assert (forward, back) == (0, 0), said
    assert (root / "config/deploy.staging.yml").read_text() == staging
    assert "-d staging uses the registry ghcr.io, not localhost:5555" in said
    assert "server: localhost:5555" in (root / "config/deploy.yml").read_text()


def test_tool_folders_are_not_searched(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "node_modules/pkg/push.sh": "docker push localhost:5555/a\n",
            ".git/hooks/pre-push": "#!/bin/sh\ndocker push localhost:5555/a\n",
            ".venv/pyvenv.cfg": "home = /usr\n",
        },
    )
    os.makedirs(root / "venv2")
    (root / "venv2/pyvenv.cfg").write_text("home = /usr\n")
    (root / "venv2/tool.py").write_text('X = "localhost:5555/a"\n')

    result = rewrite.plan(rewrite.Options(root=root, environ={}, **TO_KNOT))

    assert {c.display for c in result.changes} == {
        "config/deploy.yml",
        ".kamal/secrets",
    }
