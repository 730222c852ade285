"""The dispatch path under adversarial use: odd handler results and exceptions, reused
steppers, deep and re-entrant inline chains, context isolation, limits learned late,
switches flipped mid-run, cancellation tokens and topic ids at their edges.

Everything goes through the public API and runs on asyncio and on Trio.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import pickle
import threading
import types
from collections.abc import Generator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cantata import (
    AgentId,
    BaseAgent,
    CancellationToken,
    DefaultInterventionHandler,
    DefaultTopicId,
    MessageContext,
    MessageHandlerContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.exceptions import MessageCancelledError

pytestmark = pytest.mark.anyio

_var: ContextVar[str] = ContextVar("adversarial_var", default="caller")


class Fatal(BaseException):
    """A BaseException that is neither an Exception nor a cancellation."""


@dataclass
class Act:
    """What the :class:`Actor` does: ``kind`` picks the behaviour, ``n`` is echoed."""

    kind: str
    n: int = 0


def _raise(kind: str) -> Any:
    errors: dict[str, BaseException] = {
        "fatal": Fatal("fatal"),
        "keyboard": KeyboardInterrupt("ki"),
        "generator_exit": GeneratorExit("ge"),
        "stop_async": StopAsyncIteration("sai"),
        "value": ValueError("value"),
    }
    raise errors[kind]


class Actor(RoutedAgent):
    """A handler whose behaviour is chosen by the message."""

    def __init__(self) -> None:
        super().__init__("actor")

    @message_handler
    async def on_act(self, message: Act, ctx: MessageContext) -> Any:
        kind, _, when = message.kind.partition("@")
        _var.set(f"actor {message.n}")
        if when == "late":
            await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
        if kind == "ok":
            assert _var.get() == f"actor {message.n}"
            return message.n
        if kind == "stop_iteration_value":
            return StopIteration(message.n)
        if kind == "stop_iteration":
            raise StopIteration(message.n)
        return _raise(kind)


ACTOR = AgentId("actor", "a")


async def _actor_runtime() -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime()
    await Actor.register(runtime, "actor", Actor)
    return runtime


# -- odd results and exceptions of inline handlers ----------------------------------------


@pytest.mark.parametrize("when", ["", "@late"])
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("fatal", Fatal),
        ("keyboard", KeyboardInterrupt),
        ("generator_exit", GeneratorExit),
        ("stop_async", StopAsyncIteration),
        ("value", ValueError),
        ("stop_iteration", RuntimeError),  # PEP 479: a coroutine cannot raise StopIteration
    ],
)
async def test_odd_exceptions_of_inline_handlers_reach_the_caller_and_free_the_agent(
    kind: str, when: str, expected: type[BaseException]
) -> None:
    runtime = await _actor_runtime()
    with anyio.fail_after(5):
        runtime.start()
        with pytest.raises(expected):
            await runtime.send_message(Act(kind + when, 1), ACTOR)
        assert _var.get() == "caller"
        # The agent is free again and the next results are its own.
        assert await runtime.send_message(Act("ok" + when, 2), ACTOR) == 2
        assert await runtime.send_message(Act("ok", 3), ACTOR) == 3
        await runtime.stop_when_idle()


@pytest.mark.parametrize("when", ["", "@late"])
async def test_a_handler_may_return_a_stop_iteration_object(when: str) -> None:
    runtime = await _actor_runtime()
    with anyio.fail_after(5):
        async with runtime:
            result = await runtime.send_message(Act("stop_iteration_value" + when, 7), ACTOR)
            assert isinstance(result, StopIteration)
            assert result.value == 7
            assert await runtime.send_message(Act("ok", 8), ACTOR) == 8


class _Awaitable:
    """Not a coroutine: only ``__await__``."""

    def __init__(self, value: Any, suspend: bool) -> None:
        self.value = value
        self.suspend = suspend

    def __await__(self) -> Generator[Any, Any, Any]:
        if self.suspend:
            yield from anyio.lowlevel.checkpoint().__await__()
        return self.value


class OddAgent(BaseAgent):
    """An agent whose ``on_message`` returns an awaitable that is not a native coroutine."""

    def __init__(self) -> None:
        super().__init__("odd")

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        raise AssertionError("not used")

    def on_message(self, message: Any, ctx: MessageContext) -> Any:  # type: ignore[misc]
        kind, n = message
        if kind == "generator":
            return self._generator(n)
        return _Awaitable((kind, n, ctx.is_rpc), suspend=kind == "suspending")

    @types.coroutine
    def _generator(self, n: int) -> Generator[Any, Any, Any]:
        _var.set("generator")
        yield from anyio.lowlevel.checkpoint().__await__()
        return ("generator", n, MessageHandlerContext.agent_id().key, _var.get())


@pytest.mark.parametrize("token", [False, True])
async def test_on_message_may_return_any_awaitable_with_or_without_a_token(token: bool) -> None:
    """Regression: without a token the handler ran by ``yield from``, which refuses an
    object that only has ``__await__`` (``await`` takes it, as it did with a token)."""
    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("odd", OddAgent)
    odd = AgentId("odd", "k")
    with anyio.fail_after(5):
        async with runtime:
            for n, kind in enumerate(["plain", "suspending", "generator", "plain"]):
                result = await runtime.send_message(
                    (kind, n), odd, cancellation_token=CancellationToken() if token else None
                )
                if kind == "generator":
                    assert result == ("generator", n, "k", "generator")
                else:
                    assert result == (kind, n, True)
                assert _var.get() == "caller"


# -- steppers reused after errors and suspensions -----------------------------------------

_KINDS = ["ok", "ok@late", "value", "value@late", "fatal", "fatal@late", "stop_iteration_value"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=st.lists(st.sampled_from(_KINDS), min_size=1, max_size=40))
def test_results_never_mix_up_between_calls(anyio_backend: str, plan: list[str]) -> None:
    async def main() -> None:
        runtime = await _actor_runtime()
        with anyio.fail_after(10):
            runtime.start()
            for n, kind in enumerate(plan):
                try:
                    result = await runtime.send_message(Act(kind, n), ACTOR)
                except ValueError:
                    assert kind.startswith("value")
                except Fatal:
                    assert kind.startswith("fatal")
                else:
                    if kind.startswith("stop_iteration"):
                        assert isinstance(result, StopIteration) and result.value == n
                    else:
                        assert kind.startswith("ok") and result == n
                assert _var.get() == "caller"
            await runtime.stop_when_idle()

    anyio.run(main, backend=anyio_backend)


async def test_concurrent_callers_each_get_their_own_result() -> None:
    """Many callers at once, some suspending inline, some queued, some failing."""
    runtime = SingleThreadedAgentRuntime()
    for name in ("x", "y"):
        await Actor.register(runtime, name, Actor)
    results: dict[int, Any] = {}

    async def call(n: int) -> None:
        kind = ["ok@late", "value@late", "ok", "value"][n % 4]
        try:
            results[n] = await runtime.send_message(Act(kind, n), AgentId("xy"[n % 2], "k"))
        except ValueError:
            results[n] = "error"

    with anyio.fail_after(10):
        async with runtime, anyio.create_task_group() as tg:
            for n in range(60):
                tg.start_soon(call, n)
    assert results == {n: n if n % 4 in (0, 2) else "error" for n in range(60)}


# -- nested inline chains -----------------------------------------------------------------


@dataclass
class Dive:
    """Call the next agent ``depth`` more times; the innermost does ``end``."""

    depth: int
    end: str


class Diver(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("diver")

    @message_handler
    async def on_dive(self, message: Dive, ctx: MessageContext) -> list[str]:
        me = self.id.key
        _var.set(me)
        if message.depth == 0:
            if message.end == "suspend":
                await anyio.sleep(0.001)
            elif message.end == "error":
                raise ValueError(me)
            elif message.end == "hang":
                await anyio.sleep(3600)
            return [MessageHandlerContext.agent_id().key]
        below: list[str] = await self.send_message(
            Dive(message.depth - 1, message.end), AgentId("diver", str(message.depth - 1))
        )
        # After the nested RPC: this handler's own context and identity are intact.
        assert _var.get() == me
        assert MessageHandlerContext.agent_id() == self.id
        assert DefaultTopicId().source == me
        return [*below, me]


@pytest.mark.parametrize("depth", [3, 23, 24, 25, 30])
@pytest.mark.parametrize("end", ["return", "suspend", "error"])
async def test_nested_inline_chains(depth: int, end: str) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Diver.register(runtime, "diver", Diver)
    top = AgentId("diver", str(depth))
    with anyio.fail_after(10):
        async with runtime:
            for _ in range(2):  # a second time: nothing of the first is left over
                if end == "error":
                    with pytest.raises(ValueError, match=r"^0$"):
                        await runtime.send_message(Dive(depth, end), top)
                else:
                    keys = await runtime.send_message(Dive(depth, end), top)
                    assert keys == [str(k) for k in range(depth + 1)]
                assert _var.get() == "caller"


@pytest.mark.parametrize("depth", [3, 30])
async def test_a_caller_cancel_scope_reaches_the_innermost_of_a_deep_chain(depth: int) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Diver.register(runtime, "diver", Diver)
    top = AgentId("diver", str(depth))
    with anyio.fail_after(10):
        async with runtime:
            with anyio.move_on_after(0.05) as scope:
                await runtime.send_message(Dive(depth, "hang"), top)
            assert scope.cancelled_caught
            # Every agent of the chain is free again.
            keys = await runtime.send_message(Dive(depth, "return"), top)
            assert keys == [str(k) for k in range(depth + 1)]


@pytest.mark.parametrize("where", ["before", "during"])
async def test_a_token_cancels_the_innermost_of_a_chain(where: str) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Diver.register(runtime, "diver", Diver)
    token = CancellationToken()
    if where == "before":
        token.cancel()
    with anyio.fail_after(10):
        async with runtime, anyio.create_task_group() as tg:
            if where == "during":
                tg.start_soon(_cancel_later, token)
            with pytest.raises(MessageCancelledError):
                await runtime.send_message(
                    Dive(5, "hang"), AgentId("diver", "5"), cancellation_token=token
                )
            assert await runtime.send_message(Dive(2, "return"), AgentId("diver", "2"))


async def _cancel_later(token: CancellationToken) -> None:
    await anyio.sleep(0.02)
    token.cancel()


@dataclass
class Ping:
    rounds: int


class Ponger(RoutedAgent):
    """A -> B -> A -> ... re-entrant, suspending at every hop."""

    def __init__(self) -> None:
        super().__init__("ponger")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> list[str]:
        _var.set(f"{self.id.key}{message.rounds}")
        await anyio.lowlevel.checkpoint()
        if message.rounds == 0:
            return [self.id.key]
        other = AgentId("ponger", "b" if self.id.key == "a" else "a")
        rest: list[str] = await self.send_message(Ping(message.rounds - 1), other)
        assert _var.get() == f"{self.id.key}{message.rounds}"
        await anyio.lowlevel.checkpoint()
        assert MessageHandlerContext.agent_id() == self.id
        return [self.id.key, *rest]


async def test_reentrant_calls_with_suspensions() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Ponger.register(runtime, "ponger", Ponger)
    with anyio.fail_after(10):
        async with runtime:
            result = await runtime.send_message(Ping(9), AgentId("ponger", "a"))
            assert result == ["a", "b"] * 5


# -- context variables and identity -------------------------------------------------------


@dataclass
class Note:
    text: str


class Listener(RoutedAgent):
    """Records what it sees of ``_var`` and its identity, also from a child task."""

    seen: list[tuple[str, str, str, str]]

    def __init__(self) -> None:
        super().__init__("listener")

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        before = _var.get()
        _var.set(f"set by {self.id.key}")  # never seen by a sibling or the publisher
        child: list[str] = []

        async def in_child() -> None:
            await anyio.lowlevel.checkpoint()
            child.append(f"{MessageHandlerContext.agent_id().key}:{DefaultTopicId().source}")
            _var.set("set by a child")

        async with anyio.create_task_group() as tg:
            tg.start_soon(in_child)
        Listener.seen.append((self.id.key, before, child[0], _var.get()))


class Publisher(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("publisher")

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> str:
        _var.set(message.text)
        await self.publish_message(Note("fan"), TopicId("notes", "s"))
        return _var.get()


async def test_subscribers_of_one_publish_see_the_publishers_value_and_never_each_other() -> None:
    runtime = SingleThreadedAgentRuntime()
    Listener.seen = []
    await Listener.register(runtime, "listener", Listener)
    await Publisher.register(runtime, "publisher", Publisher)
    await runtime.add_subscription(TypeSubscription("notes", "listener"))
    with anyio.fail_after(5):
        async with runtime:
            _var.set("outside")
            returned = await runtime.send_message(Note("from publisher"), AgentId("publisher", "p"))
            assert returned == "from publisher"
            await runtime.stop_when_idle()
            assert _var.get() == "outside"
            _var.set("caller")
    assert Listener.seen == [("s", "from publisher", "s:s", "set by s")]


async def test_sibling_subscribers_do_not_see_each_others_writes() -> None:
    runtime = SingleThreadedAgentRuntime()
    Listener.seen = []
    await Listener.register(runtime, "listener", Listener)
    for n in range(4):
        await runtime.add_subscription(TypeSubscription(f"t{n}", "listener"))
    with anyio.fail_after(5):
        async with runtime:
            token = _var.set("published")
            try:
                for n in range(4):
                    await runtime.publish_message(Note("x"), TopicId(f"t{n}", f"k{n}"))
            finally:
                _var.reset(token)
            await runtime.stop_when_idle()
    assert sorted(Listener.seen) == [
        (f"k{n}", "published", f"k{n}:k{n}", f"set by k{n}") for n in range(4)
    ]


# -- limits learned when the first agent is made ------------------------------------------


@dataclass
class Meet:
    n: int


class Pair(RoutedAgent):
    """max_concurrency 2: the first message waits for the second one to run."""

    max_concurrency = 2

    def __init__(self, met: anyio.Event) -> None:
        super().__init__("pair")
        self.met = met

    @message_handler
    async def on_meet(self, message: Meet, ctx: MessageContext) -> int:
        if message.n == 0:
            await self.met.wait()
        else:
            self.met.set()
        return message.n


@pytest.mark.parametrize("how", ["publish", "send"])
@pytest.mark.parametrize("async_factory", [False, True])
async def test_a_limit_learned_from_the_first_agent_lets_queued_messages_start(
    how: str, async_factory: bool
) -> None:
    """Regression: with a factory registered without its class, the limit is known only
    once the agent exists; messages queued before were held to 1 until the first handler
    finished, so a handler waiting for the next message waited forever."""
    met = anyio.Event()

    async def make_async() -> Pair:
        await anyio.sleep(0.001)
        return Pair(met)

    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("pair", make_async if async_factory else lambda: Pair(met))
    await runtime.add_subscription(TypeSubscription("meet", "pair"))
    results: list[int] = []

    async def call(n: int) -> None:
        results.append(await runtime.send_message(Meet(n), AgentId("pair", "k")))

    with anyio.fail_after(5):
        async with runtime:
            if how == "publish":
                for n in range(2):
                    await runtime.publish_message(Meet(n), TopicId("meet", "k"))
                await runtime.stop_when_idle()
            else:
                async with anyio.create_task_group() as tg:
                    for n in range(2):
                        tg.start_soon(call, n)
                assert sorted(results) == [0, 1]
    assert met.is_set()


# -- switches flipped between messages ----------------------------------------------------


class _Counting(DefaultInterventionHandler):
    def __init__(self) -> None:
        self.sends = 0
        self.responses = 0

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        self.sends += 1
        return message

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        self.responses += 1
        return message


class _Records(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_trace_hooks_and_event_logging_switched_mid_run() -> None:
    runtime = await _actor_runtime()
    hooked: list[Any] = []

    def hook(*args: Any) -> None:
        hooked.append(args)

    events = logging.getLogger("cantata.events")
    level = events.level
    records: list[logging.LogRecord] = []
    handler = _Records(records)
    events.addHandler(handler)
    with anyio.fail_after(5):
        async with runtime:
            try:
                for n in range(12):
                    phase = n % 4
                    if phase == 1:
                        runtime.add_trace_hook(hook)
                    elif phase == 2:
                        runtime.remove_trace_hook(hook)
                        events.setLevel(logging.INFO)
                    elif phase == 3:
                        events.setLevel(logging.WARNING)
                    kind = "ok@late" if n % 3 == 0 else "ok"
                    records.clear()
                    assert await runtime.send_message(Act(kind, n), ACTOR) == n
                    kinds = [json.loads(r.getMessage())["kind"] for r in records]
                    assert kinds == (["DIRECT", "DIRECT", "RESPOND"] if phase == 2 else []), n
                    assert _var.get() == "caller"
            finally:
                events.setLevel(level)
                events.removeHandler(handler)
    assert len(hooked) == 3


async def test_intervention_handlers_see_every_message_on_every_path() -> None:
    counting = _Counting()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[counting])
    await Actor.register(runtime, "actor", Actor)
    with anyio.fail_after(5):
        async with runtime:
            for n in range(6):
                kind = ["ok", "ok@late", "value"][n % 3]
                try:
                    assert await runtime.send_message(Act(kind, n), ACTOR) == n
                except ValueError:
                    assert kind == "value"
    assert counting.sends == 6
    assert counting.responses == 4


# -- stopping while inline handlers are suspended -----------------------------------------


@pytest.mark.parametrize("stop", ["stop", "stop_when_idle"])
async def test_stop_while_an_inline_handler_is_suspended_then_restart(stop: str) -> None:
    release = anyio.Event()
    started = anyio.Event()

    class Slow(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("slow")

        @message_handler
        async def on_act(self, message: Act, ctx: MessageContext) -> int:
            if message.kind == "wait":
                started.set()
                await release.wait()
            return message.n

    runtime = SingleThreadedAgentRuntime()
    await Slow.register(runtime, "slow", Slow)
    slow = AgentId("slow", "k")
    results: list[int] = []

    async def call() -> None:
        results.append(await runtime.send_message(Act("wait", 1), slow))

    with anyio.fail_after(5):
        runtime.start()
        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await started.wait()
            tg.start_soon(_set_later, release)
            if stop == "stop":
                await runtime.stop()
            else:
                await runtime.stop_when_idle()
        assert results == [1]  # the inline handler belongs to its caller: it finished
        runtime.start()
        assert await runtime.send_message(Act("ok", 2), slow) == 2
        await runtime.stop_when_idle()


async def _set_later(event: anyio.Event) -> None:
    await anyio.sleep(0.02)
    event.set()


# -- cancellation tokens ------------------------------------------------------------------


def test_tokens_do_not_share_their_initial_state() -> None:
    first, second = CancellationToken(), CancellationToken()
    ran: list[str] = []
    first.add_callback(lambda: ran.append("first"))
    second.cancel()
    assert ran == [] and not first.is_cancelled() and second.is_cancelled()
    assert not CancellationToken().is_cancelled()
    first.cancel()
    assert ran == ["first"]


def test_token_subclasses_and_misuse() -> None:
    class Named(CancellationToken):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    token = Named("t")
    ran: list[str] = []
    token.add_callback(lambda: token.cancel())  # cancel from a callback: no recursion
    token.add_callback(lambda: ran.append("second"))
    token.cancel()
    token.cancel()
    assert ran == ["second"]
    token.add_callback(lambda: ran.append("after"))  # runs at once
    assert ran == ["second", "after"]
    assert token.name == "t" and token.is_cancelled()


def _cancel_from_threads() -> list[int]:
    token = CancellationToken()
    ran: list[int] = []
    lock = threading.Lock()

    def record(n: int) -> None:
        with lock:
            ran.append(n)

    for n in range(10):
        token.add_callback(lambda n=n: record(n))  # type: ignore[misc]
    threads = [threading.Thread(target=token.cancel) for _ in range(4)]
    threads += [
        threading.Thread(target=token.add_callback, args=(lambda: record(99),)) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(ran)


def test_a_token_cancelled_from_many_threads_runs_each_callback_once() -> None:
    for _ in range(20):
        assert _cancel_from_threads() == [*range(10), 99, 99]


async def test_a_token_cancelled_by_a_handler_of_its_own_rpc() -> None:
    token = CancellationToken()

    class SelfCancel(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("self cancel")

        @message_handler
        async def on_act(self, message: Act, ctx: MessageContext) -> int:
            ctx.cancellation_token.cancel()
            await anyio.lowlevel.checkpoint()
            return 1

    runtime = SingleThreadedAgentRuntime()
    await SelfCancel.register(runtime, "sc", SelfCancel)
    with anyio.fail_after(5):
        async with runtime:
            with pytest.raises(MessageCancelledError):
                await runtime.send_message(Act("x"), AgentId("sc", "k"), cancellation_token=token)
            assert await runtime.send_message(Act("x"), AgentId("sc", "k")) == 1


# -- topic ids ----------------------------------------------------------------------------


class _Sub(TopicId):
    pass


def test_topic_id_edge_cases() -> None:
    topic = TopicId("t", "s")
    assert dataclasses.replace(topic, source="x") == TopicId("t", "x")
    with pytest.raises(ValueError):
        dataclasses.replace(topic, type="bad type")
    for made in (pickle.loads(pickle.dumps(topic)), copy.copy(topic), copy.deepcopy(topic)):
        assert made == topic and hash(made) == hash(topic) and type(made) is TopicId
    sub = _Sub("t", "s")
    assert sub == topic and hash(sub) == hash(topic)
    assert pickle.loads(pickle.dumps(sub)) == sub
    default = DefaultTopicId()
    assert default == TopicId("default", "default")
    assert hash(default) == hash(TopicId("default", "default"))
    assert pickle.loads(pickle.dumps(default)) == default
    assert type(dataclasses.replace(default, source="y")) is DefaultTopicId
    assert len({topic, sub, copy.copy(sub)}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        topic.source = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        TopicId(1, "s")  # type: ignore[arg-type]
    assert TopicId(type="t", source="s") == topic


# -- identity in handlers and child tasks -------------------------------------------------


async def test_default_topic_id_and_agent_id_outside_and_inside_handlers() -> None:
    seen: list[str] = []

    class Who(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("who")

        @message_handler
        async def on_act(self, message: Act, ctx: MessageContext) -> str:
            async def child() -> None:
                seen.append(f"child {MessageHandlerContext.agent_id().key}")

            async with anyio.create_task_group() as tg:
                tg.start_soon(child)
            return DefaultTopicId().source

    runtime = SingleThreadedAgentRuntime()
    await Who.register(runtime, "who", Who)
    with anyio.fail_after(5):
        async with runtime:
            assert await runtime.send_message(Act("x"), AgentId("who", "k1")) == "k1"
            assert DefaultTopicId().source == "default"
            with pytest.raises(RuntimeError):
                MessageHandlerContext.agent_id()
            token = CancellationToken()
            assert (
                await runtime.send_message(Act("x"), AgentId("who", "k2"), cancellation_token=token)
                == "k2"
            )
    assert seen == ["child k1", "child k2"]


# -- more: restarts under a stuck inline handler, factories, mixed workloads --------------


async def test_an_inline_handler_stuck_through_a_stop_and_a_restart() -> None:
    started = anyio.Event()

    class Stuck(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("stuck")

        @message_handler
        async def on_act(self, message: Act, ctx: MessageContext) -> int:
            if message.kind == "hang":
                started.set()
                await anyio.sleep(3600)
            return message.n

    runtime = SingleThreadedAgentRuntime(stop_grace_period=0.05)
    await Stuck.register(runtime, "stuck", Stuck)
    stuck = AgentId("stuck", "k")
    with anyio.fail_after(5):
        runtime.start()
        assert await runtime.send_message(Act("ok", 1), stuck) == 1  # the workers run
        async with anyio.create_task_group() as tg:
            tg.start_soon(runtime.send_message, Act("hang"), stuck)  # runs inline
            await started.wait()
            await runtime.stop()  # the inline handler is its caller's: it still runs
            runtime.start()
            tg.cancel_scope.cancel()  # now its caller gives up
        # The agent is free: an inline call and a queued publish both reach it.
        assert await runtime.send_message(Act("ok", 3), stuck) == 3
        assert await runtime.send_message(Act("ok", 4), AgentId("stuck", "other")) == 4
        await runtime.stop_when_idle()


class Maker(RoutedAgent):
    def __init__(self) -> None:
        _var.set("set by a constructor")
        super().__init__("maker")

    @message_handler
    async def on_act(self, message: Act, ctx: MessageContext) -> str:
        return _var.get()


async def _make_maker() -> Maker:
    await anyio.lowlevel.checkpoint()
    _var.set("set by an async factory after it suspended")
    return Maker()


@pytest.mark.parametrize("factory", ["class", "async"])
@pytest.mark.parametrize("token", [False, True])
async def test_a_factory_setting_a_context_variable_does_not_leak_to_the_caller(
    token: bool, factory: str
) -> None:
    """Regression: an agent made for an inline RPC was constructed in its caller's task and
    context, so a context variable its constructor set stayed set in the caller."""
    runtime = SingleThreadedAgentRuntime()
    if factory == "class":
        await Maker.register(runtime, "maker", Maker)
    else:
        await runtime.register_factory("maker", _make_maker)
    with anyio.fail_after(5):
        async with runtime:
            seen = await runtime.send_message(
                Act("x"),
                AgentId("maker", "k"),
                cancellation_token=CancellationToken() if token else None,
            )
            assert _var.get() == "caller"
            assert seen == "caller"  # the handler runs in the caller's context, not the factory's


@dataclass
class Job:
    sender: int
    seq: int
    suspend: bool
    fail: bool


class Worker(RoutedAgent):
    """Records every job it gets; a limit of 1 keeps one sender's jobs in order."""

    log: dict[str, list[tuple[int, int]]]

    def __init__(self) -> None:
        super().__init__("worker")

    @message_handler
    async def on_job(self, message: Job, ctx: MessageContext) -> int:
        Worker.log.setdefault(self.id.key, []).append((message.sender, message.seq))
        if message.suspend:
            await anyio.lowlevel.checkpoint()
        if message.fail:
            raise ValueError(message.seq)
        assert MessageHandlerContext.agent_id() == self.id
        return message.seq


