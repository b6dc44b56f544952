"""A key, type or value Kamal's configuration validator refuses.

Every target (the base config, and the base merged with each destination) is
validated against `schemas/kamal-deploy.schema.json`, which mirrors what
Kamal 2.12 accepts: its key names section by section, its types (Kamal's
"string" also takes numbers and booleans; integers are strict; an empty value
is never valid), and the requirements that depend on other keys (credentials
unless the registry is local, `image` unless the registry is local,
`builder.arch`). Kamal stops at the first problem; dockmig lists all of them,
each at the key or value it is about.

Passing example::

    service: shop
    image: acme/shop
    servers: [192.0.2.10]
    registry:
      server: localhost:5555
    builder:
      arch: amd64

Failing example (`port` is not a proxy key; `app_port` is an integer)::

    proxy:
      port: 443
      app_port: "3000"
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from dockmig import bundled, fastschema
from dockmig.erb import PLACEHOLDER_PREFIX
from dockmig.findings import Severity, format_path
from dockmig.yaml11 import Symbol, ruby_type_name

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

    from dockmig.lint import TargetContext

logger = logging.getLogger(__name__)

ID = "schema"
SEVERITY = Severity.ERROR
KAMAL = True

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}

# The fix people need most often for a missing key, in dockmig's words.
_REQUIRED_HINTS = {
    "builder": "add a builder section with at least `arch: amd64` (or arm64)",
    "arch": "add `arch: amd64` (or arm64) under builder",
    "username": (
        "add registry username, or point registry.server at a local registry "
        "such as localhost:5555"
    ),
    "password": (
        "add `password: [KAMAL_REGISTRY_PASSWORD]` and define that secret in "
        ".kamal/secrets, or use a local registry such as localhost:5555"
    ),
    "image": (
        "set image (for example acme/app); only a local registry lets it "
        "default to the service name"
    ),
    "service": "set service to the application's name (letters, digits, - and _)",
    "registry": "add a registry section (server, username, password)",
    "servers": "add servers (a list of hosts, or roles with hosts)",
}


@cache
def validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator, validators

    # Kamal's integer check is `is_a?(Integer)`: 5.0 is refused, while JSON
    # Schema counts a float with no fraction as an integer.
    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer",
        lambda _checker, value: isinstance(value, int) and not isinstance(value, bool),
    )
    kamal_validator = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, type_checker=checker
    )
    return kamal_validator(bundled.load("deploy"))  # type: ignore[no-any-return]


def check(target: TargetContext) -> None:
    instance, originals = string_keys(target.data)
    if fastschema.is_valid(bundled.load("deploy"), instance, strict_integers=True):
        return
    for error in validator().iter_errors(instance):
        for path, message, at in _translate(error, instance):
            real = tuple(
                originals.get(tuple(path[: i + 1]), path[i]) for i in range(len(path))
            )
            target.report(ID, real, message, at=at)


def string_keys(data: Any) -> tuple[Any, dict[tuple[Any, ...], Any]]:
    """JSON Schema only knows string keys; Psych makes `1:` an integer key."""
    originals: dict[tuple[Any, ...], Any] = {}

    def convert(value: Any, path: tuple[Any, ...], depth: int) -> Any:
        if depth > 200:
            return value
        if isinstance(value, dict):
            result = {}
            # Kamal looks `restart` up under both spellings inside options.
            plain = depth == 0 or (bool(path) and path[-1] == "options")
            ignored = _ignored_env_keys(path, value)
            for key, item in value.items():
                if any(key is skip for skip in ignored):
                    continue
                text = _key_text(key, plain_symbols=plain)
                originals[(*path, text)] = key
                result[text] = convert(item, (*path, text), depth + 1)
            return result
        if isinstance(value, list):
            return [
                convert(item, (*path, i), depth + 1) for i, item in enumerate(value)
            ]
        return value

    return convert(data, (), 0), originals


_ENV_SECTIONS = ("clear", "secret", "tags")


def _ignored_env_keys(path: tuple[Any, ...], value: dict[Any, Any]) -> list[Any]:
    """The keys of a sectioned env that Kamal's validator never looks at.

    Kamal refuses the other keys of a sectioned env only when
    `unknown_keys.any?` holds, and Ruby's `any?` skips nil and false: a key
    written `~:` or `no:` beside clear/secret passes unseen, unless a real
    unknown key is there too (then Kamal names them all).
    """
    is_env = path[-1:] == ("env",) and len(path) in (1, 3)
    is_tag_env = len(path) == 3 and path[:2] == ("env", "tags")
    if not (is_env or is_tag_env):
        return []
    if not any(isinstance(k, str) and k in _ENV_SECTIONS for k in value):
        return []

    falsy = [k for k in value if k is None or k is False]
    unknown = [
        k
        for k in value
        if not (isinstance(k, str) and k in _ENV_SECTIONS)
        and k is not None
        and k is not False
    ]
    return [] if unknown else falsy


def _key_text(key: Any, *, plain_symbols: bool) -> str:
    # Kamal turns top-level string keys into symbols, so `:service:` and
    # `service:` mean the same there; elsewhere a symbol key never equals the
    # string key Kamal looks for, so it must not pass for one.
    if isinstance(key, Symbol) and not plain_symbols:
        return f":{key}"
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return ""
    return str(key)


def _translate(
    error: ValidationError, instance: Any
) -> Iterator[tuple[list[Any], str, str]]:
    path = list(error.absolute_path)
    where = format_path(tuple(path)) or "the top level"
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    kind: Any = error.validator
    expected: Any = error.validator_value
    value: Any = error.instance

    if kind in ("additionalProperties", "unevaluatedProperties"):
        yield from _unknown_keys(error, path)
        return
    if kind == "required":
        missing = [
            name
            for name in expected
            if not isinstance(value, dict) or name not in value
        ]
        for name in missing:
            hint = custom or _REQUIRED_HINTS.get(name, f"add {name}")
            label = format_path((*path, name))
            yield path, f"{label} is required: {hint}", "key"
        return
    if "propertyNames" in error.schema_path:
        # The key itself is wrong: point at it, not at the mapping holding it.
        key_path = [*path, value]
        yield (
            key_path,
            f"{format_path(tuple(key_path))}: {custom or error.message}",
            "key",
        )
        return
    if custom:
        yield path, f"{where}: {custom}", "value"
        return
    if kind == "type":
        wanted = _type_words(expected if isinstance(expected, list) else [expected])
        found = _found(value)
        yield path, f"{where} should be {wanted}, found {found}", "value"
        return
    if kind == "enum":
        choices = ", ".join(str(c) for c in expected)
        yield (
            path,
            f"{where} should be one of {choices}, found {error.instance!r}",
            "value",
        )
        return
    if kind == "const":
        yield path, f"{where} should be {error.validator_value!r}", "value"
        return
    if kind == "pattern":
        yield (
            path,
            f"{where} {error.instance!r} does not have the form Kamal expects",
            "value",
        )
        return
    if kind in ("minItems", "minLength", "minProperties"):
        yield path, f"{where} is empty; Kamal needs a value here", "value"
        return
    if kind in ("maxItems", "maxProperties"):
        yield path, f"{where} has too many entries for Kamal", "value"
        return
    if kind in ("minimum", "exclusiveMinimum"):
        yield (
            path,
            f"{where} is {error.instance}, below the minimum of "
            f"{error.validator_value}",
            "value",
        )
        return
    if kind in ("anyOf", "oneOf"):
        yield from _best_branch(error, instance, path, where)
        return
    if kind == "dependentRequired":
        yield path, f"{where}: {error.message}", "key"
        return
    yield path, f"{where}: {error.message}", "value"


def _found(value: Any) -> str:
    if isinstance(value, str) and PLACEHOLDER_PREFIX in value:
        return "the output of ERB that dockmig does not run"
    return ruby_type_name(value)


def _type_words(types: list[str]) -> str:
    # Kamal's "string" takes numbers and booleans too; people think of it as text.
    if set(types) >= {"string", "number", "boolean"}:
        types = [
            "string",
            *[t for t in types if t not in ("string", "number", "boolean")],
        ]
    return " or ".join(_TYPE_WORDS.get(t, t) for t in types)


def _unknown_keys(
    error: ValidationError, path: list[Any]
) -> Iterator[tuple[list[Any], str, str]]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = sorted(schema.get("properties", {}))
    patterns = schema.get("patternProperties", {})
    instance = error.instance if isinstance(error.instance, dict) else {}
    section = format_path(tuple(path))
    for key in instance:
        if key in known or any(re.search(p, key) for p in patterns):
            continue
        where = f"in {section}" if section else "at the top level"
        message = f"unknown key {key!r} {where}"
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if close:
            message += f"; did you mean {close[0]!r}?"
        elif known:
            message += f"; Kamal 2.12 accepts {', '.join(known)}"
        if not section:
            message += " (top-level keys starting with x- are ignored by Kamal)"
        yield [*path, key], message, "key"


def _best_branch(
    error: ValidationError, instance: Any, path: list[Any], where: str
) -> Iterator[tuple[list[Any], str, str]]:
    from jsonschema.exceptions import best_match

    context = list(error.context or [])
    # When every branch is a type check, name all the types at once.
    if context and all(sub.validator == "type" for sub in context):
        types: list[str] = []
        for sub in context:
            allowed: Any = sub.validator_value
            types.extend(allowed if isinstance(allowed, list) else [allowed])
        wanted = _type_words(list(dict.fromkeys(types)))
        yield (
            path,
            f"{where} should be {wanted}, found {_found(error.instance)}",
            "value",
        )
        return
    best = best_match(context) if context else None
    if best is None:
        yield path, f"{where}: {error.message}", "value"
        return
    yield from _translate(best, instance)
