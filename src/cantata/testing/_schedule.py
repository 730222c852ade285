"""A schedule: the decisions of one run, as a compact value that replays it."""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass

__all__ = ["Schedule"]

_PREFIX = "cs1"


def _encode_ints(values: tuple[int, ...]) -> bytes:
    out = bytearray()
    for value in values:
        while True:
            byte = value & 0x7F
            value >>= 7
            if value:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
    return bytes(out)


def _decode_ints(data: bytes) -> tuple[int, ...]:
    values: list[int] = []
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            if shift > 63:
                raise ValueError("malformed schedule: decision too large")
        else:
            values.append(value)
            value = shift = 0
    if shift:
        raise ValueError("malformed schedule: truncated decision")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Every scheduling decision of one run, in order, and where they were taken.

    A decision is the index chosen among two or more candidates (a ready delivery, a ready
    RPC caller, a runnable task); index 0 is what the plain runtime and event loop would
    do. ``str(schedule)`` is a short ASCII token (``cs1:<backend>:<v|r>:<data>``) and
    :meth:`parse` reads it back, so a failing schedule fits in one line of a test report.

    Attributes:
        backend: ``"asyncio"`` or ``"trio"``.
        virtual_time: Whether the run used the virtual clock.
        decisions: The chosen indices.
    """

    backend: str
    virtual_time: bool
    decisions: tuple[int, ...]

    def __str__(self) -> str:
        data = zlib.compress(_encode_ints(self.decisions), 9)
        token = base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
        return f"{_PREFIX}:{self.backend}:{'v' if self.virtual_time else 'r'}:{token}"

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Read a schedule written by ``str(schedule)``.

        Raises:
            ValueError: ``text`` is not a schedule token (the message says what is wrong).
        """
        parts = text.strip().split(":")
        if len(parts) != 4 or parts[0] != _PREFIX:
            raise ValueError(f"not a cantata schedule (expected '{_PREFIX}:...'): {text!r}")
        _, backend, clock, token = parts
        if backend not in ("asyncio", "trio"):
            raise ValueError(f"unknown backend in schedule: {backend!r}")
        if clock not in ("v", "r"):
            raise ValueError(f"unknown clock in schedule: {clock!r}")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = zlib.decompress(raw)
        except (ValueError, zlib.error) as exc:
            raise ValueError(f"malformed schedule data: {exc}") from None
        return cls(backend, clock == "v", _decode_ints(data))
