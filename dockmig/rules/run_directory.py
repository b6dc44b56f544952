"""`run_directory` is set, but Kamal 2 ignores it.

Kamal 2 still accepts the `run_directory` key, so the config loads, yet it
always uses `.kamal`, whatever the value says. Anything that relies on the
configured directory (backup scripts, hooks, cleanup jobs) looks in the
wrong place. Delete the key.

Passing example::

    service: shop

Failing example::

    run_directory: /var/lib/shop
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dockmig.findings import Severity

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "run-directory"
SEVERITY = Severity.WARNING
KAMAL = False


def check(target: TargetContext) -> None:
    if isinstance(target.data, dict) and "run_directory" in target.data:
        target.report(
            ID,
            ("run_directory",),
            "run_directory is accepted but ignored by Kamal 2, which always uses "
            ".kamal; delete it",
            at="key",
        )
