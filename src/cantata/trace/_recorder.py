"""Recording what a runtime did as a list of events, and reading/writing it as JSON lines."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from .._constants import EVENT_LOGGER_NAME
from .._runtime._trace import DeliveryRecord
from ..logging import (
    AgentConstructionExceptionEvent,
    MessageDroppedEvent,
    MessageEvent,
    MessageHandlerExceptionEvent,
)

if TYPE_CHECKING:
    from .._runtime._single_threaded import SingleThreadedAgentRuntime

__all__ = ["TraceEvent", "TraceRecorder", "read_trace", "write_trace"]

TraceEvent = dict[str, Any]
"""One line of a trace: a JSON object with at least ``seq`` and ``type``.

Types: ``run`` (a header with free-form metadata), ``send`` (an RPC accepted), ``publish``
(a publish accepted; ``receiver`` is the topic), ``deliver`` (a handler starts; ``kind`` is
``rpc`` or ``publish``), ``response`` (an RPC handler's result goes back to the caller),
``error`` (a handler raised), ``cancel`` (an RPC caller saw its call cancelled), ``drop`` (an
intervention handler dropped a message), ``construct_error`` (an agent factory raised) and
``outcome`` (how the run ended). Every event has ``t`` (the event loop's clock, seconds since
recording started: logical time under a virtual clock) and ``wall`` (wall-clock seconds since
recording started).
"""

_PAYLOAD_LIMIT = 300


def _short(text: str, limit: int = _PAYLOAD_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class TraceRecorder(logging.Handler):
    """Records a runtime's messages, deliveries, responses, drops and errors as events.

    It listens to the ``cantata.events`` logger (the runtime's structured message events)
    while attached, and also works as a trace hook (``records`` keeps the
    :class:`~cantata.DeliveryRecord` of every delivery). Write the events with
    :meth:`write` and draw them with ``python -m cantata.trace render``.

    Example::

        import cantata.trace

        recorder = cantata.trace.TraceRecorder()
        with recorder.attach(runtime):
            async with runtime:
                ...
        recorder.write(f"{directory}/run.jsonl")

    While attached, the ``cantata.events`` logger is set to ``INFO`` and does not propagate
    to its parents (so a test log is not flooded); both are restored on detach. Events of
    every runtime in the process reach the recorder while it is attached.
    """

    def __init__(self, *, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(logging.INFO)
        self.events: list[TraceEvent] = []
        self.records: list[DeliveryRecord] = []
        self._t0: float | None = None
        self._wall0 = time.perf_counter()
        if metadata is not None:
            self.events.append({"seq": 0, "type": "run", "t": 0.0, "wall": 0.0, **metadata})

    # -- as a trace hook -------------------------------------------------------------------

    def __call__(self, record: DeliveryRecord) -> None:
        self.records.append(record)

    # -- as a logging handler --------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        event = record.msg
        fields: dict[str, Any]
        if isinstance(event, MessageEvent):
            kw = event.kwargs
            kind, stage = kw["kind"], kw["delivery_stage"]
            if kind == "RESPOND":
                etype = "response"
            elif stage == "DELIVER":
                etype = "deliver"
            else:
                etype = "send" if kind == "DIRECT" else "publish"
            fields = {
                "type": etype,
                "kind": "rpc" if kind in ("DIRECT", "RESPOND") else "publish",
                "sender": kw["sender"],
                "receiver": kw["receiver"],
                "payload": _short(str(kw["payload"])),
            }
        elif isinstance(event, MessageDroppedEvent):
            kw = event.kwargs
            fields = {
                "type": "drop",
                "kind": "rpc" if kw["kind"] in ("DIRECT", "RESPOND") else "publish",
                "sender": kw["sender"],
                "receiver": kw["receiver"],
                "payload": _short(str(kw["payload"])),
            }
        elif isinstance(event, MessageHandlerExceptionEvent):
            kw = event.kwargs
            fields = {
                "type": "error",
                "receiver": kw["handling_agent"],
                "payload": _short(str(kw["payload"])),
                "detail": _short(str(kw["exception"])),
            }
        elif isinstance(event, AgentConstructionExceptionEvent):
            kw = event.kwargs
            fields = {
                "type": "construct_error",
                "receiver": kw["agent_id"],
                "detail": _short(str(kw["exception"])),
            }
        else:
            return
        self.note(**fields)

    def note(self, **fields: Any) -> None:
        """Append an event (``type`` and any JSON-friendly fields), stamped with the clocks."""
        try:
            now = anyio.current_time()
        except Exception:  # no event loop: only wall time
            now = None
        if now is not None and self._t0 is None:
            self._t0 = now
        event: TraceEvent = {
            "seq": len(self.events),
            "t": None if now is None or self._t0 is None else round(now - self._t0, 9),
            "wall": round(time.perf_counter() - self._wall0, 6),
        }
        event.update(fields)
        self.events.append(event)

    @contextmanager
    def attach(self, runtime: SingleThreadedAgentRuntime | None = None) -> Iterator[TraceRecorder]:
        """Listen to the event logger (and ``runtime``'s deliveries, if given) in the block."""
        logger = logging.getLogger(EVENT_LOGGER_NAME)
        old_level, old_propagate = logger.level, logger.propagate
        logger.addHandler(self)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        if runtime is not None:
            runtime.add_trace_hook(self)
        try:
            yield self
        finally:
            if runtime is not None:
                runtime.remove_trace_hook(self)
            logger.removeHandler(self)
            logger.setLevel(old_level)
            logger.propagate = old_propagate

    def write(self, path: str | Path) -> Path:
        """Write the events as JSON lines to ``path``; return the path."""
        return write_trace(self.events, path)


def write_trace(events: Iterable[TraceEvent], path: str | Path) -> Path:
    """Write ``events`` to ``path``, one JSON object per line."""
    out = Path(path)
    with out.open("w", encoding="utf-8") as f:
        for event in events:
            f.write(json.dumps(event, default=str, ensure_ascii=False))
            f.write("\n")
    return out


def read_trace(path: str | Path) -> list[TraceEvent]:
    """Read a JSON-lines trace.

    Raises:
        ValueError: a line is not a JSON object with a ``type`` (the message names the line).
    """
    events: list[TraceEvent] = []
    with Path(path).open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                raise ValueError(f"{path}:{number}: not a trace event (an object with 'type')")
            events.append(event)
    return events
