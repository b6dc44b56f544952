"""A `!ruby/...` tag asks Kamal's YAML loader to build a Ruby object.

Kamal loads deploy files with `YAML.unsafe_load`, which honours Ruby object
tags: an unknown class stops the load, and a known one builds an object that
fails every check Kamal makes on the value. Where Kamal makes none (inside
`options` and `args` maps, but `options/restart`, and under top-level `x-`
keys) an object of a class every Ruby has passes, and one of any other class
leaves the verdict undecided. Either way a deploy file has no business
running constructors. `!ruby/symbol` is the exception: it is a plain Symbol.

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
