"""Guarantee 6, errors: identity of RPC errors, collected publish errors, unknown types,
and the intervention handler chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cantata import (
    AgentId,
    CancellationToken,
    DefaultInterventionHandler,
    DropMessage,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.exceptions import (
    CantHandleException,
    UndeliverableException,
    UnknownAgentTypeError,
)

from ._support import TIMEOUT, prop_settings

LEVELS = ("e0", "e1", "e2", "e3")


class Custom(Exception):
    pass


ERRORS: dict[str, type[Exception]] = {
    "ValueError": ValueError,
    "KeyError": KeyError,
    "Custom": Custom,
    "CantHandleException": CantHandleException,
}


@dataclass(frozen=True)
class Hop:
    rest: tuple[str, ...]
    error: str
    forward: bool


@dataclass(frozen=True)
class Block:
    pass


@dataclass(frozen=True)
class Note:
    n: int
    raises: bool


class Record:
    def __init__(self) -> None:
        self.started: dict[str, anyio.Event] = {name: anyio.Event() for name in LEVELS}
        self.blocking: dict[str, anyio.Event] = {name: anyio.Event() for name in LEVELS}
        self.release: dict[str, anyio.Event] = {name: anyio.Event() for name in LEVELS}
        self.raised: list[BaseException] = []
        self.notes: list[int] = []
        self.all_noted = anyio.Event()
        self.expected_notes = 0


class Thrower(RoutedAgent):
    def __init__(self, record: Record, rethrow: bool) -> None:
        super().__init__("thrower")
        self.record = record
        self.rethrow = rethrow

    @message_handler
    async def on_hop(self, message: Hop, ctx: MessageContext) -> str:
        self.record.started[self.id.type].set()
        if not message.rest:
            error = ERRORS[message.error](f"raised by {self.id}")
            self.record.raised.append(error)
            raise error
        token = ctx.cancellation_token if message.forward else None
        nested = Hop(message.rest[1:], message.error, message.forward)
        target = AgentId(message.rest[0], "k")
        if not self.rethrow:
            return str(await self.send_message(nested, target, cancellation_token=token))
        try:
            return str(await self.send_message(nested, target, cancellation_token=token))
        except Exception:
            raise  # re-raised as is

    @message_handler
    async def on_block(self, message: Block, ctx: MessageContext) -> None:
        self.record.blocking[self.id.type].set()
        await self.record.release[self.id.type].wait()

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.record.notes.append(message.n)
        if len(self.record.notes) == self.record.expected_notes:
            self.record.all_noted.set()
        if message.raises:
            error = Custom(f"publish {message.n}")
            self.record.raised.append(error)
            raise error


async def _runtime(
    record: Record, *, rethrow: bool = False, **kwargs: Any
) -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime(**kwargs)
    for name in LEVELS:
        await runtime.register_factory(name, lambda: Thrower(record, rethrow))
        await runtime.add_subscription(TypeSubscription(f"to.{name}", name))
    return runtime


# -- RPC errors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RpcCase:
    busy: tuple[bool, ...]
    """Per agent of the chain: busy when the call arrives (queued, then run by a worker)."""
    back_to: int | None
    """The failing handler is the chain's agent of this index again (A -> B -> A)."""
    error: str
    token: bool
    forward: bool
    rethrow: bool
    interventions: bool


@st.composite
def rpc_cases(draw: st.DrawFn) -> RpcCase:
    busy = tuple(draw(st.lists(st.booleans(), min_size=1, max_size=len(LEVELS))))
    back_to = draw(st.none() | st.integers(0, len(busy) - 1))
    return RpcCase(
        busy,
        back_to,
        draw(st.sampled_from(sorted(ERRORS))),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()),
    )


@pytest.mark.anyio
@given(case=rpc_cases())
@prop_settings(60)
async def test_rpc_handler_exception_reaches_the_caller_as_the_same_object(case: RpcCase) -> None:
    record = Record()
    runtime = await _runtime(
        record,
        rethrow=case.rethrow,
        intervention_handlers=[DefaultInterventionHandler()] if case.interventions else None,
    )
    chain = LEVELS[: len(case.busy)]
    path = chain if case.back_to is None else (*chain, chain[case.back_to])
    caught: list[BaseException] = []
    sending = anyio.Event()

    async def call() -> None:
        token = CancellationToken() if case.token else None
        sending.set()
        try:
            await runtime.send_message(
                Hop(path[1:], case.error, case.forward),
                AgentId(path[0], "k"),
                cancellation_token=token,
            )
        except Exception as exc:
            caught.append(exc)

    with anyio.fail_after(TIMEOUT):
        async with runtime:
            for name, busy in zip(chain, case.busy, strict=True):
                if busy:
                    await runtime.publish_message(Block(), TopicId(f"to.{name}", "k"))
                    await record.blocking[name].wait()
            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                await sending.wait()
                for index, name in enumerate(chain):
                    if index:
                        await record.started[chain[index - 1]].wait()
                    record.release[name].set()
            await runtime.stop_when_idle()
    assert len(record.raised) == 1
    assert len(caught) == 1
    assert caught[0] is record.raised[0]


