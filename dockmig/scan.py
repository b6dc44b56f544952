"""Which files of a project name a registry host, without parsing any of them.

`rewrite-registry` looks at every file of the project once; only the few
that contain the old host's bytes go on to a codemod. The host is matched
without regard to ASCII case, as the codemods match it.

The walk is always this module's own (tool folders, virtual environments and
symbolic links left out). Reading what it lists is left to GNU grep when it
is installed: it reads 20,000 files in about half the time Python takes.
Python scans whatever grep could not vouch for (grep missing or not GNU, a
file it could not read, grep out of memory), and every file grep names is
read again here before anything uses it, so both ways find the same files.

Memory stays bounded: a file is held whole only up to `LARGEST` bytes. A
bigger one is scanned in chunks (holes in a sparse file skipped), and one
that names the host is reported by the place of the first mention, never
loaded.
"""

from __future__ import annotations

import errno
import logging
import os
import resource
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dockmig.codemod import Note

logger = logging.getLogger(__name__)

# Folders that belong to tools, not to the project's own files.
SKIPPED_FOLDERS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".tox",
    ".nox",
    ".venv",
    ".bundle",
}
# The largest file that is loaded whole; source files are far smaller, and a
# bigger one is a database, an archive or a log.
LARGEST = 16 * 1024 * 1024
_CHUNK = 1024 * 1024
# At most this many bytes of file names on one grep's command line.
_BATCH_BYTES = 512 * 1024
# GNU grep keeps a whole line in memory: a 3 GiB file without a newline
# would take twice that. Capped, it gives up ("memory exhausted") and Python
# scans its files in chunks instead. The shell sets the cap so that Python
# can start grep with vfork (a preexec_fn would fork the whole interpreter).
_GREP_MEMORY = 256 * 1024 * 1024
_CAPPED = b'ulimit -v "$1" || exit 2; shift; exec "$@"'
# The C locale makes -i fold ASCII only, as bytes.lower() does; the rest of
# the environment (GREP_OPTIONS in old versions, colours) stays out.
_GREP_ENVIRONMENT = {"LC_ALL": "C"}


@dataclass(frozen=True)
class TooLarge:
    """A file over `LARGEST` bytes that names the host: where, not what."""

    relative: str
    size: int
    line: int
    column: int
    head: bytes

    def note(self, *, blocking: bool) -> Note:
        return Note(
            self.relative,
            self.line,
            self.column,
            f"names the old registry but is {self.size / 2**20:.0f} MiB, more than "
            f"the {LARGEST // 2**20} MiB dockmig loads; edit it by hand",
            blocking=blocking,
        )


def walk(root: Path) -> Iterator[tuple[str, str]]:
    """(relative, absolute) of every regular file under `root`.

    Tool folders and virtual environments are skipped, and so is every
    symbolic link: a link inside the project points at a file visited under
    its own name, and one leading out of it is never read or written.
    """
    stack = [("", str(root))]

    while stack:
        prefix, folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            logger.warning("cannot list %s: %s", folder, error.strerror)
            continue
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in SKIPPED_FOLDERS and not os.path.exists(
                    os.path.join(entry.path, "pyvenv.cfg")
                ):
                    stack.append((relative + "/", entry.path))
            elif entry.is_file():
                yield relative, entry.path


