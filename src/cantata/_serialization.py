"""Message serializers and the registry a runtime keeps.

Dataclasses and attrs classes are serialized to JSON through one cattrs converter; pydantic
models through pydantic itself (when installed). Deserializing bad bytes raises
:class:`SerializationError`; nothing is ever unpickled or evaluated.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

import attrs
import cattrs
from cattrs.preconf.json import make_converter

T = TypeVar("T")

JSON_DATA_CONTENT_TYPE = "application/json"
"""Content type of JSON payloads."""

PROTOBUF_DATA_CONTENT_TYPE = "application/x-protobuf"
"""Content type of protobuf payloads."""

_converter = make_converter()


class SerializationError(ValueError):
    """Bytes could not be turned into a message of the expected type (or back)."""


class MessageSerializer(Protocol[T]):
    """Turns messages of one type into bytes of one content type, and back."""

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


def _type_name(cls: type[Any]) -> str:
    descriptor = getattr(cls, "DESCRIPTOR", None)
    full_name = getattr(descriptor, "full_name", None)
    if isinstance(full_name, str):
        return full_name
    return cls.__name__


class _CattrsJsonSerializer(MessageSerializer[T]):
    """JSON through cattrs for dataclasses and attrs classes (nested shapes included)."""

    def __init__(self, cls: type[T]) -> None:
        self._cls = cls
        self._name = _type_name(cls)

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._name

    def deserialize(self, payload: bytes) -> T:
        try:
            return _converter.loads(payload, self._cls)
        except (ValueError, TypeError, KeyError, cattrs.BaseValidationError) as exc:
            raise SerializationError(f"cannot deserialize {self._name}: {exc}") from exc

    def serialize(self, message: T) -> bytes:
        try:
            return _converter.dumps(message).encode()
        except (ValueError, TypeError) as exc:
            raise SerializationError(f"cannot serialize {self._name}: {exc}") from exc


class _PydanticJsonSerializer(MessageSerializer[T]):
    """JSON through pydantic's own ``model_dump_json`` / ``model_validate_json``."""

    def __init__(self, cls: type[T]) -> None:
        self._cls = cls
        self._name = _type_name(cls)

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._name

    def deserialize(self, payload: bytes) -> T:
        try:
            return cast(T, self._cls.model_validate_json(payload))  # type: ignore[attr-defined]
        except ValueError as exc:  # pydantic.ValidationError subclasses ValueError
            raise SerializationError(f"cannot deserialize {self._name}: {exc}") from exc

    def serialize(self, message: T) -> bytes:
        return cast(str, message.model_dump_json()).encode()  # type: ignore[attr-defined]


def _is_pydantic_model(cls: type[Any]) -> bool:
    try:
        from pydantic import BaseModel
    except ImportError:
        return False
    return isinstance(cls, type) and issubclass(cls, BaseModel)


def try_get_known_serializers_for_type(cls: type[Any]) -> list[MessageSerializer[Any]]:
    """Return the serializers cantata knows for ``cls`` (empty if it knows none)."""
    if _is_pydantic_model(cls):
        return [_PydanticJsonSerializer(cls)]
    if dataclasses.is_dataclass(cls) or attrs.has(cls):
        return [_CattrsJsonSerializer(cls)]
    return []


class SerializationRegistry:
    """Serializers by ``(type_name, content_type)``; one Python type per type name."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[str, str], MessageSerializer[Any]] = {}

    def add_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers; re-registering the same type name replaces the entry."""
        items = [serializer] if not isinstance(serializer, Sequence) else list(serializer)
        for item in items:
            self._serializers[(item.type_name, item.data_content_type)] = item

    def is_registered(self, type_name: str, data_content_type: str) -> bool:
        return (type_name, data_content_type) in self._serializers

    def type_name(self, message: Any) -> str:
        return _type_name(type(message))

    def serialize(self, message: Any, *, type_name: str, data_content_type: str) -> bytes:
        """Serialize ``message``. Raises ValueError if no serializer is registered."""
        serializer = self._serializers.get((type_name, data_content_type))
        if serializer is None:
            raise ValueError(f"no serializer registered for {type_name!r} ({data_content_type})")
        return serializer.serialize(message)

    def deserialize(self, payload: bytes, *, type_name: str, data_content_type: str) -> Any:
        """Deserialize ``payload``; an unknown type gives :class:`UnknownPayload`."""
        serializer = self._serializers.get((type_name, data_content_type))
        if serializer is None:
            return UnknownPayload(type_name, data_content_type, payload)
        return serializer.deserialize(payload)


def _payload_text(message: Any) -> str:
    """Best-effort JSON text of a message for log events (never raises)."""
    try:
        if _is_pydantic_model(type(message)):
            return cast(str, message.model_dump_json())
        return json.dumps(_converter.unstructure(message), default=str)
    except Exception:
        return "Message could not be serialized"
