"""The volumes .dockmig.yml lists exist here and have a recent backup.

A backup is a non-empty archive in the backup folder (`backup/dir`, default
`backups/`) whose name is the volume's, then `.` or `-` and anything (so
`falkordb_data-…` never passes for a backup of `falkordb`), ending in .tar,
.tar.gz, .tgz, .tar.zst, .tar.xz or .tar.bz2 — for example
`falkordb_data-20261204T0900.tar.gz`. The newest one must be younger than
`backup/max_age_hours` (default 24). Missing volumes and missing or stale
backups fail: this is the check to pass before an engine is uninstalled.
"""

from __future__ import annotations

import time
from pathlib import Path

from dockmig.doctor import Outcome, ProbeContext, fail, ok, skip
from dockmig.doctor.engine import EngineFacts, connect

ID = "docker.volumes-backup"
NEEDS = ("docker.engine",)
TIMEOUT = 4.0

ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2")


def run(context: ProbeContext) -> Outcome:
    settings = context.inputs.settings
    wanted = list(settings.volumes)
    if not wanted:
        return skip("no volumes to check: list them under volumes: in .dockmig.yml")

    engine: EngineFacts = context.data("docker.engine")
    context.doing(f"the volume list from {engine.endpoint.host}")
    client = connect(engine.endpoint, context.timeout(), engine.api_version)
    try:
        present = {str(v.get("Name")) for v in client.volumes().get("Volumes") or []}
    finally:
        client.close()

    folder = context.inputs.root / settings.backup_dir
    max_age = settings.backup_max_age_hours * 3600
    now = time.time()
    problems: list[str] = []
    states = []
    for volume in wanted:
        newest = _newest_backup(folder, volume)
        age = now - newest.stat().st_mtime if newest else None
        states.append(
            {
                "volume": volume,
                "exists": volume in present,
                "backup": newest.name if newest else None,
                "backup_age_hours": round(age / 3600, 1) if age is not None else None,
            }
        )
        if volume not in present:
            problems.append(f"volume {volume} does not exist in this engine")
        if newest is None:
            problems.append(f"{volume} has no backup in {settings.backup_dir}/")
        elif age is not None and age > max_age:
            problems.append(
                f"the newest backup of {volume} ({newest.name}) is {age / 3600:.0f} h "
                f"old, over {settings.backup_max_age_hours:g} h"
            )

    details = {
        "backup_dir": str(folder),
        "max_age_hours": settings.backup_max_age_hours,
        "volumes": states,
    }
    if problems:
        return fail(
            "; ".join(problems),
            _remedy(
                problems,
                wanted,
                present,
                settings.backup_dir,
                settings.backup_helper_image,
            ),
            details=details,
        )
    return ok(
        f"{', '.join(wanted)}: present, backed up within "
        f"{settings.backup_max_age_hours:g} h",
        details=details,
    )


def _newest_backup(folder: Path, volume: str) -> Path | None:
    if not folder.is_dir():
        return None

    found = []
    for path in folder.iterdir():
        name = path.name
        if not name.startswith(volume) or not name.endswith(ARCHIVES):
            continue
        if len(name) > len(volume) and name[len(volume)] not in ".-":
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file() and stat.st_size > 0:
            found.append((stat.st_mtime, path))

    return max(found)[1] if found else None


def _remedy(
    problems: list[str],
    wanted: list[str],
    present: set[str],
    backup_dir: str,
    helper: str | None,
) -> str:
    missing = [v for v in wanted if v not in present]
    if missing and len(missing) == len(problems):
        return (
            "create the volume or check that this is the engine that holds it "
            "(see docker.other-engine)"
        )

    volumes = " ".join(v for v in wanted if v in present) or wanted[0]
    return (
        f"back up with `dockmig backup-volume {volumes} --to {backup_dir}` (an "
        "archive verified against the volume, with its restore command)"
    )
