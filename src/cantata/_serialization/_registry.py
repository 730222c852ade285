"""The serializers a runtime keeps, by type name and content type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._base import (
    MessageSerializer,
    SerializationError,
    UnknownPayload,
    default_type_name,
    qualified_name,
)


def _message_type(serializer: MessageSerializer[Any]) -> type[Any] | None:
    """The Python type a serializer declares (cantata's own do), else None."""
    cls = getattr(serializer, "message_type", None)
    return cls if isinstance(cls, type) else None


def _collision(name: str, known: type[Any], new: type[Any]) -> ValueError:
    known_name, new_name = qualified_name(known), qualified_name(new)
    hint = (
        " (two different class objects with the same qualified name: a module imported"
        " twice, or a class defined again)"
        if known_name == new_name
        else ""
    )
    return ValueError(
        f"type name {name!r} is already registered for {known_name}; refusing {new_name}"
        f"{hint}: two types under one name would be confused on the wire. Rename one of"
        " the classes, or register a serializer with a different type_name for it."
    )


class SerializationRegistry:
    """Serializers by ``(type_name, data_content_type)``, with one Python type per name.

    The registry a runtime keeps (``AgentRuntime.add_message_serializer`` adds to it):
    messages leaving the process are serialized through it, payloads arriving are read
    back through it.

    * A type name belongs to one Python type: adding a serializer for a *different*
      type under a name already taken raises :class:`ValueError` naming both classes.
      Adding one for the same type again changes nothing (the first stays). This is
      checked for serializers that declare their type (``message_type``, as every
      serializer from :func:`try_get_known_serializers_for_type` does); a hand-written
      serializer without it replaces whatever was registered under its name and
      content type, as in autogen-core.
    * :meth:`deserialize` of an unregistered name gives :class:`UnknownPayload`;
      :meth:`serialize` of one raises :class:`SerializationError`.
    * Whatever goes wrong inside a serializer surfaces as :class:`SerializationError`.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[str, str], MessageSerializer[Any]] = {}
        self._types: dict[str, type[Any]] = {}
        self._names: dict[type[Any], str] = {}

    def add_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register one serializer or several; all or none (a refused name adds nothing)."""
        items = list(serializer) if isinstance(serializer, Sequence) else [serializer]
        claimed: dict[str, type[Any]] = {}
        for item in items:
            cls = _message_type(item)
            if cls is None:
                continue
            name = item.type_name
            known = self._types.get(name) or claimed.get(name)
            if known is not None and known is not cls:
                raise _collision(name, known, cls)
            claimed[name] = cls
        for item in items:
            key = (item.type_name, item.data_content_type)
            cls = _message_type(item)
            if cls is not None:
                self._types.setdefault(item.type_name, cls)
                self._names.setdefault(cls, item.type_name)
                if key in self._serializers:
                    continue
            self._serializers[key] = item

    def is_registered(self, type_name: str, data_content_type: str) -> bool:
        """Is there a serializer for this type name and content type?"""
        return (type_name, data_content_type) in self._serializers

    def registered_type(self, type_name: str) -> type[Any] | None:
        """The Python type registered under ``type_name``, if one declared it."""
        return self._types.get(type_name)

    def type_name(self, message: Any) -> str:
        """The type name ``message`` goes on the wire under.

        The name its type was registered with, else the default (``cls.__name__``;
        protobuf: the full name).
        """
        cls = type(message)
        name = self._names.get(cls)
        return name if name is not None else default_type_name(cls)

    def serialize(self, message: Any, *, type_name: str, data_content_type: str) -> bytes:
        """Serialize ``message``; raises :class:`SerializationError` if nothing can."""
        serializer = self._serializers.get((type_name, data_content_type))
        if serializer is None:
            raise SerializationError(
                f"no serializer registered for type name {type_name!r} with content type"
                f" {data_content_type!r} (message of type {qualified_name(type(message))});"
                " register one with add_message_serializer("
                "try_get_known_serializers_for_type(cls)) or a serializer of your own"
            )
        try:
            return serializer.serialize(message)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot serialize {type_name}: {exc}") from exc

    def deserialize(self, payload: bytes, *, type_name: str, data_content_type: str) -> Any:
        """Deserialize ``payload``; an unregistered type gives :class:`UnknownPayload`.

        Bad bytes raise :class:`SerializationError` and nothing else.
        """
        serializer = self._serializers.get((type_name, data_content_type))
        if serializer is None:
            return UnknownPayload(type_name, data_content_type, payload)
        try:
            return serializer.deserialize(payload)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot deserialize {type_name}: {exc}") from exc
