"""Back up Docker volumes to verified, compressed archives, through the engine.

The engine does the reading: a helper container is created (never started)
with the volume mounted read-only, and the engine's archive endpoint streams
the volume's contents as tar, the way `docker cp` reads them. So the helper
image needs no tools at all; it only has to be present, and dockmig never
pulls it. The stream is compressed into `<volume>-<UTC time>.tar.gz` while its
listing (name, kind, size, SHA-256 of each file) is taken; the written file is
then read back and must list exactly the same, or it is deleted. Only a
verified archive gets its final name, which is the name doctor's
`docker.volumes-backup` probe looks for.

Restoring goes through the engine too (`docker cp -` into a container that
mounts the volume), which keeps owners, modes, symlinks and hard links.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import re
import shlex
import tarfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dockmig.errors import DockmigError

logger = logging.getLogger(__name__)

DEFAULT_HELPER_IMAGE = "busybox:latest"
HELPER_LABEL = "dev.dockmig.helper"
MOUNT = "/volume"
# Socket time-out per read, not for the whole stream: a large volume may
# take long, but the engine never stays silent that long while sending.
READ_TIMEOUT = 120.0
_BLOCK = 1 << 20
# Docker's own rule for volume names (the settings schema's too).
VOLUME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


@dataclass(frozen=True)
class Entry:
    """One archive member as the verification compares it."""

    name: str
    kind: str  # file, dir, symlink, hardlink, other
    size: int
    link: str = ""
    digest: str = ""


@dataclass
class Backup:
    volume: str
    archive: Path
    entries: list[Entry]
    restore: str
    warnings: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return sum(1 for entry in self.entries if entry.kind == "file")

    @property
    def bytes(self) -> int:
        return sum(entry.size for entry in self.entries if entry.kind == "file")


def archive_name(volume: str, moment: float) -> str:
    """`falkordb_data-20261204T091500Z.tar.gz`: what docker.volumes-backup accepts."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(moment))
    return f"{volume}-{stamp}.tar.gz"


def restore_command(volume: str, archive: Path, image: str) -> str:
    """One shell line that refills `volume` from `archive` on the current engine."""
    helper = f"dockmig-restore-{volume}"
    quoted = shlex.quote(volume)
    return (
        f"docker volume create {quoted} && "
        f"docker container create --name {shlex.quote(helper)} "
        f"-v {quoted}:{MOUNT} {shlex.quote(image)} true && "
        f"docker cp - {shlex.quote(helper)}:{MOUNT} < {shlex.quote(str(archive))} && "
        f"docker rm {shlex.quote(helper)}"
    )


def check_helper_image(client: Any, image: str) -> None:
    """The helper image must already be here: dockmig pulls nothing silently."""
    import docker.errors

    try:
        client.inspect_image(image)
    except docker.errors.ImageNotFound:
        raise DockmigError(
            f"the helper image {image!r} is not present in this engine and dockmig "
            f"does not pull images; run `docker pull {image}` yourself, or name an "
            "image you have with --helper-image or backup/helper_image in "
            ".dockmig.yml (any image works: it is never started)"
        ) from None
    except docker.errors.APIError as error:
        # A name the engine cannot parse (`NOT VALID::`) is a 400, not a 404.
        raise DockmigError(
            f"the engine refused the helper image {image!r}: {_explained(error)}; "
            "name an image you have with --helper-image"
        ) from None


def backup(
    client: Any, volume: str, folder: Path, image: str, moment: float | None = None
) -> Backup:
    """Write and verify one volume's archive in `folder`; raises DockmigError."""
    import docker.errors
    import requests.exceptions

    # The name becomes part of the archive's file name, and the engine's API
    # path: `x/../falkordb_data` finds falkordb_data there, then no mount.
    if VOLUME_NAME.fullmatch(volume) is None:
        raise DockmigError(
            f"{volume!r} is not a Docker volume name (letters, digits, _ . and -, "
            "starting with a letter or digit)"
        )
    try:
        client.inspect_volume(volume)
    except docker.errors.NotFound:
        raise DockmigError(f"no volume {volume!r} in this engine") from None
    warnings = _users(client, volume)

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DockmigError(
            f"cannot create the backup folder ({error.strerror or error})",
            path=str(folder),
        ) from None
    final = _free_name(folder, archive_name(volume, moment or time.time()))
    partial = folder / f".{final.name}.partial"
    # docker's APIError and requests' errors are OSErrors too: most specific first.
    try:
        listed = _write(client, volume, image, partial)
        _verify(partial, listed)
        os.replace(partial, final)
    except docker.errors.APIError as error:
        raise DockmigError(
            f"the engine refused to read {volume!r}: {_explained(error)}; "
            "nothing was kept"
        ) from None
    except requests.exceptions.RequestException as error:
        raise DockmigError(
            f"the engine stopped sending {volume!r} ({type(error).__name__}); "
            "nothing was kept"
        ) from None
    except OSError as error:
        raise DockmigError(
            f"cannot write the archive ({error.strerror or error}); nothing was kept",
            path=str(final),
        ) from None
    finally:
        partial.unlink(missing_ok=True)

    logger.info("%s: %d entries written to %s", volume, len(listed), final)
    return Backup(
        volume=volume,
        archive=final.resolve(),
        entries=listed,
        restore=restore_command(volume, final.resolve(), image),
        warnings=warnings,
    )


