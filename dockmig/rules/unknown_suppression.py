"""A `# dockmig: ignore[...]` comment names a rule dockmig does not have.

A misspelt ID suppresses nothing, so the finding it was meant to silence
keeps showing and the comment looks as if it should work. Use the IDs that
`dockmig rules` lists (the ID is printed with every finding).

Passing example::

    service: shop
    image: acme/shop
    servers:
      - 192.0.2.10
    registry:
      server: localhost:5555
    builder:
      arch: amd64
    env:
      clear:
        RAILS_ENV: production  # dockmig: ignore[duplicate-key]

Failing example (the rule is `duplicate-key`)::

    service: shop
    image: acme/shop
    servers:
      - 192.0.2.10
    registry:
      server: localhost:5555
    builder:
      arch: amd64
    env:
      clear:
        RAILS_ENV: production  # dockmig: ignore[duplicate-keys]
"""

from __future__ import annotations

from dockmig.findings import Severity

ID = "unknown-suppression"
SEVERITY = Severity.WARNING
KAMAL = False
