"""Arbitrary bytes and arbitrary JSON fed to every serializer: only SerializationError comes out.

The registered set covers every kind of serializer cantata builds (cattrs JSON for
dataclasses and attrs classes with nested classes, tagged unions, keyed dicts, bytes,
datetimes, ...; pydantic JSON; protobuf when the extra is installed). Inputs are random
bytes, random JSON documents (shaped like the messages, with their field names and union
tags, or not), and valid payloads truncated or with one part replaced by random JSON.
``CANTATA_PROPERTY_SCALE`` multiplies the example counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from cantata import JSON_DATA_CONTENT_TYPE, SerializationError, SerializationRegistry
from cantata._serialization import MessageSerializer, try_get_known_serializers_for_type
from cantata.models import LLMMessage, UserMessage

SCALE = float(os.environ.get("CANTATA_PROPERTY_SCALE", "1"))


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max(1, round(max_examples * SCALE)),
        deadline=2000,  # milliseconds: a hang fails the test instead of stalling the suite
        suppress_health_check=[HealthCheck.too_slow],
    )


class Kind(enum.Enum):
    A = "a"
    B = 2


class Rank(enum.IntEnum):
    ONE = 1


@dataclass
class Leaf:
    text: str
    count: int = 0


@dataclass
class Other:
    text: str
    count: int = 0


@attrs.define
class Box:
    item: Leaf | Other
    items: list[Leaf | Other | None] = attrs.field(factory=list)
    maybe: Leaf | None = None


@attrs.frozen
class Key:
    a: int
    b: str


@dataclass
class Wide:
    box: Box
    stamp: dt.datetime
    day: dt.date
    ident: uuid.UUID
    blob: bytes
    kind: Kind
    rank: Rank
    mode: Literal["x", "y", 1]
    ratio: float
    flag: bool
    pair: tuple[int, Leaf]
    rest: tuple[str, ...]
    tags: frozenset[str]
    by_int: dict[int, Leaf]
    by_key: dict[Key, list[int]]
    by_kind: dict[Kind, str]
    anything: Any = None
    nested: list[dict[str, list[Box]]] = field(default_factory=list)


@dataclass
class Tree:
    value: int
    children: list[Tree] = field(default_factory=list)


@dataclass
class AllDefaults:
    a: int = 0
    b: str = ""


class Chat(BaseModel):
    history: list[LLMMessage]
    user: UserMessage | None = None


WIDE = Wide(
    box=Box(Other("o", 1), [Leaf("l"), None, Other("p")], Leaf("m")),
    stamp=dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
    day=dt.date(2024, 1, 2),
    ident=uuid.UUID(int=7),
    blob=b"\x01\x02",
    kind=Kind.B,
    rank=Rank.ONE,
    mode=1,
    ratio=0.5,
    flag=True,
    pair=(1, Leaf("p")),
    rest=("a", "b"),
    tags=frozenset({"t"}),
    by_int={1: Leaf("one")},
    by_key={Key(1, "k"): [1, 2]},
    by_kind={Kind.A: "a", Kind.B: "b"},
    anything={"free": ["form", 1, None]},
    nested=[{"boxes": [Box(Leaf("deep"))]}],
)

SAMPLES: list[Any] = [
    WIDE,
    Box(Leaf("x")),
    Key(1, "k"),
    Tree(1, [Tree(2, [Tree(3)]), Tree(4)]),
    AllDefaults(),
    Leaf("only"),
    Chat(history=[UserMessage(content="hi", source="user")], user=None),
]


def _protobuf_samples() -> list[Any]:
    try:
        from google.protobuf import struct_pb2, wrappers_pb2
    except ImportError:
        return []
    struct = struct_pb2.Struct()
    struct.update({"a": 1.0, "b": ["x", True]})
    return [wrappers_pb2.StringValue(value="s"), struct]


SAMPLES += _protobuf_samples()

SERIALIZERS: list[MessageSerializer[Any]] = [
    serializer
    for sample in SAMPLES
    for serializer in try_get_known_serializers_for_type(type(sample))
]
PAYLOADS = [
    (serializer, serializer.serialize(sample))
    for sample, serializer in zip(SAMPLES, SERIALIZERS, strict=True)
]
JSON_PAYLOADS = [
    (serializer, json.loads(payload))
    for serializer, payload in PAYLOADS
    if serializer.data_content_type == JSON_DATA_CONTENT_TYPE
]


def test_the_samples_round_trip() -> None:
    assert len(SERIALIZERS) == len(SAMPLES)
    for sample, (serializer, payload) in zip(SAMPLES, PAYLOADS, strict=True):
        assert serializer.deserialize(payload) == sample


FIELD_NAMES = sorted(
    {"_type", "Leaf", "Other", "text", "count", "item", "items", "maybe", "a", "b", "value"}
    | {"children", "history", "user", "content", "source", "type", "UserMessage"}
    | set(Wide.__dataclass_fields__)
)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(FIELD_NAMES)
    | st.sampled_from(["2024-01-02", "2024-01-02T03:04:05", str(uuid.UUID(int=1)), "AAEC", "a"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)


def _only_serialization_error(serializer: MessageSerializer[Any], payload: bytes) -> None:
    try:
        serializer.deserialize(payload)
    except SerializationError as exc:
        text = str(exc)
        assert serializer.type_name in text
        assert "@ $" in text or serializer.data_content_type != JSON_DATA_CONTENT_TYPE
    # any other exception fails the test


@pytest.mark.parametrize("serializer", SERIALIZERS, ids=lambda s: s.type_name)
@_settings(150)
@given(payload=st.binary(max_size=200))
def test_arbitrary_bytes(serializer: MessageSerializer[Any], payload: bytes) -> None:
    _only_serialization_error(serializer, payload)


@pytest.mark.parametrize("serializer", SERIALIZERS, ids=lambda s: s.type_name)
@_settings(150)
@given(document=JSON_VALUES)
def test_arbitrary_json(serializer: MessageSerializer[Any], document: Any) -> None:
    _only_serialization_error(serializer, json.dumps(document).encode())


def _replace(document: Any, path: list[int], new: Any) -> Any:
    """``document`` with the part reached by ``path`` (indices into children) replaced."""
    if not path or not isinstance(document, dict | list) or not document:
        return new
    step, rest = path[0], path[1:]
    if isinstance(document, list):
        index = step % len(document)
        copy = list(document)
        copy[index] = _replace(copy[index], rest, new)
        return copy
    key = sorted(document)[step % len(document)]
    return {**document, key: _replace(document[key], rest, new)}


@pytest.mark.parametrize(
    ("serializer", "document"), JSON_PAYLOADS, ids=lambda p: getattr(p, "type_name", "")
)
@_settings(200)
@given(path=st.lists(st.integers(0, 50), max_size=8), new=JSON_VALUES)
def test_valid_payloads_with_one_part_replaced(
    serializer: MessageSerializer[Any], document: Any, path: list[int], new: Any
) -> None:
    _only_serialization_error(serializer, json.dumps(_replace(document, path, new)).encode())


@pytest.mark.parametrize(
    ("serializer", "payload"), PAYLOADS, ids=lambda p: getattr(p, "type_name", "")
)
def test_every_truncation_of_a_valid_payload(
    serializer: MessageSerializer[Any], payload: bytes
) -> None:
    for end in range(len(payload)):
        _only_serialization_error(serializer, payload[:end])


@pytest.mark.parametrize("serializer", SERIALIZERS, ids=lambda s: s.type_name)
def test_hostile_documents(serializer: MessageSerializer[Any]) -> None:
    depth = 100_000
    for payload in (
        b"[" * depth + b"]" * depth,  # deeper than any parser should go
        *(
            b'{"value": 1, "children": [' * n + b"]}" * n  # deep but well-formed
            for n in (300, 500, 1000, 2000)
        ),
        b'{"text": "' + b"x" * 1_000_000 + b'"}',
        b'{"count": ' + b"9" * 5000 + b"}",
        b"1e999999",
        b'"\\ud800"',
        b"NaN",
        b"\x00",
    ):
        _only_serialization_error(serializer, payload)


def test_the_registry_gives_only_serialization_error_or_unknown_payload() -> None:
    registry = SerializationRegistry()
    registry.add_serializer(SERIALIZERS)
    for serializer in SERIALIZERS:
        for payload in (b"", b"{}", b"[]", b"\xff"):
            with contextlib.suppress(SerializationError):
                registry.deserialize(
                    payload,
                    type_name=serializer.type_name,
                    data_content_type=serializer.data_content_type,
                )
