"""What rewrite-registry refuses, where it says so, and how a rerun recovers.

- A deploy file Kamal cannot load is refused with the reader's own finding
  and position, once, whichever targets read it.
- YAML is scanned with Psych's rules for tabs, in deploy files and in the
  other YAML files alike, and a YAML error is reported where it is.
- A Python file nested deeper than libcst can parse is refused with a note,
  never a crash (each run in a child process, so that a crash fails the test
  instead of ending the session).
- Writes go in an order a rerun can finish from, and a rerun removes the
  temporary files a killed run left, and only those.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dockmig.codemods import python_source

from dockmig import document, rewrite, spans, yamlspans
from dockmig.rewrite_command import run
from tests.tabs import tab_variants

OLD = "localhost:5555"
NEW = "registry.example.com"
CONFIG = f"""\
service: shop
image: shop
servers:
  - 192.0.2.10
registry:
  server: {OLD}
builder:
  arch: amd64
"""
TO_KNOT = {"to": NEW, "username": "admin", "password_secret": "KNOT_REGISTRY_PASSWORD"}


def _project(root: Path, files: dict[str, str]) -> Path:
    for relative, content in {"config/deploy.yml": CONFIG, **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="")
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _run(root: Path, mode: str = "write") -> tuple[int, str]:
    out = io.StringIO()
    code = run(root, mode=mode, out=out, err=out, environ={}, **TO_KNOT)  # type: ignore[arg-type]
    return code, out.getvalue()


def _place(text: str, offset: int) -> str:
    return f"{spans.line_number(text, offset)}:{spans.column_number(text, offset)}"


# --- deploy files Kamal cannot load


def test_a_deploy_file_nested_too_deep_is_refused_at_the_readers_position(
    tmp_path: Path,
) -> None:
    deep = CONFIG + "x-deep: " + "[" * 300 + "]" * 300 + "\n"
    root = _project(tmp_path, {"config/deploy.yml": deep})
    (root / "config/deploy.staging.yml").write_text("servers:\n  - 192.0.2.20\n")
    finding = document.parse(deep, "config/deploy.yml", {}).findings[0]
    before = _snapshot(root)

    code, output = _run(root)

    assert code == 1
    blocked = [line for line in output.splitlines() if line.startswith("blocked:")]
    where = f"config/deploy.yml:{finding.mark.line}:{finding.mark.column}:"
    assert len(blocked) == 1, output
    assert where in blocked[0] and finding.message in blocked[0]
    assert _snapshot(root) == before


def test_erb_that_does_not_compile_blocks_the_move_at_the_stray_end(
    tmp_path: Path,
) -> None:
    text = CONFIG + "<% end %>\n"
    root = _project(tmp_path, {"config/deploy.yml": text})
    before = _snapshot(root)

    code, output = _run(root)

    assert code == 1
    place = _place(text, text.index("<% end"))
    assert f"blocked: config/deploy.yml:{place}: cannot be read" in output
    assert "closes no block" in output
    assert _snapshot(root) == before


def test_an_empty_base_config_is_named_once_not_as_each_destination(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"config/deploy.yml": "# nothing yet\n"})
    (root / "config/deploy.staging.yml").write_text("servers:\n  - 192.0.2.20\n")

    code, output = _run(root, "check")

    assert code == 1
    blocked = [line for line in output.splitlines() if line.startswith("blocked:")]
    assert blocked == [
        "blocked: config/deploy.yml:1:1: is not a mapping Kamal can load (it needs "
        "top-level keys such as service and image); fix it first"
    ]


def test_a_server_written_by_erb_is_reported_once_however_many_targets_read_it(
    tmp_path: Path,
) -> None:
    erb_server = 'server: <%= ENV.fetch("REG", "localhost:5555") %>'
    root = _project(
        tmp_path,
        {
            "config/deploy.yml": CONFIG.replace(f"server: {OLD}", erb_server),
            "config/deploy.staging.yml": "servers:\n  - 192.0.2.20\n",
            "config/deploy.production.yml": "servers:\n  - 192.0.2.30\n",
        },
    )
    before = _snapshot(root)

    code, output = _run(root)

    blocked = [line for line in output.splitlines() if line.startswith("blocked:")]
    assert code == 1
    assert len(blocked) == 1
    assert blocked[0].startswith("blocked: config/deploy.yml:6:11: registry/server")
    assert "1 blocking problem" in output
    assert _snapshot(root) == before


ACCESSORY = """\
accessories:
  db:
    image: {image}
    host: 192.0.2.10
    registry:
      server: {server}
      username: bot
      password:
        - DB_REGISTRY_PASSWORD
