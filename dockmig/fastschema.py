"""A yes-or-no JSON Schema check for dockmig's own schemas, without jsonschema.

Importing jsonschema (with referencing, attrs and the bundled meta-schemas)
costs more than everything else `dockmig lint` does on a typical project,
and a correct project needs no error messages. So every bundled schema is
first checked here, with the keywords the bundled schemas use and exactly
jsonschema's reading of them (draft 2020-12; `bool` is never a number; a
keyword applies only to the types it is about). Only a "no" — or a schema
or instance this module does not cover — makes the caller load jsonschema,
which then finds and describes the errors.

`tests/test_fastschema.py` holds this to jsonschema's verdict on the corpus,
on every schema test case and on generated instances.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence, Sized
from typing import Any

# Keywords that say something about the schema, not about the instance.
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)


class Unsupported(Exception):
    """The schema uses something this module does not decide."""


def is_valid(
    schema: Any, instance: Any, *, strict_integers: bool = False
) -> bool | None:
    """True or False as jsonschema would say; None when it must be asked.

    `strict_integers` is Kamal's integer check (`is_a?(Integer)`): 5.0 is
    not an integer, which JSON Schema's default reading would accept.
    """
    try:
        return _Check(schema, strict_integers).valid(schema, instance)
    except (Unsupported, RecursionError, re.error, TypeError):
        return None


class _Check:
    def __init__(self, root: Any, strict_integers: bool) -> None:
        self.root = root
        self.integer: Callable[[Any], bool] = (
            _strict_integer if strict_integers else _json_integer
        )

    def valid(self, schema: Any, instance: Any) -> bool:
        if schema is True:
            return True
        if schema is False:
            return False
        if not isinstance(schema, dict):
            raise Unsupported(f"schema of type {type(schema).__name__}")

        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-"):
                continue
            check = _KEYWORDS.get(keyword)
            if check is None:
                raise Unsupported(keyword)
            if not check(self, value, instance, schema):
                return False
        return True

    def is_type(self, instance: Any, name: str) -> bool:
        if name == "integer":
            return self.integer(instance)
        test = _TYPES.get(name)
        if test is None:
            raise Unsupported(f"type {name}")
        return test(instance)

    def resolve(self, reference: str) -> Any:
        return _pointer(self.root, reference)


def _strict_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_integer(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    return _strict_integer(value)


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "number": _number,
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


def _pointer(root: Any, reference: str) -> Any:
    # The bundled schemas only point inside themselves ("#/$defs/...").
    if not reference.startswith("#"):
        raise Unsupported(f"$ref {reference}")
    target = root
    for part in reference[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            raise Unsupported(f"$ref {reference}")
    return target


def equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: `True` is not 1, and lists and maps recurse."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(
            equal(a, b) for a, b in zip(one, two, strict=True)
        )
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return bool(one == two)


# --- keywords: each returns whether the instance passes it


def _type(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    names = value if isinstance(value, list) else [value]
    return any(check.is_type(instance, name) for name in names)


def _ref(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return check.valid(check.resolve(value), instance)


def _properties(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(
        check.valid(sub, instance[name])
        for name, sub in value.items()
        if name in instance
    )


def _keys(instance: dict[Any, Any]) -> list[str]:
    keys = list(instance)
    if not all(isinstance(key, str) for key in keys):
        # jsonschema would try re.search on it; let it decide.
        raise Unsupported("a key that is not a string")
    return keys


def _pattern_properties(check: _Check, value: Any, instance: Any, _s: Any) -> bool:
    if not isinstance(instance, dict):
        return True
    keys = _keys(instance)
    return all(
        check.valid(sub, instance[key])
        for pattern, sub in value.items()
        for key in keys
        if re.search(pattern, key)
    )


def _additional_properties(
    check: _Check, value: Any, instance: Any, schema: Any
) -> bool:
    if not isinstance(instance, dict):
        return True
    known = schema.get("properties", {})
    # One alternation of all the patterns, as jsonschema searches them.
    patterns = "|".join(schema.get("patternProperties", {}))
    extras = [
        key
        for key in _keys(instance)
        if key not in known and not (patterns and re.search(patterns, key))
    ]
    if value is False:
        return not extras
    return all(check.valid(value, instance[key]) for key in extras)


def _required(_check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return not isinstance(instance, dict) or all(name in instance for name in value)


def _property_names(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return not isinstance(instance, dict) or all(
        check.valid(value, key) for key in instance
    )


def _dependent_schemas(check: _Check, value: Any, instance: Any, _s: Any) -> bool:
    return not isinstance(instance, dict) or all(
        check.valid(sub, instance) for name, sub in value.items() if name in instance
    )


def _items(check: _Check, value: Any, instance: Any, schema: Any) -> bool:
    if "prefixItems" in schema:
        raise Unsupported("prefixItems")
    return not isinstance(instance, list) or all(
        check.valid(value, item) for item in instance
    )


def _unique_items(_check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    if not value or not isinstance(instance, list):
        return True
    return not any(
        equal(instance[i], instance[j])
        for i in range(len(instance))
        for j in range(i + 1, len(instance))
    )


def _sized(kind: type[Sized], compare: Callable[[int, int], bool]) -> Any:
    def keyword(_check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
        return not isinstance(instance, kind) or compare(len(instance), value)

    return keyword


def _bound(compare: Callable[[Any, Any], bool]) -> Any:
    # Written as jsonschema tests the bound (fail when `number < limit`, ...),
    # so that NaN passes as it does there.
    def keyword(_check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
        return not _number(instance) or compare(instance, value)

    return keyword


def _pattern(_check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return not isinstance(instance, str) or re.search(value, instance) is not None


def _const(_check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return equal(instance, value)


def _enum(_check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return any(equal(each, instance) for each in value)


def _not(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return not check.valid(value, instance)


def _all_of(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return all(check.valid(sub, instance) for sub in value)


def _any_of(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return any(check.valid(sub, instance) for sub in value)


def _one_of(check: _Check, value: Any, instance: Any, _schema: Any) -> bool:
    return sum(1 for sub in value if check.valid(sub, instance)) == 1


def _if(check: _Check, value: Any, instance: Any, schema: Any) -> bool:
    branch = "then" if check.valid(value, instance) else "else"
    return branch not in schema or check.valid(schema[branch], instance)


def _branch(_check: _Check, _value: Any, _instance: Any, schema: Any) -> bool:
    # `then` and `else` mean nothing without `if`, which reads them itself.
    return True


_KEYWORDS: dict[str, Callable[[_Check, Any, Any, Any], bool]] = {
    "type": _type,
    "$ref": _ref,
    "properties": _properties,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
    "required": _required,
    "propertyNames": _property_names,
    "dependentSchemas": _dependent_schemas,
    "minProperties": _sized(dict, lambda size, limit: size >= limit),
    "maxProperties": _sized(dict, lambda size, limit: size <= limit),
    "items": _items,
    "minItems": _sized(list, lambda size, limit: size >= limit),
    "maxItems": _sized(list, lambda size, limit: size <= limit),
    "uniqueItems": _unique_items,
    "minLength": _sized(str, lambda size, limit: size >= limit),
    "maxLength": _sized(str, lambda size, limit: size <= limit),
    "pattern": _pattern,
    "minimum": _bound(lambda number, limit: not number < limit),
    "maximum": _bound(lambda number, limit: not number > limit),
    "exclusiveMinimum": _bound(lambda number, limit: not number <= limit),
    "exclusiveMaximum": _bound(lambda number, limit: not number >= limit),
    "const": _const,
    "enum": _enum,
    "not": _not,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "if": _if,
    "then": _branch,
    "else": _branch,
}
