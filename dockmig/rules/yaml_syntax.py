"""The file is not a YAML mapping Kamal can load.

Kamal parses each deploy file with Ruby's YAML parser after rendering its ERB.
A syntax error, an empty file, a file whose top level is a list, or aliases
that expand without bound all stop Kamal before any check runs. dockmig
reports the position the parser gave and goes on with the other files.

Passing example::

    service: shop
    image: acme/shop

Failing example (the second line is indented under a plain scalar)::

    service: shop
      image: acme/shop
"""

from __future__ import annotations

from dockmig.findings import Severity

ID = "yaml-syntax"
SEVERITY = Severity.ERROR
KAMAL = True