_op = st.tuples(
    st.sampled_from(["send", "publish"]),
    st.integers(0, 2),  # which agent
    st.booleans(),  # suspends
    st.booleans(),  # fails
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plans=st.lists(st.lists(_op, max_size=12), min_size=1, max_size=4))
def test_mixed_workloads_lose_nothing_and_keep_each_senders_order(
    anyio_backend: str, plans: list[list[tuple[str, int, bool, bool]]]
) -> None:
    async def run_plan(runtime: SingleThreadedAgentRuntime, sender: int, plan: Any) -> None:
        for seq, (how, target, suspend, fail) in enumerate(plan):
            job = Job(sender, seq, suspend, fail)
            if how == "publish":
                await runtime.publish_message(job, TopicId("jobs", str(target)))
                continue
            try:
                assert await runtime.send_message(job, AgentId("worker", str(target))) == seq
            except ValueError as exc:
                assert fail and exc.args == (seq,)
            else:
                assert not fail

    async def main() -> None:
        Worker.log = {}
        runtime = SingleThreadedAgentRuntime()
        await Worker.register(runtime, "worker", Worker)
        await runtime.add_subscription(TypeSubscription("jobs", "worker"))
        with anyio.fail_after(10):
            runtime.start()
            async with anyio.create_task_group() as tg:
                for sender, plan in enumerate(plans):
                    tg.start_soon(run_plan, runtime, sender, plan)
            await runtime.stop_when_idle()
        for target in range(3):
            got = Worker.log.get(str(target), [])
            expected = [
                (sender, seq)
                for sender, plan in enumerate(plans)
                for seq, op in enumerate(plan)
                if op[1] == target
            ]
            assert sorted(got) == sorted(expected)
            for sender in range(len(plans)):
                mine = [seq for s, seq in got if s == sender]
                assert mine == sorted(mine)

    anyio.run(main, backend=anyio_backend)


