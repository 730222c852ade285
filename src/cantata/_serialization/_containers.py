"""Mappings with keys of any type, classes only from JSON objects, nested pydantic models."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Literal, get_args, get_origin, is_typeddict

import attrs
from cattrs import Converter
from cattrs.gen import make_mapping_structure_fn

from ._base import is_pydantic_model
from ._scalars import json_kind, structure_uuid

KeyKind = Literal["str", "int", "uuid", "pairs"]


def _is_mapping(cls: Any) -> bool:
    origin = get_origin(cls) or cls
    if not isinstance(origin, type) or is_typeddict(origin):
        return False
    try:
        return issubclass(origin, Mapping)
    except TypeError:  # some typing constructs refuse class checks
        return False


def _mapping_args(cls: Any) -> tuple[Any, Any]:
    args = get_args(cls)
    if len(args) == 2:
        return args[0], args[1]
    return Any, Any


def key_kind(key_type: Any) -> KeyKind:
    """How a mapping with keys of ``key_type`` is written: object keys or ``[k, v]`` pairs."""
    if key_type is Any or key_type is str:
        return "str"
    if key_type is uuid.UUID:
        return "uuid"
    if isinstance(key_type, type):
        if issubclass(key_type, Enum):
            return "str" if issubclass(key_type, str) else "pairs"
        if issubclass(key_type, bool):
            return "pairs"
        if issubclass(key_type, str):
            return "str"
        if issubclass(key_type, int):
            return "int"
    if get_origin(key_type) is Literal and all(type(v) is str for v in get_args(key_type)):
        return "str"
    return "pairs"


def _unstructure_mapping_factory(cls: Any, converter: Converter) -> Callable[[Any], Any]:
    key_type, value_type = _mapping_args(cls)
    kind = key_kind(key_type)
    if kind == "pairs":
        pairs_hook = converter.get_unstructure_hook(list[tuple[key_type, value_type]])  # type: ignore[valid-type]  # types known at run time

        def unstructure_pairs(mapping: Mapping[Any, Any]) -> Any:
            return pairs_hook(list(mapping.items()))

        return unstructure_pairs
    value_hook = converter.get_unstructure_hook(value_type)
    if kind == "int" or kind == "uuid":

        def unstructure_keyed(mapping: Mapping[Any, Any]) -> Any:
            return {str(k): value_hook(v) for k, v in mapping.items()}

        return unstructure_keyed
    if isinstance(key_type, type) and issubclass(key_type, Enum):

        def unstructure_enum_keyed(mapping: Mapping[Any, Any]) -> Any:
            return {k.value: value_hook(v) for k, v in mapping.items()}

        return unstructure_enum_keyed

    def unstructure_str_keyed(mapping: Mapping[Any, Any]) -> Any:
        return {k: value_hook(v) for k, v in mapping.items()}

    return unstructure_str_keyed


class _IntKey:
    """Marker key type: an int written as a decimal string."""


class _UuidKey:
    """Marker key type: a UUID written as a string."""


def _structure_int_key(value: Any, _: Any) -> int:
    if value.__class__ is not str:
        raise TypeError(f"expected an integer key, got {json_kind(value)}")
    digits = value[1:] if value[:1] == "-" else value
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("expected an integer key")
    return int(value)


def _structure_mapping_factory(cls: Any, converter: Converter) -> Callable[[Any, Any], Any]:
    key_type, value_type = _mapping_args(cls)
    kind = key_kind(key_type)
    if kind == "pairs":
        pairs_type = list[tuple[key_type, value_type]]  # type: ignore[valid-type]  # run-time types
        pairs_hook = converter.get_structure_hook(pairs_type)

        def structure_pairs(value: Any, _: Any) -> Any:
            if value.__class__ is not list:
                raise TypeError(f"expected an array of [key, value] pairs, got {json_kind(value)}")
            return dict(pairs_hook(value, pairs_type))

        return structure_pairs
    marker = {"int": _IntKey, "uuid": _UuidKey}.get(kind, key_type)
    mapping_hook = make_mapping_structure_fn(
        dict[marker, value_type],  # type: ignore[valid-type]  # types known at run time
        converter,
        key_type=marker,
        val_type=value_type,
        detailed_validation=True,
    )

    def structure_object(value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            raise TypeError(f"expected an object, got {json_kind(value)}")
        return mapping_hook(value)

    return structure_object


def _is_plain_class(cls: Any) -> bool:
    origin = get_origin(cls) or cls
    return isinstance(origin, type) and (dataclasses.is_dataclass(origin) or attrs.has(origin))


def _structure_class_factory(cls: Any, converter: Converter) -> Callable[[Any, Any], Any]:
    # cattrs' generated function, behind a check that the value is an object: without
    # it an array or a string could pass for a class whose fields all have defaults.
    generated = converter.gen_structure_attrs_fromdict(cls)

    def structure_object(value: Any, _: Any) -> Any:
        if value.__class__ is not dict:
            raise TypeError(f"expected an object, got {json_kind(value)}")
        return generated(value, cls)

    return structure_object


def _unstructure_pydantic(model: Any) -> Any:
    return model.model_dump(mode="json")


def _structure_pydantic(value: Any, cls: Any) -> Any:
    return cls.model_validate(value)


def configure(converter: Converter) -> None:
    """Install the mapping, class and nested-pydantic hooks."""
    converter.register_structure_hook(_IntKey, _structure_int_key)
    converter.register_structure_hook(_UuidKey, structure_uuid)
    converter.register_unstructure_hook_factory(_is_mapping, _unstructure_mapping_factory)
    converter.register_structure_hook_factory(_is_mapping, _structure_mapping_factory)
    converter.register_structure_hook_factory(_is_plain_class, _structure_class_factory)
    converter.register_unstructure_hook_factory(is_pydantic_model, lambda _: _unstructure_pydantic)
    converter.register_structure_hook_factory(is_pydantic_model, lambda _: _structure_pydantic)
