"""`--resolve-secrets`: a secret's `$(…)` runs alone and leaves nothing behind."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from dockmig.doctor import availability
from dockmig.secrets import parse_secrets


def _lookup(tmp_path: Path, line: str, timeout: float) -> availability.Availability:
    secrets = parse_secrets(line + "\n", ".kamal/secrets")
    return availability.lookup(
        "REGISTRY_PASSWORD",
        [secrets],
        {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        run_commands=True,
        cwd=tmp_path,
        timeout=timeout,
    )


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for its reaper has ended."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _ended(pid: int) -> bool:
    # SIGKILL is delivered asynchronously: give the kernel a moment.
    for _ in range(200):
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_command_that_times_out_leaves_no_process_behind(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    found = _lookup(
        tmp_path,
        f"REGISTRY_PASSWORD=$(sleep 300 & echo $! > {pidfile}; wait)",
        timeout=0.5,
    )
    assert found.state == availability.BROKEN
    assert "did not finish" in found.reason

    pid = int(pidfile.read_text())
    try:
        assert _ended(pid), "the command's child outlived dockmig's time-out"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


@contextlib.contextmanager
def _stdin_that_never_ends() -> Iterator[None]:
    """fd 0 as in a Kamal hook: a pipe nobody closes."""
    reader, writer = os.pipe()
    saved = os.dup(0)
    os.dup2(reader, 0)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        for fd in (saved, reader, writer):
            os.close(fd)


def test_a_command_does_not_read_dockmig_s_stdin(tmp_path: Path) -> None:
    with _stdin_that_never_ends():
        found = _lookup(tmp_path, "REGISTRY_PASSWORD=$(cat)", timeout=20)
    # Reading the hook's stdin would wait for the time-out; /dev/null ends at once.
    assert found.state == availability.EMPTY
    assert "printed nothing" in found.reason
