"""Guarantee 5, nothing lost, nothing leaked: stopping with work queued and running.

Some agents are kept busy by blocking handlers; RPCs and publishes queue up behind them;
then the runtime stops (``stop()``, ``stop(cancel_in_flight=True)``, leaving the
``async with`` block normally or by an exception). The queued RPCs' callers must fail at
once with ``RuntimeStoppedError``; no handler may run after the stop returns; the queued
publishes must be delivered, exactly once and in order, after the next start.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

import anyio
import anyio.lowlevel
import pytest
from anyio.abc import TaskGroup
from hypothesis import given
from hypothesis import strategies as st

from cantata import (
    AgentId,
    AgentInstantiationContext,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.exceptions import RuntimeStoppedError

from ._support import TIMEOUT, prop_settings

NAMES = ("s0", "s1", "s2", "s3")
How = Literal["stop", "stop_cancel", "exit", "exit_by_error"]


@dataclass(frozen=True)
class Block:
    pass


@dataclass(frozen=True)
class Note:
    n: int


@dataclass(frozen=True)
class Ask:
    n: int


class Boom(Exception):
    """Leaves the ``async with`` block by an exception."""


class Record:
    def __init__(self) -> None:
        self.blocking: dict[str, anyio.Event] = {name: anyio.Event() for name in NAMES}
        self.release = anyio.Event()
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self.inside: Counter[str] = Counter()
        self.notes: list[tuple[str, int]] = []
        self.asks: list[int] = []


class Sink(RoutedAgent):
    def __init__(self, record: Record) -> None:
        super().__init__("sink")
        self.record = record

    @message_handler
    async def on_block(self, message: Block, ctx: MessageContext) -> None:
        me = self.id.type
        self.record.inside[me] += 1
        self.record.blocking[me].set()
        try:
            await self.record.release.wait()
        except anyio.get_cancelled_exc_class():
            self.record.cancelled.append(me)
            raise
        finally:
            self.record.inside[me] -= 1
        self.record.finished.append(me)

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.record.notes.append((self.id.type, message.n))

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> str:
        self.record.asks.append(message.n)
        return "ok"


@dataclass(frozen=True)
class Case:
    busy: tuple[str, ...]
    rpcs: tuple[str, ...]
    """Targets of RPCs sent while their agents are busy (queued)."""
    publishes: tuple[str, ...]
    """Targets of publishes made before the stop (to busy agents: still queued at stop)."""
    how: How


@st.composite
def cases(draw: st.DrawFn, hows: tuple[How, ...]) -> Case:
    busy = tuple(draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True)))
    rpcs = tuple(draw(st.lists(st.sampled_from(busy), max_size=5)))
    publishes = tuple(draw(st.lists(st.sampled_from(NAMES), max_size=8)))
    return Case(busy, rpcs, publishes, draw(st.sampled_from(hows)))


async def _setup(record: Record) -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime()
    for name in NAMES:
        await runtime.register_factory(name, lambda: Sink(record))
        await runtime.add_subscription(TypeSubscription(f"to.{name}", name))
    return runtime


async def _fill(
    runtime: SingleThreadedAgentRuntime,
    record: Record,
    case: Case,
    tg: TaskGroup,
    outcomes: dict[int, BaseException | str],
    failed: anyio.Event,
) -> None:
    """Make the agents busy, then queue RPCs (callers in ``tg``) and publishes."""
    for name in case.busy:
        await runtime.publish_message(Block(), TopicId(f"to.{name}", "k"))
        await record.blocking[name].wait()

    async def caller(n: int, name: str, sent: anyio.Event) -> None:
        sent.set()  # the waiting test task runs again once this one waits for its reply
        try:
            outcomes[n] = await runtime.send_message(Ask(n), AgentId(name, "k"))
        except RuntimeStoppedError as exc:
            outcomes[n] = exc
        if len(outcomes) == len(case.rpcs):
            failed.set()

    if not case.rpcs:
        failed.set()
    for n, name in enumerate(case.rpcs):
        sent = anyio.Event()
        tg.start_soon(caller, n, name, sent)
        await sent.wait()
    for n, name in enumerate(case.publishes):
        await runtime.publish_message(Note(n), TopicId(f"to.{name}", "k"))


def _check_no_handler_runs(record: Record, case: Case) -> None:
    """Checked as soon as ``stop()`` returned or the block exited."""
    assert not +record.inside, "a handler still runs after the stop returned"
    if case.how in ("stop_cancel", "exit_by_error"):
        assert sorted(record.cancelled) == sorted(case.busy)
        assert record.finished == []
    else:
        assert sorted(record.finished) == sorted(case.busy)
        assert record.cancelled == []
    assert record.asks == [], "a queued RPC was delivered"
    busy_notes = [name for name, _ in record.notes if name in case.busy]
    assert busy_notes == [], "a publish queued behind a busy agent was delivered at stop"


def _check_callers(case: Case, outcomes: dict[int, BaseException | str]) -> None:
    assert sorted(outcomes) == list(range(len(case.rpcs)))
    for outcome in outcomes.values():
        assert isinstance(outcome, RuntimeStoppedError), outcome


def _check_restarted(record: Record, case: Case) -> None:
    expected = [(name, n) for n, name in enumerate(case.publishes)]
    assert sorted(record.notes) == sorted(expected), "a queued publish was lost or repeated"
    for name in NAMES:
        mine = [n for agent, n in record.notes if agent == name]
        assert mine == sorted(mine), f"{name} got its publishes out of order"
    assert record.asks == []


@pytest.mark.anyio
@given(case=cases(("stop", "stop_cancel", "exit", "exit_by_error")))
@prop_settings(40)
async def test_stop_fails_queued_rpcs_keeps_publishes_and_leaks_no_handler(case: Case) -> None:
    record = Record()
    runtime = await _setup(record)
    outcomes: dict[int, BaseException | str] = {}
    failed = anyio.Event()
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            try:
                async with runtime:
                    await _fill(runtime, record, case, tg, outcomes, failed)
                    if case.how == "exit_by_error":
                        raise Boom
                    if case.how == "stop_cancel":
                        await runtime.stop(cancel_in_flight=True)
                        _check_no_handler_runs(record, case)
                    else:

                        async def release_when_callers_failed() -> None:
                            with anyio.fail_after(2):  # promptly, while the blockers run
                                await failed.wait()
                            assert record.finished == []
                            record.release.set()

                        tg.start_soon(release_when_callers_failed)
                        if case.how == "stop":
                            await runtime.stop()
                            _check_no_handler_runs(record, case)
            except Boom:
                pass
            _check_no_handler_runs(record, case)
        _check_callers(case, outcomes)
        async with runtime:
            await runtime.stop_when_idle()
    _check_restarted(record, case)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@given(case=cases(("stop", "stop_cancel")))
@prop_settings(20)
async def test_stop_in_start_form(case: Case) -> None:
    record = Record()
    runtime = await _setup(record)
    outcomes: dict[int, BaseException | str] = {}
    failed = anyio.Event()
    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tg:
            runtime.start()
            await _fill(runtime, record, case, tg, outcomes, failed)
            if case.how == "stop_cancel":
                await runtime.stop(cancel_in_flight=True)
                _check_no_handler_runs(record, case)
            else:

                async def release_when_callers_failed() -> None:
                    with anyio.fail_after(2):
                        await failed.wait()
                    assert record.finished == []
                    record.release.set()

                tg.start_soon(release_when_callers_failed)
                await runtime.stop()
                _check_no_handler_runs(record, case)
        _check_callers(case, outcomes)
        runtime.start()
        await runtime.stop_when_idle()
    _check_restarted(record, case)


# -- lazy creation -------------------------------------------------------------------------

Contact = Literal["rpc", "publish", "get", "instance", "metadata"]


class Made(RoutedAgent):
    def __init__(self, seen: dict[AgentId, set[int]]) -> None:
        super().__init__("made")
        self.seen = seen

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.seen.setdefault(self.id, set()).add(id(self))

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> str:
        self.seen.setdefault(self.id, set()).add(id(self))
        return "ok"


@pytest.mark.anyio
@given(
    contacts=st.lists(
        st.tuples(
            st.sampled_from(["rpc", "publish", "get", "instance", "metadata"]),
            st.sampled_from(["f0", "f1"]),
            st.sampled_from(["k0", "k1"]),
        ),
        min_size=1,
        max_size=12,
    ),
    pauses=st.integers(0, 3),
)
@prop_settings(50)
async def test_factory_runs_once_per_agent_id_under_concurrent_first_contact(
    contacts: list[tuple[Contact, str, str]], pauses: int
) -> None:
    created: Counter[AgentId] = Counter()
    seen: dict[AgentId, set[int]] = {}
    instances: dict[AgentId, set[int]] = {}

    async def factory() -> Made:
        created[AgentInstantiationContext.current_agent_id()] += 1
        for _ in range(pauses):
            await anyio.lowlevel.checkpoint()
        return Made(seen)

    runtime = SingleThreadedAgentRuntime()
    for name in ("f0", "f1"):
        await runtime.register_factory(name, factory)
        await runtime.add_subscription(TypeSubscription(f"to.{name}", name))

    async def contact(kind: Contact, agent_id: AgentId) -> None:
        if kind == "rpc":
            assert await runtime.send_message(Ask(0), agent_id) == "ok"
        elif kind == "publish":
            await runtime.publish_message(Note(0), TopicId(f"to.{agent_id.type}", agent_id.key))
        elif kind == "get":
            assert await runtime.get(agent_id, lazy=False) == agent_id
        elif kind == "instance":
            agent = await runtime.try_get_underlying_agent_instance(agent_id, Made)
            instances.setdefault(agent_id, set()).add(id(agent))
        else:
            assert (await runtime.agent_metadata(agent_id))["key"] == agent_id.key

    with anyio.fail_after(TIMEOUT):
        async with runtime:
            async with anyio.create_task_group() as tg:
                for kind, name, key in contacts:
                    tg.start_soon(contact, kind, AgentId(name, key))
            await runtime.stop_when_idle()
    touched = {AgentId(name, key) for _, name, key in contacts}
    assert dict(created) == dict.fromkeys(touched, 1)
    for agent_id in touched:
        objects = seen.get(agent_id, set()) | instances.get(agent_id, set())
        assert len(objects) <= 1, f"{agent_id} had several instances"
