"""A secrets file holds a credential's value itself instead of saying where to get it.

`.kamal/secrets*` files are meant to be committed: Kamal's own template
keeps them in the repository, because each line only says where a value
comes from (`$KAMAL_REGISTRY_PASSWORD` from the environment,
`$(kamal secrets fetch ...)` from a password manager, `$(cat
config/master.key)` from an ignored file). A value written out in full is
then readable by everyone with the repository, and stays in its history.

dockmig flags a literal value when its key looks like a credential
(`*_PASSWORD`, `*_TOKEN`, `SECRET_KEY_BASE`, ...) or the value itself does
(key text, a long random-looking string), and a value mixing `$NAME` with a
literal password inside a URL. Plain settings such as `AWS_REGION=eu-north-1`
are not secrets and pass. Single quotes stop all substitution, so
`'$(op read ...)'` is literal too. Findings name the key, never the value.

Passing example::

    env:
      secret:
        - DATABASE_PASSWORD
    # file: .kamal/secrets
    DATABASE_PASSWORD=$DATABASE_PASSWORD

Failing example::

    env:
      secret:
        - DATABASE_PASSWORD
    # file: .kamal/secrets
    DATABASE_PASSWORD=correct-horse-battery-staple
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from dockmig.findings import Mark, Severity
from dockmig.rules.literal_credential import looks_like_credential_name
from dockmig.rules.secret_undefined import PEM_MARKER
from dockmig.secrets import SecretEntry, SecretsFile, ValueKind

if TYPE_CHECKING:
    from dockmig.lint import ProjectContext

logger = logging.getLogger(__name__)

ID = "committed-secret"
SEVERITY = Severity.ERROR
KAMAL = False

# `scheme://user:password@host` with no `$` in the password part.
_URL_PASSWORD = re.compile(r"://[^\s:/@$]*:[^\s@/$]+@")
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9+/=_\-.~]{20,}")


def _looks_like_key_material(text: str) -> bool:
    """Long, mixed letters and digits, no spaces: how generated secrets look."""
    if PEM_MARKER in text:
        return True
    if not _TOKEN_CHARACTERS.fullmatch(text):
        return False
    return bool(re.search(r"[A-Za-z]", text) and re.search(r"\d", text))


def _problem(entry: SecretEntry) -> str | None:
    """Why this entry's committed value is a credential, or None."""
    if entry.kind not in (ValueKind.LITERAL, ValueKind.MIXED):
        return None
    if _URL_PASSWORD.search(entry.text):
        return "it contains an address with a password written out"

    if entry.kind is ValueKind.MIXED:
        return None
    if looks_like_credential_name(entry.name):
        return "its name says it is a credential"
    if _looks_like_key_material(entry.text):
        return "it looks like generated key material"
    return None


def _unique_files(project: ProjectContext) -> list[SecretsFile]:
    seen: dict[str, SecretsFile] = {}
    for target in project.targets:
        for secrets_file in target.secrets_files:
            seen.setdefault(secrets_file.path, secrets_file)
    return list(seen.values())


def check_project(project: ProjectContext) -> None:
    for secrets_file in _unique_files(project):
        for entry in secrets_file.entries:
            reason = _problem(entry)
            if reason is None:
                continue

            hint = (
                " (single quotes stop `$NAME` and `$(...)` from being expanded)"
                if entry.quote == "'" and "$" in entry.text
                else ""
            )
            project.report(
                ID,
                Mark(secrets_file.path, entry.value_line, entry.value_column),
                f"{entry.name} in {secrets_file.path} is a value written into a "
                f"committed file, and {reason}{hint}; take it from the environment "
                f"({entry.name}=${entry.name}) or a password manager "
                f"({entry.name}=$(kamal secrets fetch ...))",
            )
