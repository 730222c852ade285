"""Small records the dispatcher moves around: deliveries, reply slots, mailboxes."""

from __future__ import annotations

import contextvars
from collections import deque
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from .._agent_id import AgentId
    from .._cancellation_token import CancellationToken
    from .._topic import TopicId


class Reply:
    """Where the response of a queued RPC goes, and how its caller is woken.

    ``baton`` is set when the caller is the dispatching worker itself: its wake-up is then
    scheduled through the ready queue (a deterministic hand-over) instead of an event set
    at an arbitrary point.
    """

    __slots__ = (
        "abandoned",
        "baton",
        "delivery",
        "done",
        "error",
        "event",
        "scope",
        "value",
        "worker",
    )

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.done = False
        self.abandoned = False
        self.baton = False
        self.value: Any = None
        self.error: BaseException | None = None
        self.worker: Worker | None = None
        self.scope: anyio.CancelScope | None = None
        self.delivery: Delivery | None = None


class Delivery:
    """One message on its way to one agent."""

    __slots__ = (
        "context",
        "message",
        "message_id",
        "recipient",
        "reply",
        "sender",
        "token",
        "token_supplied",
        "topic_id",
    )

    def __init__(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        topic_id: TopicId | None,
        token: CancellationToken,
        token_supplied: bool,
        message_id: str,
        context: contextvars.Context | None,
        reply: Reply | None,
    ) -> None:
        self.message = message
        self.recipient = recipient
        self.sender = sender
        self.topic_id = topic_id
        self.token = token
        self.token_supplied = token_supplied
        self.message_id = message_id
        self.context = context
        self.reply = reply


class Mailbox:
    """Deliveries waiting for one busy agent; exists only while the agent is busy."""

    __slots__ = ("agent_id", "limit", "queue", "running", "scheduled")

    def __init__(self, agent_id: AgentId, limit: int) -> None:
        self.agent_id = agent_id
        self.limit = limit  # deliveries that may run at once (the class's max_concurrency)
        self.queue: deque[Delivery] = deque()
        self.running = 0
        self.scheduled = False


class Worker:
    """A task of the runtime that dispatches deliveries while it is the active one."""

    __slots__ = ("in_user", "resuming", "task_id")

    def __init__(self) -> None:
        self.in_user = False  # inside a delivery's handler
        self.resuming = False  # handed the active role back, has not run yet
        self.task_id = -1
