"""`service` is empty or is not a name Kamal accepts.

Kamal prefixes every container, label and directory it creates with the
service name, so it insists on a non-empty name made of ASCII letters,
digits, `-` and `_` (upper case is fine). It tests the name with a Ruby
regular expression whose anchors match at line boundaries, so a multi-line
string passes as long as one of its lines is a clean name; and a value that
YAML reads as a number or a boolean (`service: 123`, `service: yes`) fails
even though it looks like a name, because Kamal compares text only. Quote
such a value. A missing `service` key is reported by the schema.

Passing example::

    service: shop-api

Failing example (a space; the name becomes part of container names)::

    service: shop api
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from dockmig.findings import Severity
from dockmig.topology import blank, ruby_to_s
from dockmig.yaml11 import ruby_type_name

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "service-name"
SEVERITY = Severity.ERROR
KAMAL = True

# Kamal's test is /^[a-z0-9_-]+$/i in Ruby: ^ and $ match at every line, and
# case folding lets the Kelvin sign and the long s stand in for k and s (the
# oracle accepts both), while Python's IGNORECASE would also admit the
# dotless i, which Ruby refuses. Hence the explicit class and no flag.
_NAME_LINE = re.compile("^[A-Za-z0-9_\u017f\u212a-]+$", re.MULTILINE)


def check(target: TargetContext) -> None:
    # A missing key is the schema's finding; this rule speaks about values.
    if not isinstance(target.data, dict) or "service" not in target.data:
        return
    problem = _problem(target.data["service"])
    if problem:
        target.report(ID, ("service",), problem)


def _problem(value: Any) -> str | None:
    if blank(value):
        return (
            "service is empty; Kamal needs the application's name here (letters, "
            "digits, - and _), e.g. `service: shop`"
        )

    if isinstance(value, str):
        if _NAME_LINE.search(value):
            return None
        suggestion = re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-")
        example = suggestion if _NAME_LINE.fullmatch(suggestion) else "shop"
        return (
            f"service {str(value)!r} can only contain letters, digits, - and _ "
            "because Kamal builds container names from it; rename it, e.g. "
            f"`service: {example}`"
        )

    if isinstance(value, (bool, int)):
        text = ruby_to_s(value)
        return (
            f"service is read as {ruby_type_name(value)} ({text}) and Kamal only "
            f'accepts text here; quote it: `service: "{text}"`'
        )
    return (
        f"service is {ruby_type_name(value)}; Kamal needs one name made of "
        "letters, digits, - and _, e.g. `service: shop`"
    )