class HostScan:
    """The files under `root` (but those in `skip`) that name one of `hosts`.

    Iterating yields (relative, content), or (relative, TooLarge) for a file
    too big to load; `files_read` counts every file looked at, whether it
    named a host or not. `use_grep=False` keeps the scan in Python.
    """

    def __init__(
        self,
        root: Path,
        hosts: Iterable[str],
        skip: set[str],
        *,
        use_grep: bool = True,
    ) -> None:
        self.root = root
        self.skip = skip
        self.needles = tuple(sorted({h.encode().lower() for h in hosts}))
        self.use_grep = use_grep
        self.files_read = 0

    def __iter__(self) -> Iterator[tuple[str, bytes | TooLarge]]:
        if not self.needles:
            return
        files = ((r, p) for r, p in walk(self.root) if r not in self.skip)

        grep = self._grep()
        if grep is None:
            yield from self._scan(files)
        else:
            yield from self._grep_then_scan(grep, files)

    def _grep(self) -> str | None:
        if not self.use_grep:
            return None

        # grep reads patterns one a line and cannot take a NUL in an
        # argument; an empty pattern matches every file but an empty one.
        if any(not n or b"\n" in n or b"\0" in n for n in self.needles):
            return None
        found = shutil.which("grep")
        # A relative PATH entry would find a grep in whatever folder this
        # runs from, perhaps the project being scanned.
        if found is None or not os.path.isabs(found):
            return None
        return found if _is_gnu_grep(found) else None

    def _scan(
        self, files: Iterable[tuple[str, str]]
    ) -> Iterator[tuple[str, bytes | TooLarge]]:
        for relative, path in files:
            found = self._examine(relative, path)
            if found is not None:
                yield relative, found

    def _examine(self, relative: str, path: str) -> bytes | TooLarge | None:
        """The file's content if it names a host; counts it as read."""
        try:
            found = _examine(relative, path, self.needles)
        except OSError as error:
            logger.warning("cannot read %s: %s", relative, error.strerror)
            return None
        self.files_read += 1
        return found

    def _grep_then_scan(
        self, grep: str, files: Iterable[tuple[str, str]]
    ) -> Iterator[tuple[str, bytes | TooLarge]]:
        # Two greps at a time, the first started while the walk goes on:
        # grep reads the next batch while Python parses what it named.
        running: deque[_Grep] = deque()

        try:
            for batch in _batches(files):
                running.append(_Grep(grep, self.root, batch, self.needles))
                if len(running) > 1:
                    yield from self._finish(running[0])
                    running.popleft()
            while running:
                yield from self._finish(running[0])
                running.popleft()
        finally:
            for pending in running:
                pending.stop()

    def _finish(self, grep: _Grep) -> Iterator[tuple[str, bytes | TooLarge]]:
        paths = dict(grep.batch.files)
        named: set[str] = set()

        for relative in grep.named():
            if relative not in paths or relative in named:
                continue
            named.add(relative)
            found = self._examine(relative, paths[relative])
            if found is not None:
                yield relative, found

        if grep.succeeded():
            self.files_read += len(paths) - len(named)
            return
        logger.debug("grep failed on a batch; Python reads the rest of it")
        yield from self._scan((r, p) for r, p in grep.batch.files if r not in named)


@dataclass
class _Batch:
    """Files for one grep: (relative, absolute) and the names it is given."""

    files: list[tuple[str, str]] = field(default_factory=list)
    names: list[bytes] = field(default_factory=list)
    size: int = 0


