"""The bundled JSON Schemas, read from the installed `dockmig.schemas` package."""

from __future__ import annotations

import importlib
import json
import os
from functools import cache
from typing import Any

NAMES = {
    "deploy": "kamal-deploy.schema.json",
    "secrets": "kamal-secrets.schema.json",
    "settings": "dockmig-settings.schema.json",
}


def text(name: str) -> str:
    # The package's folder, found by the import system (an editable install
    # maps it to the checkout's schemas/). importlib.resources would find the
    # same file, but importing it (zipfile, tempfile, lzma...) costs every
    # lint about 3 ms, a twentieth of its run.
    folder = importlib.import_module("dockmig.schemas").__path__[0]
    with open(os.path.join(folder, NAMES[name]), encoding="utf-8") as stream:
        return stream.read()


@cache
def load(name: str) -> Any:
    return json.loads(text(name))
