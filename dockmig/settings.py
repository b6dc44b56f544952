"""dockmig's own settings: `.dockmig.yml` at the project root.

Absent, every value has a default; present, it is validated against
`schemas/dockmig-settings.schema.json` and a mistake stops every command with
exit 3 and the file, line and column.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockmig import bundled, document, fastschema
from dockmig.errors import DockmigError
from dockmig.findings import Severity

logger = logging.getLogger(__name__)

FILENAME = ".dockmig.yml"
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


@dataclass
class Settings:
    path: Path | None = None
    registry_host: str | None = None
    registry_username: str | None = None
    password_secret: str | None = None
    expected_ip: str | None = None
    ca_file: str | None = None
    previous_registry: str | None = None
    volumes: list[str] = field(default_factory=list)
    backup_dir: str = "backups"
    backup_max_age_hours: float = 24.0
    backup_helper_image: str | None = None
    cache_limit_bytes: int = 20 * 10**9
    min_free_bytes: int = 10 * 10**9
    deadline: float = 10.0
    dns_server: str | None = None
    rule_severities: dict[str, Severity | None] = field(default_factory=dict)
    strict: bool = False


def parse_size(value: int | str) -> int:
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", value)
    if match is None or match.group(2).lower() not in _UNITS:
        raise ValueError(f"{value!r} is not a size such as 20GB or 500MiB")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def load(root: Path) -> Settings:
    path = root / FILENAME
    # A link to nothing is a settings file that cannot be read, not an absent
    # one: the reader says so rather than every value quietly defaulting.
    if not (path.exists() or path.is_symlink()):
        return Settings()
    doc = document.load(path, FILENAME, {})
    for finding in doc.findings:
        if finding.severity is Severity.ERROR:
            raise DockmigError(
                finding.message, path=FILENAME, line=finding.line, column=finding.column
            )
    data = doc.data if doc.data is not None else {}
    _validate(data, doc)
    return _from_data(data, path, doc)


def _validate(data: Any, doc: document.Document) -> None:
    if fastschema.is_valid(bundled.load("settings"), data):
        return
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(bundled.load("settings"))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    error = errors[0]
    path = tuple(error.absolute_path)
    position = doc.position(path) or doc.position(())
    line, column = (position.value.line, position.value.column) if position else (1, 1)
    where = "/".join(str(p) for p in path) or "the top level"
    problem = error.message
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if custom:
        problem = f"{error.instance!r} {custom}"
    elif error.validator == "enum":
        # false is how YAML 1.1 reads an unquoted `off`; name it as written.
        choices = ["off" if c is False else str(c) for c in error.validator_value]
        problem = (
            f"{error.instance!r} is not one of {', '.join(dict.fromkeys(choices))}"
        )
    raise DockmigError(
        f"invalid dockmig setting at {where}: {problem}; see `dockmig schema settings`",
        path=FILENAME,
        line=line,
        column=column,
    )


def _finite(doc: document.Document, path: tuple[str, ...], value: Any) -> float:
    # YAML's .nan and .inf are numbers to JSON Schema, but no time limit.
    number = float(value)
    if math.isfinite(number):
        return number
    mark = doc.position(path)
    raise DockmigError(
        f"{'/'.join(path)} must be a finite number, not {value!r}",
        path=FILENAME,
        line=mark.value.line if mark else 1,
        column=mark.value.column if mark else 1,
    )


def _check_port(doc: document.Document, host: str) -> None:
    # The schema's pattern allows five digits; TCP allows 1-65535.
    port = host.split("/", 1)[0].partition(":")[2]
    if not port or 0 < int(port) < 65536:
        return
    raise _invalid(
        doc,
        ("registry", "host"),
        f"registry/host {host!r} has port {int(port)}, outside 1-65535",
    )


def _invalid(
    doc: document.Document, key: tuple[str, ...], message: str
) -> DockmigError:
    """The error for a settings value, at its position in .dockmig.yml."""
    mark = doc.position(key)
    return DockmigError(
        message,
        path=FILENAME,
        line=mark.value.line if mark else 1,
        column=mark.value.column if mark else 1,
    )


def _from_data(data: dict[str, Any], path: Path, doc: document.Document) -> Settings:
    settings = Settings(path=path)
    registry = data.get("registry", {})
    settings.registry_host = registry.get("host")
    if settings.registry_host is not None:
        _check_port(doc, settings.registry_host)
    settings.registry_username = registry.get("username")
    settings.password_secret = registry.get("password_secret")
    settings.ca_file = registry.get("ca_file")
    settings.previous_registry = registry.get("previous")

    expected = registry.get("expected_ip")
    if expected is not None:
        try:
            ipaddress.ip_address(expected)
        except ValueError:
            raise _invalid(
                doc,
                ("registry", "expected_ip"),
                f"registry/expected_ip {expected!r} is not an IP address",
            ) from None
        settings.expected_ip = expected

    settings.volumes = list(data.get("volumes", []))
    backup = data.get("backup", {})
    settings.backup_dir = backup.get("dir", settings.backup_dir)
    settings.backup_max_age_hours = _finite(
        doc, ("backup", "max_age_hours"), backup.get("max_age_hours", 24.0)
    )
    settings.backup_helper_image = backup.get("helper_image")
    if "cache_limit" in data.get("buildkit", {}):
        settings.cache_limit_bytes = parse_size(data["buildkit"]["cache_limit"])
    if "min_free" in data.get("disk", {}):
        settings.min_free_bytes = parse_size(data["disk"]["min_free"])
    doctor = data.get("doctor", {})
    settings.deadline = _finite(
        doc, ("doctor", "deadline"), doctor.get("deadline", settings.deadline)
    )
    settings.dns_server = doctor.get("dns_server")

    lint = data.get("lint", {})
    settings.strict = bool(lint.get("strict", False))
    from dockmig import rules

    known = rules.by_id()
    for rule, level in lint.get("rules", {}).items():
        if rule not in known:
            mark = doc.position(("lint", "rules", rule))
            raise DockmigError(
                f"lint/rules names an unknown rule {rule!r}; `dockmig rules` lists "
                "them all",
                path=FILENAME,
                line=mark.key.line if mark and mark.key else 1,
                column=mark.key.column if mark and mark.key else 1,
            )
        # YAML 1.1 reads an unquoted `off` as false; both mean the same here.
        off = level is False or level == "off"
        settings.rule_severities[rule] = None if off else Severity.parse(level)
    return settings
