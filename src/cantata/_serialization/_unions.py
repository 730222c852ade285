"""Unions: class members tagged with ``"_type"``, ambiguous unions refused."""

from __future__ import annotations

import dataclasses
import types
import uuid
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Any, Union, get_args, get_origin

import attrs
from cattrs import Converter

from ._base import is_pydantic_model
from ._scalars import json_kind

TAG = "_type"
"""The key naming a union member's class in a tagged union."""


def is_structured_class(cls: Any) -> bool:
    """Dataclass, attrs class or pydantic model (also parametrized generics of them)."""
    origin = get_origin(cls) or cls
    if not isinstance(origin, type):
        return False
    return dataclasses.is_dataclass(origin) or attrs.has(origin) or is_pydantic_model(origin)


def _is_union(cls: Any) -> bool:
    return get_origin(cls) in (Union, types.UnionType)


def _is_tagged_union(cls: Any) -> bool:
    if not _is_union(cls):
        return False
    members = get_args(cls)
    if len([m for m in members if m is not type(None)]) < 2:
        return False
    return any(is_structured_class(m) for m in members)


def _field_names(cls: Any) -> set[str]:
    origin = get_origin(cls) or cls
    if dataclasses.is_dataclass(origin):
        return {f.name for f in dataclasses.fields(origin)}
    if attrs.has(origin):
        return {a.alias or a.name for a in attrs.fields(origin)}
    return set(getattr(origin, "model_fields", {}))


def _union_tags(union: Any) -> dict[str, Any]:
    tags: dict[str, Any] = {}
    for member in get_args(union):
        if not is_structured_class(member):
            continue
        tag = (get_origin(member) or member).__name__
        if tag in tags:
            raise TypeError(
                f"union {union!r}: {tags[tag]!r} and {member!r} would share the tag {tag!r}"
            )
        if TAG in _field_names(member):
            raise TypeError(
                f"union {union!r}: {member!r} has a field named {TAG!r}, the union tag key"
            )
        tags[tag] = member
    return tags


def _unstructure_union_factory(union: Any, converter: Converter) -> Callable[[Any], Any]:
    by_class = {
        get_origin(member) or member: (tag, converter.get_unstructure_hook(member))
        for tag, member in _union_tags(union).items()
    }
    unstructure = converter.unstructure

    def unstructure_tagged(value: Any) -> Any:
        entry = by_class.get(value.__class__)
        if entry is None:
            return unstructure(value)
        tag, hook = entry
        result = hook(value)
        result[TAG] = tag
        return result

    return unstructure_tagged


def _structure_none(value: Any, _: Any) -> None:
    if value is not None:
        raise TypeError(f"expected null or a tagged object, got {json_kind(value)}")


def _structure_union_factory(union: Any, converter: Converter) -> Callable[[Any, Any], Any]:
    tags = _union_tags(union)
    by_tag = {tag: (member, converter.get_structure_hook(member)) for tag, member in tags.items()}
    expected = ", ".join(repr(tag) for tag in tags)
    rest_members = [m for m in get_args(union) if not is_structured_class(m)]
    rest: Any = None
    rest_hook: Callable[[Any, Any], Any] | None = None
    if rest_members == [type(None)]:
        rest_hook = _structure_none
    elif rest_members:
        rest = rest_members[0] if len(rest_members) == 1 else Union[tuple(rest_members)]  # noqa: UP007
        rest_hook = converter.get_structure_hook(rest)

    def structure_tagged(value: Any, _: Any) -> Any:
        if value.__class__ is dict and TAG in value:
            tag = value[TAG]
            entry = by_tag.get(tag) if tag.__class__ is str else None
            if entry is None:
                raise ValueError(f"unknown {TAG} tag, expected one of {expected}")
            member, hook = entry
            body = dict(value)
            del body[TAG]
            return hook(body, member)
        if rest_hook is None:
            raise TypeError(f"expected an object tagged with {TAG!r} (one of {expected})")
        return rest_hook(value, rest)

    return structure_tagged


_STRING_LIKE = (bytes, uuid.UUID, date)  # datetime is a date
"""Types written as JSON strings that read back as something other than ``str``."""


def _written_as(member: Any) -> tuple[str, bool] | None:
    """(JSON kind, read back as a type other than str/int/float?) of a union member."""
    if member is str:
        return "string", False
    if member is int or member is float:
        return "number", False
    if isinstance(member, type):
        if issubclass(member, Enum):
            kinds = {type(item.value) for item in member}
            if kinds <= {str}:
                return "string", True
            if kinds <= {int, float}:
                return "number", True
            return None
        if issubclass(member, _STRING_LIKE):
            return "string", True
    return None


def _ambiguity(union: Any) -> str | None:
    seen: dict[str, list[tuple[Any, bool]]] = {}
    for member in get_args(union):
        written = _written_as(member)
        if written is not None:
            seen.setdefault(written[0], []).append((member, written[1]))
    for kind, members in seen.items():
        if len(members) > 1 and any(retyped for _, retyped in members):
            names = ", ".join(getattr(member, "__name__", repr(member)) for member, _ in members)
            return f"{names} are all written as JSON {kind}s, so they cannot be told apart"
    return None


def _is_ambiguous_union(cls: Any) -> bool:
    return _is_union(cls) and _ambiguity(cls) is not None


def _refuse_ambiguous_union(union: Any) -> Callable[[Any, Any], Any]:
    raise TypeError(f"ambiguous union {union!r}: {_ambiguity(union)}")


def configure(converter: Converter) -> None:
    """Install the tagged-union hooks, then the refusal of ambiguous unions (which wins)."""
    converter.register_unstructure_hook_factory(_is_tagged_union, _unstructure_union_factory)
    converter.register_structure_hook_factory(_is_tagged_union, _structure_union_factory)
    converter.register_structure_hook_factory(_is_ambiguous_union, _refuse_ambiguous_union)