"""


def test_an_accessory_on_its_own_local_registry_blocks_the_move(
    tmp_path: Path,
) -> None:
    accessory = ACCESSORY.format(image=f"{OLD}/db:16", server=OLD)
    root = _project(tmp_path, {"config/deploy.yml": CONFIG + accessory})
    before = _snapshot(root)

    code, output = _run(root)

    blocked = [line for line in output.splitlines() if line.startswith("blocked:")]
    assert code == 1
    assert blocked == [
        "blocked: config/deploy.yml:14:15: accessories/db/registry/server is the "
        "local registry, which the move leaves behind; dockmig moves the app's "
        "registry, not an accessory's own: move this accessory's registry, "
        "credentials and image by hand"
    ]
    assert "--write changes nothing until it is fixed" in output
    assert _snapshot(root) == before


def test_an_accessory_on_its_own_remote_registry_keeps_it_and_its_image(
    tmp_path: Path,
) -> None:
    remote = "registry.old.example"
    config = CONFIG.replace(
        f"  server: {OLD}\n",
        f"  server: {remote}\n  username: deploy\n  password:\n    - OLD_PASSWORD\n",
    )
    accessory = ACCESSORY.format(image=f"{remote}/db:16", server=remote)
    root = _project(tmp_path, {"config/deploy.yml": config + accessory})

    code, output = _run(root)

    assert code == 0, output
    written = (root / "config/deploy.yml").read_text()
    assert f"  server: {NEW}\n" in written
    assert accessory in written
    assert (
        "accessories/db/registry/server names the old registry as this "
        "accessory's own; it and the accessory's image are left as they are"
    ) in output


# --- tabs and YAML errors


TABBED = """\
service: shop # the app
servers:
  web:
    - 192.0.2.10 # first
registry: {server: localhost:5555, username: deploy}
env:
  clear:
    GREETING: hello there world
