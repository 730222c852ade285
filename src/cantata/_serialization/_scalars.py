"""Scalars: checked rather than coerced, and written in JSON-safe forms."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date, datetime
from typing import Any

from cattrs import Converter


def json_kind(value: Any) -> str:
    """How a decoded JSON value reads in an error message (never its possibly huge text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _structure_str(value: Any, cls: type[Any]) -> Any:
    # str subclasses (string enums) dispatch here too
    if value.__class__ is str:
        return value if cls is str else cls(value)
    raise TypeError(f"expected a string, got {json_kind(value)}")


def _structure_int(value: Any, cls: type[Any]) -> Any:
    # bool, IntEnum and IntFlag are int subclasses and dispatch here too
    kind = value.__class__
    if cls is int:
        if kind is int:
            return value
    elif cls is bool:
        if kind is bool:
            return value
    elif kind is int:
        return cls(value)
    expected = "a boolean" if cls is bool else "an integer"
    raise TypeError(f"expected {expected}, got {json_kind(value)}")


def _structure_float(value: Any, cls: type[Any]) -> Any:
    kind = value.__class__
    if kind is float:
        return value if cls is float else cls(value)
    if kind is int:
        return cls(value)
    raise TypeError(f"expected a number, got {json_kind(value)}")


def _structure_bytes(value: Any, _: Any) -> bytes:
    if value.__class__ is not str:
        raise TypeError(f"expected a base64 string, got {json_kind(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64: {exc}") from None


def _unstructure_bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def structure_uuid(value: Any, _: Any) -> uuid.UUID:
    """A UUID from its string form."""
    if value.__class__ is not str:
        raise TypeError(f"expected a UUID string, got {json_kind(value)}")
    return uuid.UUID(value)


def _structure_datetime(value: Any, _: Any) -> datetime:
    if value.__class__ is not str:
        raise TypeError(f"expected an ISO 8601 datetime string, got {json_kind(value)}")
    return datetime.fromisoformat(value)


def _structure_date(value: Any, _: Any) -> date:
    if value.__class__ is not str:
        raise TypeError(f"expected an ISO 8601 date string, got {json_kind(value)}")
    return date.fromisoformat(value)


def configure(converter: Converter) -> None:
    """Install the scalar hooks (they replace the orjson preconf's coercing ones)."""
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bytes, _structure_bytes)
    converter.register_unstructure_hook(bytes, _unstructure_bytes)
    converter.register_structure_hook(uuid.UUID, structure_uuid)
    converter.register_unstructure_hook(uuid.UUID, str)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook(date, _structure_date)
