"""The serializers cantata knows: cattrs JSON, pydantic JSON and protobuf."""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from typing import Any, Generic, TypeVar, cast

import attrs
import orjson

from ._base import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    MessageSerializer,
    SerializationError,
    default_type_name,
    is_pydantic_model,
    protobuf_full_name,
    qualified_name,
)
from ._converter import converter, error_paths, non_finite_path

T = TypeVar("T")

_dumps = orjson.dumps
_loads = orjson.loads


def _decode_error(exc: orjson.JSONDecodeError) -> str:
    return f"invalid JSON: {exc} @ $"


class CattrsJsonSerializer(Generic[T]):
    """JSON for a dataclass or attrs class through cantata's one cattrs converter.

    Payloads are the JSON object of the fields (what autogen-core's
    ``json.dumps(asdict(x))`` writes for flat classes); nested classes, unions,
    enums, datetimes, UUIDs, bytes and collections round-trip exactly (see the
    converter module for the JSON shapes). The converter's hooks for the class are
    built on first use, so a class may refer to names defined after it is registered;
    a class the converter cannot handle fails then, with :class:`SerializationError`.
    """

    __slots__ = ("_cls", "_name", "_structure", "_unstructure")

    def __init__(self, cls: type[T]) -> None:
        self._cls = cls
        self._name = default_type_name(cls)
        self._unstructure: Any = None
        self._structure: Any = None

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._name

    @property
    def message_type(self) -> type[T]:
        """The Python type this serializer reads and writes."""
        return self._cls

    def _build(self) -> None:
        try:
            resolve_forward_references(self._cls)
            unstructure = converter.get_unstructure_hook(self._cls)
            structure = converter.get_structure_hook(self._cls)
        except Exception as exc:
            raise SerializationError(
                f"{self._name} ({qualified_name(self._cls)}) cannot be serialized: {exc}"
            ) from exc
        self._unstructure, self._structure = unstructure, structure

    def serialize(self, message: T) -> bytes:
        if self._unstructure is None:
            self._build()
        try:
            value = self._unstructure(message)
            data = _dumps(value)
        except Exception as exc:
            raise SerializationError(f"cannot serialize {self._name}: {exc}") from exc
        if b"null" in data:
            path = non_finite_path(value)
            if path is not None:
                raise SerializationError(
                    f"cannot serialize {self._name}: JSON has no NaN or infinity @ {path}"
                )
        return data

    def deserialize(self, payload: bytes) -> T:
        if self._structure is None:
            self._build()
        try:
            return cast(T, self._structure(_loads(payload), self._cls))
        except orjson.JSONDecodeError as exc:
            raise SerializationError(
                f"cannot deserialize {self._name}: {_decode_error(exc)}"
            ) from None
        except Exception as exc:
            raise SerializationError(f"cannot deserialize {self._name}: {_describe(exc)}") from exc


def resolve_forward_references(cls: Any, _seen: set[Any] | None = None) -> None:
    """Resolve string annotations (``List["Node"]``, ``Optional["Point"]``) in the fields of
    a dataclass or attrs class and of every such class its fields name, in place.

    Needed for classes written without ``from __future__ import annotations`` that refer to
    themselves or to classes defined later; recursive classes are fine.

    Raises:
        NameError: a referenced name cannot be found in the class's module.
    """
    seen = set() if _seen is None else _seen
    if cls in seen or not isinstance(cls, type):
        return
    seen.add(cls)
    if attrs.has(cls):
        attrs.resolve_types(cls)
        field_types = [field.type for field in attrs.fields(cls)]
    elif dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls, include_extras=True)
        for field in dataclasses.fields(cls):
            field.type = hints.get(field.name, field.type)
        field_types = [field.type for field in dataclasses.fields(cls)]
    else:
        return
    stack = list(field_types)
    while stack:
        kind = stack.pop()
        stack.extend(typing.get_args(kind))
        resolve_forward_references(kind, seen)


def _describe(exc: BaseException) -> str:
    """Problems and field paths of a structuring failure; never raises."""
    try:
        return error_paths(exc)
    except Exception:  # e.g. RecursionError on absurdly deep input
        return f"{type(exc).__name__} @ $"