"""


def test_the_span_tree_accepts_exactly_the_tabs_the_reader_accepts() -> None:
    variants = tab_variants(TABBED)
    accepted = 0

    for text in variants:
        read = document.parse(text, "config/deploy.yml", {}).parsed
        composed = yamlspans.compose(text, {}).root is not None
        assert composed == read, text
        accepted += read

    assert 0 < accepted < len(variants)


def test_a_tab_before_a_comment_in_a_compose_file_does_not_block(
    tmp_path: Path,
) -> None:
    compose = f"services:\n  web:\n    image: {OLD}/shop\t# the app\n"
    root = _project(tmp_path, {"compose.yml": compose})

    code, output = _run(root)

    assert code == 0, output
    assert (root / "compose.yml").read_text() == compose.replace(OLD, NEW)


def test_a_yaml_error_in_a_workflow_is_reported_where_it_is(tmp_path: Path) -> None:
    workflow = f"on: push\nenv:\n\tIMAGE: {OLD}/shop\n"
    root = _project(tmp_path, {".github/workflows/deploy.yml": workflow})

    code, output = _run(root, "check")

    assert code == 1
    place = _place(workflow, workflow.index("\t"))
    assert (
        f"blocked: .github/workflows/deploy.yml:{place}: cannot be read as YAML "
        "(found character '\\t' that cannot start any token" in output
    )


# --- Python nested deeper than libcst can parse


def _rewrite_in_child(text: str) -> tuple[int, dict[str, Any]]:
    """python_source.rewrite in a fresh process: (exit status, edits and notes)."""
    script = (
        "import json, sys\n"
        "from dockmig.codemod import Migration\n"
        "from dockmig.codemods import python_source\n"
        "text = sys.stdin.read()\n"
        f"migration = Migration({NEW!r}, ({OLD!r},))\n"
        "outcome = python_source.rewrite(text, 'app/images.py', migration)\n"
        "print(json.dumps({'edits': len(outcome.edits), 'blocking': "
        "[[n.line, n.column, n.message] for n in outcome.notes if n.blocking]}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        input=text,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        return completed.returncode, {"stderr": completed.stderr[-2000:]}
    return 0, json.loads(completed.stdout)


IMAGE = f'"{OLD}/shop"'
# Shapes that overflowed libcst's stack (SIGSEGV) before the nesting check,
# each far past it; the last two are ones Python's own parser accepts.
TOO_DEEP = {
    "parentheses": "IMAGE = " + "(" * 2000 + IMAGE + ")" * 2000 + "\n",
    "f-string": "IMAGE = f'{" + "(" * 2000 + IMAGE + ")" * 2000 + "}'\n",
    "dotted import": "import " + ".".join(["a"] * 30000) + f"\nIMAGE = {IMAGE}\n",
    "lambdas": "IMAGE = " + "lambda: " * 5000 + IMAGE + "\n",
}


@pytest.mark.parametrize("shape", sorted(TOO_DEEP))
def test_python_nested_too_deep_is_refused_with_a_note_not_a_crash(
    shape: str,
) -> None:
    status, result = _rewrite_in_child(TOO_DEEP[shape])

    assert status == 0, result
    assert result["edits"] == 0
    assert len(result["blocking"]) == 1
    line, _column, message = result["blocking"][0]
    assert line in (1, 2)
    assert "libcst" in message and "edit it by hand" in message


SHAPES = {
    "parentheses": lambda n: "IMAGE = " + "(" * n + IMAGE + ")" * n + "\n",
    "unary minus": lambda n: "X = " + "-" * n + f"1\nIMAGE = {IMAGE}\n",
    "dotted name": lambda n: "X = a" + ".b" * n + f"\nIMAGE = {IMAGE}\n",
    "elif chain": lambda n: (
        "if a:\n    pass\n" + "elif a:\n    pass\n" * n + f"IMAGE = {IMAGE}\n"
    ),
    "lambdas": lambda n: "IMAGE = " + "lambda: " * n + IMAGE + "\n",
    "string pieces": lambda n: "X = " + " ".join(["'a'"] * n) + f"\nIMAGE = {IMAGE}\n",
}


def _deepest_accepted(shape: str) -> str:
    low, high = 1, 20 * python_source.MAX_NESTING
    while low < high:
        middle = (low + high + 1) // 2
        if python_source._too_deep(SHAPES[shape](middle)) is None:
            low = middle
        else:
            high = middle - 1
    return str(SHAPES[shape](low))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_deepest_python_the_check_lets_through_never_crashes_libcst(
    shape: str,
) -> None:
    text = _deepest_accepted(shape)
    assert python_source._too_deep(text + "\n" + text) is None

    status, result = _rewrite_in_child(text)

    assert status == 0, result
    # Moved, or refused with a note: either way a result, not a dead process.
    assert result["edits"] == 1 or len(result["blocking"]) == 1


def test_python_nested_as_deep_as_real_code_still_moves(tmp_path: Path) -> None:
    source = "IMAGE = " + "(" * 150 + IMAGE + ")" * 150 + "\n"
    root = _project(tmp_path, {"app/images.py": source})

    code, output = _run(root)

    assert code == 0, output
    assert (root / "app/images.py").read_text() == source.replace(OLD, NEW)


# --- write order and what a killed run leaves


OTHERS = {
    "Dockerfile": f"FROM {OLD}/base:1\n",
    "bin/push": f"#!/bin/sh\ndocker push {OLD}/shop\n",
    "zz/images.py": f"IMAGE = {IMAGE}\n",
    "config/deploy.staging.yml": "servers:\n  - 192.0.2.20\n",
    "config/deploy.production.yml": "registry:\n  server: localhost:5555\n",
}


def test_the_deploy_configs_are_written_last_and_the_base_config_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path, OTHERS)
    real = rewrite._atomic_write
    order: list[str] = []

    def recording(path: Path, data: bytes) -> None:
        order.append(path.relative_to(root.resolve()).as_posix())
        real(path, data)

    monkeypatch.setattr(rewrite, "_atomic_write", recording)

    code, output = _run(root)

    assert code == 0, output
    configs = [name for name in order if name.startswith("config/")]
    assert order[-len(configs) :] == configs
    assert configs[-1] == "config/deploy.yml"
    assert len(configs) == 2  # production repeats the server; staging has none


class _Killed(BaseException):
    """Stands for SIGKILL: nothing below write() catches it."""


@pytest.mark.parametrize("survivors", range(6))
def test_a_rerun_after_an_interrupted_write_finishes_the_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, survivors: int
) -> None:
    root = _project(tmp_path, OTHERS)
    real = rewrite._atomic_write
    done: list[Path] = []

    def dying(path: Path, data: bytes) -> None:
        if len(done) == survivors:
            raise _Killed
        done.append(path)
        real(path, data)

    monkeypatch.setattr(rewrite, "_atomic_write", dying)
    result = rewrite.plan(rewrite.Options(root=root, environ={}, **TO_KNOT))
    with pytest.raises(_Killed):
        rewrite.write(result)
    monkeypatch.setattr(rewrite, "_atomic_write", real)

    code, output = _run(root)

    assert code == 0, output
    leftover = [name for name, data in _snapshot(root).items() if OLD.encode() in data]
    assert not leftover, output


def test_a_rerun_removes_the_temporary_files_a_killed_run_left_and_only_those(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"bin/push": f"#!/bin/sh\ndocker push {OLD}/shop\n"})
    ours = [
        "config/.deploy.yml.k2_x9abc.dockmig",
        "bin/.push.a1b2c3d4.dockmig",
    ]
    not_ours = [
        "config/.deploy.yml.short.dockmig",  # not 8 characters
        "config/deploy.yml.k2_x9abc.dockmig",  # no leading dot
        "config/.deploy.yml.k2_x9abc.dockmig.bak",
        "config/.other.yml.k2_x9abc.dockmig",  # beside no planned file
        "bin/.push.A1B2C3D4.dockmig",  # mkstemp writes lower case only
    ]
    for name in ours + not_ours:
        (root / name).write_text("half a file")
    (root / "bin/.push.zzzzzzzz.dockmig").symlink_to(root / "bin/push")

    code, output = _run(root, "diff")

    assert code == 0
    for name in ours:
        assert f"note: {name}: a temporary file left by an interrupted" in output
    assert all(name not in output for name in not_ours)
    assert all((root / name).exists() for name in ours)

    code, output = _run(root)

    assert code == 0, output
    assert not any((root / name).exists() for name in ours)
    assert all((root / name).exists() for name in not_ours)
    assert os.path.islink(root / "bin/.push.zzzzzzzz.dockmig")
