"""The dispatcher: it owns a delivery from acceptance to reply.

A message's path
----------------
``send_message`` and ``publish_message`` validate, run the intervention handlers and hand
the message to :meth:`Dispatcher.send` or :meth:`Dispatcher.publish`. From there:

* **Inline RPC.** An RPC to an agent that may run it now (idle with nothing queued, room
  under its ``max_concurrency``, or re-entrant: see :meth:`Dispatcher._admit`) runs in the
  caller's task: no queue, no task switch. The handler's coroutine is stepped inside its
  own copy of the caller's context variables (by a :class:`Stepper`, so a handler that
  returns without suspending costs no ``StopIteration``), so what it sets never leaks to
  the caller. The common case (an idle agent; nothing to trace, log or cancel) is written
  out in :meth:`Dispatcher.send`; every other RPC goes through :meth:`Dispatcher._send`
  with a :class:`Delivery` record.
* **Queued.** Every other delivery goes to the recipient's mailbox. Mailboxes with work wait
  in one FIFO ready queue. Exactly one *active worker* task takes them in order and runs
  each handler in its own copy of the sender's context.
* **Deep chains.** After :data:`MAX_INLINE_DEPTH` nested inline RPCs in one task, the next
  one runs on a worker's fresh stack (already admitted, ahead of the ready queue), so RPC
  chains of any depth stay clear of the recursion limit.
* **Determinism.** A handler that only awaits the runtime never yields to the event loop,
  so runtime-only programs run as one deterministic sequence on every backend. A handler
  of the active worker that waits for a queued RPC hands the active role to a fresh worker;
  when the reply is ready the active worker hands the role back (a deterministic point),
  so exactly one runtime task is runnable at a time.
* **The keeper.** A handler that suspends on anything else (I/O, sleep) is noticed by the
  keeper task, which can only run while the active worker is suspended; it gives the
  active role to a fresh worker. I/O-bound handlers overlap; the I/O decides their order.
* **Fairness.** The active worker yields every :data:`FAIRNESS` deliveries (twice, so that
  every task it woke runs one step first, on Trio as on asyncio).

Errors: an RPC handler's exception reaches its caller as the same object. A publish
handler's exception is logged and kept for the stop under ``ignore_unhandled_exceptions=
False``. A handler's stray cancellation (one that neither its caller, its token nor the
runtime requested) is its own error, :class:`HandlerCancelledError`. A ``BaseException``
that is not an ``Exception`` escaping a publish handler ends the workers: the lifecycle
reports it from the next stop call and every waiting caller is answered.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextvars import copy_context
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.lowlevel import checkpoint

from .._cancellation_token import CancellationToken
from .._constants import ROOT_LOGGER_NAME
from .._intervention import InterventionHandler
from .._message_context import MessageContext
from .._serialization import _payload_text
from ..exceptions import HandlerCancelledError, MessageCancelledError, RuntimeStoppedError
from ..logging import DeliveryStage, MessageHandlerExceptionEvent, MessageKind
from ._chain import DEPTH, MAX_INLINE_DEPTH, Hop, chain_agents, chain_var, in_chain
from ._events import INFO, event_logger, log_message
from ._in_context import DONE, Call, Stepper
from ._interventions import intervene_response
from ._records import NO_QUEUE, Delivery, Mailbox, Reply, Worker
from ._scheduling import DeliveryScheduler
from ._telemetry import RuntimeTracer
from ._trace import TraceHook, announce_delivery

if TYPE_CHECKING:
    from .._agent_id import AgentId
    from .._topic import TopicId
    from ._directory import AgentDirectory

__all__ = ["FAIRNESS", "Dispatcher"]

_logger = logging.getLogger(ROOT_LOGGER_NAME)
_T = TypeVar("_T")
_new = object.__new__
_same_agent: Callable[[AgentId, AgentId], bool] = tuple.__eq__
"""Whether two agent ids are equal, compared in C (an AgentId is a ``(type, key)`` tuple)."""

FAIRNESS = 64
"""Deliveries the active worker runs between two yields to the event loop."""

_IDLE_STEPPERS = 64
"""Idle steppers kept for reuse (more only after a burst of handlers suspended at once)."""


class Dispatcher:
    """Mailboxes, the ready queue, workers, replies and the accounting of outstanding work.

    Args:
        directory: Where agents are found or created.
        interventions: The runtime's intervention handlers (their ``on_response`` runs here).
        tracer: Runs every handler in a ``process`` span when given.
        keep_unhandled: Keep publish handlers' errors for :meth:`take_unhandled`.
        scheduler: Chooses among ready agents instead of FIFO order (a test harness).
    """

    def __init__(
        self,
        directory: AgentDirectory,
        *,
        interventions: Sequence[InterventionHandler] = (),
        tracer: RuntimeTracer | None = None,
        keep_unhandled: bool = False,
        scheduler: DeliveryScheduler | None = None,
    ) -> None:
        self._directory = directory
        self._agents = directory.agents
        self._limits = directory.limits
        self._interventions = interventions
        self._tracer = tracer
        self._keep_unhandled = keep_unhandled
        self._scheduler = scheduler
        self._unhandled: list[Exception] = []
        self.trace_hooks: list[TraceHook] = []
        self._boxes: dict[AgentId, Mailbox] = {}
        self._steppers: list[Stepper] = []  # idle ones (see _in_context)
        self._waiting_on: dict[AgentId, list[AgentId]] = {}  # agent -> targets of its waits
        self._ready: deque[Mailbox] = deque()
        self._urgent: deque[tuple[Delivery, Mailbox]] = deque()  # admitted, fresh stack
        self._resumes: deque[Reply] = deque()
        self._queued = 0  # deliveries waiting in a mailbox
        self._in_flight = 0  # handlers running
        self._idle: anyio.Event | None = None
        self._progress: anyio.Event | None = None
        self._landed: anyio.Event | None = None  # no handler runs
        self._watched = False  # the idle or the landed event exists
        self._dispatching = False  # workers may start deliveries
        self._stepping = False  # step() runs a delivery in its caller's task
        self._tg: TaskGroup | None = None
        self._active: Worker | None = None
        self._parked = False
        self._wakeup = anyio.Event()
        self._keeper_event = anyio.Event()
        self._keeper_armed = False
        self._failure: BaseException | None = None  # what ended the workers abnormally

    # -- what the runtime and its lifecycle read ------------------------------------------

    @property
    def outstanding(self) -> int:
        """Deliveries queued or running."""
        return self._queued + self._in_flight

    @property
    def queued(self) -> int:
        """Deliveries waiting in a mailbox."""
        return self._queued

    @property
    def in_flight(self) -> int:
        """Handlers running (inline ones included)."""
        return self._in_flight

    @property
    def dispatching(self) -> bool:
        """Whether workers run (between start and stop)."""
        return self._dispatching

    def take_unhandled(self) -> list[Exception]:
        """Return and forget the publish-handler errors kept so far."""
        errors, self._unhandled = self._unhandled, []
        return errors

    # -- sending --------------------------------------------------------------------------

    async def send(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        token: CancellationToken | None,
        message_id: str,
    ) -> Any:
        """Deliver an RPC and return its handler's response.

        The common case is here in full: an idle recipient while workers run, no token, no
        tracer, trace hook, intervention or event log. The handler runs in this task,
        stepped inside a copy of the caller's context. Every other case goes to
        :meth:`_send`.

        Raises:
            MessageCancelledError: ``token`` was cancelled.
            RuntimeStoppedError: the runtime stopped before the handler finished.
            HandlerCancelledError: the handler raised a cancellation nobody requested.
            BaseException: whatever the handler (or a response intervention) raised.
        """
        logged = event_logger.isEnabledFor(INFO)
        parent = chain_var.get()
        depth = 1 if parent is None else parent[DEPTH] + 1
        box = self._boxes.get(recipient)
        if box is None:
            box = self._boxes[recipient] = self._new_box(recipient)
        if (
            box.running  # busy: queue, or admit a re-entrant call
            or box.queue
            or logged
            or token is not None
            or not self._dispatching
            or depth > MAX_INLINE_DEPTH
            or self._tracer is not None
            or self.trace_hooks
            or self._interventions
        ):
            return await self._send(
                Delivery.rpc(message, recipient, sender, token, message_id), logged
            )
        box.running = 1
        self._in_flight += 1
        context = copy_context()
        agent = None
        try:
            agent = self._agents.get(recipient)
            if agent is None:
                agent = await self._directory.get(recipient)
                self._learn_limit(box)  # known once it exists
            ctx = _new(MessageContext)  # the fields one by one: half the cost of __init__
            ctx.sender = sender
            ctx.topic_id = None
            ctx.is_rpc = True
            ctx.cancellation_token = CancellationToken()
            ctx.message_id = message_id
            context.run(chain_var.set, (recipient, parent, depth))
            stepper = self._steppers.pop() if self._steppers else Stepper()
            # The first step right here: a handler that only awaits the runtime ends in it.
            yielded = context.run(stepper.send, (agent.on_message, message, ctx))
            if yielded is DONE:
                result, stepper.result = stepper.result, None
            else:
                result = await stepper.resume(context, yielded)
            if len(self._steppers) < _IDLE_STEPPERS:
                self._steppers.append(stepper)
            return result
        except BaseException as exc:
            if _cancel_requested():
                raise  # the caller's own cancellation
            delivery = Delivery.rpc(message, recipient, sender, None, message_id)
            error = self._failed(delivery, exc, False)
            if error is exc:
                raise
            raise error from exc
        finally:
            if box.queue or self._watched or self._progress is not None or agent is None:
                self._release(box)
            else:  # nothing arrived meanwhile, nobody waits, the agent exists
                box.running -= 1
                self._in_flight -= 1

    async def _send(self, delivery: Delivery, logged: bool) -> Any:
        """:meth:`send` for every case: queued, re-entrant, deep, cancellable, traced,
        recorded or logged."""
        if logged:
            log_message(
                delivery.message,
                delivery.sender,
                delivery.recipient,
                MessageKind.DIRECT,
                DeliveryStage.SEND,
            )
        parent = chain_var.get()
        recipient = delivery.recipient
        box = self._admit(recipient, parent)
        if box is None:
            return await self._send_queued(delivery, parent)
        depth = 1 if parent is None else parent[DEPTH] + 1
        if depth > MAX_INLINE_DEPTH and self._tg is not None:
            return await self._send_on_fresh_stack(delivery, box)
        try:
            agent = self._agents.get(recipient)
            if agent is None:
                agent = await self._directory.get(recipient)
                self._learn_limit(box)  # known once it exists
            context = delivery.context  # the RPC's own copy
            call = self._start(agent, delivery, context, depth, logged)
            stepper = self._steppers.pop() if self._steppers else Stepper()
            # The first step right here: a handler that only awaits the runtime ends in it.
            yielded = context.run(stepper.send, call)
            if yielded is DONE:
                result, stepper.result = stepper.result, None
            else:
                result = await stepper.resume(context, yielded)
            if len(self._steppers) < _IDLE_STEPPERS:
                self._steppers.append(stepper)
            if logged or self._interventions:
                result = await self._respond(delivery, result, logged)
            return result
        except BaseException as exc:
            if _cancel_requested():
                raise  # the caller's own cancellation
            error = self._failed(delivery, exc, logged)
            if error is exc:
                raise
            raise error from exc
        finally:
            self._release(box)

    def publish(
        self,
        message: Any,
        recipients: Sequence[AgentId],
        sender: AgentId | None,
        topic_id: TopicId,
        token: CancellationToken | None,
        message_id: str,
    ) -> None:
        """Queue a published message for each of ``recipients`` except ``sender``, in order
        (never suspends). The body of :meth:`enqueue` is repeated in the loop on purpose:
        calling it per recipient costs 2-4% of a delivery."""
        boxes = self._boxes
        context = copy_context()  # one snapshot; each handler runs in its own copy of it
        for recipient in recipients:
            if sender is not None and _same_agent(recipient, sender) is True:
                continue  # a publisher does not receive its own message
            delivery = Delivery.publish(
                message, recipient, sender, topic_id, token, message_id, context
            )
            box = boxes.get(recipient)
            if box is None:
                box = boxes[recipient] = self._new_box(recipient)
            queue = box.queue
            if queue is NO_QUEUE:
                queue = box.queue = deque()
            queue.append(delivery)
            self._queued += 1
            if not box.scheduled and box.running < box.limit:
                box.scheduled = True
                self._ready.append(box)
                if self._parked:
                    self._unpark()

    def enqueue(self, delivery: Delivery) -> None:
        """Put ``delivery`` in its recipient's mailbox (never suspends): every publish, and
        every RPC that cannot run now."""
        recipient = delivery.recipient
        box = self._boxes.get(recipient)
        if box is None:
            box = self._boxes[recipient] = self._new_box(recipient)
        queue = box.queue
        if queue is NO_QUEUE:
            queue = box.queue = deque()
        queue.append(delivery)
        self._queued += 1
        if not box.scheduled and box.running < box.limit:
            box.scheduled = True
            self._ready.append(box)
            if self._parked:
                self._unpark()

    async def _send_queued(self, delivery: Delivery, parent: Hop | None) -> Any:
        if self._failure is not None:
            raise RuntimeStoppedError(
                delivery.recipient, f"the runtime failed: {self._failure!r}"
            ) from self._failure
        reply = delivery.reply = Reply()
        self.enqueue(delivery)
        chain = tuple(chain_agents(parent))
        for agent in chain:
            self._waiting_on.setdefault(agent, []).append(delivery.recipient)
        try:
            return await self._wait_reply(reply, delivery.token)
        finally:
            for agent in chain:
                targets = self._waiting_on[agent]
                targets.remove(delivery.recipient)
                if not targets:
                    del self._waiting_on[agent]

    async def _send_on_fresh_stack(self, delivery: Delivery, box: Mailbox) -> Any:
        """Run an admitted RPC in a worker (its stack is fresh) and wait for its reply."""
        delivery.reply = reply = Reply()
        self._urgent.append((delivery, box))
        if self._parked:
            self._unpark()
        return await self._wait_reply(reply, delivery.token)

    # -- admission and accounting ---------------------------------------------------------

    def _admit(self, recipient: AgentId, parent: Hop | None) -> Mailbox | None:
        """Mark ``recipient`` busy for an RPC run now in the caller's task, if it may run now.

        It may if the runtime dispatches and the agent is idle with nothing queued, has room
        under its ``max_concurrency``, is part of the caller's RPC chain (re-entrancy), or is
        itself waiting, directly or through other agents, for an agent of the caller's chain
        (two chains calling into each other: queueing would deadlock both, so the call is
        admitted as a re-entrant one). Returns None if the message must be queued instead.
        """
        if not (self._dispatching or self._stepping):
            return None
        box = self._boxes.get(recipient)
        if box is None:
            box = self._boxes[recipient] = self._new_box(recipient)
        elif (box.queue or box.running >= box.limit) and not self._reentrant(recipient, parent):
            return None
        box.running += 1
        self._in_flight += 1
        return box

    def _reentrant(self, recipient: AgentId, parent: Hop | None) -> bool:
        """Whether an RPC from the chain ending at ``parent`` re-enters ``recipient``."""
        return parent is not None and (
            in_chain(recipient, parent) or self._waits_for_chain(recipient, parent)
        )

    def _waits_for_chain(self, target: AgentId, chain: Hop) -> bool:
        """Whether ``target`` waits (transitively, through queued RPCs) for a chain member."""
        if not self._waiting_on:
            return False
        members = set(chain_agents(chain))
        seen: set[AgentId] = set()
        stack = [target]
        while stack:
            agent = stack.pop()
            if agent in members:
                return True
            if agent not in seen:
                seen.add(agent)
                stack.extend(self._waiting_on.get(agent, ()))
        return False

    def _new_box(self, recipient: AgentId) -> Mailbox:
        """The mailbox of an agent's first message."""
        return Mailbox(recipient, self._limits.get(recipient.type, 1))

    def _learn_limit(self, box: Mailbox) -> None:
        """Set ``box``'s limit from its agent class, known once the agent exists (a factory
        registered without its class). Messages queued meanwhile were held to a limit of 1:
        if the limit is higher, they may start now (a handler may wait for the next one)."""
        box.limit = self._limits.get(box.agent_id.type, 1)
        if box.queue and not box.scheduled and box.running < box.limit:
            self._schedule(box)

    def _schedule(self, box: Mailbox) -> None:
        box.scheduled = True
        self._ready.append(box)
        if self._parked:
            self._unpark()

    def _release(self, box: Mailbox) -> None:
        """One delivery of ``box`` finished (or was skipped); reschedule or forget the box."""
        box.running -= 1
        self._in_flight -= 1
        if box.queue:
            if not box.scheduled and box.running < box.limit:
                self._schedule(box)
        elif not box.running and box.agent_id not in self._agents:
            del self._boxes[box.agent_id]  # its agent could not be made: keep nothing of it
        # Wake a waiter only when this may be what it waits for: any progress, no handler
        # running (landed), nothing queued or running (idle).
        if self._progress is not None or (
            self._watched and not self._in_flight and (self._landed is not None or not self._queued)
        ):
            self._wake_waiters()

    def _wake_waiters(self) -> None:
        """Wake whoever waits for progress, for idleness or for no handler to run."""
        if self._progress is not None:
            self._progress.set()
            self._progress = None
        if not (self._queued or self._in_flight) and self._idle is not None:
            self._idle.set()
            self._idle = None
        if not self._in_flight and self._landed is not None:
            self._landed.set()
            self._landed = None
        self._watched = not (self._idle is None and self._landed is None)

    def _unpark(self) -> None:
        self._parked = False
        self._wakeup.set()

    # -- waiting for the dispatcher -------------------------------------------------------

    async def wait_idle(self) -> None:
        """Wait until nothing is queued or running, or the workers stop."""
        if self._queued or self._in_flight:
            if self._idle is None:
                self._idle = anyio.Event()
                self._watched = True
            await self._idle.wait()

    async def wait_progress(self) -> None:
        """Wait until a delivery finishes, or the workers stop."""
        if self._progress is None:
            self._progress = anyio.Event()
        await self._progress.wait()

    async def wait_landed(self) -> None:
        """Wait until no handler runs."""
        while self._in_flight:
            if self._landed is None:
                self._landed = anyio.Event()
                self._watched = True
            await self._landed.wait()

    # -- running a handler ----------------------------------------------------------------

    def _start(
        self,
        agent: Any,
        delivery: Delivery,
        context: contextvars.Context,
        depth: int,
        logged: bool,
    ) -> Call:
        """Prepare ``context`` (the handler's own copy) for the handler; return the call of
        the handler, for a stepper to make and step inside that context."""
        recipient = delivery.recipient
        topic_id = delivery.topic_id
        token = delivery.token
        # MessageContext's fields set one by one: half the cost of its dataclass __init__.
        ctx = _new(MessageContext)
        ctx.sender = delivery.sender
        ctx.topic_id = topic_id
        ctx.is_rpc = topic_id is None
        ctx.cancellation_token = CancellationToken() if token is None else token
        ctx.message_id = delivery.message_id
        if logged or self.trace_hooks:
            announce_delivery(self.trace_hooks, delivery, topic_id is None, logged)
        parent = None if topic_id is not None else context.get(chain_var)
        context.run(chain_var.set, (recipient, parent, depth))
        if token is None and delivery.reply is None and self._tracer is None:
            return (agent.on_message, delivery.message, ctx)  # only the handler can cancel it
        return (partial(self._handle_in_scope, agent), delivery, ctx)

    async def _handle_in_scope(self, agent: Any, delivery: Delivery, ctx: MessageContext) -> Any:
        """Call the handler in a cancel scope that its token and its caller can cancel, and
        in a ``process`` span when tracing."""
        if self._tracer is None:
            return await self._handle_cancellable(agent, delivery, ctx)
        with self._tracer.span(
            "process",
            str(delivery.recipient),
            delivery.message,
            delivery.sender,
            delivery.message_id,
        ):
            return await self._handle_cancellable(agent, delivery, ctx)

    async def _handle_cancellable(self, agent: Any, delivery: Delivery, ctx: MessageContext) -> Any:
        token = ctx.cancellation_token
        if token.is_cancelled():  # after the message was accepted, before the handler starts
            raise MessageCancelledError(f"message to {delivery.recipient} was cancelled")
        scope = anyio.CancelScope()
        if delivery.reply is not None:
            delivery.reply.scope = scope
        hook = token.add_cancel_hook(scope.cancel)
        try:
            with scope:
                return await agent.on_message(delivery.message, ctx)
        finally:
            token.remove_cancel_hook(hook)
        raise MessageCancelledError(f"message to {delivery.recipient} was cancelled")

    async def _respond(self, delivery: Delivery, result: Any, logged: bool) -> Any:
        """Apply response interventions to an RPC result and log the response."""
        if self._interventions:
            result = await intervene_response(self._interventions, delivery, result)
        if logged:
            log_message(
                result, delivery.recipient, delivery.sender, MessageKind.RESPOND, DeliveryStage.SEND
            )
        return result

    def _failed(self, delivery: Delivery, exc: BaseException, logged: bool) -> BaseException:
        """Report a handler's error; return what its caller gets.

        A stray cancellation becomes :class:`HandlerCancelledError`. An ``Exception`` is
        logged as an event; a publish handler's is logged at ERROR and kept if asked to.
        """
        if isinstance(exc, MessageCancelledError):
            return exc
        if isinstance(exc, anyio.get_cancelled_exc_class()):
            exc = HandlerCancelledError(delivery.recipient)
        if not isinstance(exc, Exception):
            return exc
        if logged:
            event_logger.info(
                MessageHandlerExceptionEvent(
                    payload=_payload_text(delivery.message),
                    handling_agent=delivery.recipient,
                    exception=exc,
                )
            )
        if delivery.topic_id is not None:
            _logger.error(
                "Error processing publish message for %s", delivery.recipient, exc_info=exc
            )
            if self._keep_unhandled:
                self._unhandled.append(exc)
        return exc

    # -- replies --------------------------------------------------------------------------

    def _finish(
        self, reply: Reply, *, value: Any = None, error: BaseException | None = None
    ) -> None:
        """Settle ``reply`` once; wake its caller (through the active worker if it holds
        the baton and workers run)."""
        if reply.done:
            return
        reply.done = True
        reply.value = value
        reply.error = error
        if reply.baton and self._tg is not None:
            self._resumes.append(reply)
            if self._parked:
                self._unpark()
        else:
            reply.event.set()

    async def _wait_reply(self, reply: Reply, token: CancellationToken | None) -> Any:
        """Wait for a reply; hand over the active role if this task holds it."""
        worker = self._active
        if worker is not None and worker.in_user and worker.task_id == anyio.get_current_task().id:
            reply.baton = True
            reply.worker = worker
            self._spawn_worker()
        hook = None if token is None else token.add_cancel_hook(partial(self._cancelled, reply))
        try:
            await reply.event.wait()
            if reply.baton:
                await _let_woken_tasks_run()
        except BaseException:
            reply.abandoned = True
            if not reply.done:
                reply.done = True
                if reply.scope is not None:
                    reply.scope.cancel()  # the handler runs: cancel it with its caller
            raise
        finally:
            if hook is not None and token is not None:
                token.remove_cancel_hook(hook)
            if reply.baton and reply.worker is not None:
                reply.worker.resuming = False
        if reply.error is not None:
            raise reply.error
        return reply.value

    def _cancelled(self, reply: Reply) -> None:
        """Token hook: fail a reply whose handler has not started (a started one is
        cancelled through its own scope)."""
        if reply.scope is None:
            self._finish(reply, error=MessageCancelledError("message was cancelled"))

    # -- workers --------------------------------------------------------------------------

    def run_workers(self, tg: TaskGroup) -> None:
        """Start the keeper and the first worker in ``tg``; dispatching starts."""
        self._tg = tg
        self._dispatching = True
        tg.start_soon(self._keep)
        self._spawn_worker()

    def _spawn_worker(self) -> None:
        assert self._tg is not None
        worker = Worker()
        self._active = worker
        self._tg.start_soon(self._work, worker)

    async def _work(self, worker: Worker) -> None:
        worker.task_id = anyio.get_current_task().id
        await _let_woken_tasks_run()
        ready = self._ready
        count = 0
        while self._active is worker:
            if self._resumes:
                reply = self._next_resume()
                if reply.abandoned:
                    continue
                waiter = reply.worker
                assert waiter is not None
                waiter.resuming = True  # runnable but not yet running: not for the keeper
                self._active = waiter  # hand the role back to the waiting handler
                reply.event.set()
                return
            if self._urgent:
                delivery, box = self._urgent.popleft()
                await self._execute(box, worker, delivery)
            elif ready and self._dispatching:
                box = ready.popleft() if self._scheduler is None else self._choose_box()
                await self._execute(box, worker)
            else:
                self._parked = True
                self._wakeup = anyio.Event()
                await self._wakeup.wait()
                continue
            count += 1
            if count >= FAIRNESS:
                count = 0
                await _let_woken_tasks_run()

    def _choose_box(self) -> Mailbox:
        ready = self._ready
        if len(ready) == 1 or self._scheduler is None:
            return ready.popleft()
        return _take(ready, self._scheduler.choose([box.agent_id for box in ready]))

    def _next_resume(self) -> Reply:
        resumes = self._resumes
        if len(resumes) == 1 or self._scheduler is None:
            return resumes.popleft()
        return _take(resumes, self._scheduler.choose_resume(len(resumes)))

    async def _execute(
        self, box: Mailbox, worker: Worker, delivery: Delivery | None = None
    ) -> None:
        """Run a delivery in ``worker``; settle its reply.

        Without ``delivery``, the next delivery of ``box``, just taken off the ready queue;
        with one, an already admitted delivery (it counts as running).
        """
        if delivery is None:  # take it from the box: from now on it counts as running
            delivery = box.queue.popleft()
            self._queued -= 1
            self._in_flight += 1
            box.running += 1
            if box.queue and box.running < box.limit:
                self._ready.append(box)  # still scheduled
            else:
                box.scheduled = False
        worker.in_user = True
        if not self._keeper_armed:
            self._keeper_armed = True
            self._keeper_event.set()
        reply = delivery.reply
        token = delivery.token
        logged = event_logger.isEnabledFor(INFO)
        try:
            if reply is not None and reply.done:
                return  # the caller gave up before delivery: nothing to deliver
            if token is not None and token.is_cancelled():
                if reply is not None:
                    self._finish(reply, error=MessageCancelledError("message was cancelled"))
                return
            recipient = delivery.recipient
            agent = self._agents.get(recipient)
            if agent is None:
                agent = await self._directory.get(recipient)
                self._learn_limit(box)  # known once it exists
            context = delivery.context.copy()  # a publish's snapshot is shared
            if (
                reply is None  # a publish
                and token is None
                and not logged
                and not self.trace_hooks
                and self._tracer is None
            ):
                # A publish nobody can cancel, trace or log: as _start, in short.
                ctx = _new(MessageContext)
                ctx.sender = delivery.sender
                ctx.topic_id = delivery.topic_id
                ctx.is_rpc = False
                ctx.cancellation_token = CancellationToken()
                ctx.message_id = delivery.message_id
                context.run(chain_var.set, (recipient, None, 0))
                call: Call = (agent.on_message, delivery.message, ctx)
            else:
                call = self._start(agent, delivery, context, 0, logged)
            stepper = self._steppers.pop() if self._steppers else Stepper()
            yielded = context.run(stepper.send, call)
            if yielded is DONE:
                result, stepper.result = stepper.result, None
            else:
                result = await stepper.resume(context, yielded)
            if len(self._steppers) < _IDLE_STEPPERS:
                self._steppers.append(stepper)
            if reply is not None:
                if logged or self._interventions:
                    result = await self._respond(delivery, result, logged)
                self._finish(reply, value=result)
        except BaseException as exc:
            if _cancel_requested():  # the runtime stops its workers
                if reply is not None:
                    self._finish(reply, error=RuntimeStoppedError(delivery.recipient))
                raise
            error = self._failed(delivery, exc, logged)
            if error is not exc:
                error.__cause__ = exc
            if reply is not None:
                self._finish(reply, error=error)
            elif not isinstance(error, (Exception, MessageCancelledError)):
                raise  # e.g. SystemExit from a publish handler: it ends the workers
        finally:
            worker.in_user = False
            self._release(box)

    async def _keep(self) -> None:
        """Give the active role away when the active worker is suspended inside a handler."""
        while True:
            self._keeper_event = anyio.Event()
            self._keeper_armed = False
            await self._keeper_event.wait()
            worker = self._active
            if worker is not None and worker.in_user and not worker.resuming:
                self._spawn_worker()

    async def step(self) -> bool:
        """Run the next queued delivery in the calling task; False if nothing is queued."""
        if self._urgent or not self._ready:
            return False
        box = self._ready.popleft() if self._scheduler is None else self._choose_box()
        self._stepping = True
        try:
            await self._execute(box, Worker())
        finally:
            self._stepping = False
        return True

    # -- stopping -------------------------------------------------------------------------

    def pause(self) -> bool:
        """Stop starting deliveries (running ones go on); return whether it was dispatching."""
        was = self._dispatching
        self._dispatching = False
        return was

    def resume(self, was_dispatching: bool) -> None:
        """Undo :meth:`pause`."""
        if was_dispatching and self._tg is not None:
            self._dispatching = True
            if self._parked and self._ready:
                self._unpark()

    def fail_waiting_rpcs(
        self, make_error: Callable[[AgentId], BaseException] | None = None
    ) -> None:
        """Answer every RPC that waits for a worker to start it with an error.

        ``make_error(recipient)`` builds the error; the default is
        :class:`RuntimeStoppedError`. Queued publishes stay, in order.
        """
        make: Callable[[AgentId], BaseException] = (
            RuntimeStoppedError if make_error is None else make_error
        )
        while self._urgent:
            delivery, box = self._urgent.popleft()
            assert delivery.reply is not None
            self._finish(delivery.reply, error=make(delivery.recipient))
            self._release(box)
        for box in list(self._boxes.values()):
            if not any(delivery.reply is not None for delivery in box.queue):
                continue
            keep: deque[Delivery] = deque()
            for delivery in box.queue:
                if delivery.reply is None:
                    keep.append(delivery)
                    continue
                self._queued -= 1
                self._finish(delivery.reply, error=make(delivery.recipient))
                self._wake_waiters()
            box.queue = keep
            if not keep and box.scheduled:
                self._ready.remove(box)
                box.scheduled = False

    def clear_failure(self) -> None:
        """The failure of the last workers was reported, or new workers start: RPCs that
        must wait for a worker wait again."""
        self._failure = None

    def workers_stopped(self, failure: BaseException | None = None) -> None:
        """Forget the workers after their task group ended; answer whoever waits.

        With ``failure`` (what ended them abnormally), later RPCs that would wait for a
        worker fail at once until :meth:`clear_failure`.
        """
        self._failure = failure
        self._tg = None
        self._active = None
        self._parked = False
        self._dispatching = False
        for event in (self._idle, self._progress, self._landed):
            if event is not None:
                event.set()
        self._idle = self._progress = self._landed = None
        self._watched = False
        while self._resumes:
            self._resumes.popleft().event.set()
        self._wakeup = anyio.Event()
        self._keeper_event = anyio.Event()
        self._keeper_armed = False

    # -- checkpoints ----------------------------------------------------------------------

    def queued_in_order(self) -> Iterator[Delivery]:
        """Every queued delivery, mailbox by mailbox, in the order the mailboxes would run.

        Enqueuing them again in this order rebuilds the same mailboxes and ready queue.
        """
        seen: set[int] = set()
        for box in (*self._ready, *self._boxes.values()):
            if id(box) not in seen:
                seen.add(id(box))
                yield from box.queue


