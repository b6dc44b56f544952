"""The host scan: grep and Python find the same files; big files stay unloaded."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockmig import rewrite, scan

HOST = "localhost:5555"


def _gnu_grep() -> bool:
    found = shutil.which("grep")
    if found is None:
        return False
    version = subprocess.run(
        [found, "--version"], capture_output=True, check=False
    ).stdout
    return version.startswith(b"grep (GNU grep)")


needs_grep = pytest.mark.skipif(not _gnu_grep(), reason="GNU grep is not installed")


def _put(root: Path, relative: bytes, content: bytes) -> None:
    path = os.path.join(os.fsencode(root), relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as stream:
        stream.write(content)


# (name, content, found): every file a project may hold, and whether a scan
# for localhost:5555 must name it.
TREE: list[tuple[bytes, bytes, bool]] = [
    (b"app/plain.rb", b"VALUE = 1\n", False),
    (b"app/upper.rb", b"IMAGE = 'LOCALHOST:5555/shop'\n", True),
    (b"app/mixed.py", b'IMAGE = "LocalHost:5555/shop:1"\n', True),
    (b"app/crlf.sh", b"#!/bin/sh\r\ndocker push localhost:5555/shop\r\n", True),
    (b"app/split.txt", b"localhost:\n5555/shop\n", False),
    (b"app/prefix.txt", b"localhost:555/shop\n", False),
    (b"docs/with space.md", b"Images: localhost:5555/shop\n", True),
    (b"docs/new\nline.md", b"Images: localhost:5555/shop\n", True),
    (b"docs/caf\xe9.md", b"localhost:5555/caf\xe9\n", True),
    (b"docs/not-utf8.txt", b"\xff\xfe localhost:5555 \xe9\n", True),
    (b"-e", b"localhost:5555\n", True),
    (b"--help.txt", b"nothing\n", False),
    (b"bin/blob", b"\x00\x01\x02localhost:5555\x00\xff", True),
    (b"bin/blob-without", b"\x00\x01\x02localhost\x00:5555\xff", False),
    (b"empty", b"", False),
    (b"deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p.yml", b"image: localhost:5555/x\n", True),
    (b".github/workflows/ci.yml", b"- run: docker push localhost:5555/x\n", True),
    (b"config/deploy.yml", b"registry:\n  server: localhost:5555\n", False),
    (b".git/config", b"url = localhost:5555\n", False),
    (b"web/node_modules/pkg/index.js", b"'localhost:5555/x'\n", False),
    (b"src/.venv/lib/site.py", b"'localhost:5555/x'\n", False),
    (b"env/pyvenv.cfg", b"home = /usr/bin\n", False),
    (b"env/lib/python3/site.py", b"'localhost:5555/x'\n", False),
    (b"tools/__pycache__/x.pyc", b"localhost:5555", False),
]
SKIP = {"config/deploy.yml"}


def _tree(root: Path, outside: Path) -> tuple[dict[str, bytes], int]:
    """The tree of TREE plus links and a pipe; what a scan must find, and count."""
    found = {}
    counted = 0
    hidden = (b".git/", b"node_modules/", b".venv/", b"env/", b"__pycache__/")

    for name, content, named in TREE:
        _put(root, name, content)
        relative = os.fsdecode(name)
        if named:
            found[relative] = content
        if not any(part in name for part in hidden) and relative not in SKIP:
            counted += 1

    # Links are never followed, whether they lead inside or out.
    (outside / "elsewhere.md").write_bytes(b"localhost:5555/x\n")
    (root / "link.md").symlink_to(root / "docs" / "with space.md")
    (root / "linked-app").symlink_to(root / "app", target_is_directory=True)
    (root / "out.md").symlink_to(outside / "elsewhere.md")
    (root / "out-folder").symlink_to(outside, target_is_directory=True)
    # A venv's marker may itself be a link; the folder is still a venv.
    (root / "env2").mkdir()
    (root / "env2" / "pyvenv.cfg").symlink_to(outside / "elsewhere.md")
    (root / "env2" / "x.py").write_bytes(b"localhost:5555/x\n")
    os.mkfifo(root / "pipe")
    return found, counted


def _scan(
    root: Path, hosts: list[str], **options: bool
) -> tuple[dict[str, object], int]:
    found = scan.HostScan(root, hosts, SKIP, **options)
    return dict(found), found.files_read


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, dict[str, bytes], int]:
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    found, counted = _tree(root, outside)
    return root, found, counted


def test_the_python_scan_finds_the_host_in_any_ascii_case_and_skips_tool_files(
    tree: tuple[Path, dict[str, bytes], int],
) -> None:
    root, expected, counted = tree

    found, read = _scan(root, [HOST], use_grep=False)

    assert found == expected
    assert read == counted


@needs_grep
def test_grep_finds_exactly_the_files_the_python_scan_finds(
    tree: tuple[Path, dict[str, bytes], int],
) -> None:
    root, expected, counted = tree

    found, read = _scan(root, [HOST])

    assert found == expected
    assert read == counted


@needs_grep
@pytest.mark.parametrize("batch_bytes", [1, 40, 200])
def test_grep_in_small_batches_finds_the_same_files(
    tree: tuple[Path, dict[str, bytes], int],
    monkeypatch: pytest.MonkeyPatch,
    batch_bytes: int,
) -> None:
    root, expected, counted = tree
    monkeypatch.setattr(scan, "_BATCH_BYTES", batch_bytes)

    found, read = _scan(root, [HOST])

    assert found == expected
    assert read == counted


@needs_grep
def test_a_host_given_in_capitals_finds_every_spelling(tmp_path: Path) -> None:
    (tmp_path / "lower.md").write_text("registry.example.com/app\n")
    (tmp_path / "upper.md").write_text("REGISTRY.EXAMPLE.COM/app\n")
    (tmp_path / "neither.md").write_text("registry.example.org/app\n")
    hosts = ["Registry.Example.COM", "other.example:5000"]

    by_grep = _scan(tmp_path, hosts)
    by_python = _scan(tmp_path, hosts, use_grep=False)

    assert by_grep == by_python
    assert set(by_grep[0]) == {"lower.md", "upper.md"}


def test_without_grep_on_the_path_the_scan_is_python_s(
    tree: tuple[Path, dict[str, bytes], int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, expected, counted = tree
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    found, read = _scan(root, [HOST])

    assert found == expected
    assert read == counted


def _fake_grep(folder: Path, version: str, body: str) -> Path:
    """A `grep` on PATH that answers --version and then runs `body`."""
    folder.mkdir()
    script = folder / "grep"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "{version}"; exit 0; fi\n'
        f'echo ran >> "{folder}/calls"\n'
        f"{body}\n"
    )
    script.chmod(0o755)
    return folder


@pytest.mark.parametrize(
    ("version", "body", "runs"),
    [
        # Not GNU: never asked to scan.
        ("BusyBox v1.36.1 multi-call binary.", "exit 0", False),
        # GNU, but fails on the batch (a file it could not read).
        ("grep (GNU grep) 3.8", "exit 2", True),
        # GNU, killed part way.
        ("grep (GNU grep) 3.8", "kill -9 $$", True),
        # GNU, but also names files that do not hold the host, or that it
        # was never given, before it does its job.
        (
            "grep (GNU grep) 3.8",
            "printf 'app/plain.rb\\0nowhere.txt\\0app/upper.rb\\0'\n"
            'exec "$REAL_GREP" "$@"',
            True,
        ),
    ],
)
def test_a_grep_that_cannot_be_trusted_changes_nothing_found(
    tree: tuple[Path, dict[str, bytes], int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    body: str,
    runs: bool,
) -> None:
    root, expected, counted = tree
    real = shutil.which("grep") or "false"
    fake = _fake_grep(tmp_path / "fake", version, body.replace("$REAL_GREP", real))
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")

    found, read = _scan(root, [HOST])

    assert (fake / "calls").exists() == runs
    assert found == expected
    assert read == counted


def test_a_relative_path_entry_never_supplies_grep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_grep(tmp_path / "fake", "grep (GNU grep) 3.8", "exit 2")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "a.md").write_text(f"{HOST}/x\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "fake")

    found, read = _scan(tmp_path / "project", [HOST])

    assert not (fake / "calls").exists()
    assert set(found) == {"a.md"} and read == 1


@needs_grep
def test_stopping_early_leaves_no_grep_running(
    tree: tuple[Path, dict[str, bytes], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _expected, _counted = tree
    started: list[scan._Grep] = []
    real = scan._Grep.__init__

    def recording(self: scan._Grep, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        started.append(self)

    monkeypatch.setattr(scan._Grep, "__init__", recording)
    monkeypatch.setattr(scan, "_BATCH_BYTES", 40)
    found = iter(scan.HostScan(root, [HOST], SKIP))

    next(found)
    found.close()  # type: ignore[attr-defined]

    assert started
    assert all(
        g.process is not None and g.process.returncode is not None for g in started
    )


# --- files too large to load


def _naive(data: bytes, needle: bytes) -> tuple[int, int] | None:
    at = data.lower().find(needle)
    if at < 0:
        return None
    return data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(
        st.sampled_from(
            [b"a", b"\n", b"LocalHost:", b"5555", b"localhost:5555", b"\0"]
        ),
        max_size=40,
    ).map(b"".join),
    chunk=st.integers(min_value=1, max_value=40),
)
def test_locating_in_chunks_finds_the_first_mention_where_a_whole_read_does(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, chunk: int
) -> None:
    path = tmp_path_factory.mktemp("locate") / "file"
    path.write_bytes(data)
    descriptor = os.open(path, os.O_RDONLY)

    try:
        place = scan._locate(descriptor, (b"localhost:5555",), chunk)
    finally:
        os.close(descriptor)

    assert place == _naive(data, b"localhost:5555")


def test_a_file_over_the_limit_is_reported_by_place_and_never_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "LARGEST", 64)
    monkeypatch.setattr(scan, "_CHUNK", 16)
    data = b"x" * 100 + b"\n" + b"y" * 30 + b" LOCALHOST:5555/app\n" + b"z" * 1000
    (tmp_path / "big.log").write_bytes(data)
    asked: list[int] = []
    real_read, real_pread = os.read, os.pread

    def reading(descriptor: int, size: int) -> bytes:
        asked.append(size)
        return real_read(descriptor, size)

    def preading(descriptor: int, size: int, at: int) -> bytes:
        asked.append(size)
        return real_pread(descriptor, size, at)

    monkeypatch.setattr(os, "read", reading)
    monkeypatch.setattr(os, "pread", preading)

    found, files_read = _scan(tmp_path, [HOST], use_grep=False)

    big = found["big.log"]
    assert isinstance(big, scan.TooLarge)
    assert (big.line, big.column) == _naive(data, HOST.encode())
    assert big.size == len(data) and big.head == data[:256]
    assert files_read == 1
    # Chunks, and the head for telling the file's kind; never the whole.
    assert max(asked) <= 256


def _supports_holes(folder: Path) -> bool:
    probe = folder / "hole-probe"
    with open(probe, "wb") as stream:
        stream.truncate(1 << 20)
    descriptor = os.open(probe, os.O_RDONLY)
    try:
        os.lseek(descriptor, 0, os.SEEK_DATA)
    except OSError:
        return True  # ENXIO: the file system knows the whole file is a hole
    finally:
        os.close(descriptor)
        probe.unlink()
    return False


def test_a_sparse_file_is_scanned_without_reading_its_holes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _supports_holes(tmp_path):
        pytest.skip("this file system does not report holes")
    size = 3 * 1024**3
    offset = 2 * 1024**3 + 12345
    with open(tmp_path / "db.sqlite3", "wb") as stream:
        stream.truncate(size)
        stream.seek(offset)
        stream.write(b"\nid=7 localhost:5555/app\n")
    with open(tmp_path / "empty.img", "wb") as stream:
        stream.truncate(size)
    read: list[int] = []
    real = os.pread

    def counting(descriptor: int, length: int, at: int) -> bytes:
        read.append(length)
        return real(descriptor, length, at)

    monkeypatch.setattr(os, "pread", counting)

    found, files_read = _scan(tmp_path, [HOST], use_grep=False)

    assert set(found) == {"db.sqlite3"}
    db = found["db.sqlite3"]
    assert isinstance(db, scan.TooLarge)
    assert (db.line, db.column, db.size) == (2, 6, size)
    assert files_read == 2
    # Only the stretches that hold data (a block or two, and the head).
    assert sum(read) < 4 * scan._CHUNK


@needs_grep
def test_grep_out_of_memory_on_a_long_line_leaves_the_file_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A line longer than grep may hold: grep gives up, Python scans in chunks.
    monkeypatch.setattr(scan, "_GREP_MEMORY", 24 * 1024 * 1024)
    monkeypatch.setattr(scan, "LARGEST", 1024 * 1024)
    line = b"a" * (48 * 1024 * 1024) + b" localhost:5555/app"
    (tmp_path / "bundle.min.js").write_bytes(line)
    (tmp_path / "small.sh").write_bytes(b"docker push localhost:5555/app\n")

    with caplog.at_level("DEBUG", logger="dockmig.scan"):
        by_grep = _scan(tmp_path, [HOST])
    by_python = _scan(tmp_path, [HOST], use_grep=False)

    assert any("grep exited 2" in r.getMessage() for r in caplog.records)
    assert by_grep == by_python
    bundle = by_grep[0]["bundle.min.js"]
    assert isinstance(bundle, scan.TooLarge)
    assert (bundle.line, bundle.column) == (1, len(line) - len(HOST) - 3)


# --- through the rewrite


PROJECT = """\
service: shop
image: shop
servers:
  - 192.0.2.10
