"""A JSON schema as a pydantic model class (:func:`schema_to_pydantic_model`)."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from ._formats import FORMATS, email_type

__all__ = [
    "FormatNotSupportedError",
    "ReferenceNotFoundError",
    "SchemaConversionError",
    "UnsupportedKeywordError",
    "schema_to_pydantic_model",
]


class SchemaConversionError(ValueError):
    """A JSON schema cannot be turned into a pydantic model.

    The message names the place in the schema (a JSON pointer such as
    ``#/properties/user/properties/age``) and the problem.
    """


class ReferenceNotFoundError(SchemaConversionError):
    """A ``$ref`` points to nothing in the schema, or outside it."""


class FormatNotSupportedError(SchemaConversionError):
    """A string or number ``format`` is not one the converter knows."""


class UnsupportedKeywordError(SchemaConversionError):
    """The schema uses a keyword, type or shape the converter does not support."""


_UNSUPPORTED = (
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "dependentSchemas",
    "dependentRequired",
    "dependencies",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "contains",
)
"""Keywords whose meaning a pydantic model cannot express: refused, not silently dropped."""

MAX_DEPTH = 100
"""How deeply schemas may nest (objects in objects, items in arrays, ...)."""

_SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}


def _pointer(path: tuple[str, ...]) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in path)


def _union(types: list[Any]) -> Any:
    unique: list[Any] = []
    for item in types:
        if not any(item is seen or item == seen for seen in unique):
            unique.append(item)
    if len(unique) == 1:
        return unique[0]
    return Union[tuple(unique)]  # noqa: UP007 - a runtime-built union


def _field_name(key: str, taken: set[str]) -> str:
    """A Python name for property *key* that pydantic accepts (the key becomes its alias)."""
    if (
        key.isidentifier()
        and not keyword.iskeyword(key)
        and not key.startswith("_")
        and not key.startswith("model_")
        and not hasattr(BaseModel, key)
    ):
        return key
    base = re.sub(r"\W", "_", key).strip("_") or "field"
    if base[0].isdigit() or keyword.iskeyword(base) or hasattr(BaseModel, base):
        base = f"field_{base}"
    if base.startswith("model_"):
        base = f"field_{base}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


class _Converter:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._refs: dict[str, Any] = {}  # resolved $ref -> type (a model name while building)
        self._building: set[str] = set()
        self._models: dict[str, type[BaseModel]] = {}
        self._names: set[str] = set()
        self._depth = 0

    # -- references ------------------------------------------------------------------------

    def _resolve(self, ref: str, path: tuple[str, ...]) -> tuple[Mapping[str, Any], str]:
        if not ref.startswith("#"):
            raise ReferenceNotFoundError(
                f"{_pointer(path)}: $ref {ref!r} points outside the schema; only local "
                "references (#/$defs/...) are supported"
            )
        node: Any = self._root
        parts = [p for p in ref[1:].split("/") if p]
        for part in parts:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise ReferenceNotFoundError(f"{_pointer(path)}: $ref {ref!r} is not in the schema")
        if not isinstance(node, Mapping):
            raise ReferenceNotFoundError(f"{_pointer(path)}: $ref {ref!r} is not a schema")
        name = parts[-1] if parts else "Root"
        return node, name

    def _ref_type(self, ref: str, path: tuple[str, ...]) -> Any:
        if ref in self._refs:
            return self._refs[ref]
        target, name = self._resolve(ref, path)
        if ref in self._building:
            raise UnsupportedKeywordError(
                f"{_pointer(path)}: $ref {ref!r} refers to itself through something that is "
                "not an object with properties"
            )
        self._building.add(ref)
        try:
            if self._is_model(target):
                model_name = self._unique(target.get("title") or name)
                self._refs[ref] = model_name  # a forward reference for recursive schemas
                result: Any = self._model(target, model_name, ("$ref", ref))
            else:
                result = self.type_for(target, name, (*path, "$ref"))
        finally:
            self._building.discard(ref)
        self._refs[ref] = result
        return result

    # -- schema nodes ----------------------------------------------------------------------

    @staticmethod
    def _is_model(schema: Mapping[str, Any]) -> bool:
        kind = schema.get("type")
        return ("properties" in schema or "allOf" in schema) and kind in (None, "object")

    def _unique(self, name: str) -> str:
        base = re.sub(r"\W", "_", str(name)) or "Model"
        if base[0].isdigit():
            base = f"Model_{base}"
        candidate, n = base, 1
        while candidate in self._names:
            n += 1
            candidate = f"{base}{n}"
        self._names.add(candidate)
        return candidate

    def _check_keywords(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> None:
        for word in _UNSUPPORTED:
            if word in schema:
                raise UnsupportedKeywordError(
                    f"{_pointer(path)}: the keyword {word!r} is not supported"
                )

    def type_for(self, schema: Any, name: str, path: tuple[str, ...]) -> Any:
        """The Python type for one schema node (without its default or description)."""
        if schema is True or schema == {}:
            return Any
        if not isinstance(schema, Mapping):
            raise UnsupportedKeywordError(
                f"{_pointer(path)}: expected a schema object, got {schema!r}"
            )
        self._check_keywords(schema, path)
        if self._depth >= MAX_DEPTH:
            raise UnsupportedKeywordError(
                f"{_pointer(path)}: the schema nests deeper than {MAX_DEPTH} levels"
            )
        self._depth += 1
        try:
            result = self._base_type(schema, name, path)
        finally:
            self._depth -= 1
        if schema.get("nullable") is True:
            result = Optional[result]  # noqa: UP045 - a runtime-built optional
        return result

    def _base_type(self, schema: Mapping[str, Any], name: str, path: tuple[str, ...]) -> Any:
        if "$ref" in schema:
            return self._ref_type(str(schema["$ref"]), path)
        if "const" in schema:
            return self._literal([schema["const"]], path)
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list) or not values:
                raise UnsupportedKeywordError(f"{_pointer(path)}: enum must be a non-empty list")
            return self._literal(values, path)
        for word in ("anyOf", "oneOf"):
            if word in schema:
                return self._one_of(schema, word, name, path)
        if self._is_model(schema):
            return self._model(schema, self._unique(schema.get("title") or name), path)
        kind = schema.get("type")
        if isinstance(kind, list):
            if not kind:
                raise UnsupportedKeywordError(f"{_pointer(path)}: type must not be empty")
            return _union([self._typed(schema, str(k), name, path) for k in kind])
        if kind is None:
            return Any
        return self._typed(schema, kind, name, path)

    def _literal(self, values: list[Any], path: tuple[str, ...]) -> Any:
        for value in values:
            if not isinstance(value, (str, int, float, bool)) and value is not None:
                raise UnsupportedKeywordError(
                    f"{_pointer(path)}: enum/const values must be strings, numbers, booleans "
                    f"or null, got {value!r}"
                )
        return Literal[tuple(values)]

    def _one_of(
        self, schema: Mapping[str, Any], word: str, name: str, path: tuple[str, ...]
    ) -> Any:
        options = schema[word]
        if not isinstance(options, list) or not options:
            raise UnsupportedKeywordError(f"{_pointer(path)}: {word} must be a non-empty list")
        shared = {k: v for k, v in schema.items() if k not in (word, "discriminator")}
        types = []
        for index, option in enumerate(options):
            if isinstance(option, Mapping) and shared.get("type") and "type" not in option:
                option = {**option, "type": shared["type"]}
            types.append(self.type_for(option, f"{name}_{index}", (*path, word, str(index))))
        result = _union(types)
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, Mapping) and "propertyName" in discriminator:
            result = Annotated[result, Field(discriminator=str(discriminator["propertyName"]))]
        return result

    def _typed(self, schema: Mapping[str, Any], kind: str, name: str, path: tuple[str, ...]) -> Any:
        if kind == "object":
            return self._mapping(schema, name, path)
        if kind == "array":
            return self._array(schema, name, path)
        if kind not in _SCALARS:
            raise UnsupportedKeywordError(f"{_pointer(path)}: unknown type {kind!r}")
        fmt = schema.get("format")
        if fmt is not None and kind in ("string", "integer", "number"):
            if fmt == "email":
                return email_type()
            if fmt not in FORMATS:
                raise FormatNotSupportedError(f"{_pointer(path)}: unknown format {fmt!r}")
            return FORMATS[fmt]
        constraints = self._constraints(schema, kind, path)
        base = _SCALARS[kind]
        return Annotated[base, Field(**constraints)] if constraints else base

    @staticmethod
    def _constraints(schema: Mapping[str, Any], kind: str, path: tuple[str, ...]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if kind == "string":
            for word, arg in (("minLength", "min_length"), ("maxLength", "max_length")):
                if word in schema:
                    found[arg] = schema[word]
            if "pattern" in schema:
                found["pattern"] = schema["pattern"]
        elif kind in ("integer", "number"):
            # Draft 4 spells an exclusive bound as a boolean beside minimum/maximum.
            for word, inclusive, exclusive, flag in (
                ("minimum", "ge", "gt", "exclusiveMinimum"),
                ("maximum", "le", "lt", "exclusiveMaximum"),
            ):
                if word in schema:
                    found[exclusive if schema.get(flag) is True else inclusive] = schema[word]
                if flag in schema and not isinstance(schema[flag], bool):
                    found[exclusive] = schema[flag]
            if "multipleOf" in schema:
                found["multiple_of"] = schema["multipleOf"]
        return found

    def _array(self, schema: Mapping[str, Any], name: str, path: tuple[str, ...]) -> Any:
        constraints: dict[str, Any] = {}
        if "minItems" in schema:
            constraints["min_length"] = schema["minItems"]
        if "maxItems" in schema:
            constraints["max_length"] = schema["maxItems"]
        if "prefixItems" in schema:
            if schema.get("items", False) is not False:
                raise UnsupportedKeywordError(
                    f"{_pointer(path)}: prefixItems with further items is not supported"
                )
            parts = [
                self.type_for(item, f"{name}_{i}", (*path, "prefixItems", str(i)))
                for i, item in enumerate(schema["prefixItems"])
            ]
            return tuple[tuple(parts)]  # type: ignore[misc]  # built at run time
        items = schema.get("items", True)
        if isinstance(items, list):  # draft 4 tuple form
            raise UnsupportedKeywordError(
                f"{_pointer(path)}: items as a list is not supported; use prefixItems"
            )
        item = self.type_for(items, f"{name}_item", (*path, "items"))
        result: Any = list[item]  # type: ignore[valid-type]  # built at run time
        return Annotated[result, Field(**constraints)] if constraints else result

    def _mapping(self, schema: Mapping[str, Any], name: str, path: tuple[str, ...]) -> Any:
        extra = schema.get("additionalProperties", True)
        value = (
            Any
            if extra in (True, False)
            else self.type_for(extra, f"{name}_value", (*path, "additionalProperties"))
        )
        return dict[str, value]  # type: ignore[valid-type]  # built at run time

    def _merge_all_of(self, schema: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties = dict(merged.get("properties", {}))
        required = list(merged.get("required", []))
        for index, part in enumerate(schema["allOf"]):
            where = (*path, "allOf", str(index))
            if not isinstance(part, Mapping):
                raise UnsupportedKeywordError(f"{_pointer(where)}: expected a schema object")
            if "$ref" in part:
                part, _ = self._resolve(str(part["$ref"]), where)
            if "allOf" in part:
                part = self._merge_all_of(part, where)
            if part.get("type", "object") != "object":
                raise UnsupportedKeywordError(
                    f"{_pointer(where)}: allOf is supported for object schemas only"
                )
            self._check_keywords(part, where)
            properties.update(part.get("properties", {}))
            required.extend(r for r in part.get("required", []) if r not in required)
            if part.get("additionalProperties") is False:
                merged["additionalProperties"] = False
        merged["properties"] = properties
        merged["required"] = required
        return merged

    def _model(
        self, schema: Mapping[str, Any], model_name: str, path: tuple[str, ...]
    ) -> type[BaseModel]:
        if "allOf" in schema:
            schema = self._merge_all_of(schema, path)
        properties = schema.get("properties", {})
        if not isinstance(properties, Mapping):
            raise UnsupportedKeywordError(f"{_pointer(path)}: properties must be an object")
        required = schema.get("required", [])
        if not isinstance(required, list):
            raise UnsupportedKeywordError(f"{_pointer(path)}: required must be a list")
        unknown = [key for key in required if key not in properties]
        if unknown and schema.get("additionalProperties") is False:
            raise UnsupportedKeywordError(
                f"{_pointer(path)}: required {unknown} are not among the properties"
            )
        fields: dict[str, Any] = {}
        taken: set[str] = set()
        for key, sub in properties.items():
            where = (*path, "properties", key)
            field_type = self.type_for(sub, f"{model_name}_{key}", where)
            info: dict[str, Any] = {}
            if isinstance(sub, Mapping):
                for word in ("title", "description", "examples"):
                    if word in sub:
                        info[word] = sub[word]
            python_name = _field_name(key, taken)
            taken.add(python_name)
            if python_name != key:
                info["alias"] = key
            if key in required:
                default: Any = ...
            else:
                default = sub.get("default") if isinstance(sub, Mapping) else None
                if default is None:
                    field_type = Optional[field_type]  # noqa: UP045 - a runtime-built optional
            fields[python_name] = (field_type, Field(default, **info))
        config = ConfigDict(
            populate_by_name=True,
            extra="forbid" if schema.get("additionalProperties") is False else "ignore",
        )
        model: type[BaseModel] = create_model(
            model_name,
            __config__=config,
            __doc__=schema.get("description"),
            **fields,
        )
        self._models[model_name] = model
        return model

    def convert(self, model_name: str) -> type[BaseModel]:
        """The model for the whole schema, its recursive references resolved."""
        root = self._root
        self._check_keywords(root, ())
        if "$ref" in root and "properties" not in root:
            root, _ = self._resolve(str(root["$ref"]), ())
        if not self._is_model(root) and root.get("type") != "object":
            raise UnsupportedKeywordError(
                "#: the top-level schema must describe an object (type 'object' or properties)"
            )
        self._names.add(model_name)
        model = self._model(root, model_name, ())
        for built in self._models.values():
            built.model_rebuild(_types_namespace=dict(self._models))
        return model


def schema_to_pydantic_model(
    schema: dict[str, Any], model_name: str = "GeneratedModel"
) -> type[BaseModel]:
    """Build a pydantic model class that validates what the JSON *schema* describes.

    Supported: objects with ``properties`` (nested objects become nested models; ``required``
    fields have no default, the others default to their ``default`` or to ``None``),
    ``additionalProperties`` (``false`` forbids extra keys; a schema makes a property-less
    object a ``dict``), arrays (``items``, ``prefixItems``, ``minItems``/``maxItems``), the
    scalar types with their constraints (``minLength``, ``maxLength``, ``pattern``,
    ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``, ``multipleOf``),
    ``enum`` and ``const`` (``Literal``), ``format`` (``date-time``, ``date``, ``time``,
    ``duration``, ``uuid``, ``email``, ``uri``, ``ipv4``, ``ipv6``, ``int32``, ``int64``,
    ``byte``, ...), ``$ref`` into ``$defs``/``definitions`` (recursive references included),
    ``anyOf``/``oneOf`` (a union; ``discriminator.propertyName`` makes it a tagged one),
    ``allOf`` over object schemas (merged), type lists (``["string", "null"]``) and
    ``nullable``. Titles, descriptions and examples carry over. A property whose name is
    not a usable Python name (``"first-name"``, ``"class"``, ``"schema"``) gets a Python
    name and keeps its own as the alias: validate with the JSON names, dump with
    ``model_dump(by_alias=True)``.

    Args:
        schema: A JSON schema for an object.
        model_name: The class name of the model built for the top-level schema.

    Raises:
        ReferenceNotFoundError: A ``$ref`` does not resolve inside *schema*.
        FormatNotSupportedError: An unknown ``format``.
        UnsupportedKeywordError: A keyword a model cannot express (``not``,
            ``if``/``then``/``else``, ``patternProperties``, ...), an unknown type, a
            top-level schema that is not an object, or a malformed part.

    All three are :class:`SchemaConversionError`, a :class:`ValueError`; the message names
    the place in the schema.
    """
    if not isinstance(schema, Mapping):
        raise UnsupportedKeywordError(f"#: expected a schema object, got {schema!r}")
    return _Converter(schema).convert(model_name)
