"""The same key appears twice in one mapping.

Kamal's YAML parser keeps the last value and drops the earlier one without a
word, so half of what is written has no effect. Remove or merge one of them.

Passing example::

    env:
      clear:
        RAILS_ENV: production

Failing example (the first `clear` is thrown away)::

    env:
      clear:
        RAILS_ENV: production
      clear:
        PORT: 3000
"""

from __future__ import annotations

from dockmig.findings import Severity

ID = "duplicate-key"
SEVERITY = Severity.WARNING
KAMAL = False
