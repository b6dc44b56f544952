"""`hooks_output` asks for an output level other than `quiet` or `verbose`.

Since 2.11 Kamal lets you choose how much of a hook's output it shows:
`hooks_output: quiet` or `verbose` for every hook, or a map from hook name
to level. Kamal turns each level into a Ruby symbol and accepts exactly
`quiet` and `verbose`; the unquoted spelling `:verbose` is the same symbol,
but a quoted `":verbose"` keeps its colon and is refused. Inside the map a
number or `true` makes Kamal crash, while a single number or boolean for
all hooks is silently ignored (dockmig warns about that). Hook names are
not checked by Kamal.

Passing example::

    hooks_output:
      pre-deploy: verbose
      post-deploy: quiet

Failing example (not a level Kamal knows)::

    hooks_output: loud
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dockmig.findings import Severity
from dockmig.topology import ruby_to_s
from dockmig.yaml11 import ruby_type_name

if TYPE_CHECKING:
    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "hooks-output"
SEVERITY = Severity.ERROR
KAMAL = True

LEVELS = ("quiet", "verbose")


def check(target: TargetContext) -> None:
    value = target.get("hooks_output", default=None)
    if isinstance(value, str):
        if str(value) not in LEVELS:
            target.report(ID, ("hooks_output",), _unknown_level(value, "hooks_output"))
        return

    if isinstance(value, (bool, int, float)):
        target.report(
            ID,
            ("hooks_output",),
            f"hooks_output is {ruby_type_name(value)} ({ruby_to_s(value)}), which "
            "Kamal ignores; write quiet or verbose",
            severity=Severity.WARNING,
            kamal_rejects=False,
        )
        return

    if not isinstance(value, dict):
        return  # null, lists and dates are the schema's to report
    for hook, level in value.items():
        path = ("hooks_output", hook)
        where = f"hooks_output/{ruby_to_s(hook)}"
        if isinstance(level, str):
            if str(level) not in LEVELS:
                target.report(ID, path, _unknown_level(level, where))
        elif isinstance(level, (bool, int, float)):
            target.report(
                ID,
                path,
                f"{where} is {ruby_type_name(level)} ({ruby_to_s(level)}), and "
                "Kamal crashes turning it into a level; write quiet or verbose",
            )


def _unknown_level(level: Any, where: str) -> str:
    text = str(level)
    if text.startswith(":") and text[1:] in LEVELS:
        hint = f"remove the quotes (`:{text[1:]}` unquoted is fine) or write {text[1:]}"
    else:
        hint = "use quiet or verbose"
    return f"{where} is {text!r}, which is not an output level Kamal knows; {hint}"
