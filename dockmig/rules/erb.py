"""ERB in a deploy file that fails, or that dockmig cannot evaluate.

Kamal renders deploy files as ERB before parsing them. dockmig evaluates
`ENV["X"]`, `ENV.fetch("X")`, `ENV.fetch("X", "default")`, string literals,
`||` and `.strip` itself, with the current environment. `ENV.fetch` of an
unset variable raises in Kamal, and so does an unclosed tag; both are errors.
Anything else (backticks, `%x()`, `File.read`, control flow) is not run: the
values it produces are not checked, and lint says so.

Passing example (a default covers an unset APP_HOST)::

    proxy:
      host: <%= ENV.fetch("APP_HOST", "app.example.com") %>

Failing example (with APP_HOST unset)::

    proxy:
      host: <%= ENV.fetch("APP_HOST") %>
"""

from __future__ import annotations

from dockmig.findings import Severity

ID = "erb"
SEVERITY = Severity.ERROR
KAMAL = True
