from __future__ import annotations

import pytest

from dockmig.doctor.probes import docker_other_engine
from tests.tools.engines import docker_environment, own_dockerd

__all__ = ["docker_environment", "own_dockerd"]


@pytest.fixture(autouse=True)
def no_system_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the engines a test starts exist for the probes, not the machine's."""
    monkeypatch.setattr(docker_other_engine, "SYSTEM_SOCKETS", [])
