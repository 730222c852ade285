"""Guarantee 4, cancellation: cancelling a send cancels the handler chain processing it.

A generated case is a chain of RPCs ``main -> c0 -> c1 -> ... -> leaf``; the leaf waits
forever. Some agents of the chain are busy when the chain reaches them: *brief* blockers
are released once the call is queued behind them (so the handler then runs in a worker
task), *held* blockers are released only after the cancellation (so the call is still
queued when it is cancelled). The call is cancelled through its token, through the
caller's own cancel scope, by a timeout, or before it is sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cantata import (
    AgentId,
    CancellationToken,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.exceptions import MessageCancelledError

from ._support import TIMEOUT, prop_settings

Busy = Literal["idle", "brief", "held"]
How = Literal["token", "scope", "timeout", "before"]
LEVELS = ("c0", "c1", "c2", "c3")


@dataclass(frozen=True)
class Hop:
    rest: tuple[str, ...]
    """Agent types still to call, in order; the last handler waits forever."""
    forward: bool
    """Whether handlers pass ``ctx.cancellation_token`` on to the next call."""


@dataclass(frozen=True)
class Block:
    """Keeps its agent busy until the test releases it."""


@dataclass(frozen=True)
class Ask:
    """A plain request, answered with ``"ok"``."""


def _is_cancellation(exc: BaseException) -> bool:
    return isinstance(exc, (anyio.get_cancelled_exc_class(), MessageCancelledError))


class Record:
    def __init__(self) -> None:
        self.started: dict[str, anyio.Event] = {name: anyio.Event() for name in LEVELS}
        self.ended: dict[str, anyio.Event] = {name: anyio.Event() for name in LEVELS}
        self.blocking: dict[str, anyio.Event] = {name: anyio.Event() for name in LEVELS}
        self.release: dict[str, anyio.Event] = {name: anyio.Event() for name in LEVELS}
        self.hops: list[str] = []
        self.cancelled: list[str] = []
        self.completed: list[str] = []
        self.forever = anyio.Event()


class Link(RoutedAgent):
    def __init__(self, record: Record) -> None:
        super().__init__("chain link")
        self.record = record

    @message_handler
    async def on_hop(self, message: Hop, ctx: MessageContext) -> str:
        me = self.id.type
        self.record.hops.append(me)
        self.record.started[me].set()
        try:
            if message.rest:
                token = ctx.cancellation_token if message.forward else None
                await self.send_message(
                    Hop(message.rest[1:], message.forward),
                    AgentId(message.rest[0], "k"),
                    cancellation_token=token,
                )
            else:
                await self.record.forever.wait()
        except BaseException as exc:
            if _is_cancellation(exc):
                self.record.cancelled.append(me)
            raise
        finally:
            self.record.ended[me].set()
        self.record.completed.append(me)
        return "done"

    @message_handler
    async def on_block(self, message: Block, ctx: MessageContext) -> None:
        self.record.blocking[self.id.type].set()
        await self.record.release[self.id.type].wait()

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> str:
        return "ok"


@dataclass(frozen=True)
class Case:
    busy: tuple[Busy, ...]
    """One entry per agent of the chain."""
    how: How
    forward: bool


CASES = st.builds(
    Case,
    st.lists(st.sampled_from(["idle", "brief", "held"]), min_size=1, max_size=len(LEVELS)).map(
        tuple
    ),
    st.sampled_from(["token", "scope", "timeout", "before"]),
    st.booleans(),
)


@pytest.mark.anyio
@given(case=CASES)
@prop_settings(60)
async def test_cancelling_a_send_cancels_the_handlers_processing_it(
    case: Case, anyio_backend: str
) -> None:
    record = Record()
    runtime = SingleThreadedAgentRuntime()
    for name in LEVELS:
        await runtime.register_factory(name, lambda: Link(record))
        await runtime.add_subscription(TypeSubscription(f"block.{name}", name))
    chain = LEVELS[: len(case.busy)]
    # With a timeout, the deadline may pass at any time: release no blocker before it.
    stops = ("held", "brief") if case.how == "timeout" else ("held",)
    stop = next((i for i, busy in enumerate(case.busy) if busy in stops), len(chain))
    reachable = () if case.how == "before" else chain[:stop]
    token = CancellationToken()
    scope = anyio.CancelScope()
    sending = anyio.Event()
    finished = anyio.Event()
    outcome: list[BaseException | str] = []

    async def call() -> None:
        try:
            message = Hop(chain[1:], case.forward)
            if case.how == "before":
                token.cancel()
            if case.how == "timeout":
                scope.deadline = anyio.current_time() + 0.05
            with scope:
                sending.set()
                outcome.append(
                    await runtime.send_message(
                        message, AgentId(chain[0], "k"), cancellation_token=token
                    )
                )
            if scope.cancelled_caught:
                outcome.append("scope cancelled")
        except MessageCancelledError as exc:
            outcome.append(exc)
        finally:
            finished.set()

    with anyio.fail_after(TIMEOUT):
        async with runtime:
            for name, busy in zip(chain, case.busy, strict=True):
                if busy != "idle":
                    await runtime.publish_message(Block(), TopicId(f"block.{name}", "k"))
                    await record.blocking[name].wait()
            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                await sending.wait()
                # Walk down the chain: release brief blockers once the call queued behind them.
                for index, name in enumerate(reachable):
                    if index:
                        await record.started[chain[index - 1]].wait()
                    if case.busy[index] == "brief":
                        record.release[name].set()
                if reachable:
                    await record.started[reachable[-1]].wait()
                assert record.hops == list(reachable), "a handler of a busy agent started early"
                if case.how == "token":
                    token.cancel()
                elif case.how == "scope":
                    scope.cancel()
                with anyio.fail_after(2):
                    await finished.wait()  # promptly: held blockers still hold their agents
            assert len(outcome) == 1, outcome
            if case.how in ("token", "before"):
                assert isinstance(outcome[0], MessageCancelledError), outcome
                if anyio_backend == "asyncio":
                    assert isinstance(outcome[0], asyncio.CancelledError)
            else:
                assert outcome == ["scope cancelled"]
            # Handlers running in other tasks (queued calls) unwind on their own schedule.
            with anyio.fail_after(2):
                for name in reachable:
                    await record.ended[name].wait()
            assert sorted(record.cancelled) == sorted(reachable), "a handler was not cancelled"
            assert record.completed == []
            for name in chain:
                record.release[name].set()
            # The runtime keeps working, and the cancelled call that was queued is skipped.
            for name in chain:
                assert await runtime.send_message(Ask(), AgentId(name, "k")) == "ok"
            await runtime.stop_when_idle()
            assert record.hops == list(reachable)
