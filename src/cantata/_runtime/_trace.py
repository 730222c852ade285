"""The delivery trace: what the runtime delivered, to whom, in which order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .._agent_id import AgentId
from .._topic import TopicId
from ..logging import DeliveryStage, MessageKind
from ._events import log_message
from ._records import Delivery


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One delivery, recorded just before the recipient's handler starts.

    Attributes:
        kind: ``"send"`` for an RPC, ``"publish"`` for a published message.
        sender: The sending agent, or ``None`` for a message from outside any agent.
        recipient: The agent whose handler runs.
        topic_id: The topic of a published message (``None`` for an RPC).
        message: The message object itself (after intervention handlers).
    """

    kind: Literal["send", "publish"]
    sender: AgentId | None
    recipient: AgentId
    topic_id: TopicId | None
    message: Any


TraceHook = Callable[[DeliveryRecord], None]
"""A callable the runtime calls synchronously with every :class:`DeliveryRecord`."""


class TraceRecorder:
    """A trace hook that keeps every record; compare two runs' ``records`` for determinism.

    Example::

        recorder = TraceRecorder()
        runtime.add_trace_hook(recorder)
        ...
        assert recorder.records == other_recorder.records
    """

    def __init__(self) -> None:
        self.records: list[DeliveryRecord] = []

    def __call__(self, record: DeliveryRecord) -> None:
        self.records.append(record)

    def clear(self) -> None:
        """Forget the records kept so far."""
        self.records.clear()


def announce_delivery(
    hooks: list[TraceHook], delivery: Delivery, is_rpc: bool, logged: bool
) -> None:
    """Tell the trace hooks and (if ``logged``) the event log that ``delivery`` starts."""
    if hooks:
        record = DeliveryRecord(
            "send" if is_rpc else "publish",
            delivery.sender,
            delivery.recipient,
            delivery.topic_id,
            delivery.message,
        )
        for hook in hooks:
            hook(record)
    if logged:
        kind = MessageKind.DIRECT if is_rpc else MessageKind.PUBLISH
        log_message(
            delivery.message, delivery.sender, delivery.recipient, kind, DeliveryStage.DELIVER
        )
