"""Serializers: known serializers per type, the runtime's registry, what registration adds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import anyio
import attrs
import pydantic
import pytest

from cantata import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    AgentId,
    ClosureAgent,
    ClosureContext,
    MessageContext,
    MessageSerializer,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    UnknownPayload,
    event,
    message_handler,
    rpc,
    try_get_known_serializers_for_type,
)
from cantata._agents._base_agent import handles
from cantata._serialization import SerializationError, SerializationRegistry


@dataclass
class Point:
    x: int
    y: int


@dataclass
class Shape:
    name: str
    points: list[Point] = field(default_factory=list)
    label: str | None = None


@attrs.define
class AttrsMessage:
    text: str
    count: int = 0


class PydanticMessage(pydantic.BaseModel):
    text: str
    tags: list[str] = []


class Plain:
    pass


def test_content_type_constants() -> None:
    assert JSON_DATA_CONTENT_TYPE == "application/json"
    assert PROTOBUF_DATA_CONTENT_TYPE == "application/x-protobuf"


@pytest.mark.parametrize(
    "message",
    [
        Point(1, 2),
        Shape("triangle", [Point(0, 0), Point(1, 0), Point(0, 1)], label=None),
        Shape("named", [], label="x"),
        AttrsMessage("hi", 3),
        PydanticMessage(text="hi", tags=["a"]),
    ],
    ids=["dataclass", "nested-dataclass", "optional-field", "attrs", "pydantic"],
)
def test_known_serializers_round_trip(message: Any) -> None:
    serializers = try_get_known_serializers_for_type(type(message))
    assert len(serializers) == 1
    (serializer,) = serializers
    assert serializer.data_content_type == JSON_DATA_CONTENT_TYPE
    assert serializer.type_name == type(message).__name__
    payload = serializer.serialize(message)
    assert isinstance(payload, bytes)
    json.loads(payload)  # it is JSON
    assert serializer.deserialize(payload) == message


@pytest.mark.parametrize("cls", [Plain, int, str, dict])
def test_no_known_serializer_for_other_types(cls: type[Any]) -> None:
    assert try_get_known_serializers_for_type(cls) == []


@pytest.mark.parametrize("cls", [Point, AttrsMessage, PydanticMessage])
def test_bad_bytes_raise_a_serialization_error(cls: type[Any]) -> None:
    (serializer,) = try_get_known_serializers_for_type(cls)
    with pytest.raises(SerializationError):
        serializer.deserialize(b"not json")
    with pytest.raises(ValueError):  # SerializationError is a ValueError
        serializer.deserialize(b'{"unexpected": true}')


def test_unknown_payload_fields() -> None:
    payload = UnknownPayload("Missing", JSON_DATA_CONTENT_TYPE, b"{}")
    assert (payload.type_name, payload.data_content_type, payload.payload) == (
        "Missing",
        JSON_DATA_CONTENT_TYPE,
        b"{}",
    )


class UpperSerializer:
    """A hand-written serializer satisfying the MessageSerializer protocol."""

    @property
    def data_content_type(self) -> str:
        return "text/plain"

    @property
    def type_name(self) -> str:
        return "Upper"

    def deserialize(self, payload: bytes) -> str:
        return payload.decode().upper()

    def serialize(self, message: str) -> bytes:
        return message.encode()


def test_registry_round_trip_and_unknown_types() -> None:
    registry = SerializationRegistry()
    custom: MessageSerializer[str] = UpperSerializer()
    registry.add_serializer(custom)
    registry.add_serializer(try_get_known_serializers_for_type(Point))
    assert registry.is_registered("Upper", "text/plain")
    assert registry.is_registered("Point", JSON_DATA_CONTENT_TYPE)
    assert not registry.is_registered("Point", "text/plain")
    assert registry.type_name(Point(0, 0)) == "Point"
    data = registry.serialize(
        Point(1, 2), type_name="Point", data_content_type=JSON_DATA_CONTENT_TYPE
    )
    assert registry.deserialize(
        data, type_name="Point", data_content_type=JSON_DATA_CONTENT_TYPE
    ) == (Point(1, 2))
    assert registry.deserialize(b"abc", type_name="Upper", data_content_type="text/plain") == "ABC"
    unknown = registry.deserialize(
        b"{}", type_name="Nope", data_content_type=JSON_DATA_CONTENT_TYPE
    )
    assert unknown == UnknownPayload("Nope", JSON_DATA_CONTENT_TYPE, b"{}")
    with pytest.raises(ValueError):
        registry.serialize(Point(1, 2), type_name="Nope", data_content_type=JSON_DATA_CONTENT_TYPE)


def test_runtime_add_message_serializer_accepts_one_or_many() -> None:
    runtime = SingleThreadedAgentRuntime()
    runtime.add_message_serializer(UpperSerializer())
    runtime.add_message_serializer(
        [*try_get_known_serializers_for_type(Point), *try_get_known_serializers_for_type(Shape)]
    )
    registry = runtime._serialization
    assert registry.is_registered("Upper", "text/plain")
    assert registry.is_registered("Point", JSON_DATA_CONTENT_TYPE)
    assert registry.is_registered("Shape", JSON_DATA_CONTENT_TYPE)


# --- what registration adds -------------------------------------------------------------------


@dataclass
class Request:
    query: str


@dataclass
class Response:
    answer: str


@dataclass
class Notice:
    text: str


@dataclass
class ErrorReply:
    reason: str


@dataclass
class Extra:
    value: int


@handles(Extra)
class Service(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("service")

    @rpc
    async def on_request(self, message: Request, ctx: MessageContext) -> Response | ErrorReply:
        return Response(message.query)

    @event
    async def on_notice(self, message: Notice | AttrsMessage, ctx: MessageContext) -> None:
        return None

    @message_handler
    async def on_anything(self, message: Any, ctx: MessageContext) -> str:
        return "any"

    @message_handler
    async def on_pydantic(self, message: PydanticMessage, ctx: MessageContext) -> Shape:
        return Shape("s")


SERVICE_TYPES = [
    "Request",
    "Response",
    "ErrorReply",
    "Notice",
    "AttrsMessage",
    "PydanticMessage",
    "Shape",
    "Extra",
]


def _registered(runtime: SingleThreadedAgentRuntime, names: list[str]) -> dict[str, bool]:
    return {
        name: runtime._serialization.is_registered(name, JSON_DATA_CONTENT_TYPE) for name in names
    }


@pytest.mark.anyio
async def test_register_adds_serializers_for_handled_and_returned_types() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        assert not any(_registered(runtime, SERVICE_TYPES).values())
        await Service.register(runtime, "service", Service)
        assert _registered(runtime, SERVICE_TYPES) == dict.fromkeys(SERVICE_TYPES, True)
        # types with no known serializer are skipped, not an error
        assert not runtime._serialization.is_registered("str", JSON_DATA_CONTENT_TYPE)
        assert not runtime._serialization.is_registered("NoneType", JSON_DATA_CONTENT_TYPE)


@pytest.mark.anyio
async def test_register_instance_adds_serializers_too() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Service().register_instance(runtime, AgentId("service", "one"))
        assert _registered(runtime, SERVICE_TYPES) == dict.fromkeys(SERVICE_TYPES, True)


@pytest.mark.anyio
async def test_register_closure_adds_serializers_for_the_message_type() -> None:
    with anyio.fail_after(5):

        async def closure(
            context: ClosureContext, message: Request | Notice, ctx: MessageContext
        ) -> None:
            return None

        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(runtime, "closure", closure)
        assert _registered(runtime, ["Request", "Notice", "Response"]) == {
            "Request": True,
            "Notice": True,
            "Response": False,
        }


def test_handles_requires_a_serializable_type() -> None:
    with pytest.raises(ValueError):

        @handles(Plain)
        class Broken(RoutedAgent):
            pass


def test_handles_accepts_explicit_serializers() -> None:
    @handles(str, UpperSerializer())
    class WithCustom(RoutedAgent):
        pass

    @handles(str, [UpperSerializer()])
    class WithList(RoutedAgent):
        pass

    for cls in (WithCustom, WithList):
        ((kind, serializers),) = cls.internal_extra_handles_types
        assert kind is str
        assert [s.type_name for s in serializers] == ["Upper"]
    # the base class is not affected
    assert RoutedAgent.internal_extra_handles_types == []