# -- publish errors ------------------------------------------------------------------------

StopHow = Literal["stop_when_idle", "stop", "exit"]


def _check_raised(error: BaseException | None, raised: list[BaseException]) -> None:
    if not raised:
        assert error is None
    else:
        # The first handler error itself, as autogen-core raises it; the others are named in
        # its notes.
        assert any(error is r for r in raised), error
        notes = getattr(error, "__notes__", [])
        assert len(notes) == len(raised) - 1, notes


@dataclass(frozen=True)
class PublishCase:
    publishes: tuple[tuple[str, bool], ...]
    """(recipient type, whether its handler raises)"""
    how: StopHow


PUBLISH_CASES = st.builds(
    PublishCase,
    st.lists(st.tuples(st.sampled_from(LEVELS), st.booleans()), min_size=1, max_size=8).map(tuple),
    st.sampled_from(["stop_when_idle", "stop", "exit"]),
)


async def _publish_all(
    runtime: SingleThreadedAgentRuntime, record: Record, case: PublishCase
) -> None:
    record.expected_notes = len(case.publishes)
    for n, (name, raises) in enumerate(case.publishes):
        await runtime.publish_message(Note(n, raises), TopicId(f"to.{name}", "k"))
    if case.how != "stop_when_idle":
        await record.all_noted.wait()  # stop() keeps queued publishes: let them run first


@pytest.mark.anyio
@given(case=PUBLISH_CASES)
@prop_settings(50)
async def test_publish_handler_errors_are_raised_at_stop_and_the_runtime_restarts(
    case: PublishCase,
) -> None:
    record = Record()
    runtime = await _runtime(record, ignore_unhandled_exceptions=False)
    error: BaseException | None = None
    with anyio.fail_after(TIMEOUT):
        try:
            async with runtime:
                await _publish_all(runtime, record, case)
                if case.how == "stop_when_idle":
                    await runtime.stop_when_idle()
                elif case.how == "stop":
                    await runtime.stop()
        except BaseException as exc:
            error = exc
        _check_raised(error, record.raised)
        assert sorted(record.notes) == list(range(len(case.publishes)))
        # Restart: the errors were reported once; a clean run raises nothing.
        record.raised.clear()
        record.notes.clear()
        record.all_noted = anyio.Event()
        async with runtime:
            await _publish_all(runtime, record, PublishCase((("e0", False),), case.how))
            await runtime.stop_when_idle()
        assert record.notes == [0]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@given(case=PUBLISH_CASES.filter(lambda c: c.how != "exit"))
@prop_settings(20)
async def test_publish_handler_errors_in_start_form(case: PublishCase) -> None:
    record = Record()
    runtime = await _runtime(record, ignore_unhandled_exceptions=False)
    error: BaseException | None = None
    with anyio.fail_after(TIMEOUT):
        runtime.start()
        await _publish_all(runtime, record, case)
        try:
            if case.how == "stop_when_idle":
                await runtime.stop_when_idle()
            else:
                await runtime.stop()
        except BaseException as exc:
            error = exc
        _check_raised(error, record.raised)
        record.raised.clear()
        record.notes.clear()
        runtime.start()
        record.all_noted = anyio.Event()
        await _publish_all(runtime, record, PublishCase((("e1", False),), case.how))
        await runtime.stop_when_idle()
        assert record.notes == [0]


# -- unknown agent types -------------------------------------------------------------------

Where = Literal["send", "send_from_handler", "get", "get_now", "metadata"]


class Forwarder(RoutedAgent):
    @message_handler
    async def on_hop(self, message: Hop, ctx: MessageContext) -> str:
        return str(await self.send_message(message, AgentId(message.rest[0], "k")))


