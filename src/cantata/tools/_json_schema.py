"""JSON-schema helpers for tool arguments: inline ``$ref``s, strict mode, default checks."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["fields_with_defaults", "inline_refs", "make_strict"]

_DEFS_PREFIX = "#/$defs/"
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SUBSCHEMA_DICTS = ("items", "not", "additionalProperties")


class _CannotInlineError(Exception):
    """A ``$ref`` refers back to a definition being inlined, or to no local definition."""


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of *schema* with every local ``$ref`` replaced by its definition.

    Models prefer self-contained schemas. Sibling keys of a ``$ref`` (such as
    ``description``) are kept and win over the definition's. A recursive model cannot
    be inlined: its schema is returned as a copy, ``$defs`` included.
    """
    defs: dict[str, Any] = schema.get("$defs", {})
    if not defs:
        return copy.deepcopy(schema)

    def resolve(node: Any, expanding: frozenset[str]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
                name = ref[len(_DEFS_PREFIX) :]
                if name in expanding or name not in defs:
                    raise _CannotInlineError(name)
                target = resolve(defs[name], expanding | {name})
                siblings = {key: resolve(value, expanding) for key, value in node.items()}
                del siblings["$ref"]
                return {**target, **siblings}
            return {key: resolve(value, expanding) for key, value in node.items() if key != "$defs"}
        if isinstance(node, list):
            return [resolve(item, expanding) for item in node]
        return node

    try:
        resolved: dict[str, Any] = resolve(schema, frozenset())
    except _CannotInlineError:
        return copy.deepcopy(schema)
    return resolved


def _subschemas(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas directly nested in *node* (properties, items, unions, definitions)."""
    found: list[dict[str, Any]] = []
    for key in ("properties", "$defs"):
        children = node.get(key)
        if isinstance(children, dict):
            found.extend(child for child in children.values() if isinstance(child, dict))
    for key in _SUBSCHEMA_LISTS:
        children = node.get(key)
        if isinstance(children, list):
            found.extend(child for child in children if isinstance(child, dict))
    for key in _SUBSCHEMA_DICTS:
        child = node.get(key)
        if isinstance(child, dict):
            found.append(child)
    return found


def make_strict(schema: dict[str, Any]) -> None:
    """Make every object with ``properties`` in *schema* closed and fully required, in place.

    This is what strict structured outputs demand: ``additionalProperties: false`` and
    every property listed in ``required``, at every level.
    """
    if isinstance(schema.get("properties"), dict):
        schema["required"] = list(schema["properties"])
        schema["additionalProperties"] = False
    for child in _subschemas(schema):
        make_strict(child)


def fields_with_defaults(schema: dict[str, Any], path: str = "") -> list[str]:
    """Return the dotted paths of the properties in *schema* that have a default value.

    Nested objects are searched too (``"outer.inner"``); properties of a definition in
    ``$defs`` are reported as ``"DefinitionName.field"``.
    """
    found: list[str] = []
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, child in properties.items():
            if isinstance(child, dict):
                if "default" in child:
                    found.append(path + name)
                found.extend(fields_with_defaults(child, f"{path}{name}."))
    definitions = schema.get("$defs")
    if isinstance(definitions, dict):
        for name, child in definitions.items():
            if isinstance(child, dict):
                found.extend(fields_with_defaults(child, f"{name}."))
    for key in (*_SUBSCHEMA_LISTS, *_SUBSCHEMA_DICTS):
        value = schema.get(key)
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, dict):
                found.extend(fields_with_defaults(child, path))
    return found