class _CancelOnSend(DefaultInterventionHandler):
    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        if isinstance(message, Act) and message.kind == "cancel me":
            message_context.cancellation_token.cancel()
        return message


@pytest.mark.parametrize("own_token", [False, True])
@pytest.mark.parametrize("busy", [False, True])
async def test_a_token_cancelled_before_the_handler_starts_means_it_never_runs(
    busy: bool, own_token: bool
) -> None:
    """Regression: an RPC whose token was cancelled after it was accepted (here by an
    intervention) but before its handler started still ran the handler inline and returned
    its result; a queued one (busy agent) is answered with MessageCancelledError unrun.
    Without a caller's token, the token the interventions saw was not the handler's."""
    ran: list[int] = []
    release = anyio.Event()

    class Once(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("once")

        @message_handler
        async def on_act(self, message: Act, ctx: MessageContext) -> int:
            ran.append(message.n)
            if message.kind == "wait":
                await release.wait()
            return message.n

    runtime = SingleThreadedAgentRuntime()
    await Once.register(runtime, "once", Once)
    cancelling = SingleThreadedAgentRuntime(intervention_handlers=[_CancelOnSend()])
    await Once.register(cancelling, "once", Once)
    once = AgentId("once", "k")
    with anyio.fail_after(5):
        async with runtime, cancelling, anyio.create_task_group() as tg:
            if busy:
                tg.start_soon(cancelling.send_message, Act("wait", 0), once)
                await anyio.sleep(0.01)
                assert ran == [0]
            with pytest.raises(MessageCancelledError):
                await cancelling.send_message(
                    Act("cancel me", 1),
                    once,
                    cancellation_token=CancellationToken() if own_token else None,
                )
            release.set()
            assert await runtime.send_message(Act("ok", 2), once) == 2
    assert 1 not in ran


class SyncStart(BaseAgent):
    """``on_message`` does work before returning its coroutine, as a hand-written Agent may."""

    def __init__(self) -> None:
        super().__init__("sync start")

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        raise AssertionError("not used")

    def on_message(self, message: Any, ctx: MessageContext) -> Any:  # type: ignore[misc]
        _var.set("set by on_message")
        who = MessageHandlerContext.agent_id().key

        async def rest() -> str:
            return who

        return rest()


@pytest.mark.parametrize("path", ["inline", "token", "publish"])
async def test_the_synchronous_part_of_on_message_runs_in_the_handlers_context(path: str) -> None:
    """Regression: the call ``agent.on_message(message, ctx)`` was made in the caller's
    context, outside the handler's copy: the handler's identity was missing there and what
    it set reached the caller."""
    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("sync", SyncStart)
    await runtime.add_subscription(TypeSubscription("sync", "sync"))
    with anyio.fail_after(5):
        async with runtime:
            if path == "publish":
                await runtime.publish_message("x", TopicId("sync", "p"))
                await runtime.stop_when_idle()
            else:
                token = CancellationToken() if path == "token" else None
                who = await runtime.send_message(
                    "x", AgentId("sync", "k"), cancellation_token=token
                )
                assert who == "k"
            assert _var.get() == "caller"


# -- cancellation at every point of random workloads --------------------------------------


@dataclass
class Spin:
    ticks: int
    n: int


class Spinner(RoutedAgent):
    """Yields ``ticks`` times, then answers ``n``; checks its context after every yield."""

    def __init__(self) -> None:
        super().__init__("spinner")

    @message_handler
    async def on_spin(self, message: Spin, ctx: MessageContext) -> int:
        _var.set(f"spin {message.n}")
        for _ in range(message.ticks):
            await anyio.lowlevel.checkpoint()
            assert _var.get() == f"spin {message.n}"
            assert MessageHandlerContext.agent_id() == self.id
        return message.n


_call = st.tuples(
    st.integers(0, 2),  # target agent
    st.integers(0, 4),  # the handler's yields
    st.none() | st.integers(0, 6),  # cancel after this many of the caller's yields
    st.sampled_from(["token", "scope", "scope with a token"]),  # how the caller cancels
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(senders=st.lists(st.lists(_call, max_size=6), min_size=1, max_size=3))
def test_cancellation_at_random_points_leaves_every_agent_usable(
    anyio_backend: str, senders: list[list[tuple[int, int, int | None, str]]]
) -> None:
    async def one(runtime: SingleThreadedAgentRuntime, n: int, call: Any) -> None:
        target, ticks, cancel_at, how = call
        via_token = how == "token"
        token = CancellationToken() if how != "scope" else None

        async def rpc() -> None:
            try:
                result = await runtime.send_message(
                    Spin(ticks, n), AgentId("spinner", str(target)), cancellation_token=token
                )
            except MessageCancelledError:
                assert via_token and cancel_at is not None
            else:
                assert result == n
            assert _var.get() == "caller"

        async with anyio.create_task_group() as tg:
            tg.start_soon(rpc)
            if cancel_at is not None:
                for _ in range(cancel_at):
                    await anyio.lowlevel.checkpoint()
                if via_token:
                    assert token is not None
                    token.cancel()
                else:
                    tg.cancel_scope.cancel()

    async def sender(runtime: SingleThreadedAgentRuntime, s: int, calls: Any) -> None:
        for i, call in enumerate(calls):
            await one(runtime, s * 100 + i, call)

    async def main() -> None:
        runtime = SingleThreadedAgentRuntime()
        await Spinner.register(runtime, "spinner", Spinner)
        with anyio.fail_after(10):
            runtime.start()
            async with anyio.create_task_group() as tg:
                for s, calls in enumerate(senders):
                    tg.start_soon(sender, runtime, s, calls)
            for target in range(3):  # nothing is left running or queued for any agent
                assert (
                    await runtime.send_message(Spin(1, -1), AgentId("spinner", str(target))) == -1
                )
            await runtime.stop_when_idle()

    anyio.run(main, backend=anyio_backend)


class Wide(RoutedAgent):
    """max_concurrency 3: up to three handlers of one agent run at once."""

    max_concurrency = 3
    running = 0
    peak = 0

    def __init__(self) -> None:
        super().__init__("wide")

    @message_handler
    async def on_spin(self, message: Spin, ctx: MessageContext) -> int:
        Wide.running += 1
        Wide.peak = max(Wide.peak, Wide.running)
        _var.set(f"wide {message.n}")
        try:
            for _ in range(message.ticks):
                await anyio.sleep(0.001)
                assert _var.get() == f"wide {message.n}"
        finally:
            Wide.running -= 1
        return message.n


@pytest.mark.parametrize("register", ["class", "factory"])
async def test_concurrent_handlers_of_one_agent_keep_their_own_context_and_result(
    register: str,
) -> None:
    Wide.running = Wide.peak = 0
    runtime = SingleThreadedAgentRuntime()
    if register == "class":
        await Wide.register(runtime, "wide", Wide)
    else:
        await runtime.register_factory("wide", Wide)
    results: dict[int, int] = {}

    async def call(n: int) -> None:
        results[n] = await runtime.send_message(Spin(3, n), AgentId("wide", "k"))

    with anyio.fail_after(10):
        async with runtime, anyio.create_task_group() as tg:
            for n in range(10):
                tg.start_soon(call, n)
    assert results == {n: n for n in range(10)}
    assert Wide.peak == 3


class Relay(RoutedAgent):
    """Forwards an :class:`Act` to the actor inline and reports what came back."""

    def __init__(self) -> None:
        super().__init__("relay")

    @message_handler
    async def on_act(self, message: Act, ctx: MessageContext) -> str:
        _var.set("relay")
        try:
            result = await self.send_message(message, ACTOR)
        except BaseException as exc:  # everything, to look at it
            outcome = type(exc).__name__
        else:
            outcome = f"result {result}"
        assert _var.get() == "relay"
        assert MessageHandlerContext.agent_id() == self.id
        return outcome


@pytest.mark.parametrize("when", ["", "@late"])
async def test_odd_exceptions_cross_a_nested_inline_rpc_unchanged(when: str) -> None:
    runtime = await _actor_runtime()
    await Relay.register(runtime, "relay", Relay)
    relay = AgentId("relay", "r")
    expected = {
        "fatal": "Fatal",
        "keyboard": "KeyboardInterrupt",
        "generator_exit": "GeneratorExit",
        "stop_async": "StopAsyncIteration",
        "stop_iteration": "RuntimeError",
        "ok": "result 5",
    }
    with anyio.fail_after(5):
        async with runtime:
            for kind, outcome in [*expected.items(), *expected.items()]:
                assert await runtime.send_message(Act(kind + when, 5), relay) == outcome
            assert _var.get() == "caller"


@dataclass(frozen=True)
class _ExtraTopic(TopicId):
    """A dataclass subclass: @dataclass writes its __init__."""

    extra: str = ""


def test_a_dataclass_subclass_of_topic_id_checks_its_type() -> None:
    """Regression: TopicId's hand-written __init__ checks the type, but the __init__ that
    @dataclass writes for a subclass with more fields does not call it, so such a subclass
    accepted any type."""
    with pytest.raises(ValueError, match="Invalid topic type"):
        _ExtraTopic("bad type!", "s")
    with pytest.raises(TypeError):
        _ExtraTopic(5, "s")  # type: ignore[arg-type]
    topic = _ExtraTopic("t", "s", "x")
    assert topic == TopicId("t", "s") and str(topic) == "t/s"
    assert pickle.loads(pickle.dumps(topic)) == topic
    assert dataclasses.replace(topic, extra="y").extra == "y"


async def test_publishes_queued_behind_a_suspended_inline_handler_survive_a_stop() -> None:
    release = anyio.Event()
    started = anyio.Event()
    seen: list[int] = []

    class Busy(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("busy")

        @message_handler
        async def on_act(self, message: Act, ctx: MessageContext) -> int:
            seen.append(message.n)
            if message.kind == "wait":
                started.set()
                await release.wait()
            return message.n

    runtime = SingleThreadedAgentRuntime(stop_grace_period=0.05)
    await Busy.register(runtime, "busy", Busy)
    await runtime.add_subscription(TypeSubscription("busy", "busy"))
    busy = AgentId("busy", "k")
    with anyio.fail_after(5):
        runtime.start()
        assert await runtime.send_message(Act("ok", 0), busy) == 0  # the workers run
        async with anyio.create_task_group() as tg:
            tg.start_soon(runtime.send_message, Act("wait", 1), busy)  # inline, suspends
            await started.wait()
            for n in range(2, 5):
                await runtime.publish_message(Act("ok", n), TopicId("busy", "k"))
            await runtime.stop()
            assert seen == [0, 1]  # queued behind the inline handler, kept by the stop
            release.set()
        runtime.start()
        await runtime.stop_when_idle()
    assert seen == [0, 1, 2, 3, 4]


class Made(RoutedAgent):
    """Records what its constructor sees of the handler context."""

    seen: list[str]

    def __init__(self) -> None:
        try:
            handler = MessageHandlerContext.agent_id().key
        except RuntimeError:
            handler = "no handler"
        Made.seen.append(f"{DefaultTopicId().source}, {handler}")
        super().__init__("made")

    @message_handler
    async def on_act(self, message: Act, ctx: MessageContext) -> str:
        return MessageHandlerContext.agent_id().key


class Maker2(RoutedAgent):
    """Sends to a :class:`Made` agent from its handler, so that it is made inline."""

    def __init__(self) -> None:
        super().__init__("maker2")

    @message_handler
    async def on_act(self, message: Act, ctx: MessageContext) -> str:
        made: str = await self.send_message(message, AgentId("made", message.kind))
        return made


async def test_an_agent_is_constructed_outside_any_handler_wherever_it_is_made() -> None:
    """Regression: an agent made for an inline RPC from a handler saw that handler's
    identity in its constructor (DefaultTopicId() gave the calling agent's key); one made
    by a worker saw none."""
    Made.seen = []
    runtime = SingleThreadedAgentRuntime()
    await Made.register(runtime, "made", Made)
    await Maker2.register(runtime, "maker2", Maker2)
    await runtime.add_subscription(TypeSubscription("made", "made"))
    with anyio.fail_after(5):
        async with runtime:
            assert await runtime.send_message(Act("inline"), AgentId("maker2", "caller")) == (
                "inline"
            )
            await runtime.publish_message(Act("x"), TopicId("made", "queued"))
            await runtime.stop_when_idle()
    assert Made.seen == ["default, no handler", "default, no handler"]
