"""The Docker engine the docker CLI would use here, connected for one command.

`backup-volume` and `cache` talk to the same engine as `docker` (and so
Kamal) would: doctor's endpoint resolution (`--context`, `DOCKER_HOST`,
`DOCKER_CONTEXT`, the current context) and its client, which speaks the API
version both sides know.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dockmig.errors import DockmigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Engine:
    client: Any
    where: str  # the endpoint and why it was chosen, for people


@contextlib.contextmanager
def connected(context: str | None = None, timeout: float = 60.0) -> Iterator[Engine]:
    """An engine client; DockmigError when there is none to talk to.

    `timeout` bounds each socket read, not a whole transfer.
    """
    from dockmig.doctor.endpoint import EndpointError, resolve
    from dockmig.doctor.engine import connect, describe_error

    try:
        endpoint = resolve(os.environ, context)
    except EndpointError as error:
        raise DockmigError(f"{error}; {error.remedy}") from None
    try:
        client = connect(endpoint, timeout)
    except Exception as error:  # the SDK raises many types for one cause
        raise DockmigError(
            f"no Docker engine answers at {endpoint.describe()}: "
            f"{describe_error(error, endpoint)}"
        ) from None
    logger.info("using the engine at %s", endpoint.describe())
    try:
        yield Engine(client, endpoint.describe())
    finally:
        client.close()
