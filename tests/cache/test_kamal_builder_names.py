"""dockmig names the builder Kamal would use exactly as Kamal 2.12 does.

Each config below is given to Kamal's own code (the oracle's checkout, via
kamal_builder_name.rb) and to `dockmig.cache.project_builder`; the builder
names must be equal. The engine's arch is amd64 for both.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dockmig import cache

pytestmark = pytest.mark.oracle

SCRIPT = Path(__file__).with_name("kamal_builder_name.rb")

HEAD = """\
service: shop
image: acme/shop
servers: [192.0.2.10]
"""
REMOTE_REGISTRY = """\
registry:
  server: registry.example.com
  username: admin
  password: [KAMAL_REGISTRY_PASSWORD]
"""
LOCAL_REGISTRY = "registry:\n  server: localhost:5555\n"

CASES = {
    "local": REMOTE_REGISTRY + "builder:\n  arch: amd64\n",
    "local registry": LOCAL_REGISTRY + "builder:\n  arch: amd64\n",
    "docker hub default registry": (
        "registry:\n  username: admin\n  password: [P]\nbuilder:\n  arch: arm64\n"
    ),
    "docker driver": REMOTE_REGISTRY + "builder:\n  arch: amd64\n  driver: docker\n",
    "other driver": REMOTE_REGISTRY + "builder:\n  arch: amd64\n  driver: remote\n",
    "remote only": REMOTE_REGISTRY
    + "builder:\n  arch: arm64\n  remote: ssh://root@10.0.0.1\n",
    "remote with local registry": LOCAL_REGISTRY
    + "builder:\n  arch: arm64\n  remote: ssh://deploy@Build.Example.com:2222\n",
    "remote, own arch builds here": REMOTE_REGISTRY
    + "builder:\n  arch: amd64\n  remote: ssh://root@10.0.0.1\n",
    "hybrid": REMOTE_REGISTRY
    + "builder:\n  arch: [amd64, arm64]\n  remote: ssh://root@10.0.0.1\n",
    "hybrid with local registry": LOCAL_REGISTRY
    + "builder:\n  arch: [amd64, arm64]\n  remote: ssh://root@10.0.0.1\n",
    "local disabled": REMOTE_REGISTRY
    + "builder:\n  arch: amd64\n  local: false\n  remote: tcp://10.0.0.2:2375\n",
    "cloud": REMOTE_REGISTRY
    + "builder:\n  arch: amd64\n  driver: cloud acme/builder\n",
    "buildpacks": REMOTE_REGISTRY
    + "builder:\n  arch: amd64\n  pack:\n    builder: heroku/builder:24\n"
    "    buildpacks: [heroku/ruby]\n",
}


def test_builder_names_match_kamal_s(oracle: Path, tmp_path: Path) -> None:
    home = oracle.parent.parent
    paths = {}
    for label, body in CASES.items():
        path = tmp_path / label.replace(" ", "-").replace(",", "") / "deploy.yml"
        path.parent.mkdir()
        path.write_text(HEAD + textwrap.dedent(body))
        paths[str(path)] = label

    includes = (home / "inc.txt").read_text().split()
    completed = subprocess.run(
        ["ruby", "-W0", f"-I{home / 'lib'}", *includes, str(SCRIPT), "amd64", *paths],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    kamal = {
        paths[answer["path"]]: answer["name"]
        for answer in map(json.loads, completed.stdout.splitlines())
    }

    yaml = YAML(typ="safe")
    ours = {
        label: cache.project_builder(
            "base", yaml.load(Path(path).read_text()), "amd64"
        ).name
        for path, label in paths.items()
    }
    assert ours == kamal
    # Not vacuous: the cases cover every way Kamal names a builder.
    assert {name.split("-")[1] for name in kamal.values() if name} == {
        "local",
        "remote",
        "hybrid",
    }