def _pydantic_location(loc: tuple[int | str, ...]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class PydanticJsonSerializer(Generic[T]):
    """JSON for a pydantic model through pydantic's ``model_dump_json``/``model_validate_json``.

    The payload is exactly what pydantic writes, so it interoperates with autogen-core.
    """

    __slots__ = ("_cls", "_name")

    def __init__(self, cls: type[T]) -> None:
        self._cls = cls
        self._name = default_type_name(cls)

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._name

    @property
    def message_type(self) -> type[T]:
        """The Python type this serializer reads and writes."""
        return self._cls

    def serialize(self, message: T) -> bytes:
        try:
            return cast(str, message.model_dump_json()).encode()  # type: ignore[attr-defined]  # a pydantic model
        except Exception as exc:
            raise SerializationError(f"cannot serialize {self._name}: {exc}") from exc

    def deserialize(self, payload: bytes) -> T:
        try:
            return cast(T, self._cls.model_validate_json(payload))  # type: ignore[attr-defined]  # a pydantic model
        except Exception as exc:
            errors = getattr(exc, "errors", None)
            if callable(errors):
                try:
                    text = "; ".join(
                        f"{error['msg']} @ {_pydantic_location(tuple(error['loc']))}"
                        for error in errors(include_url=False, include_input=False)
                    )
                except Exception:
                    text = str(exc)
            else:
                text = f"{exc} @ $"
            raise SerializationError(f"cannot deserialize {self._name}: {text}") from None


_PROTOBUF_EXTRA = "protobuf messages need the 'protobuf' extra: pip install 'cantata[protobuf]'"


class ProtobufSerializer(Generic[T]):
    """Protobuf for a generated message class, as autogen-core writes it.

    Content type ``application/x-protobuf``; the bytes are a serialized
    ``google.protobuf.Any`` packing the message; the type name is the message's
    ``DESCRIPTOR.full_name``. Needs the ``protobuf`` extra.
    """

    __slots__ = ("_any", "_cls", "_name")

    def __init__(self, cls: type[T]) -> None:
        try:
            from google.protobuf import any_pb2
        except ImportError as exc:
            raise SerializationError(
                f"cannot serialize {qualified_name(cls)}: {_PROTOBUF_EXTRA}"
            ) from exc
        name = protobuf_full_name(cls)
        if name is None:
            raise SerializationError(f"{qualified_name(cls)} is not a protobuf message class")
        self._any: Any = any_pb2.Any
        self._cls = cls
        self._name = name

    @property
    def data_content_type(self) -> str:
        return PROTOBUF_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return self._name

    @property
    def message_type(self) -> type[T]:
        """The Python type this serializer reads and writes."""
        return self._cls

    def serialize(self, message: T) -> bytes:
        try:
            packed = self._any()
            packed.Pack(message)
            data: bytes = packed.SerializeToString()
            return data
        except Exception as exc:
            raise SerializationError(f"cannot serialize {self._name}: {exc}") from exc

    def deserialize(self, payload: bytes) -> T:
        try:
            packed = self._any()
            packed.ParseFromString(payload)
            message = self._cls()
            unpacked = packed.Unpack(message)
        except Exception as exc:
            raise SerializationError(
                f"cannot deserialize {self._name}: invalid protobuf payload ({exc}) @ $"
            ) from None
        if not unpacked:
            raise SerializationError(
                f"cannot deserialize {self._name}: the payload packs {packed.TypeName()!r} @ $"
            )
        return message


def _is_protobuf_message(cls: Any) -> bool:
    module = sys.modules.get("google.protobuf.message")
    if module is not None and isinstance(cls, type) and issubclass(cls, module.Message):
        return True
    # Without protobuf imported no class derives from Message; one that looks like a
    # generated message still gets a serializer, whose constructor names the extra.
    return protobuf_full_name(cls) is not None and hasattr(cls, "SerializeToString")


def try_get_known_serializers_for_type(cls: type[Any]) -> list[MessageSerializer[Any]]:
    """Return the serializers cantata knows for ``cls`` (empty if it knows none).

    * a pydantic model: JSON through pydantic;
    * a dataclass or attrs class: JSON through cantata's cattrs converter, including
      nested classes, unions, ``Literal``, collections, enums, ``datetime``, ``UUID``
      and ``bytes`` (autogen-core refuses unions and nested classes);
    * a protobuf message class: protobuf, packed in ``google.protobuf.Any``.

    Anything else (``str``, ``int``, plain classes) gives ``[]``. A protobuf class
    without the ``protobuf`` extra installed raises :class:`SerializationError` naming
    the extra.
    """
    if is_pydantic_model(cls):
        return [PydanticJsonSerializer(cls)]
    if isinstance(cls, type) and (dataclasses.is_dataclass(cls) or attrs.has(cls)):
        return [CattrsJsonSerializer(cls)]
    if _is_protobuf_message(cls):
        return [ProtobufSerializer(cls)]
    return []


def _payload_text(message: Any) -> str:
    """Best-effort JSON text of a message for log events (never raises)."""
    try:
        if is_pydantic_model(type(message)):
            return cast(str, message.model_dump_json())
        return json.dumps(converter.unstructure(message), default=str)
    except Exception:
        return "Message could not be serialized"
