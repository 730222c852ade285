"""Small records the dispatcher moves around: deliveries, reply slots, mailboxes, workers."""

from __future__ import annotations

import contextvars
from collections import deque
from typing import TYPE_CHECKING, Any

import anyio
import attrs

if TYPE_CHECKING:
    from .._agent_id import AgentId
    from .._cancellation_token import CancellationToken
    from .._topic import TopicId


class Reply:
    """Where the response of an RPC that does not run inline goes, and how its caller wakes.

    ``baton`` is set when the caller is the dispatching worker itself: its wake-up is then
    scheduled by the active worker (a deterministic hand-over) instead of an event set at an
    arbitrary point.
    """

    __slots__ = ("abandoned", "baton", "done", "error", "event", "scope", "value", "worker")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.done = False
        self.abandoned = False  # the caller stopped waiting
        self.baton = False
        self.value: Any = None
        self.error: BaseException | None = None
        self.worker: Worker | None = None  # the caller's worker, when it holds the baton
        self.scope: anyio.CancelScope | None = None  # the handler's scope once it runs


@attrs.define(kw_only=True, slots=True, eq=False)
class Delivery:
    """One message on its way to one agent.

    Build one with :meth:`rpc` or :meth:`publish`. ``topic_id`` is ``None`` exactly for an
    RPC; ``token`` is ``None`` when the sender passed none (the handler then gets a fresh
    one); ``context`` holds the sender's context variables: a private copy for an RPC, one
    snapshot shared by all deliveries of a publish (a worker runs each handler in a copy
    of it); ``reply`` is set when the RPC's caller waits for a reply slot (not inline).
    """

    message: Any
    recipient: AgentId
    sender: AgentId | None
    topic_id: TopicId | None
    token: CancellationToken | None
    message_id: str
    context: contextvars.Context
    reply: Reply | None = None

    @classmethod
    def rpc(
        cls,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        token: CancellationToken | None,
        message_id: str,
    ) -> Delivery:
        """An RPC from ``sender`` (or from outside any agent) to ``recipient``."""
        # On the dispatch path: the slots are set directly, which costs half of a call of
        # the keyword-only ``__init__``.
        delivery = _new(cls)
        delivery.message = message
        delivery.recipient = recipient
        delivery.sender = sender
        delivery.topic_id = None
        delivery.token = token
        delivery.message_id = message_id
        delivery.context = copy_context()
        delivery.reply = None
        return delivery

    @classmethod
    def publish(
        cls,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        topic_id: TopicId,
        token: CancellationToken | None,
        message_id: str,
        context: contextvars.Context,
    ) -> Delivery:
        """A published message for one subscriber; ``context`` is the snapshot of the
        publisher's context that every subscriber's delivery shares."""
        delivery = _new(cls)
        delivery.message = message
        delivery.recipient = recipient
        delivery.sender = sender
        delivery.topic_id = topic_id
        delivery.token = token
        delivery.message_id = message_id
        delivery.context = context
        delivery.reply = None
        return delivery


_new = object.__new__
copy_context = contextvars.copy_context


class Mailbox:
    """One agent's place in the dispatcher: how many of its deliveries run, and the queue of
    those that wait. Made at the agent's first message and kept while the runtime lives.

    ``scheduled`` is true exactly while the box is in the ready queue, which it is exactly
    when it has queued work and room under its limit. ``queue`` is a shared empty queue
    until the agent first gets a message it cannot run at once (most agents never do:
    an empty deque is about 600 bytes); the dispatcher then gives the box its own.
    """

    __slots__ = ("agent_id", "limit", "queue", "running", "scheduled")

    def __init__(self, agent_id: AgentId, limit: int) -> None:
        self.agent_id = agent_id
        self.limit = limit  # deliveries that may run at once (the class's max_concurrency)
        self.queue: deque[Delivery] = NO_QUEUE
        self.running = 0
        self.scheduled = False


class _NoQueue(deque[Any]):
    """The shared queue of mailboxes that never queued anything: empty, and stays so."""

    __slots__ = ()

    def append(self, item: Any) -> None:
        raise AssertionError("a mailbox needs its own queue before anything is queued")

    appendleft = extend = extendleft = insert = append  # type: ignore[assignment]  # one refusal for all


NO_QUEUE: deque[Any] = _NoQueue()
"""The queue of every mailbox that has not needed one of its own yet."""


class Worker:
    """A task of the runtime that dispatches deliveries while it is the active one."""

    __slots__ = ("in_user", "resuming", "task_id")

    def __init__(self) -> None:
        self.in_user = False  # inside a delivery's handler
        self.resuming = False  # handed the active role back, has not run yet
        self.task_id = -1
