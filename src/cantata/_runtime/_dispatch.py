"""The dispatcher: per-agent mailboxes, one deterministic ready queue, and its workers.

How deliveries run
------------------
* A delivery to an agent that is idle (no mailbox) and requested by ``send_message`` runs
  *inline*, in the caller's task: no queue, no task switch; the caller's cancel scope and
  context variables apply as to any awaited call.
* Every other delivery goes to the recipient's mailbox. Mailboxes with work wait in one FIFO
  ready queue. Exactly one *active worker* task takes them in order and runs each handler
  in its own task, inside the context variables of the code that sent the message.
* A handler that only awaits the runtime never yields to the event loop: publishing only
  enqueues, and an RPC to an idle agent runs inline. So runtime-only programs run as one
  deterministic sequence on every backend.
* A handler of the active worker that waits for an RPC to a busy agent hands the active
  role to a fresh worker first; when the reply is ready, the role is handed back through the
  ready queue (a deterministic point), so exactly one runtime task is runnable at a time.
* A handler that suspends on anything else (I/O, sleep) is noticed by the *keeper* task,
  which can only run while the active worker is suspended; it gives the active role to a
  fresh worker, and the suspended handler finishes in its own task. I/O-bound handlers
  therefore overlap; the order is then decided by the I/O, not by the runtime.
* The active worker yields to the event loop every ``FAIRNESS`` deliveries (twice, so that
  every task it woke runs one step first, on Trio as on asyncio).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import anyio
from anyio.abc import TaskGroup
from anyio.lowlevel import checkpoint

from .._agents._base_agent import BaseAgent
from .._contexts import _handler_agent_var
from .._message_context import MessageContext
from ..exceptions import MessageCancelledError, RuntimeStoppedError
from ._chain import chain_var
from ._events import INFO, event_logger
from ._in_context import RunInContext
from ._records import Delivery, Mailbox, Reply, Worker
from ._scheduling import DeliveryScheduler, pick_ready, pick_resume
from ._trace import TraceHook, announce_delivery

if TYPE_CHECKING:
    from .._agent_id import AgentId
    from ._directory import AgentDirectory

_BASE_ON_MESSAGE = BaseAgent.on_message

FAIRNESS = 64
"""Deliveries the active worker runs between two yields to the event loop."""


class Dispatcher:
    """Mailboxes, the ready queue, workers and the accounting of outstanding work."""

    def __init__(
        self, directory: AgentDirectory, scheduler: DeliveryScheduler | None = None
    ) -> None:
        self._directory = directory
        self._scheduler = scheduler
        self._limits = directory.limits
        self._boxes: dict[AgentId, Mailbox] = {}
        self._spare_boxes: list[Mailbox] = []
        self._waiting_on: dict[AgentId, list[AgentId]] = {}  # agent -> targets of its waits
        self._ready: deque[Mailbox] = deque()
        self._resumes: deque[Reply] = deque()
        self.outstanding = 0  # deliveries queued or running
        self.queued = 0  # deliveries waiting in a mailbox
        self.in_flight = 0  # handlers running
        self.idle_event: anyio.Event | None = None
        self.progress_event: anyio.Event | None = None
        self.flight_event: anyio.Event | None = None
        self.trace_hooks: list[TraceHook] = []
        self.dispatching = False  # workers run (between start and stop)
        self.stepping = False  # process_next() runs a delivery
        self._tg: TaskGroup | None = None
        self._active: Worker | None = None
        self._parked = False
        self._wakeup = anyio.Event()
        self._keeper_event = anyio.Event()
        self._keeper_armed = False

    # -- hooks the runtime provides -------------------------------------------------------

    async def _respond(self, delivery: Delivery, result: Any) -> Any:
        """Run response interventions; the default returns ``result`` unchanged."""
        return result

    def _handler_failed(self, delivery: Delivery, exc: BaseException) -> None:
        """Report an exception raised by a handler."""

    # -- accounting ------------------------------------------------------------------------

    def claim_inline(self, recipient: AgentId) -> Mailbox | None:
        """Mark ``recipient`` busy for an RPC run now in the caller's task, if it may run now.

        It may if the runtime dispatches and the agent is idle with nothing queued, has room
        under its ``max_concurrency``, is part of the caller's RPC chain (re-entrancy), or is
        itself waiting, directly or through other agents, for an agent of the caller's chain
        (two chains calling into each other: queueing would deadlock both, so the call is
        admitted as a re-entrant one). Returns None if the message must be queued instead.
        """
        if not (self.dispatching or self.stepping):
            return None
        box = self._boxes.get(recipient)
        if box is None:
            box = self._boxes[recipient] = self._new_box(recipient)
        elif box.queue or box.running >= box.limit:
            chain = chain_var.get()
            if recipient not in chain and not self._waits_for_chain(recipient, chain):
                return None

        box.running += 1
        self.outstanding += 1
        self.in_flight += 1
        return box

    def _waits_for_chain(self, target: AgentId, chain: tuple[AgentId, ...]) -> bool:
        """Whether ``target`` waits (transitively, through queued RPCs) for a chain member."""
        if not chain or not self._waiting_on:
            return False
        members = set(chain)
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

    def add_wait(self, chain: tuple[AgentId, ...], target: AgentId) -> None:
        """Record that every agent of ``chain`` waits for a queued RPC to ``target``."""
        for agent in chain:
            self._waiting_on.setdefault(agent, []).append(target)

    def remove_wait(self, chain: tuple[AgentId, ...], target: AgentId) -> None:
        """Undo :meth:`add_wait`."""
        for agent in chain:
            targets = self._waiting_on[agent]
            targets.remove(target)
            if not targets:
                del self._waiting_on[agent]

    def release(self, box: Mailbox) -> None:
        """One delivery of ``box`` finished (or was skipped); reschedule or forget the box."""
        box.running -= 1
        self.in_flight -= 1
        if box.queue:
            if not box.scheduled and box.running < box.limit:
                box.scheduled = True
                self._ready.append(box)
                if self._parked:
                    self._unpark()
        elif not box.running:
            del self._boxes[box.agent_id]
            if len(self._spare_boxes) < 64:
                self._spare_boxes.append(box)
        self._done_one()

    def _new_box(self, recipient: AgentId) -> Mailbox:
        """A mailbox for ``recipient``, reusing a spare one (inline RPCs make one per call)."""
        limit = self._limits.get(recipient.type, 1)
        if self._spare_boxes:
            box = self._spare_boxes.pop()
            box.agent_id = recipient
            box.limit = limit
            return box
        return Mailbox(recipient, limit)

    def _done_one(self) -> None:
        self.outstanding -= 1
        if self.progress_event is not None:
            self.progress_event.set()
            self.progress_event = None
        if not self.outstanding and self.idle_event is not None:
            self.idle_event.set()
            self.idle_event = None
        if not self.in_flight and self.flight_event is not None:
            self.flight_event.set()
            self.flight_event = None

    def enqueue(self, delivery: Delivery) -> None:
        """Put ``delivery`` in its recipient's mailbox (never suspends)."""
        recipient = delivery.recipient
        box = self._boxes.get(recipient)
        if box is None:
            box = self._boxes[recipient] = self._new_box(recipient)
        box.queue.append(delivery)
        self.queued += 1
        self.outstanding += 1
        if not box.scheduled and box.running < box.limit:
            box.scheduled = True
            self._ready.append(box)
            if self._parked:
                self._unpark()

    def _unpark(self) -> None:
        self._parked = False
        self._wakeup.set()

    # -- running a handler -----------------------------------------------------------------

    async def invoke(self, delivery: Delivery, is_rpc: bool) -> Any:
        """Run the recipient's handler for ``delivery`` and return its result.

        The handler runs in a cancel scope linked to the message's token when anyone but the
        handler can cancel it; a cancelled handler gives :class:`MessageCancelledError`.
        """
        recipient = delivery.recipient
        agent = self._directory.agents.get(recipient)
        if agent is None:
            agent = await self._directory.get(recipient)
        ctx = MessageContext(
            delivery.sender, delivery.topic_id, is_rpc, delivery.token, delivery.message_id
        )
        if self.trace_hooks or event_logger.isEnabledFor(INFO):
            announce_delivery(self.trace_hooks, delivery, is_rpc)
        agent_token = _handler_agent_var.set(recipient)
        chain_token = chain_var.set((*chain_var.get(), recipient) if is_rpc else (recipient,))
        try:
            reply = delivery.reply
            # BaseAgent.on_message is final and only calls on_message_impl: skip a frame.
            on_message = type(agent).on_message
            handle = (
                cast(BaseAgent, agent).on_message_impl
                if on_message is _BASE_ON_MESSAGE
                else agent.on_message
            )
            if not delivery.token_supplied and reply is None:
                return await handle(delivery.message, ctx)
            scope = anyio.CancelScope()
            if reply is not None:
                reply.scope = scope
            hook_handle = delivery.token._add_cancel_hook(scope.cancel)
            try:
                with scope:
                    return await handle(delivery.message, ctx)
            finally:
                delivery.token._remove_cancel_hook(hook_handle)
            raise MessageCancelledError(f"message to {recipient} was cancelled")
        finally:
            chain_var.reset(chain_token)
            _handler_agent_var.reset(agent_token)

    async def _deliver(self, delivery: Delivery) -> None:
        """Run a queued delivery in the current worker and settle its reply."""
        reply = delivery.reply
        if reply is not None and reply.done:
            return  # the caller gave up before delivery: nothing to deliver
        if delivery.token.is_cancelled():
            if reply is not None:
                self.finish(reply, error=MessageCancelledError("message was cancelled"))
            return
        try:
            coro = self.invoke(delivery, reply is not None)
            context = delivery.context
            if context is None:
                result = await coro
            else:
                # First step here: a handler that only awaits the runtime finishes in it.
                try:
                    yielded = context.run(coro.send, None)
                except StopIteration as stop:
                    result = stop.value
                else:
                    result = await RunInContext(context, coro, yielded)
            if reply is not None:
                result = await self._respond(delivery, result)
        except BaseException as exc:
            if isinstance(exc, anyio.get_cancelled_exc_class()) and not isinstance(
                exc, MessageCancelledError
            ):  # the worker itself is cancelled (the runtime stops with cancel_in_flight)
                if reply is not None:
                    self.finish(reply, error=RuntimeStoppedError(delivery.recipient))
                raise
            self._handler_failed(delivery, exc)
            if reply is not None:
                self.finish(reply, error=exc)
            elif not isinstance(exc, (Exception, MessageCancelledError)):
                raise  # e.g. KeyboardInterrupt; a cancelled publish delivery just ends
        else:
            if reply is not None:
                self.finish(reply, value=result)

    # -- replies ---------------------------------------------------------------------------

    def finish(
        self, reply: Reply, *, value: Any = None, error: BaseException | None = None
    ) -> None:
        """Settle ``reply`` once; wake its caller (via the resume queue if it holds the baton)."""
        if reply.done:
            return
        reply.done = True
        reply.value = value
        reply.error = error
        if reply.baton:
            self._resumes.append(reply)
            if self._parked:
                self._unpark()
        else:
            reply.event.set()

    async def wait_reply(self, reply: Reply) -> Any:
        """Wait for a queued RPC's reply; hand over the active role if this task holds it."""
        worker = self._active
        if worker is not None and worker.in_user and worker.task_id == anyio.get_current_task().id:
            reply.baton = True
            reply.worker = worker
            self._spawn_worker()
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
            if reply.baton and reply.worker is not None:
                reply.worker.resuming = False
        if reply.error is not None:
            raise reply.error
        return reply.value

    def cancel_pending(self, reply: Reply) -> None:
        """Token callback: a queued RPC's token was cancelled."""
        if reply.scope is None:  # not started: the caller gets the error now
            self.finish(reply, error=MessageCancelledError("message was cancelled"))

    def pause(self) -> bool:
        """Stop starting deliveries (running ones go on); return whether it was dispatching."""
        was = self.dispatching
        self.dispatching = False
        return was

    def resume(self, was_dispatching: bool) -> None:
        """Undo :meth:`pause`."""
        if was_dispatching and self._tg is not None:
            self.dispatching = True
            if self._parked and self._ready:
                self._unpark()

    def queued_in_order(self) -> Iterator[Delivery]:
        """Every queued delivery, mailbox by mailbox, in the order the mailboxes would run.

        Enqueuing them again in this order rebuilds the same mailboxes and ready queue.
        """
        seen: set[int] = set()
        for box in (*self._ready, *self._boxes.values()):
            if id(box) not in seen:
                seen.add(id(box))
                yield from box.queue

    def fail_queued_rpcs(self) -> None:
        """Fail every queued, undelivered RPC with :class:`RuntimeStoppedError`."""
        for box in list(self._boxes.values()):
            keep: deque[Delivery] = deque()
            for delivery in box.queue:
                if delivery.reply is None:
                    keep.append(delivery)
                    continue
                self.queued -= 1
                self.finish(delivery.reply, error=RuntimeStoppedError(delivery.recipient))
                self._done_one()
            box.queue = keep
            if not keep and not box.running:
                del self._boxes[box.agent_id]
                if box.scheduled:
                    self._ready.remove(box)
                    box.scheduled = False

    # -- workers ---------------------------------------------------------------------------

    def _spawn_worker(self) -> None:
        assert self._tg is not None
        worker = Worker()
        self._active = worker
        self._tg.start_soon(self._work, worker)

    async def _work(self, worker: Worker) -> None:
        worker.task_id = anyio.get_current_task().id
        await _let_woken_tasks_run()
        ready = self._ready
        resumes = self._resumes
        scheduler = self._scheduler
        count = 0
        while self._active is worker:
            if resumes:
                reply = resumes.popleft() if scheduler is None else pick_resume(resumes, scheduler)
                if reply.abandoned:
                    continue
                waiter = reply.worker
                assert waiter is not None
                waiter.resuming = True  # runnable but not yet running: not for the keeper
                self._active = waiter  # hand the role back to the waiting handler
                reply.event.set()
                return
            if ready and self.dispatching:
                box = ready.popleft() if scheduler is None else pick_ready(ready, scheduler)
                await self._run_next(box, worker)
                count += 1
                if count >= FAIRNESS:
                    count = 0
                    await _let_woken_tasks_run()
                continue
            self._parked = True
            self._wakeup = anyio.Event()
            await self._wakeup.wait()

    async def _run_next(self, box: Mailbox, worker: Worker) -> None:
        delivery = box.queue.popleft()
        self.queued -= 1
        self.in_flight += 1
        box.running += 1
        box.scheduled = False
        if box.queue and box.running < box.limit:
            box.scheduled = True
            self._ready.append(box)
        worker.in_user = True
        if not self._keeper_armed:
            self._keeper_armed = True
            self._keeper_event.set()
        try:
            await self._deliver(delivery)
        finally:
            worker.in_user = False
            self.release(box)

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
        ready, scheduler = self._ready, self._scheduler
        while ready:
            box = ready.popleft() if scheduler is None else pick_ready(ready, scheduler)
            if not box.queue:
                box.scheduled = False
                continue
            worker = Worker()
            self.stepping = True
            try:
                await self._run_next(box, worker)
            finally:
                self.stepping = False
            return True
        return False

    async def run_workers(self, tg: TaskGroup) -> None:
        """Start the keeper and the first worker in ``tg``."""
        self._tg = tg
        self.dispatching = True
        tg.start_soon(self._keep)
        self._spawn_worker()

    def workers_stopped(self) -> None:
        """Forget the workers after their task group ended; wake whoever waits for progress."""
        for event in (self.idle_event, self.progress_event, self.flight_event):
            if event is not None:
                event.set()
        self.idle_event = self.progress_event = self.flight_event = None
        self._tg = None
        self._active = None
        self._parked = False
        self.dispatching = False
        self._resumes.clear()
        self._wakeup = anyio.Event()
        self._keeper_event = anyio.Event()
        self._keeper_armed = False


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
