"""A `!ruby/...` tag asks Kamal's YAML loader to build a Ruby object.

Kamal loads deploy files with `YAML.unsafe_load`, which honours Ruby object
tags: an unknown class stops the load, a known one builds an object no check
accepts, and either way a deploy file has no business running constructors.
`!ruby/symbol` is the exception: it is a plain Symbol.

Passing example::

    hooks_output: :verbose

Failing example::

    builder: !ruby/object:OpenStruct
      arch: amd64
"""

from __future__ import annotations

from dockmig.findings import Severity

ID = "ruby-object-tag"
SEVERITY = Severity.ERROR
KAMAL = True
