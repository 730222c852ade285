"""Messages to and from the wire: payloads through the serialization registry, CloudEvents.

* A payload is ``(data_type, data_content_type, data)``; ``None`` is the empty payload.
* The format is the preferred one (the worker's ``payload_serialization_format``, or the
  caller's for a response) when the type has a serializer for it, else the one it has:
  protobuf messages travel as protobuf, dataclasses as JSON, whatever is preferred.
* A type without a serializer gets its known one (dataclass, attrs, pydantic, protobuf) on
  first use; one with none fails with :class:`SerializationError`.
* A publish is a CloudEvent with autogen's attributes (content type, type name, sender,
  kind); protobuf payloads go in ``proto_data``, others in ``binary_data``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._agent_id import AgentId
from ..._serialization import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    SerializationError,
    SerializationRegistry,
    UnknownPayload,
    try_get_known_serializers_for_type,
)
from ..._topic import TopicId
from ._constants import (
    AGENT_SENDER_KEY_ATTR,
    AGENT_SENDER_TYPE_ATTR,
    DATA_CONTENT_TYPE_ATTR,
    DATA_SCHEMA_ATTR,
    MESSAGE_KIND_ATTR,
    MESSAGE_KIND_PUBLISH,
    RECIPIENTS_ATTR,
    UNKNOWN_SENDER,
)
from .protos import agent_worker_pb2 as pb
from .protos import cloudevent_pb2 as ce


def _attr(attributes: Any, key: str, default: str = "") -> str:
    return str(attributes[key].ce_string) if key in attributes else default


@dataclass(slots=True)
class Event:
    """A received publish, decoded."""

    message: Any
    topic: TopicId
    sender: AgentId | None
    recipients: frozenset[str] | None  # the host's placement, when it sent one


class PayloadCodec:
    """Encodes and decodes a worker's messages (see the module docstring)."""

    def __init__(self, registry: SerializationRegistry, preferred: str) -> None:
        self.registry = registry
        self.preferred = preferred

    def encode(
        self, message: Any, preferred: str | None = None, into: pb.Payload | None = None
    ) -> pb.Payload:
        """The payload for ``message`` (written into ``into`` if given, saving a copy).

        Raises:
            SerializationError: the type has no serializer.
        """
        payload = pb.Payload() if into is None else into
        if message is None:
            return payload
        registry = self.registry
        type_name = registry.type_name(message)
        formats = (preferred or self.preferred, PROTOBUF_DATA_CONTENT_TYPE, JSON_DATA_CONTENT_TYPE)
        if not any(registry.is_registered(type_name, f) for f in formats):
            known = try_get_known_serializers_for_type(type(message))
            if not known:
                raise SerializationError(
                    f"no serializer for {type(message).__qualname__}: register one with "
                    "add_message_serializer (dataclasses, attrs classes, pydantic models and "
                    "protobuf messages get one automatically)"
                )
            registry.add_serializer(known)
            type_name = registry.type_name(message)
        content_type = next(f for f in formats if registry.is_registered(type_name, f))
        payload.data = registry.serialize(
            message, type_name=type_name, data_content_type=content_type
        )
        payload.data_type = type_name
        payload.data_content_type = content_type
        return payload

    def decode(self, payload: pb.Payload, what: str) -> Any:
        """The message in ``payload``. Raises SerializationError naming the type if this
        worker has no serializer for it, or the bytes do not fit."""
        type_name, content_type = payload.data_type, payload.data_content_type
        if not type_name:
            return None
        if not self.registry.is_registered(type_name, content_type):
            raise SerializationError(
                f"cannot deserialize {what} of type {type_name!r} ({content_type}): this worker "
                "has no serializer for it; register one with add_message_serializer"
            )
        return self.registry.deserialize(
            payload.data, type_name=type_name, data_content_type=content_type
        )

    def event(
        self,
        event: ce.CloudEvent,
        message: Any,
        topic_id: TopicId,
        sender: AgentId | None,
        message_id: str,
    ) -> int:
        """Fill ``event`` to publish ``message`` to ``topic_id``; return the data size."""
        payload = self.encode(message)
        event.id = message_id
        event.source = topic_id.source
        event.spec_version = "1.0"
        event.type = topic_id.type
        attributes = event.attributes
        attributes[DATA_CONTENT_TYPE_ATTR].ce_string = payload.data_content_type
        attributes[DATA_SCHEMA_ATTR].ce_string = payload.data_type
        attributes[AGENT_SENDER_TYPE_ATTR].ce_string = sender.type if sender else UNKNOWN_SENDER
        attributes[AGENT_SENDER_KEY_ATTR].ce_string = sender.key if sender else UNKNOWN_SENDER
        attributes[MESSAGE_KIND_ATTR].ce_string = MESSAGE_KIND_PUBLISH
        if payload.data_content_type == PROTOBUF_DATA_CONTENT_TYPE:
            event.proto_data.ParseFromString(payload.data)
        else:
            event.binary_data = payload.data
        return len(payload.data)

    def read_event(self, event: ce.CloudEvent) -> Event:
        """Decode a received CloudEvent. A type without a serializer here arrives as an
        :class:`UnknownPayload` (the agents' unhandled-message path), as in autogen.

        Raises:
            SerializationError: the bytes do not fit the named type.
        """
        attributes = event.attributes
        sender_type = _attr(attributes, AGENT_SENDER_TYPE_ATTR)
        sender_key = _attr(attributes, AGENT_SENDER_KEY_ATTR)
        sender: AgentId | None = None
        if sender_type and (sender_type, sender_key) != (UNKNOWN_SENDER, UNKNOWN_SENDER):
            sender = AgentId(sender_type, sender_key)
        content_type = _attr(attributes, DATA_CONTENT_TYPE_ATTR, JSON_DATA_CONTENT_TYPE)
        type_name = _attr(attributes, DATA_SCHEMA_ATTR)
        which = event.WhichOneof("data")
        if which == "proto_data":
            data = event.proto_data.SerializeToString()
        elif which == "text_data":
            data = event.text_data.encode()
        else:
            data = event.binary_data
        message: Any
        if self.registry.is_registered(type_name, content_type):
            message = self.registry.deserialize(
                data, type_name=type_name, data_content_type=content_type
            )
        else:
            message = UnknownPayload(type_name, content_type, data)
        recipients = None
        if RECIPIENTS_ATTR in attributes:
            recipients = frozenset(
                line for line in attributes[RECIPIENTS_ATTR].ce_string.split("\n") if line
            )
        return Event(message, TopicId(event.type, event.source), sender, recipients)
