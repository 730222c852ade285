"""Serialize + deserialize round trips of a flat and a nested message dataclass.

Contenders, each turning a message into bytes and back:

* ``cantata``: ``cantata.try_get_known_serializers_for_type(cls)[0]``, ``serialize`` then
  ``deserialize`` (a dataclass comes back);
* ``autogen-core``: the same call on autogen-core; a contender whose round trip does
  not give back an equal message is left out with a note (autogen-core 0.7.5 hands back
  dicts for nested dataclass fields, so it runs the flat class only);
* ``json``: ``json.dumps(dataclasses.asdict(x)).encode()`` then ``json.loads`` -- the
  standard library's floor, which rebuilds only a dict, not the dataclass.

Rounds of the contenders are interleaved, after one untimed warm-up round each.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness import Stats, time_sync


@dataclass
class Flat:
    id: int
    name: str
    score: float
    active: bool
    tags: list[str]


@dataclass
class Address:
    street: str
    city: str
    postcode: str


@dataclass
class LineItem:
    sku: str
    quantity: int
    price: float


@dataclass
class Order:
    id: int
    customer: str
    address: Address
    items: list[LineItem]
    notes: dict[str, str] = field(default_factory=dict)


FLAT = Flat(id=42, name="concept-extractor", score=0.875, active=True, tags=["a", "b", "c"])
NESTED = Order(
    id=7,
    customer="Ada",
    address=Address(street="1 Main St", city="Springfield", postcode="12345"),
    items=[LineItem(sku=f"sku-{i}", quantity=i + 1, price=9.5 * (i + 1)) for i in range(5)],
    notes={"gift": "yes", "channel": "web"},
)
SAMPLES: dict[str, Any] = {"flat": FLAT, "nested": NESTED}

RoundTrip = Callable[[int], None]


def library_round_trip(module: Any, message: Any) -> RoundTrip | str:
    """``n`` round trips through ``module``'s serializer for ``type(message)``.

    Returns why not instead when the library has no serializer for the type or its round
    trip does not give back an equal message.
    """
    try:
        serializers = module.try_get_known_serializers_for_type(type(message))
    except (TypeError, ValueError) as exc:
        return f"no serializer ({exc})"
    if not serializers:
        return "no serializer"
    serializer = serializers[0]
    if serializer.deserialize(serializer.serialize(message)) != message:
        return "its round trip does not give back an equal message"

    def work(n: int) -> None:
        serialize, deserialize = serializer.serialize, serializer.deserialize
        for _ in range(n):
            deserialize(serialize(message))

    return work


def json_round_trip(message: Any) -> RoundTrip:
    def work(n: int) -> None:
        dumps, loads, asdict = json.dumps, json.loads, dataclasses.asdict
        for _ in range(n):
            loads(dumps(asdict(message)).encode())

    return work


def measure(
    libraries: dict[str, Any], rounds: int, reps: int, warmup: int = 1
) -> tuple[dict[str, dict[str, Stats]], list[str]]:
    """Round trips per second by shape ("flat", "nested") and contender; and notes."""
    result: dict[str, dict[str, Stats]] = {}
    notes: list[str] = []
    for shape, message in SAMPLES.items():
        works: dict[str, RoundTrip] = {}
        for family, module in libraries.items():
            work = library_round_trip(module, message)
            if isinstance(work, str):
                notes.append(f"serialization {shape}: {family} left out, {work}")
            else:
                works[family] = work
        works["json"] = json_round_trip(message)
        names = list(works)
        rates: dict[str, list[float]] = {name: [] for name in names}
        for rep in range(warmup + reps):
            shift = rep % len(names)
            for name in [*names[shift:], *names[:shift]]:
                seconds = time_sync(works[name], rounds)
                if rep >= warmup:
                    rates[name].append(rounds / seconds)
        result[shape] = {name: Stats(count=rounds, rates=rates[name]) for name in names}
    return result, notes
