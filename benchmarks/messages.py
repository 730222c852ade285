"""The messages every runtime scenario sends, and the counter handlers bump."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Ping:
    """The request or event: a sequence number."""

    seq: int


@dataclass
class Pong:
    """The small reply of an RPC."""

    seq: int


class Tally:
    """Counts handled messages, so each trial can check that nothing was lost."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0