registry:
  server: localhost:5555
builder:
  arch: amd64
"""


def test_a_large_file_naming_the_old_host_is_a_note_that_blocks_if_dockmig_rewrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "LARGEST", 200)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(PROJECT)
    padding = "# filler line\n" * 20
    (tmp_path / "Dockerfile").write_text(padding + "FROM localhost:5555/base:1\n")
    (tmp_path / "build.log").write_text(padding + "pushed localhost:5555/shop\n")
    (tmp_path / "compose.yml").write_text(
        "services:\n  web:\n    image: localhost:5555/shop\n"
    )

    result = rewrite.plan(
        rewrite.Options(
            root=tmp_path,
            to="registry.example.com",
            username="admin",
            password_secret="KNOT_REGISTRY_PASSWORD",
            environ={},
        )
    )

    notes = {n.path: n for n in result.notes if "MiB" in n.message}
    assert set(notes) == {"Dockerfile", "build.log"}
    assert (notes["Dockerfile"].line, notes["Dockerfile"].column) == (21, 6)
    assert notes["Dockerfile"].blocking and not notes["build.log"].blocking
    changed = {c.display for c in result.changes}
    assert "compose.yml" in changed
    assert not changed & {"Dockerfile", "build.log"}


def test_an_image_spelled_in_capitals_is_moved_like_any_other(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(PROJECT)
    (tmp_path / "compose.yml").write_text(
        "services:\n  web:\n    image: LOCALHOST:5555/shop\n"
    )

    result = rewrite.plan(
        rewrite.Options(
            root=tmp_path,
            to="registry.example.com",
            username="admin",
            password_secret="KNOT_REGISTRY_PASSWORD",
            environ={},
        )
    )

    compose = next(c for c in result.changes if c.display == "compose.yml")
    assert "image: registry.example.com/shop" in compose.after


def test_the_scan_never_follows_a_link_to_a_pipe(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to-pipe").symlink_to(tmp_path / "pipe")
    (tmp_path / "a.md").write_text(f"{HOST}/x\n")

    found, read = _scan(tmp_path, [HOST])

    assert set(found) == {"a.md"} and read == 1
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)
