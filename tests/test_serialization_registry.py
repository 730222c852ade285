"""The serializer registry and the JSON shapes, errors and type names of the serializers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import sys
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, List, Literal, Optional  # noqa: UP035 - the user guide's spelling

import anyio
import attrs
import pytest
from pydantic import BaseModel

from cantata import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    MessageContext,
    RoutedAgent,
    SerializationError,
    SerializationRegistry,
    SingleThreadedAgentRuntime,
    UnknownPayload,
    message_handler,
    try_get_known_serializers_for_type,
)
from cantata._serialization import MessageSerializer, _payload_text
from cantata.models import LLMMessage, UserMessage


def _serializer(cls: type[Any]) -> MessageSerializer[Any]:
    (serializer,) = try_get_known_serializers_for_type(cls)
    return serializer


def _round_trip(message: Any) -> Any:
    serializer = _serializer(type(message))
    return serializer.deserialize(serializer.serialize(message))


def _json(message: Any) -> Any:
    return json.loads(_serializer(type(message)).serialize(message))


def _qualified(cls: type[Any]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# --- the user guide's message types, verbatim -------------------------------------------------

# Pydantic messages (LlamaIndex agent, structured output, group chat, handoffs).


class Resource(BaseModel):
    content: str
    node_id: str
    score: Optional[float] = None  # noqa: UP045


class Message(BaseModel):
    content: str
    sources: Optional[List[Resource]] = None  # noqa: UP006, UP045


class MathReasoning(BaseModel):
    class Step(BaseModel):
        explanation: str
        output: str

    steps: list[Step]
    final_answer: str


class GroupChatMessage(BaseModel):
    body: UserMessage


class RequestToSpeak(BaseModel):
    pass


class UserLogin(BaseModel):
    pass


class UserTask(BaseModel):
    context: List[LLMMessage]  # noqa: UP006


class AgentResponse(BaseModel):
    reply_to_topic_type: str
    context: List[LLMMessage]  # noqa: UP006


# Dataclass messages (reflection, mixture of agents, OpenAI assistant agent).


@dataclass
class CodeWritingTask:
    task: str


@dataclass
class CodeWritingResult:
    task: str
    code: str
    review: str


@dataclass
class CodeReviewTask:
    session_id: str
    code_writing_task: str
    code_writing_scratchpad: str
    code: str


@dataclass
class CodeReviewResult:
    review: str
    session_id: str
    approved: bool


@dataclass
class WorkerTask:
    task: str
    previous_results: List[str]  # noqa: UP006


@dataclass
class TextMessage:
    content: str
    source: str


@dataclass
class Reset:
    pass


@dataclass
class Termination:
    reason: str


GUIDE_PYDANTIC = [
    Resource(content="a", node_id="n1", score=0.5),
    Message(
        content="hi",
        sources=[
            Resource(content="a", node_id="n1"),
            Resource(content="b", node_id="n2", score=1.0),
        ],
    ),
    Message(content="no sources"),
    MathReasoning(steps=[MathReasoning.Step(explanation="add", output="2")], final_answer="2"),
    GroupChatMessage(body=UserMessage(content="Write a poem", source="User")),
    RequestToSpeak(),
    UserLogin(),
    UserTask(context=[UserMessage(content="I want a refund", source="User")]),
    AgentResponse(
        reply_to_topic_type="user", context=[UserMessage(content="hello", source="User")]
    ),
]

GUIDE_DATACLASSES = [
    CodeWritingTask(task="Write a function that sums a list."),
    CodeWritingResult(task="t", code="def f(): ...", review="LGTM"),
    CodeReviewTask(
        session_id="s1", code_writing_task="t", code_writing_scratchpad="", code="print(1)"
    ),
    CodeReviewResult(review="ok", session_id="s1", approved=True),
    WorkerTask(task="summarize", previous_results=["one", "two"]),
    TextMessage(content="hello", source="user"),
    Reset(),
    Termination(reason="done"),
]


@pytest.mark.parametrize("message", GUIDE_PYDANTIC, ids=lambda m: type(m).__name__)
def test_user_guide_pydantic_messages_pass_unchanged(message: BaseModel) -> None:
    registry = SerializationRegistry()
    registry.add_serializer(try_get_known_serializers_for_type(type(message)))
    name = registry.type_name(message)
    assert name == type(message).__name__
    payload = registry.serialize(message, type_name=name, data_content_type=JSON_DATA_CONTENT_TYPE)
    assert payload == message.model_dump_json().encode()  # what autogen-core writes
    back = registry.deserialize(payload, type_name=name, data_content_type=JSON_DATA_CONTENT_TYPE)
    assert type(back) is type(message)
    assert back == message


@pytest.mark.parametrize("message", GUIDE_DATACLASSES, ids=lambda m: type(m).__name__)
def test_user_guide_dataclass_messages_pass_unchanged(message: Any) -> None:
    registry = SerializationRegistry()
    registry.add_serializer(try_get_known_serializers_for_type(type(message)))
    name = registry.type_name(message)
    assert name == type(message).__name__
    payload = registry.serialize(message, type_name=name, data_content_type=JSON_DATA_CONTENT_TYPE)
    assert json.loads(payload) == dataclasses.asdict(message)  # what autogen-core writes
    back = registry.deserialize(payload, type_name=name, data_content_type=JSON_DATA_CONTENT_TYPE)
    assert type(back) is type(message)
    assert back == message
    # and what autogen-core wrote reads back
    autogen_payload = json.dumps(dataclasses.asdict(message)).encode()
    assert (
        registry.deserialize(
            autogen_payload, type_name=name, data_content_type=JSON_DATA_CONTENT_TYPE
        )
        == message
    )


# --- type names and collisions ------------------------------------------------------------


@dataclass
class Point:
    x: int
    y: int


def _another_point() -> type[Any]:
    @dataclass
    class Point:
        x: float
        y: float

    return Point


OtherPoint = dataclasses.make_dataclass("Point", [("x", float), ("y", float)])
"""Another class whose ``__name__`` is ``Point``."""


def test_a_second_type_under_a_taken_name_is_refused_naming_both() -> None:
    other = _another_point()
    registry = SerializationRegistry()
    registry.add_serializer(try_get_known_serializers_for_type(Point))
    with pytest.raises(ValueError) as caught:
        registry.add_serializer(try_get_known_serializers_for_type(other))
    assert _qualified(Point) in str(caught.value)
    assert _qualified(other) in str(caught.value)
    assert not isinstance(caught.value, SerializationError)
    # the first registration is untouched
    data = registry.serialize(
        Point(1, 2), type_name="Point", data_content_type=JSON_DATA_CONTENT_TYPE
    )
    assert registry.deserialize(
        data, type_name="Point", data_content_type=JSON_DATA_CONTENT_TYPE
    ) == Point(1, 2)
    assert registry.registered_type("Point") is Point


def test_a_class_defined_again_is_refused_with_a_hint() -> None:
    def define() -> type[Any]:
        @dataclass
        class Again:
            n: int

        return Again

    first, second = define(), define()
    registry = SerializationRegistry()
    registry.add_serializer(_serializer(first))
    with pytest.raises(ValueError, match="same qualified name"):
        registry.add_serializer(_serializer(second))


def test_re_registering_the_same_type_is_a_no_op() -> None:
    registry = SerializationRegistry()
    first = _serializer(Point)
    registry.add_serializer(first)
    registry.add_serializer(_serializer(Point))
    registry.add_serializer([_serializer(Point), _serializer(Point)])
    assert registry._serializers[("Point", JSON_DATA_CONTENT_TYPE)] is first


def test_a_refused_batch_registers_nothing() -> None:
    registry = SerializationRegistry()
    registry.add_serializer(_serializer(Point))
    with pytest.raises(ValueError):
        registry.add_serializer([_serializer(TextMessage), _serializer(_another_point())])
    assert not registry.is_registered("TextMessage", JSON_DATA_CONTENT_TYPE)
    with pytest.raises(ValueError):  # a collision inside one batch
        SerializationRegistry().add_serializer([_serializer(Point), _serializer(_another_point())])


class UpperPoint:
    """A hand-written serializer (no ``message_type``) under the name ``Point``."""

    @property
    def data_content_type(self) -> str:
        return JSON_DATA_CONTENT_TYPE

    @property
    def type_name(self) -> str:
        return "Point"

    def serialize(self, message: Point) -> bytes:
        return f"[{message.x}, {message.y}]".encode()

    def deserialize(self, payload: bytes) -> Point:
        x, y = json.loads(payload)
        return Point(x, y)


def test_hand_written_serializers_replace_and_defaults_do_not_override_them() -> None:
    registry = SerializationRegistry()
    registry.add_serializer(_serializer(Point))
    registry.add_serializer(UpperPoint())  # explicit: replaces, as in autogen-core
    point = Point(1, 2)
    assert registry.serialize(point, type_name="Point", data_content_type="application/json") == (
        b"[1, 2]"
    )
    registry.add_serializer(_serializer(Point))  # e.g. an agent registered later
    assert registry.serialize(point, type_name="Point", data_content_type="application/json") == (
        b"[1, 2]"
    )


@pytest.mark.anyio
async def test_agents_handling_two_types_of_one_name_are_refused() -> None:
    class First(RoutedAgent):
        @message_handler
        async def on_point(self, message: Point, ctx: MessageContext) -> None:
            return None

    class Second(RoutedAgent):
        @message_handler
        async def on_point(self, message: OtherPoint, ctx: MessageContext) -> None:  # type: ignore[valid-type]
            return None

    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await First.register(runtime, "first", lambda: First("first"))
        with pytest.raises(ValueError, match="Point"):
            await Second.register(runtime, "second", lambda: Second("second"))


def test_type_names_are_autogen_core_names() -> None:
    assert _serializer(Point).type_name == "Point"
    assert _serializer(MathReasoning.Step).type_name == "Step"  # __name__, not qualified
    registry = SerializationRegistry()
    assert registry.type_name(Point(0, 0)) == "Point"


# --- unregistered types -------------------------------------------------------------------


def test_unregistered_types_give_unknown_payload_and_a_clear_error() -> None:
    registry = SerializationRegistry()
    unknown = registry.deserialize(
        b"{}", type_name="Nope", data_content_type=JSON_DATA_CONTENT_TYPE
    )
    assert unknown == UnknownPayload("Nope", JSON_DATA_CONTENT_TYPE, b"{}")
    with pytest.raises(SerializationError) as caught:
        registry.serialize(Point(1, 2), type_name="Point", data_content_type=JSON_DATA_CONTENT_TYPE)
    assert isinstance(caught.value, ValueError)
    assert "'Point'" in str(caught.value) and "add_message_serializer" in str(caught.value)


class Exploding:
    """A hand-written serializer whose methods raise something other than ValueError."""

    @property
    def data_content_type(self) -> str:
        return "text/plain"

    @property
    def type_name(self) -> str:
        return "Exploding"

    def serialize(self, message: Any) -> bytes:
        raise KeyError("boom")

    def deserialize(self, payload: bytes) -> Any:
        raise IndexError("boom")


def test_registry_turns_any_serializer_failure_into_serialization_error() -> None:
    registry = SerializationRegistry()
    registry.add_serializer(Exploding())
    with pytest.raises(SerializationError, match="Exploding"):
        registry.serialize(1, type_name="Exploding", data_content_type="text/plain")
    with pytest.raises(SerializationError, match="Exploding"):
        registry.deserialize(b"", type_name="Exploding", data_content_type="text/plain")


# --- JSON shapes --------------------------------------------------------------------------


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Mood(enum.StrEnum):
    HAPPY = "happy"
    SAD = "sad"


@dataclass
class Cat:
    name: str


@dataclass
class Dog:
    name: str


@attrs.frozen
class Pos:
    row: int
    col: int


@dataclass
class Everything:
    pet: Cat | Dog
    maybe_pet: Cat | Dog | None
    pet_or_count: Cat | int
    owner: Cat | None
    stamp: dt.datetime
    day: dt.date
    ident: uuid.UUID
    blob: bytes
    kind: Literal["a", "b"]
    color: Color
    mood: Mood
    pair: tuple[int, str]
    tags: set[str]
    by_id: dict[int, str]
    by_uuid: dict[uuid.UUID, int]
    by_mood: dict[Mood, int]
    by_color: dict[Color, str]
    by_pos: dict[Pos, str]
    nested: list[dict[str, list[Pos]]] = field(default_factory=list)


ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
EVERYTHING = Everything(
    pet=Dog("rex"),
    maybe_pet=None,
    pet_or_count=3,
    owner=Cat("tom"),
    stamp=dt.datetime(2024, 5, 1, 12, 30, 5, 250, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    day=dt.date(2024, 5, 1),
    ident=ID,
    blob=b"\x00\xffhi",
    kind="b",
    color=Color.GREEN,
    mood=Mood.SAD,
    pair=(1, "one"),
    tags={"x"},
    by_id={1: "one", -2: "minus two"},
    by_uuid={ID: 1},
    by_mood={Mood.HAPPY: 1},
    by_color={Color.RED: "r"},
    by_pos={Pos(0, 1): "b1"},
    nested=[{"k": [Pos(1, 1)]}],
)


def test_everything_round_trips_exactly() -> None:
    assert _round_trip(EVERYTHING) == EVERYTHING


def test_json_shapes() -> None:
    assert _json(EVERYTHING) == {
        "pet": {"name": "rex", "_type": "Dog"},
        "maybe_pet": None,
        "pet_or_count": 3,
        "owner": {"name": "tom"},
        "stamp": "2024-05-01T12:30:05.000250+02:00",
        "day": "2024-05-01",
        "ident": str(ID),
        "blob": "AP9oaQ==",
        "kind": "b",
        "color": 2,
        "mood": "sad",
        "pair": [1, "one"],
        "tags": ["x"],
        "by_id": {"1": "one", "-2": "minus two"},
        "by_uuid": {str(ID): 1},
        "by_mood": {"happy": 1},
        "by_color": [[1, "r"]],
        "by_pos": [[{"row": 0, "col": 1}, "b1"]],
        "nested": [{"k": [{"row": 1, "col": 1}]}],
    }


@dataclass
class Twins:
    left: Cat | Dog
    right: list[Cat | Dog]


def test_same_shaped_union_members_are_told_apart_by_their_tag() -> None:
    message = Twins(Cat("a"), [Dog("b"), Cat("c")])
    assert _round_trip(message) == message
    assert type(_round_trip(message).right[0]) is Dog


@dataclass
class Tagged:
    _type: str


@dataclass
class UsesTagged:
    either: Tagged | Cat


@dataclass
class Ambiguous:
    value: str | uuid.UUID


@dataclass
class HasLock:
    lock: threading.Lock


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (UsesTagged(Cat("x")), "field named '_type'"),
        (Ambiguous("x"), "ambiguous union"),
        (HasLock(threading.Lock()), "lock"),
    ],
)
def test_unsupported_classes_fail_with_serialization_error(message: Any, reason: str) -> None:
    serializer = _serializer(type(message))  # known, so registration never breaks
    name = type(message).__name__
    with pytest.raises(SerializationError, match=reason) as caught:
        serializer.serialize(message)
    assert name in str(caught.value)
    with pytest.raises(SerializationError, match=name):
        serializer.deserialize(b"{}")


@pytest.mark.anyio
async def test_an_agent_handling_an_unsupported_class_still_registers() -> None:
    class Locker(RoutedAgent):
        @message_handler
        async def on_lock(self, message: HasLock, ctx: MessageContext) -> None:
            return None

    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Locker.register(runtime, "locker", lambda: Locker("locks"))
        with pytest.raises(SerializationError, match="HasLock"):
            runtime._serialization.serialize(
                HasLock(threading.Lock()),
                type_name="HasLock",
                data_content_type=JSON_DATA_CONTENT_TYPE,
            )


@dataclass
class Early:
    later: Later


EARLY = _serializer(Early)  # made before Later exists: hooks are built on first use


@dataclass
class Later:
    n: int


def test_classes_may_refer_to_names_defined_after_registration() -> None:
    assert EARLY.deserialize(EARLY.serialize(Early(Later(1)))) == Early(Later(1))


@dataclass
class Measure:
    value: float
    count: int = 0
    note: str | None = None


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_floats_fail_to_serialize_with_their_path(value: float) -> None:
    with pytest.raises(SerializationError, match=r"Measure.*NaN or infinity @ \$\.value"):
        _serializer(Measure).serialize(Measure(value))


def test_null_in_a_payload_is_fine() -> None:
    message = Measure(1.5, note=None)
    assert _round_trip(message) == message
    assert _round_trip(Measure(2.0, note="null")) == Measure(2.0, note="null")


@pytest.mark.parametrize("count", [2**64, -(2**63) - 1])
def test_integers_beyond_64_bits_fail_to_serialize(count: int) -> None:
    with pytest.raises(SerializationError, match="Measure"):
        _serializer(Measure).serialize(Measure(1.0, count))


# --- bad input ----------------------------------------------------------------------------


@dataclass
class Shape:
    name: str
    points: list[Point]
    label: str | None = None


@dataclass
class Defaults:
    a: int = 0
    b: str = ""


@pytest.mark.parametrize(
    ("cls", "payload", "problem"),
    [
        (
            Shape,
            b'{"name": "s", "points": [{"x": 1, "y": 2}, {"x": "1", "y": 2}]}',
            r"\$\.points\[1\]\.x",
        ),
        (Shape, b'{"name": 5, "points": []}', r"expected a string, got a number @ \$\.name"),
        (Shape, b'{"points": []}', r"required field missing @ \$\.name"),
        (Shape, b'{"name": "s", "points": {"x": 1}}', r"@ \$\.points"),
        (Shape, b'{"name": "s", "points": [], "label": ["x"]}', r"@ \$\.label"),
        (Shape, b'{"name": "s", "points": [', r"invalid JSON.* @ \$"),
        (Shape, b"\xff\xfe", r"invalid JSON.* @ \$"),
        (Shape, b"", r"invalid JSON.* @ \$"),
        (Defaults, b"[1, 2]", r"expected an object, got an array @ \$"),
        (Defaults, b'"ab"', r"expected an object, got a string @ \$"),
        (Defaults, b'{"a": true}', r"expected an integer, got a boolean @ \$\.a"),
        (Defaults, b'{"a": 1.5}', r"expected an integer, got a number @ \$\.a"),
        (Everything, b"{}", r"required field missing @ \$\.pet"),
        (Twins, b'{"left": {"name": "x"}, "right": []}', r"tagged with '_type'.* @ \$\.left"),
        (
            Twins,
            b'{"left": {"name": "x", "_type": "Cow"}, "right": []}',
            r"unknown _type.* @ \$\.left",
        ),
        (Twins, b'{"left": {"name": "x", "_type": ["Cat"]}, "right": []}', r"@ \$\.left"),
    ],
)
def test_bad_input_names_the_type_and_the_field_path(
    cls: type[Any], payload: bytes, problem: str
) -> None:
    with pytest.raises(SerializationError, match=problem) as caught:
        _serializer(cls).deserialize(payload)
    assert str(caught.value).startswith(f"cannot deserialize {cls.__name__}: ")


def test_pydantic_bad_input_names_the_type_and_the_field_path() -> None:
    serializer = _serializer(Message)
    with pytest.raises(SerializationError, match=r"Message: .* @ \$\.sources\[0\]\.node_id"):
        serializer.deserialize(b'{"content": "c", "sources": [{"content": "x"}]}')
    with pytest.raises(SerializationError, match=r"Message: .*@ \$"):
        serializer.deserialize(b"{")


def test_error_messages_stay_short_on_huge_input() -> None:
    payload = json.dumps({"name": "s", "points": [{"x": "x" * 10_000, "y": 1}] * 50}).encode()
    with pytest.raises(SerializationError) as caught:
        _serializer(Shape).deserialize(payload)
    assert len(str(caught.value)) <= 2000
    assert "and 40 more" in str(caught.value)


# --- logging text -------------------------------------------------------------------------


class BadStr:
    def __str__(self) -> str:
        raise RuntimeError("no text")


@dataclass
class HoldsBadStr:
    thing: Any


def test_payload_text_never_raises() -> None:
    assert json.loads(_payload_text(Point(1, 2))) == {"x": 1, "y": 2}
    assert json.loads(_payload_text(GUIDE_PYDANTIC[0])) == GUIDE_PYDANTIC[0].model_dump()
    assert json.loads(_payload_text(EVERYTHING))["blob"] == "AP9oaQ=="
    for message in (BadStr(), HoldsBadStr(BadStr()), HasLock(threading.Lock())):
        assert isinstance(_payload_text(message), str)
    loop: list[Any] = []
    loop.append(loop)
    assert isinstance(_payload_text(loop), str)


# --- protobuf -----------------------------------------------------------------------------


def test_protobuf_messages_travel_packed_in_any() -> None:
    pytest.importorskip("google.protobuf", reason="the protobuf extra is not installed")
    from google.protobuf import any_pb2, struct_pb2, wrappers_pb2

    serializer = _serializer(wrappers_pb2.StringValue)
    assert serializer.type_name == "google.protobuf.StringValue"
    assert serializer.data_content_type == PROTOBUF_DATA_CONTENT_TYPE
    message = wrappers_pb2.StringValue(value="hello")
    payload = serializer.serialize(message)
    packed = any_pb2.Any()
    packed.ParseFromString(payload)
    assert packed.type_url.endswith("/google.protobuf.StringValue")
    assert serializer.deserialize(payload) == message

    struct = struct_pb2.Struct()
    struct.update({"a": 1.0, "b": [True, "x", None], "c": {"d": "e"}})
    struct_serializer = _serializer(struct_pb2.Struct)
    assert struct_serializer.deserialize(struct_serializer.serialize(struct)) == struct

    registry = SerializationRegistry()
    registry.add_serializer([serializer, struct_serializer])
    assert registry.type_name(struct) == "google.protobuf.Struct"
    data = registry.serialize(
        struct, type_name="google.protobuf.Struct", data_content_type=PROTOBUF_DATA_CONTENT_TYPE
    )
    assert (
        registry.deserialize(
            data, type_name="google.protobuf.Struct", data_content_type=PROTOBUF_DATA_CONTENT_TYPE
        )
        == struct
    )


def test_protobuf_bad_input_raises_serialization_error() -> None:
    pytest.importorskip("google.protobuf", reason="the protobuf extra is not installed")
    from google.protobuf import struct_pb2, wrappers_pb2

    serializer = _serializer(wrappers_pb2.StringValue)
    other = _serializer(struct_pb2.Struct).serialize(struct_pb2.Struct())
    with pytest.raises(SerializationError, match=r"google.protobuf.StringValue.*Struct"):
        serializer.deserialize(other)  # a payload of another message type
    for payload in (b"\xff\xff\xff", b"\x0a\x05abc", b"\x12\x80\x80\x80\x80\x10"):
        with pytest.raises(SerializationError, match=r"google\.protobuf\.StringValue"):
            serializer.deserialize(payload)


class _FakeDescriptor:
    full_name = "fake.Thing"


class FakeProtobufMessage:
    """Looks like a generated protobuf message class."""

    DESCRIPTOR = _FakeDescriptor()

    def SerializeToString(self) -> bytes:
        return b""


def test_a_protobuf_type_without_the_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("google.protobuf", "google.protobuf.any_pb2", "google.protobuf.message"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(SerializationError, match=r"cantata\[protobuf\]"):
        try_get_known_serializers_for_type(FakeProtobufMessage)


# --- pydantic models inside dataclasses ---------------------------------------------------


@dataclass
class Envelope:
    resource: Resource
    either: Resource | Cat
    history: list[LLMMessage] = field(default_factory=list)


def test_pydantic_models_nested_in_dataclasses_go_through_pydantic() -> None:
    message = Envelope(
        Resource(content="c", node_id="n"),
        Resource(content="d", node_id="m", score=0.25),
        [UserMessage(content="hi", source="user")],
    )
    assert _round_trip(message) == message
    assert _json(message)["either"] == {
        "content": "d",
        "node_id": "m",
        "score": 0.25,
        "_type": "Resource",
    }
    with pytest.raises(SerializationError, match=r"Envelope: .* @ \$\.resource"):
        _serializer(Envelope).deserialize(b'{"resource": {"content": 1}, "either": null}')