@pytest.mark.anyio
@given(
    name=st.from_regex(r"\A[a-z][a-z0-9_]{0,10}\Z").filter(lambda n: n != "fwd"),
    where=st.sampled_from(["send", "send_from_handler", "get", "get_now", "metadata"]),
)
@prop_settings(40)
async def test_unknown_recipient_type_raises_a_specific_error_naming_it(
    name: str, where: Where
) -> None:
    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("fwd", lambda: Forwarder("forwarder"))
    with anyio.fail_after(TIMEOUT):
        async with runtime:
            with pytest.raises(UnknownAgentTypeError) as info:
                if where == "send":
                    await runtime.send_message(Hop((), "", False), AgentId(name, "k"))
                elif where == "send_from_handler":
                    await runtime.send_message(Hop((name,), "", False), AgentId("fwd", "k"))
                elif where == "get":
                    await runtime.get(name)
                elif where == "get_now":
                    await runtime.get(AgentId(name, "k"), lazy=False)
                else:
                    await runtime.agent_metadata(AgentId(name, "k"))
            await runtime.stop_when_idle()
    error = info.value
    assert isinstance(error, LookupError)
    assert isinstance(error, UndeliverableException)
    assert error.agent_type == name
    assert repr(name) in str(error) or name in str(error)


# -- intervention chain --------------------------------------------------------------------


@dataclass(frozen=True)
class Val:
    v: int


Op: TypeAlias = int | Literal["none", "same"]
"""What a handler does: return ``None``, the message itself, or ``Val(v * 10 + op)``."""


def _apply(op: Op, value: int) -> int:
    return value * 10 + op if isinstance(op, int) else value


class Echo(RoutedAgent):
    def __init__(self, seen: list[int], release: anyio.Event, blocking: anyio.Event) -> None:
        super().__init__("echo")
        self.seen = seen
        self.release = release
        self.blocking = blocking

    @message_handler
    async def on_val(self, message: Val, ctx: MessageContext) -> Val:
        self.seen.append(message.v)
        return message

    @message_handler
    async def on_block(self, message: Block, ctx: MessageContext) -> None:
        self.blocking.set()
        await self.release.wait()


class Step(DefaultInterventionHandler):
    def __init__(
        self, ops: tuple[Op, Op, Op], inputs: list[tuple[int, str, int]], index: int
    ) -> None:
        self.ops = ops
        self.inputs = inputs
        self.index = index

    def _do(self, op: Op, message: Any, kind: str) -> Any:
        if not isinstance(message, Val):
            return message
        self.inputs.append((self.index, kind, message.v))
        if op == "none":
            return None
        if op == "same":
            return message
        return Val(_apply(op, message.v))

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        return self._do(self.ops[0], message, "send")

    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]:
        return self._do(self.ops[1], message, "publish")

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]:
        return self._do(self.ops[2], message, "response")


OPS: st.SearchStrategy[Op] = st.one_of(st.sampled_from(["none", "same"]), st.integers(1, 9))


@pytest.mark.anyio
@given(
    chain=st.lists(st.tuples(OPS, OPS, OPS), max_size=4),
    start=st.integers(1, 9),
    queued=st.booleans(),
)
@prop_settings(50)
async def test_intervention_chain_passes_each_output_to_the_next(
    chain: list[tuple[Op, Op, Op]], start: int, queued: bool
) -> None:
    inputs: list[tuple[int, str, int]] = []
    seen: list[int] = []
    release = anyio.Event()
    blocking = anyio.Event()
    runtime = SingleThreadedAgentRuntime(
        intervention_handlers=[Step(ops, inputs, i) for i, ops in enumerate(chain)]
    )
    await runtime.register_factory("echo", lambda: Echo(seen, release, blocking))
    await runtime.add_subscription(TypeSubscription("vals", "echo"))

    def fold(kind: int, value: int) -> tuple[int, list[tuple[int, str, int]]]:
        name = ("send", "publish", "response")[kind]
        expected_inputs = []
        for i, ops in enumerate(chain):
            expected_inputs.append((i, name, value))
            value = _apply(ops[kind], value)
        return value, expected_inputs

    sent, send_inputs = fold(0, start)
    response, response_inputs = fold(2, sent)
    published, publish_inputs = fold(1, start)
    results: list[Any] = []
    with anyio.fail_after(TIMEOUT):
        async with runtime:
            if queued:  # the echo agent is busy: the call is queued and answered by a worker
                await runtime.publish_message(Block(), TopicId("vals", "k"))
                await blocking.wait()
                calling = anyio.Event()

                async def call() -> None:
                    calling.set()  # this test task runs again once the call waits
                    results.append(await runtime.send_message(Val(start), AgentId("echo", "k")))

                async with anyio.create_task_group() as tg:
                    tg.start_soon(call)
                    await calling.wait()
                    release.set()
            else:
                results.append(await runtime.send_message(Val(start), AgentId("echo", "k")))
            assert inputs == send_inputs + response_inputs
            inputs.clear()
            await runtime.publish_message(Val(start), TopicId("vals", "k"))
            await runtime.stop_when_idle()
    assert inputs == publish_inputs
    assert results == [Val(response)]
    assert seen == [sent, published]
