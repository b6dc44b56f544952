"""`dockmig backup-volume` against a real, private dockerd.

The helper image is Debian's busybox-static brought in with `docker import`;
nothing is pulled from a registry. Each test makes its own volumes and
removes them.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockmig import backup, docker_engine
from dockmig.backup_command import backup_volume_command
from dockmig.errors import DockmigError
from tests.tools.engines import HELPER_IMAGE, run_in

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_environment")]

# A volume as a database leaves it: nested folders, a binary file, a file
# owned by the database's user, a symlink and a hard link.
FILL = textwrap.dedent(
    """\
    set -e
    mkdir -p /data/graph/wal
    printf 'GRAPH' > /data/graph/dump.rdb
    dd if=/dev/urandom of=/data/graph/wal/000001 bs=1024 count=300 2>/dev/null
    printf 'appendonly yes\\n' > /data/redis.conf
    chown 999:999 /data/graph/dump.rdb
    chmod 600 /data/graph/dump.rdb
    ln -s graph/dump.rdb /data/latest
    ln /data/redis.conf /data/redis.conf.hard
    """
)


@pytest.fixture
def volume(own_dockerd: Any) -> Iterator[str]:
    name = "falkordb_data"
    own_dockerd.docker("volume", "create", name)
    run_in(own_dockerd, HELPER_IMAGE, "/bin/sh", "-c", FILL, volume=name)
    yield name
    own_dockerd.docker("volume", "rm", "-f", name, check=False)


@pytest.fixture
def client(own_dockerd: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("DOCKER_HOST", own_dockerd.host)
    with docker_engine.connected() as engine:
        yield engine.client


def invoke(engine: Any, *args: str, cwd: Path) -> Any:
    """`dockmig backup-volume ARGS` run from `cwd` against the engine."""
    before = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(
            backup_volume_command,
            list(args),
            env={"DOCKER_HOST": engine.host},
            catch_exceptions=False,
        )
    finally:
        os.chdir(before)


def archives(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.tar.gz"))


def listing(engine: Any, volume: str) -> list[str]:
    """What is in a volume, read by busybox in a container: owner, mode, size."""
    out = run_in(
        engine,
        HELPER_IMAGE,
        "/bin/sh",
        "-c",
        "cd /data && find . | sort | while read -r p; do "
        "stat -c '%n %F %u:%g %a %s' \"$p\"; done",
        volume=volume,
    )
    return out.splitlines()


def test_archive_lists_the_volume_s_files_with_their_sizes(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    result = invoke(
        own_dockerd, volume, "--to", "out", "--helper-image", HELPER_IMAGE,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    [archive] = archives(tmp_path / "out")
    assert archive.name.startswith(f"{volume}-")
    with tarfile.open(archive, "r:gz") as opened:
        members = {m.name: m for m in opened.getmembers()}
    sizes = {
        line.split()[0]: int(line.split()[-1])
        for line in listing(own_dockerd, volume)
        if " regular " in line
    }
    # tar stores a second hard link as a pointer to the first; it has its size.
    archived = {
        name: members[member.linkname].size if member.islnk() else member.size
        for name, member in members.items()
        if member.isreg() or member.islnk()
    }
    assert archived == sizes
    assert members["./graph/dump.rdb"].uid == 999
    assert members["./latest"].issym()
    assert members["./redis.conf.hard"].islnk()
    assert f"out/{archive.name}" in result.stdout
    assert "verified" in result.stdout


def test_archive_is_readable_only_by_its_owner(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    invoke(own_dockerd, volume, "--to", "out", "--helper-image", HELPER_IMAGE,
           cwd=tmp_path)  # fmt: skip
    [archive] = archives(tmp_path / "out")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


def test_printed_restore_command_brings_the_volume_back_exactly(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    before = listing(own_dockerd, volume)
    result = invoke(
        own_dockerd, volume, "--to", "out", "--helper-image", HELPER_IMAGE,
        cwd=tmp_path,
    )  # fmt: skip
    [command] = [
        line.split("restore: ", 1)[1]
        for line in result.stdout.splitlines()
        if "restore: " in line
    ]
    own_dockerd.docker("volume", "rm", volume)

    # The printed line, run by a shell against the engine, as a person would.
    restored = subprocess.run(
        ["sh", "-c", command],
        cwd="/",
        env={
            "PATH": os.environ["PATH"],
            "DOCKER_HOST": own_dockerd.host,
            "DOCKER_CONFIG": str(tmp_path / "cli"),
        },
        capture_output=True,
        text=True,
    )
    assert restored.returncode == 0, restored.stderr
    assert listing(own_dockerd, volume) == before
    leftovers = own_dockerd.docker("ps", "-aq", "--filter", "name=dockmig-restore")
    assert leftovers.stdout.strip() == ""


def test_helper_container_is_removed_and_never_started(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    invoke(own_dockerd, volume, "--to", "out", "--helper-image", HELPER_IMAGE,
           cwd=tmp_path)  # fmt: skip
    left = own_dockerd.docker(
        "ps", "-aq", "--filter", f"label={backup.HELPER_LABEL}"
    ).stdout
    assert left.strip() == ""
    events = own_dockerd.docker(
        "events", "--since", "5m", "--until", "0s",
        "--filter", f"label={backup.HELPER_LABEL}", "--format", "{{.Action}}",
    ).stdout.split()  # fmt: skip
    assert "create" in events
    assert "start" not in events


def test_missing_helper_image_is_not_pulled_and_stops_with_a_clear_error(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    images_before = own_dockerd.docker("images", "-q", "--no-trunc").stdout
    result = invoke(
        own_dockerd, volume, "--to", "out", "--helper-image", "busybox:1.36",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 3
    assert "busybox:1.36" in result.stderr
    assert "does not pull" in result.stderr
    assert own_dockerd.docker("images", "-q", "--no-trunc").stdout == images_before
    assert archives(tmp_path / "out") == []


def test_missing_volume_fails_but_the_others_are_still_backed_up(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    result = invoke(
        own_dockerd, "no_such_volume", volume, "--to", "out",
        "--helper-image", HELPER_IMAGE, cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 3
    assert "no_such_volume" in result.stderr
    assert [a.name.split("-")[0] for a in archives(tmp_path / "out")] == [volume]


def test_volumes_and_folder_come_from_the_settings_and_doctor_accepts_the_backup(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    from dockmig.doctor.command import doctor_command

    project = tmp_path / "shop"
    project.mkdir()
    (project / ".dockmig.yml").write_text(
        f"volumes: [{volume}]\n"
        f"backup:\n  dir: var/backups\n  helper_image: {HELPER_IMAGE}\n"
    )
    doctor_args = [str(project), "--only", "docker.volumes-backup", "--format", "json"]
    env = {"DOCKER_HOST": own_dockerd.host}
    before = CliRunner().invoke(doctor_command, doctor_args, env=env)
    assert before.exit_code == 1, before.output

    result = invoke(own_dockerd, cwd=project)
    assert result.exit_code == 0, result.output
    assert len(archives(project / "var/backups")) == 1

    after = CliRunner().invoke(doctor_command, doctor_args, env=env)
    assert after.exit_code == 0, after.output
    assert '"status": "ok"' in after.stdout


def test_running_user_of_the_volume_is_warned_about(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    own_dockerd.docker(
        "run", "-d", "--name", "falkordb", "--network", "none",
        "-v", f"{volume}:/data", HELPER_IMAGE, "sleep", "300",
    )  # fmt: skip
    try:
        result = invoke(
            own_dockerd, volume, "--to", "out", "--helper-image", HELPER_IMAGE,
            cwd=tmp_path,
        )  # fmt: skip
    finally:
        own_dockerd.docker("rm", "-f", "falkordb")
    assert result.exit_code == 0, result.output
    assert "falkordb" in result.stderr
    assert "inconsistent" in result.stderr


def test_second_backup_in_the_same_second_gets_its_own_name(
    client: Any, volume: str, tmp_path: Path
) -> None:
    first = backup.backup(client, volume, tmp_path, HELPER_IMAGE, moment=1e9)
    second = backup.backup(client, volume, tmp_path, HELPER_IMAGE, moment=1e9)
    assert first.archive != second.archive
    assert first.entries == second.entries


def test_verification_refuses_an_archive_that_lost_a_file(
    client: Any, volume: str, tmp_path: Path
) -> None:
    made = backup.backup(client, volume, tmp_path, HELPER_IMAGE)
    with tarfile.open(made.archive, "r:gz") as archive:
        entries = backup.list_members(archive)
    assert entries == made.entries

    damaged = tmp_path / "damaged.tar.gz"
    with (
        tarfile.open(made.archive, "r:gz") as source,
        tarfile.open(damaged, "w:gz") as target,
    ):
        for member in source.getmembers():
            if member.name != "./graph/wal/000001":
                target.addfile(member, source.extractfile(member))
    with pytest.raises(DockmigError, match="graph/wal/000001 is missing"):
        backup._verify(damaged, made.entries)


def test_verification_refuses_a_truncated_archive(
    client: Any, volume: str, tmp_path: Path
) -> None:
    made = backup.backup(client, volume, tmp_path, HELPER_IMAGE)
    data = made.archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DockmigError, match="cannot be read back"):
        backup._verify(cut, made.entries)


def test_restore_command_quotes_what_a_shell_would_split() -> None:
    command = backup.restore_command(
        "data", Path("/tmp/my backups/data-1.tar.gz"), "busybox:latest"
    )
    assert "< '/tmp/my backups/data-1.tar.gz'" in command
    assert command.startswith("docker volume create data && ")


def test_helper_image_name_the_engine_cannot_parse_stops_with_exit_3(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    result = invoke(
        own_dockerd, volume, "--to", "out", "--helper-image", "NOT VALID::",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "helper image 'NOT VALID::'" in result.stderr
    assert archives(tmp_path / "out") == []


def test_folder_that_cannot_be_made_stops_with_exit_3(
    own_dockerd: Any, volume: str, tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder\n")
    result = invoke(
        own_dockerd, volume, "--to", "taken/out", "--helper-image", HELPER_IMAGE,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "cannot create the backup folder" in result.stderr
    assert "taken/out" in result.stderr


@pytest.mark.parametrize("name", ["x/../falkordb_data", "..", "-x", ""])
def test_a_name_that_is_no_volume_name_is_refused_before_the_engine_is_asked(
    own_dockerd: Any, volume: str, tmp_path: Path, name: str
) -> None:
    (tmp_path / "out" / "x").mkdir(parents=True)
    result = invoke(
        own_dockerd, "--to", "out", "--helper-image", HELPER_IMAGE, "--", name,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "is not a Docker volume name" in result.stderr
    assert list((tmp_path / "out").rglob("*.tar.gz")) == []