def _explained(error: Any) -> str:
    explanation = getattr(error, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return str(explanation or error.status_code or type(error).__name__)


def _users(client: Any, volume: str) -> list[str]:
    """A running container may write while the volume is read: say so."""
    users = client.containers(filters={"volume": volume, "status": "running"})
    names = sorted(
        name.lstrip("/") for user in users for name in (user.get("Names") or [])[:1]
    )
    if not names:
        return []
    return [
        f"{volume} is in use by running container(s) {', '.join(names)}; files "
        "written during the backup may be inconsistent: stop them and back up "
        "again for a consistent copy"
    ]


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem = name[: -len(".tar.gz")]
    number = 1
    while candidate.exists():
        candidate = folder / f"{stem}-{number}.tar.gz"
        number += 1
    return candidate


def _write(client: Any, volume: str, image: str, target: Path) -> list[Entry]:
    """Stream the volume from the engine into `target`; its listing as sent."""
    helper = client.create_container(
        image,
        command=["true"],
        name=f"dockmig-backup-{uuid.uuid4().hex[:12]}",
        labels={HELPER_LABEL: "backup-volume"},
        network_disabled=True,
        host_config=client.create_host_config(
            binds={volume: {"bind": MOUNT, "mode": "ro"}}, network_mode="none"
        ),
    )

    try:
        # `/volume/.` makes the engine name members `./…`, relative to the
        # volume, which is what `docker cp -` extracts into the mount on restore.
        chunks, _ = client.get_archive(helper["Id"], f"{MOUNT}/.", chunk_size=_BLOCK)

        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with (
            os.fdopen(descriptor, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as sink,
        ):
            tee = _Tee(iter(chunks), sink)
            with tarfile.open(fileobj=io.BufferedReader(tee), mode="r|") as archive:
                listed = list_members(archive)
            # tar ends with zero blocks after the last member; copy them too.
            tee.drain()
            raw.flush()

        with open(target, "rb") as written:
            os.fsync(written.fileno())
        return listed
    finally:
        client.remove_container(helper["Id"], force=True)


class _Tee(io.RawIOBase):
    """Reads the engine's chunks and copies every byte read into `sink`."""

    def __init__(self, chunks: Iterator[bytes], sink: Writable) -> None:
        self._chunks = chunks
        self._sink = sink
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        taken, self._pending = self._pending[:size], self._pending[size:]
        buffer[:size] = taken
        self._sink.write(taken)
        return size

    def drain(self) -> None:
        while self.read(_BLOCK):
            pass


def list_members(archive: tarfile.TarFile) -> list[Entry]:
    """Every member of an archive with the SHA-256 of each file's data."""
    return [_entry(archive, member) for member in archive]


def _entry(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Entry:
    name = member.name.removeprefix("./") or "."
    if member.isreg():
        digest = hashlib.sha256()
        data = archive.extractfile(member)
        assert data is not None  # a regular member always has data
        while block := data.read(_BLOCK):
            digest.update(block)
        return Entry(name, "file", member.size, digest=digest.hexdigest())
    if member.isdir():
        return Entry(name, "dir", 0)
    if member.issym():
        return Entry(name, "symlink", 0, link=member.linkname)
    if member.islnk():
        return Entry(name, "hardlink", 0, link=member.linkname.removeprefix("./"))
    return Entry(name, "other", 0)


def _verify(path: Path, expected: list[Entry]) -> None:
    """Read the written archive back: it must list what the engine sent."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            found = list_members(archive)
    except (OSError, EOFError, tarfile.TarError) as error:
        raise DockmigError(
            f"the archive cannot be read back ({error}); nothing was kept",
            path=str(path),
        ) from None

    if found == expected:
        return
    differences = describe_differences(expected, found)
    raise DockmigError(
        "the archive does not match the volume: "
        + "; ".join(differences[:3])
        + "; nothing was kept",
        path=str(path),
    )


def describe_differences(
    volume: Iterable[Entry], archive: Iterable[Entry]
) -> list[str]:
    """What differs between the volume's listing and the archive's, by name."""
    wanted = {entry.name: entry for entry in volume}
    found = {entry.name: entry for entry in archive}
    problems = [f"{name} is missing" for name in wanted if name not in found]
    problems += [f"{name} is not in the volume" for name in found if name not in wanted]

    for name, entry in wanted.items():
        other = found.get(name)
        if other is None or other == entry:
            continue
        if other.size != entry.size:
            problems.append(f"{name} has {other.size} bytes, not {entry.size}")
        else:
            problems.append(f"{name} differs")
    return problems or ["the order of the members differs"]
