"""What every serializer shares: content types, the error type, the protocol, type names."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

JSON_DATA_CONTENT_TYPE = "application/json"
"""Content type of JSON payloads."""

PROTOBUF_DATA_CONTENT_TYPE = "application/x-protobuf"
"""Content type of protobuf payloads."""

_MAX_MESSAGE = 2000
"""Longest error message built from payload-derived text (payloads may be huge)."""


class SerializationError(ValueError):
    """A message could not be turned into bytes, or bytes into a message.

    Raised by every serializer cantata builds, and by :class:`SerializationRegistry`
    for any serializer it holds, whatever went wrong inside: malformed, truncated or
    wrongly shaped bytes, a value JSON cannot carry, a type the converter cannot handle,
    or a missing optional dependency. The message names the type and, for bad input,
    the failing field path (``$.items[2].price``). It is a :class:`ValueError`, so code
    written against autogen-core's ``ValueError`` still catches it.
    """

    def __init__(self, message: str) -> None:
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 3] + "..."
        super().__init__(message)


class MessageSerializer(Protocol[T]):
    """Turns messages of one type into bytes of one content type, and back.

    ``type_name`` is the name put on the wire next to the bytes; together with
    ``data_content_type`` it selects the serializer on the receiving side.
    """

    @property
    def data_content_type(self) -> str: ...

    @property
    def type_name(self) -> str: ...

    def deserialize(self, payload: bytes) -> T: ...

    def serialize(self, message: T) -> bytes: ...


@dataclass
class UnknownPayload:
    """A payload whose type has no registered serializer; kept as raw bytes."""

    type_name: str
    data_content_type: str
    payload: bytes


def qualified_name(cls: Any) -> str:
    """``module.QualName`` of a class, for error messages."""
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", None) or repr(cls)
    return f"{module}.{name}" if module and module != "builtins" else str(name)


def protobuf_full_name(cls: Any) -> str | None:
    """The protobuf full name of a message class (``DESCRIPTOR.full_name``), else None."""
    descriptor = getattr(cls, "DESCRIPTOR", None)
    full_name = getattr(descriptor, "full_name", None)
    return full_name if isinstance(full_name, str) else None


def default_type_name(cls: Any) -> str:
    """The name autogen-core puts on the wire for ``cls``.

    The protobuf full name for protobuf messages, the bare class name (not
    module-qualified) for everything else.
    """
    full_name = protobuf_full_name(cls)
    if full_name is not None:
        return full_name
    return str(getattr(cls, "__name__", None) or repr(cls))


def is_pydantic_model(cls: Any) -> bool:
    """Is ``cls`` a pydantic model class? Never imports pydantic itself.

    A class can only derive from ``pydantic.BaseModel`` once pydantic is imported, so
    looking in ``sys.modules`` is exact and keeps pydantic an optional dependency.
    """
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(cls, type):
        return False
    return issubclass(cls, pydantic.BaseModel)
