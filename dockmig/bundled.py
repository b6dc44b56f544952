"""The bundled JSON Schemas, read from the installed `dockmig.schemas` package."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

NAMES = {
    "deploy": "kamal-deploy.schema.json",
    "secrets": "kamal-secrets.schema.json",
    "settings": "dockmig-settings.schema.json",
}


def text(name: str) -> str:
    return resources.files("dockmig.schemas").joinpath(NAMES[name]).read_text("utf-8")


@cache
def load(name: str) -> Any:
    return json.loads(text(name))
