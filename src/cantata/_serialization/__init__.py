"""Message serializers and the registry a runtime keeps.

A message crossing a process boundary travels as ``(type_name, data_content_type,
bytes)``, as in autogen-core:

* dataclasses and attrs classes are JSON through one cattrs converter on orjson
  (``_converter``), nested classes, tagged unions, ``Literal``, collections, enums,
  ``datetime``, ``UUID`` and ``bytes`` included, with ``deserialize(serialize(x)) == x``;
* pydantic models are JSON through pydantic itself;
* protobuf messages are ``application/x-protobuf``, packed in ``google.protobuf.Any``
  (the ``protobuf`` extra).

Type names are autogen-core's (``cls.__name__``; the protobuf full name), so payloads
interoperate; :class:`SerializationRegistry` refuses two types under one name. Bad bytes
raise :class:`SerializationError` (a ``ValueError``) naming the type and the failing
field path, never anything else; nothing is ever unpickled or evaluated.
"""

from ._base import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    MessageSerializer,
    SerializationError,
    UnknownPayload,
)
from ._registry import SerializationRegistry
from ._serializers import (
    CattrsJsonSerializer,
    ProtobufSerializer,
    PydanticJsonSerializer,
    _payload_text,
    try_get_known_serializers_for_type,
)

__all__ = [
    "JSON_DATA_CONTENT_TYPE",
    "PROTOBUF_DATA_CONTENT_TYPE",
    "CattrsJsonSerializer",
    "MessageSerializer",
    "ProtobufSerializer",
    "PydanticJsonSerializer",
    "SerializationError",
    "SerializationRegistry",
    "UnknownPayload",
    "_payload_text",
    "try_get_known_serializers_for_type",
]
