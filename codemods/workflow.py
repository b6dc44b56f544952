"""CI workflow files (GitHub Actions, GitLab CI, and similar YAML pipelines).

Pipelines name images in `image:`/`container:` keys, in `env:` values and
inside `run:` scripts; every scalar value is searched, and only the host of
an image reference changes. `${{ … }}` expressions are plain text to YAML and
stay as they are.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from dockmig.codemod import Migration, Outcome

from . import compose

logger = logging.getLogger(__name__)

_FOLDERS = (
    (".github", "workflows"),
    (".gitea", "workflows"),
    (".forgejo", "workflows"),
    (".woodpecker",),
    (".buildkite",),
)
_FILES = {
    ".gitlab-ci.yml",
    "bitbucket-pipelines.yml",
    "azure-pipelines.yml",
    ".drone.yml",
    ".woodpecker.yml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
}


def is_workflow(relative: str) -> bool:
    path = PurePosixPath(relative)
    if path.suffix not in (".yml", ".yaml"):
        return False
    if relative in _FILES or path.as_posix() == ".circleci/config.yml":
        return True
    parts = path.parts[:-1]
    return any(parts[: len(folder)] == folder for folder in _FOLDERS)


def rewrite(text: str, display: str, migration: Migration) -> Outcome:
    return compose.rewrite(text, display, migration)


def check(before: str, after: str, migration: Migration) -> str:
    return compose.check(before, after, migration)
