"""Round trips of generated values of generated dataclass and attrs shapes.

Each example draws a *shape*: a Python type (built with ``dataclasses.make_dataclass`` or
``attrs.make_class`` from generated field types, nested to a bounded depth) together with a
strategy for its values. The property: ``deserialize(serialize(x)) == x`` through the
serializer :func:`try_get_known_serializers_for_type` gives, and through a registry.
``CANTATA_PROPERTY_SCALE`` multiplies the example counts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cantata import JSON_DATA_CONTENT_TYPE, SerializationRegistry
from cantata._serialization import try_get_known_serializers_for_type

SCALE = float(os.environ.get("CANTATA_PROPERTY_SCALE", "1"))


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max(1, round(max_examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@dataclass(frozen=True)
class Shape:
    """A type and a strategy for its values."""

    type: Any
    values: st.SearchStrategy[Any]
    hashable: bool = True
    json_native: bool = True
    """Written by ``json.dumps(asdict(x))`` the same way (what autogen-core does)."""


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Mood(enum.StrEnum):
    HAPPY = "happy"
    SAD = "sad"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


_timezones = st.one_of(
    st.none(),
    st.just(dt.UTC),
    st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: dt.timezone(dt.timedelta(minutes=m))),
)

INT64 = st.integers(-(2**63), 2**63 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)

LEAVES: list[Shape] = [
    Shape(int, INT64),
    Shape(float, FINITE),
    Shape(str, st.text()),
    Shape(bool, st.booleans()),
    Shape(bytes, st.binary(max_size=40), json_native=False),
    Shape(uuid.UUID, st.uuids(), json_native=False),
    Shape(dt.datetime, st.datetimes(timezones=_timezones), json_native=False),
    Shape(dt.date, st.dates(), json_native=False),
    Shape(Color, st.sampled_from(Color), json_native=False),
    Shape(Mood, st.sampled_from(Mood), json_native=False),
    Shape(Level, st.sampled_from(Level), json_native=False),
    Shape(Literal["a", "b", 3], st.sampled_from(["a", "b", 3])),
    Shape(int | str | None, st.one_of(st.none(), INT64, st.text())),
]
"""Shapes without inner types; all hashable."""

_names = (f"Gen{n}" for n in itertools.count())


def _make_class(fields: list[tuple[str, Shape]], use_attrs: bool, frozen: bool) -> Any:
    name = next(_names)
    if use_attrs:
        return attrs.make_class(
            name, {n: attrs.field(type=s.type) for n, s in fields}, frozen=frozen
        )
    return dataclasses.make_dataclass(name, [(n, s.type) for n, s in fields], frozen=frozen)


@st.composite
def class_shapes(draw: st.DrawFn, depth: int) -> Shape:
    """A generated dataclass or attrs class whose fields have generated shapes."""
    count = draw(st.integers(0, 4))
    fields = [(f"f{i}", draw(shapes(depth - 1))) for i in range(count)]
    use_attrs = draw(st.booleans())
    frozen = draw(st.booleans()) and all(s.hashable for _, s in fields)
    cls = _make_class(fields, use_attrs, frozen)
    values = st.builds(cls, **{n: s.values for n, s in fields})
    return Shape(
        cls,
        values,
        hashable=frozen,
        json_native=not use_attrs and all(s.json_native for _, s in fields),
    )


@st.composite
def shapes(draw: st.DrawFn, depth: int = 2) -> Shape:
    """Any shape: a leaf, or (while depth lasts) a container, union or nested class."""
    if depth <= 0:
        return draw(st.sampled_from(LEAVES))
    kind = draw(
        st.sampled_from(
            [
                *("leaf", "leaf", "list", "tuple", "vartuple", "set"),
                *("dict", "keyed", "optional", "union", "class", "class"),
            ]
        )
    )
    if kind == "leaf":
        return draw(st.sampled_from(LEAVES))
    if kind == "class":
        return draw(class_shapes(depth))
    if kind == "union":
        members = draw(st.lists(class_shapes(depth), min_size=2, max_size=3))
        extra = draw(st.sampled_from([None, Shape(type(None), st.none()), LEAVES[0]]))
        if extra is not None:
            members.append(extra)
        return Shape(
            Union[tuple(m.type for m in members)],  # noqa: UP007
            st.one_of(*(m.values for m in members)),
            hashable=all(m.hashable for m in members),
            json_native=False,
        )
    inner = draw(shapes(depth - 1))
    if kind == "list":
        return Shape(
            list[inner.type],  # type: ignore[name-defined]
            st.lists(inner.values, max_size=4),
            hashable=False,
            json_native=inner.json_native,
        )
    if kind == "tuple":
        other = draw(shapes(depth - 1))
        return Shape(
            tuple[inner.type, other.type],  # type: ignore[name-defined]
            st.tuples(inner.values, other.values),
            hashable=inner.hashable and other.hashable,
            json_native=False,
        )
    if kind == "vartuple":
        return Shape(
            tuple[inner.type, ...],  # type: ignore[name-defined]
            st.lists(inner.values, max_size=4).map(tuple),
            hashable=inner.hashable,
            json_native=False,
        )
    if kind == "optional":
        return Shape(
            Optional[inner.type],  # noqa: UP045
            st.one_of(st.none(), inner.values),
            hashable=inner.hashable,
            json_native=inner.json_native,
        )
    if kind in ("set", "keyed") and not inner.hashable:
        inner = draw(st.sampled_from(LEAVES))
    if kind == "set":
        frozen = draw(st.booleans())
        container = frozenset if frozen else set
        return Shape(
            container[inner.type],
            st.frozensets(inner.values, max_size=4).map(container),
            hashable=frozen,
            json_native=False,
        )
    if kind == "keyed":  # a dict with keys of any hashable shape
        value = draw(shapes(depth - 1))
        return Shape(
            dict[inner.type, value.type],  # type: ignore[name-defined]
            st.dictionaries(inner.values, value.values, max_size=4),
            hashable=False,
            json_native=False,
        )
    return Shape(  # a dict with string keys
        dict[str, inner.type],  # type: ignore[name-defined]
        st.dictionaries(st.text(max_size=8), inner.values, max_size=4),
        hashable=False,
        json_native=inner.json_native,
    )


@_settings(300)
@given(st.data())
def test_generated_classes_round_trip_exactly(data: st.DataObject) -> None:
    shape = data.draw(class_shapes(depth=3), label="shape")
    (serializer,) = try_get_known_serializers_for_type(shape.type)
    value = data.draw(shape.values, label="value")
    payload = serializer.serialize(value)
    back = serializer.deserialize(payload)
    assert back == value
    assert type(back) is type(value)


@_settings(100)
@given(st.data())
def test_generated_classes_round_trip_through_a_registry(data: st.DataObject) -> None:
    shapes_ = data.draw(st.lists(class_shapes(depth=2), min_size=1, max_size=3), label="shapes")
    registry = SerializationRegistry()
    for shape in shapes_:
        registry.add_serializer(try_get_known_serializers_for_type(shape.type))
    for shape in shapes_:
        value = data.draw(shape.values, label="value")
        name = registry.type_name(value)
        assert name == shape.type.__name__
        payload = registry.serialize(
            value, type_name=name, data_content_type=JSON_DATA_CONTENT_TYPE
        )
        assert (
            registry.deserialize(payload, type_name=name, data_content_type=JSON_DATA_CONTENT_TYPE)
            == value
        )


@_settings(150)
@given(st.data())
def test_json_native_dataclasses_are_written_as_autogen_core_writes_them(
    data: st.DataObject,
) -> None:
    shape = data.draw(class_shapes(depth=2).filter(lambda s: s.json_native), label="shape")
    (serializer,) = try_get_known_serializers_for_type(shape.type)
    value = data.draw(shape.values, label="value")
    assert json.loads(serializer.serialize(value)) == dataclasses.asdict(value)
    # and a payload written by json.dumps(asdict(x)) reads back
    assert serializer.deserialize(json.dumps(dataclasses.asdict(value)).encode()) == value
