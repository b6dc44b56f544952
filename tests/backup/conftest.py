from __future__ import annotations

from tests.tools.engines import docker_environment, own_dockerd

__all__ = ["docker_environment", "own_dockerd"]