def _take(queue: deque[_T], index: int) -> _T:
    """Remove and return ``queue[index]``, a scheduler's choice.

    Raises:
        IndexError: the scheduler chose no candidate (naming its answer).
    """
    if not (isinstance(index, int) and 0 <= index < len(queue)):
        raise IndexError(f"scheduler chose {index!r} among {len(queue)} candidates")
    item = queue[index]
    del queue[index]
    return item


def _cancel_requested() -> bool:
    """Whether the current task is being cancelled (by a cancel scope or, on asyncio, by
    ``Task.cancel``), as opposed to a cancellation exception raised by code on its own."""
    if anyio.current_effective_deadline() == -math.inf:
        return True
    try:
        task = asyncio.current_task()
    except RuntimeError:  # not on asyncio
        return False
    return task is not None and task.cancelling() > 0


async def _let_woken_tasks_run() -> None:
    """Yield so that every task made runnable so far runs one step first.

    Two checkpoints: Trio runs the tasks of a batch in random order, so after one checkpoint
    another woken task may still be behind us in the same batch; after the second, it ran.
    The runtime yields only at points its own state decides (hand-overs, every
    ``FAIRNESS`` deliveries, when idle), so where an outside task acts again is
    deterministic.
    """
    await checkpoint()
    await checkpoint()
