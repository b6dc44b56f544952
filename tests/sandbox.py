"""Run dockmig commands as separate processes, under resource limits.

The hostile-input, canary and kill-trial tests need hundreds of dockmig runs,
each a process of its own with a memory and CPU limit, so that a run that
blows up is stopped by the kernel and shows as a failure rather than hanging
the suite. Two ways to run them:

- `run_many(jobs)`: a small server process imports dockmig (and everything
  its commands load) once, then forks one child per job. A child sets its
  limits, points fds 0-2 at files, drops to an unprivileged user when asked,
  and calls `dockmig.cli.main` exactly as the `dockmig` script does. Forking
  saves the interpreter start-up and imports, which are most of a small
  run's cost. As root and with `unshare`, the server runs in a network
  namespace of its own: nothing a job does can reach a network.
- `run_real(job)`: `python -m dockmig` as a fresh interpreter, for the few
  checks that must go through the real entry point.

Limits are the kernel's (RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE), never timed
assertions; the wall-clock limit is only a safety net for a job that blocks
without using CPU, and a job that hits it counts as a failure.

`vanish` simulates a file deleted between being listed and being read: the
child deletes the named file just before the first attempt to open it, after
every listing and test that found it, on every run alike.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MIB = 2**20
DEFAULT_MEMORY = 1536 * MIB
DEFAULT_CPU = 60
DEFAULT_WALL = 240.0


@dataclass
class Job:
    """One dockmig run: its arguments, folder, environment and limits."""

    name: str
    args: list[str]
    cwd: str
    env: dict[str, str]
    memory_bytes: int = DEFAULT_MEMORY
    cpu_seconds: int = DEFAULT_CPU
    wall_seconds: float = DEFAULT_WALL
    file_size_bytes: int | None = None
    # Run without the capabilities that let root read any file, so that a
    # file of mode 000 is refused as it would be for any user.
    no_override: bool = False
    vanish: str | None = None
    # A Python statement run in the child before dockmig (in-process patches).
    prelude: str | None = None


@dataclass
class Outcome:
    name: str
    exit_code: int | None  # None when a signal ended the process
    signal: int | None
    stdout: str
    stderr: str
    max_rss_kib: int
    cpu_seconds: float
    wall_seconds: float
    timed_out: bool = False

    @property
    def bounded(self) -> bool:
        """The run ended by itself, within its limits."""
        return self.signal is None and not self.timed_out

    def describe(self) -> str:
        if self.timed_out:
            end = f"stopped after {self.wall_seconds:.0f} s of wall time (blocked?)"
        elif self.signal is not None:
            end = f"killed by {signal.Signals(self.signal).name} (a limit was hit)"
        else:
            end = f"exit {self.exit_code}"
        return (
            f"{self.name}: {end}; {self.cpu_seconds:.1f} s CPU, "
            f"{self.max_rss_kib // 1024} MiB peak\n--- stdout\n{self.stdout[-3000:]}"
            f"\n--- stderr\n{self.stderr[-3000:]}"
        )


@dataclass
class _Running:
    job: Job
    pid: int
    started: float
    out: Path
    err: Path
    killed: bool = False


# --- the parent side


def run_many(jobs: list[Job], workers: int | None = None) -> dict[str, Outcome]:
    """Every job through the fork server; outcomes by job name."""
    if not jobs:
        return {}
    command = [sys.executable, "-X", "utf8", "-m", "tests.sandbox"]
    if isolated_network_available():
        command = ["unshare", "--net", "--", *command]
    request = {
        "workers": workers or max(os.cpu_count() or 1, 1),
        "jobs": [asdict(job) for job in jobs],
    }
    completed = subprocess.run(
        command,
        cwd=REPO,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the sandbox server failed:\n{completed.stderr}")
    outcomes = [Outcome(**item) for item in json.loads(completed.stdout)]
    return {outcome.name: outcome for outcome in outcomes}


def run_real(job: Job) -> Outcome:
    """One job as a fresh `python -m dockmig` (no `vanish`, no prelude)."""
    assert job.vanish is None and job.prelude is None
    scratch = Path(tempfile.mkdtemp(prefix="dm-real-"))
    out, err = scratch / "out", scratch / "err"
    try:
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "dockmig", *job.args],
                cwd=job.cwd,
                env=job.env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                preexec_fn=lambda: _limit(job),
            )
            timed_out = False
            try:
                _, status, usage = _wait(process.pid, started + job.wall_seconds)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                timed_out = True
            process.returncode = 0  # reaped above; keep Popen from waiting again
        return _outcome(job, status, usage, out, err, started, timed_out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def isolated_network_available() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def _wait(pid: int, until: float) -> tuple[int, int, Any]:
    while True:
        found, status, usage = os.wait4(pid, os.WNOHANG)
        if found:
            return found, status, usage
        if time.monotonic() > until:
            raise TimeoutError
        time.sleep(0.005)


def _outcome(
    job: Job,
    status: int,
    usage: Any,
    out: Path,
    err: Path,
    started: float,
    timed_out: bool,
) -> Outcome:
    return Outcome(
        name=job.name,
        exit_code=os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        stdout=out.read_bytes().decode("utf-8", "replace"),
        stderr=err.read_bytes().decode("utf-8", "replace"),
        max_rss_kib=int(usage.ru_maxrss),
        cpu_seconds=float(usage.ru_utime + usage.ru_stime),
        wall_seconds=time.monotonic() - started,
        timed_out=timed_out,
    )


# --- the child side (shared by both ways of running)


def _limit(job: Job) -> None:
    """In the child, before dockmig runs: its own process group and limits."""
    os.setpgid(0, 0)
    resource.setrlimit(resource.RLIMIT_AS, (job.memory_bytes, job.memory_bytes))
    # SIGXCPU at the soft limit ends the process; the hard one is a backstop.
    resource.setrlimit(resource.RLIMIT_CPU, (job.cpu_seconds, job.cpu_seconds + 5))
    if job.file_size_bytes is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (job.file_size_bytes, job.file_size_bytes)
        )
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if job.no_override and os.geteuid() == 0:
        drop_file_override()


# Capabilities that let root ignore file permissions (linux/capability.h).
_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2
_PR_CAPBSET_DROP = 24


def drop_file_override() -> None:
    """Stay root, but let the kernel check file permissions as for anyone else.

    The tests run as root, for whom mode 000 stops nothing. Switching to an
    unprivileged user instead would also lock the child out of the Python
    installation under /root; dropping only CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH keeps every file root owns readable by its mode (rw
    for the owner) and makes a mode-000 file refuse to open (EACCES).
    """
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0)
    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    keep = ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH)) & 0xFFFFFFFF
    data[0].effective &= keep
    data[0].permitted &= keep
    data[0].inheritable &= keep
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _child(job: Job, out: Path, err: Path) -> None:
    """Runs in the forked child; never returns."""
    code = 70
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(os.open(out, os.O_WRONLY | os.O_TRUNC), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_TRUNC), 2)
        _limit(job)
        os.chdir(job.cwd)
        os.environ.clear()
        os.environ.update(job.env)
        # The server already asked tempfile for a folder; a fresh process
        # would ask again, under this job's TMPDIR.
        tempfile.tempdir = None
        sys.argv = ["dockmig", *job.args]
        if job.vanish is not None:
            _vanish_when_opened(job.vanish)
        if job.prelude:
            exec(job.prelude, {"__name__": "prelude"})
        code = _main(job.args)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _main(args: list[str]) -> int:
    from dockmig.cli import main

    try:
        main(args=args, prog_name="dockmig")
    except SystemExit as stop:
        if stop.code is None:
            return 0
        if isinstance(stop.code, int):
            return stop.code
        sys.stderr.write(f"{stop.code}\n")
        return 1
    return 0


def _vanish_when_opened(target: str) -> None:
    """Delete `target` just before the first attempt to open it.

    Whatever listed the folder or tested the file beforehand saw it; the
    open that follows finds it gone, as if another process had deleted it
    in between, and it does so on every run.
    """
    import builtins
    import io

    wanted = os.path.abspath(target)
    state = {"gone": False}

    def drop_if_wanted(path: Any) -> None:
        if state["gone"] or not isinstance(path, (str, bytes, os.PathLike)):
            return
        if os.path.abspath(os.fsdecode(path)) == wanted:
            state["gone"] = True
            with contextlib.suppress(OSError):
                os.unlink(wanted)

    def guarded(real: Any) -> Any:
        def opener(path: Any, *args: Any, **kwargs: Any) -> Any:
            drop_if_wanted(path)
            return real(path, *args, **kwargs)

        return opener

    os.open = guarded(os.open)
    io.open = guarded(io.open)
    builtins.open = guarded(builtins.open)


# --- the server


def _preload() -> None:
    """Import what the commands import when they run, so children need not."""
    import dockmig.cli  # noqa: F401

    for name in (
        "dockmig.lint",
        "dockmig.report",
        "dockmig.rules",
        "dockmig.rewrite",
        "dockmig.codemods.deploy_yaml",
        "dockmig.codemods.secrets_file",
        "dockmig.codemods.dockerfile",
        "dockmig.codemods.compose",
        "dockmig.codemods.workflow",
        "dockmig.codemods.shell",
        "dockmig.codemods.python_source",
        "dockmig.doctor",
        "dockmig.plan",
        "dockmig.registry_check",
        "dockmig.kamal_hooks",
        "jsonschema",
    ):
        try:
            __import__(name)
        except ImportError:
            continue
    from dockmig import rules

    rules.all_rules()


def _serve(request: dict[str, Any]) -> list[dict[str, Any]]:
    _preload()
    pending = [Job(**item) for item in reversed(request["jobs"])]
    workers = int(request["workers"])
    scratch = Path(tempfile.mkdtemp(prefix="dm-sandbox-"))
    os.chmod(scratch, 0o755)
    running: dict[int, _Running] = {}
    results: list[dict[str, Any]] = []
    try:
        while pending or running:
            while pending and len(running) < workers:
                started = _start(pending.pop(), scratch)
                running[started.pid] = started
            _reap(running, results)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def _start(job: Job, scratch: Path) -> _Running:
    out = Path(tempfile.mkstemp(dir=scratch, suffix=".out")[1])
    err = out.with_suffix(".err")
    err.touch()
    for path in (out, err):
        os.chmod(path, 0o666)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _child(job, out, err)
    # Also here, so that a kill finds the group even before the child ran.
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    return _Running(job, pid, time.monotonic(), out, err)


def _reap(running: dict[int, _Running], results: list[dict[str, Any]]) -> None:
    pid, status, usage = os.wait4(-1, os.WNOHANG)
    if pid == 0:
        now = time.monotonic()
        for item in running.values():
            if not item.killed and now - item.started > item.job.wall_seconds:
                item.killed = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(item.pid, signal.SIGKILL)
        time.sleep(0.002)
        return
    item = running.pop(pid)
    outcome = _outcome(
        item.job, status, usage, item.out, item.err, item.started, item.killed
    )
    results.append(asdict(outcome))
    item.out.unlink()
    item.err.unlink()


if __name__ == "__main__":
    answer = _serve(json.load(sys.stdin))
    sys.stdout.write(json.dumps(answer))
