"""`require_destination: true`, and this target is loaded without a destination.

With `require_destination: true` Kamal stops every command that is run
without `-d DESTINATION`, before it connects anywhere. That is the point of
the setting: it makes a bare `kamal deploy` impossible, so nobody ships to
the wrong place by forgetting `-d`. dockmig reports the base target as Kamal
sees it. When destination files (`config/deploy.<name>.yml`) exist the
finding is only information; without any destination file nothing can ever
be deployed, and that is an error.

The setting belongs in `config/deploy.yml`: a destination file is read only
when `-d` was given, so setting it there changes nothing.

Passing example (the default; set it to true only next to destination files)::

    require_destination: false

Failing example (true, but the project has no destination file)::

    require_destination: true
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dockmig.findings import Severity

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "require-destination"
SEVERITY = Severity.ERROR
KAMAL = True


def check(target: TargetContext) -> None:
    if target.destination is not None:
        return
    if target.get("require_destination", default=None) is not True:
        return

    destinations = target.project.destinations
    if destinations:
        example = destinations[0]
        target.report(
            ID,
            ("require_destination",),
            "require_destination is true, so Kamal refuses to run without a "
            f"destination; always pass one, e.g. `kamal deploy -d {example}`",
            severity=Severity.INFO,
        )
        return
    config = target.project.destination_config("production")
    target.report(
        ID,
        ("require_destination",),
        "require_destination is true but there is no destination file, so every "
        f"kamal command stops; add one (e.g. {config}) and deploy with "
        "-d production, or remove require_destination",
    )