class _Grep:
    """One GNU grep over a batch of files, naming those with a host."""

    def __init__(
        self,
        grep: str,
        root: Path,
        batch: _Batch,
        needles: tuple[bytes, ...],
    ) -> None:
        self.batch = batch

        patterns = [option for n in needles for option in (b"-e", n)]
        command = [b"/bin/sh", b"-c", _CAPPED, b"sh", b"%d" % (_grep_memory() // 1024)]
        command += [grep.encode(), b"-lZFi", b"-D", b"skip", b"--line-buffered"]
        command += [*patterns, b"--", *batch.names]

        try:
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                command,
                cwd=root,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_GREP_ENVIRONMENT,
            )
        except (OSError, subprocess.SubprocessError) as error:
            logger.debug("grep did not start: %s", error)
            self.process = None

    def named(self) -> Iterator[str]:
        """Each file grep names, as soon as it names it."""
        if self.process is None or self.process.stdout is None:
            return
        pending = b""

        while True:
            data = os.read(self.process.stdout.fileno(), 65536)
            if not data:
                break
            *complete, pending = (pending + data).split(b"\0")
            for name in complete:
                yield os.fsdecode(name)

    def succeeded(self) -> bool:
        """grep read every file of the batch (0: some named, 1: none)."""
        if self.process is None:
            return False
        self.stop(kill=False)
        code = self.process.returncode
        if code not in (0, 1):
            logger.debug("grep exited %s", code)
        return code in (0, 1)

    def stop(self, *, kill: bool = True) -> None:
        if self.process is None:
            return
        if kill and self.process.poll() is None:
            self.process.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process.wait()


def _grep_memory() -> int:
    """grep's address space: the cap, or less if dockmig runs under less."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return _GREP_MEMORY
    return min(_GREP_MEMORY, soft)


@lru_cache(maxsize=4)
def _is_gnu_grep(grep: str) -> bool:
    # BSD and BusyBox grep spell -Z and -D differently or not at all.
    try:
        completed = subprocess.run(
            [grep, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=_GREP_ENVIRONMENT,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False

    return completed.returncode == 0 and completed.stdout.startswith(b"grep (GNU grep)")


def _batches(files: Iterable[tuple[str, str]]) -> Iterator[_Batch]:
    """The files in groups whose names fit one command line."""
    # A quarter of ARG_MAX leaves room for the environment, and keeps a
    # batch small enough that its grep starts while the walk goes on.
    budget = min(os.sysconf("SC_ARG_MAX") // 4, _BATCH_BYTES)
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    batch = _Batch()

    for relative, path in files:
        name = relative.encode(encoding, errors)
        # Each argument costs its bytes, a NUL and a pointer.
        cost = len(name) + 9
        if batch.files and batch.size + cost > budget:
            yield batch
            batch = _Batch()
        batch.files.append((relative, path))
        batch.names.append(name)
        batch.size += cost

    if batch.files:
        yield batch


# --- reading one file


def _examine(
    relative: str, path: str, needles: tuple[bytes, ...]
) -> bytes | TooLarge | None:
    """The content of a file that names a needle (any ASCII case), else None."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    try:
        size = os.fstat(descriptor).st_size
        data = _read_whole(descriptor, size) if size <= LARGEST else None
        if data is not None:
            lowered = data.lower()
            return data if any(n in lowered for n in needles) else None

        place = _locate(descriptor, needles, _CHUNK)
        if place is None:
            return None
        head = os.pread(descriptor, 256, 0)
        return TooLarge(relative, os.fstat(descriptor).st_size, *place, head)
    finally:
        os.close(descriptor)


def _read_whole(descriptor: int, size: int) -> bytes | None:
    """The whole file, or None once it proves longer than `LARGEST`."""
    pieces: list[bytes] = []
    total = 0
    wanted = size + 1

    while True:
        piece = os.read(descriptor, wanted)
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)
        total += len(piece)
        if total > LARGEST:
            return None
        # The file was shorter to read than to stat, or it is growing.
        wanted = min(_CHUNK, LARGEST + 1 - total)


def _locate(
    descriptor: int, needles: tuple[bytes, ...], chunk_size: int
) -> tuple[int, int] | None:
    """(line, column) of the first needle, reading `chunk_size` bytes at a time."""
    overlap = max(len(n) for n in needles) - 1
    newlines = 0
    line_start = 0

    for start, end in _data(descriptor, needles):
        position = start
        tail = b""
        while position < end:
            chunk = os.pread(descriptor, min(chunk_size, end - position), position)
            if not chunk:
                break
            window = (tail + chunk).lower()
            hits = [i for i in (window.find(n) for n in needles) if i >= 0]

            if hits:
                at = position - len(tail) + min(hits)
                if at >= position:
                    newlines += chunk.count(b"\n", 0, at - position)
                    last = chunk.rfind(b"\n", 0, at - position)
                    if last >= 0:
                        line_start = position + last + 1
                return newlines + 1, at - line_start + 1

            newlines += chunk.count(b"\n")
            last = chunk.rfind(b"\n")
            if last >= 0:
                line_start = position + last + 1
            tail = window[-overlap:] if overlap else b""
            position += len(chunk)

    return None


def _data(descriptor: int, needles: tuple[bytes, ...]) -> Iterator[tuple[int, int]]:
    """The stretches of a file that hold data; a sparse file's holes are zeros."""
    size = os.fstat(descriptor).st_size
    seek_data = getattr(os, "SEEK_DATA", None)
    seek_hole = getattr(os, "SEEK_HOLE", None)
    if seek_data is None or seek_hole is None or any(b"\0" in n for n in needles):
        yield 0, size
        return
    offset = 0

    while offset < size:
        try:
            start = os.lseek(descriptor, offset, seek_data)
            end = os.lseek(descriptor, start, seek_hole)
        except OSError as error:
            if error.errno != errno.ENXIO:
                # This file system cannot tell: read everything that is left.
                yield offset, size
            return
        yield start, end
        offset = end
