"""SingleThreadedAgentRuntime: messaging, registration, look-ups, tracing and log events."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import pytest

from cantata import (
    EVENT_LOGGER_NAME,
    ROOT_LOGGER_NAME,
    Agent,
    AgentId,
    AgentInstantiationContext,
    AgentRuntime,
    AgentType,
    BaseAgent,
    CancellationToken,
    DefaultInterventionHandler,
    DefaultTopicId,
    DeliveryRecord,
    DropMessage,
    MessageContext,
    MessageHandlerContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TraceRecorder,
    TypePrefixSubscription,
    TypeSubscription,
    event,
    rpc,
)
from cantata.exceptions import (
    CantHandleException,
    MessageDroppedException,
    UndeliverableException,
    UnknownAgentTypeError,
)
from cantata.logging import (
    AgentConstructionExceptionEvent,
    MessageDroppedEvent,
    MessageEvent,
    MessageHandlerExceptionEvent,
)

pytestmark = pytest.mark.anyio


@dataclass
class Ping:
    n: int


@dataclass
class Pong:
    n: int


@dataclass
class Note:
    text: str


class Echo(RoutedAgent):
    """Answers Ping with Pong and records every message context it sees."""

    created = 0

    def __init__(self) -> None:
        super().__init__("echoes pings")
        Echo.created += 1
        self.contexts: list[MessageContext] = []
        self.notes: list[str] = []

    @rpc
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Pong:
        self.contexts.append(ctx)
        return Pong(message.n)

    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.contexts.append(ctx)
        self.notes.append(message.text)


class Plain(BaseAgent):
    """A BaseAgent that returns what it receives."""

    def __init__(self, description: str = "plain") -> None:
        super().__init__(description)
        self.received: list[Any] = []

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        self.received.append(message)
        return message


class OtherPlain(Plain):
    pass


async def _echo_runtime(
    *, topic_type: str | None = None, **kwargs: Any
) -> SingleThreadedAgentRuntime:
    """A runtime with ``Echo`` agents (type ``echo``); with ``topic_type``, subscribed to it."""
    runtime = SingleThreadedAgentRuntime(**kwargs)
    await Echo.register(runtime, "echo", Echo)
    if topic_type is not None:
        await runtime.add_subscription(TypeSubscription(topic_type, "echo"))
    return runtime


async def _runtime_of(
    agent_type: str,
    factory: Callable[[], Agent | Awaitable[Agent]],
    *,
    topic_type: str | None = None,
    **kwargs: Any,
) -> SingleThreadedAgentRuntime:
    """A runtime with one agent type made by ``factory``; with ``topic_type``, subscribed to it."""
    runtime = SingleThreadedAgentRuntime(**kwargs)
    await runtime.register_factory(agent_type, factory)
    if topic_type is not None:
        await runtime.add_subscription(TypeSubscription(topic_type, agent_type))
    return runtime


async def _echo(runtime: SingleThreadedAgentRuntime, key: str) -> Echo:
    return await runtime.try_get_underlying_agent_instance(AgentId("echo", key), Echo)


# --- send_message ---------------------------------------------------------------------------


async def test_send_message_returns_the_handler_response() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        async with runtime:
            assert await runtime.send_message(Ping(1), AgentId("echo", "a")) == Pong(1)
            assert await runtime.send_message(Ping(2), AgentId("echo", "a")) == Pong(2)


async def test_send_message_context_fields() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        await runtime.register_factory("plain", Plain)
        assert isinstance(runtime, AgentRuntime)
        async with runtime:
            sender = AgentId("plain", "s")
            await runtime.send_message(
                Ping(1), AgentId("echo", "a"), sender=sender, message_id="m-1"
            )
            await runtime.send_message(Ping(2), AgentId("echo", "a"))
            await runtime.send_message(Ping(3), AgentId("echo", "a"))
        echo = await _echo(runtime, "a")
        first, second, third = echo.contexts
        assert first.sender == sender
        assert first.topic_id is None
        assert first.is_rpc is True
        assert first.message_id == "m-1"
        assert second.sender is None
        # generated ids are unique strings
        assert len({first.message_id, second.message_id, third.message_id}) == 3
        assert all(isinstance(c.message_id, str) and c.message_id for c in echo.contexts)


async def test_send_passes_the_callers_token_to_the_handler() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        token = CancellationToken()
        async with runtime:
            await runtime.send_message(Ping(1), AgentId("echo", "a"), cancellation_token=token)
            await runtime.send_message(Ping(2), AgentId("echo", "a"))
        echo = await _echo(runtime, "a")
        assert echo.contexts[0].cancellation_token is token
        assert isinstance(echo.contexts[1].cancellation_token, CancellationToken)
        assert echo.contexts[1].cancellation_token is not token


async def test_send_to_unknown_type_raises_unknown_agent_type_error() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        async with runtime:
            with pytest.raises(UnknownAgentTypeError) as info:
                await runtime.send_message(Ping(1), AgentId("ghost", "a"))
            assert info.value.agent_type == "ghost"
            assert "ghost" in str(info.value)
            assert isinstance(info.value, LookupError)
            assert isinstance(info.value, UndeliverableException)
            # the runtime keeps working
            assert await runtime.send_message(Ping(2), AgentId("echo", "a")) == Pong(2)


async def test_send_to_unknown_type_raises_even_when_not_started() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        with pytest.raises(UnknownAgentTypeError):
            await runtime.send_message(Ping(1), AgentId("ghost", "a"))


async def test_send_to_new_key_creates_the_agent_lazily() -> None:
    with anyio.fail_after(5):
        made: list[AgentId] = []

        def factory() -> Plain:
            made.append(AgentInstantiationContext.current_agent_id())
            return Plain()

        runtime = await _runtime_of("plain", factory)
        assert made == []
        async with runtime:
            assert await runtime.send_message("x", AgentId("plain", "k1")) == "x"
            assert await runtime.send_message("y", AgentId("plain", "k2")) == "y"
            assert await runtime.send_message("z", AgentId("plain", "k1")) == "z"
        assert made == [AgentId("plain", "k1"), AgentId("plain", "k2")]


async def test_rpc_handler_exception_reaches_caller_as_same_object() -> None:
    with anyio.fail_after(5):
        raised = KeyError("boom")

        class Failing(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                raise raised

        runtime = await _runtime_of("failing", lambda: Failing("fails"))
        async with runtime:
            with pytest.raises(KeyError) as info:
                await runtime.send_message("x", AgentId("failing", "a"))
            assert info.value is raised


async def test_rpc_with_no_matching_handler_returns_none_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with anyio.fail_after(5):
        caplog.set_level(logging.INFO, logger=ROOT_LOGGER_NAME)
        runtime = await _echo_runtime()
        async with runtime:
            assert await runtime.send_message(Note("event only"), AgentId("echo", "a")) is None
            assert await runtime.send_message("a str", AgentId("echo", "a")) is None
        unhandled = [r for r in caplog.records if r.getMessage().startswith("Unhandled message")]
        assert len(unhandled) == 2
        assert all(r.levelno == logging.INFO for r in unhandled)


async def test_cant_handle_from_on_unhandled_message_reaches_the_caller() -> None:
    with anyio.fail_after(5):

        class Picky(Echo):
            async def on_unhandled_message(self, message: Any, ctx: MessageContext) -> Any:
                raise CantHandleException(f"no handler for {type(message).__name__}")

        runtime = SingleThreadedAgentRuntime()
        await Picky.register(runtime, "picky", Picky)
        async with runtime:
            with pytest.raises(CantHandleException, match="str"):
                await runtime.send_message("a str", AgentId("picky", "a"))
            assert await runtime.send_message(Ping(1), AgentId("picky", "a")) == Pong(1)


async def test_send_does_not_instantiate_the_sender() -> None:
    with anyio.fail_after(5):
        Echo.created = 0
        runtime = await _echo_runtime()
        async with runtime:
            await runtime.send_message(Ping(1), AgentId("echo", "b"), sender=AgentId("echo", "s"))
            # a sender of an unregistered type is only a label
            await runtime.send_message(Ping(1), AgentId("echo", "b"), sender=AgentId("ghost", "s"))
        assert Echo.created == 1
        echo = await _echo(runtime, "b")
        assert [c.sender for c in echo.contexts] == [AgentId("echo", "s"), AgentId("ghost", "s")]


# --- publish_message ------------------------------------------------------------------------


async def test_publish_reaches_subscribers_with_publish_context() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime(topic_type="news")
        async with runtime:
            await runtime.publish_message(Note("hello"), TopicId("news", "s1"), message_id="p-1")
            await runtime.stop_when_idle()
        echo = await _echo(runtime, "s1")
        assert echo.notes == ["hello"]
        ctx = echo.contexts[0]
        assert ctx.is_rpc is False
        assert ctx.topic_id == TopicId("news", "s1")
        assert ctx.sender is None
        assert ctx.message_id == "p-1"


async def test_publish_returns_none_and_never_waits_for_delivery() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime(topic_type="news")
        # not started: publishing only queues
        await runtime.publish_message(Note("queued"), TopicId("news", "s"))
        assert runtime.unprocessed_messages_count == 1


async def test_publish_with_no_subscribers_is_a_no_op() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        async with runtime:
            await runtime.publish_message(Note("nobody"), TopicId("nobody-listens", "s"))
            assert runtime.unprocessed_messages_count == 0
            await runtime.stop_when_idle()


async def test_publish_skips_the_sender_and_does_not_instantiate_it() -> None:
    with anyio.fail_after(5):
        Echo.created = 0
        runtime = await _echo_runtime(topic_type="news")
        async with runtime:
            # the sender would be a recipient: it is skipped
            await runtime.publish_message(
                Note("mine"), TopicId("news", "s"), sender=AgentId("echo", "s")
            )
            await runtime.stop_when_idle()
        assert Echo.created == 0
        async with runtime:
            # a sender of the same type but another key does not hold back the recipient
            await runtime.publish_message(
                Note("theirs"), TopicId("news", "s"), sender=AgentId("echo", "x")
            )
            await runtime.stop_when_idle()
        assert Echo.created == 1
        echo = await _echo(runtime, "s")
        assert echo.notes == ["theirs"]
        assert echo.contexts[0].sender == AgentId("echo", "x")


async def test_agent_publish_from_handler_excludes_itself() -> None:
    with anyio.fail_after(5):
        seen: list[tuple[AgentId, str]] = []

        class Chatty(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("chatty")

            @event
            async def on_note(self, message: Note, ctx: MessageContext) -> None:
                seen.append((self.id, message.text))
                if message.text == "start":
                    await self.publish_message(Note("echo"), TopicId("room", self.id.key))

        runtime = SingleThreadedAgentRuntime()
        await Chatty.register(runtime, "alice", Chatty)
        await Chatty.register(runtime, "bob", Chatty)
        await runtime.add_subscription(TypeSubscription("room", "alice"))
        await runtime.add_subscription(TypeSubscription("room", "bob"))
        async with runtime:
            await runtime.publish_message(
                Note("start"), TopicId("room", "r"), sender=AgentId("bob", "r")
            )
            await runtime.stop_when_idle()
        # alice got "start" (bob sent it), then published "echo": bob got it, alice did not.
        assert seen == [(AgentId("alice", "r"), "start"), (AgentId("bob", "r"), "echo")]


async def test_overlapping_subscriptions_deliver_once() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime(topic_type="default")
        await runtime.add_subscription(TypePrefixSubscription("def", "echo"))
        await runtime.add_subscription(TypePrefixSubscription("", "echo"))
        async with runtime:
            await runtime.publish_message(Note("once"), TopicId("default", "k"))
            await runtime.stop_when_idle()
        echo = await _echo(runtime, "k")
        assert echo.notes == ["once"]


async def test_each_subscriber_sees_a_topic_in_publish_order() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime(topic_type="news")
        async with runtime:
            for i in range(20):
                await runtime.publish_message(Note(str(i)), TopicId("news", "k"))
            await runtime.stop_when_idle()
        assert (await _echo(runtime, "k")).notes == [str(i) for i in range(20)]


async def test_default_topic_id_source_inside_a_handler_is_the_agent_key() -> None:
    with anyio.fail_after(5):
        topics: list[TopicId] = []
        replies: list[tuple[AgentId, str]] = []

        class Asker(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("asks")

            @event
            async def on_note(self, message: Note, ctx: MessageContext) -> None:
                topic = DefaultTopicId(type="answers")
                topics.append(topic)
                await self.publish_message(Note("answer"), topic)

        class Listener(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("listens")

            @event
            async def on_note(self, message: Note, ctx: MessageContext) -> None:
                replies.append((self.id, message.text))

        runtime = SingleThreadedAgentRuntime()
        await Asker.register(runtime, "asker", Asker)
        await Listener.register(runtime, "listener", Listener)
        await runtime.add_subscription(TypeSubscription("questions", "asker"))
        await runtime.add_subscription(TypeSubscription("answers", "listener"))
        async with runtime:
            await runtime.publish_message(Note("q"), TopicId("questions", "session-7"))
            await runtime.stop_when_idle()
        assert topics == [TopicId("answers", "session-7")]
        assert replies == [(AgentId("listener", "session-7"), "answer")]
        # outside a handler the source is "default"
        assert DefaultTopicId().source == "default"


async def test_message_handler_context_is_set_inside_handlers() -> None:
    with anyio.fail_after(5):
        seen: list[AgentId] = []

        class WhoAmI(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                seen.append(MessageHandlerContext.agent_id())
                return None

        runtime = await _runtime_of("who", lambda: WhoAmI("who"), topic_type="t")
        async with runtime:
            await runtime.send_message("x", AgentId("who", "rpc"))
            await runtime.publish_message("x", TopicId("t", "pub"))
            await runtime.stop_when_idle()
        assert seen == [AgentId("who", "rpc"), AgentId("who", "pub")]
        with pytest.raises(RuntimeError):
            MessageHandlerContext.agent_id()


# --- context variables --------------------------------------------------------------------

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


class ContextReader(BaseAgent):
    def __init__(self) -> None:
        super().__init__("reads a context variable")
        self.seen: list[str] = []

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        self.seen.append(f"{message}:{_request_id.get()}")
        return _request_id.get()


async def test_handlers_run_with_the_senders_context_variables() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime_of("reader", ContextReader, topic_type="t")
        _request_id.set("at-start")
        async with runtime:
            _request_id.set("send-1")
            await runtime.publish_message("p1", TopicId("t", "k"))
            _request_id.set("send-2")
            await runtime.publish_message("p2", TopicId("t", "k"))
            _request_id.set("rpc")
            assert await runtime.send_message("r", AgentId("reader", "other")) == "rpc"
            _request_id.set("at-stop")
            await runtime.stop_when_idle()
        reader = await runtime.try_get_underlying_agent_instance(
            AgentId("reader", "k"), ContextReader
        )
        assert reader.seen == ["p1:send-1", "p2:send-2"]


async def test_queued_rpc_runs_with_the_callers_context_variables() -> None:
    with anyio.fail_after(5):
        gate = anyio.Event()
        results: dict[str, str] = {}

        class Gated(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                if message == "block":
                    await gate.wait()
                return _request_id.get()

        runtime = await _runtime_of("gated", lambda: Gated("gated"))
        target = AgentId("gated", "k")

        async def call(name: str) -> None:
            _request_id.set(name)
            results[name] = await runtime.send_message(name, target)

        async with runtime, anyio.create_task_group() as tg:
            _request_id.set("blocker")
            tg.start_soon(runtime.send_message, "block", target)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(call, "first")
            tg.start_soon(call, "second")
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 2
            gate.set()
        assert results == {"first": "first", "second": "second"}


# --- re-entrant RPC chains -------------------------------------------------------------------


class Bouncer(BaseAgent):
    """``n`` > 0: ask the agent named by ``next_key`` with ``n - 1``; 0: answer."""

    def __init__(self) -> None:
        super().__init__("bounces")

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        path, n = message
        path = [*path, self.id.key]
        if n == 0:
            return path
        next_key = {"a": "b", "b": "a", "self": "self"}[self.id.key]
        return await self.send_message((path, n - 1), AgentId("bouncer", next_key))


async def test_rpc_chain_back_into_a_busy_agent_does_not_deadlock() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime_of("bouncer", Bouncer, topic_type="go")
        async with runtime:
            # A -> B -> A -> B
            assert await runtime.send_message(([], 3), AgentId("bouncer", "a")) == [
                "a",
                "b",
                "a",
                "b",
            ]
            # A -> A -> A
            assert await runtime.send_message(([], 2), AgentId("bouncer", "self")) == [
                "self",
                "self",
                "self",
            ]
            # the same chains started by a publish, run by the runtime's worker
            await runtime.publish_message(([], 3), TopicId("go", "a"))
            await runtime.publish_message(([], 2), TopicId("go", "self"))
            await runtime.stop_when_idle()


async def test_handler_waiting_for_a_busy_agent_lets_other_deliveries_run() -> None:
    with anyio.fail_after(5):
        gate = anyio.Event()
        log: list[str] = []

        class Gated(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                log.append(f"{self.id.key} got {message}")
                if message == "block":
                    await gate.wait()
                elif message == "ask":
                    reply = await self.send_message("question", AgentId("gated", "busy"))
                    log.append(f"{self.id.key} heard {reply}")
                elif message == "release":
                    gate.set()
                return f"answer from {self.id.key}"

        runtime = await _runtime_of("gated", lambda: Gated("gated"), topic_type="t")
        async with runtime:
            await runtime.publish_message("block", TopicId("t", "busy"))
            await runtime.publish_message("ask", TopicId("t", "asker"))
            await runtime.publish_message("release", TopicId("t", "other"))
            await runtime.stop_when_idle()
        assert log == [
            "busy got block",
            "asker got ask",
            "other got release",
            "busy got question",
            "asker heard answer from busy",
        ]


# --- registration ---------------------------------------------------------------------------


async def test_register_factory_returns_agent_type_and_rejects_duplicates() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        assert await runtime.register_factory("plain", Plain) == AgentType("plain")
        assert await runtime.register_factory(AgentType("typed"), Plain) == AgentType("typed")
        with pytest.raises(ValueError):
            await runtime.register_factory("plain", Plain)
        with pytest.raises(ValueError):
            await runtime.register_factory(AgentType("typed"), Plain)
        with pytest.raises(ValueError):
            await runtime.register_factory("not a valid type!", Plain)
        with pytest.raises(ValueError):
            await Echo.register(runtime, "plain", Echo)


async def test_register_factory_accepts_async_factories() -> None:
    with anyio.fail_after(5):

        async def factory() -> Plain:
            await anyio.lowlevel.checkpoint()
            return Plain("async")

        runtime = await _runtime_of("plain", factory)
        async with runtime:
            assert await runtime.send_message(1, AgentId("plain", "k")) == 1
        assert (await runtime.agent_metadata(AgentId("plain", "k")))["description"] == "async"


async def test_expected_class_mismatch_raises_value_error_on_creation() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await runtime.register_factory("plain", lambda: Plain(), expected_class=OtherPlain)  # type: ignore[arg-type, return-value]
        await runtime.register_factory("sub", OtherPlain, expected_class=Plain)
        async with runtime:
            with pytest.raises(ValueError, match="OtherPlain"):
                await runtime.send_message("x", AgentId("plain", "k"))
            # a subclass of the expected class is accepted
            assert await runtime.send_message("y", AgentId("sub", "k")) == "y"
        with pytest.raises(ValueError):
            await runtime.get("plain", "k2", lazy=False)


async def test_factory_gets_runtime_and_id_from_instantiation_context() -> None:
    with anyio.fail_after(5):
        seen: list[tuple[AgentRuntime, AgentId, bool]] = []

        def factory() -> Plain:
            seen.append(
                (
                    AgentInstantiationContext.current_runtime(),
                    AgentInstantiationContext.current_agent_id(),
                    AgentInstantiationContext.is_in_factory_call(),
                )
            )
            return Plain()

        runtime = await _runtime_of("plain", factory)
        agent_id = await runtime.get("plain", "k", lazy=False)
        assert seen == [(runtime, AgentId("plain", "k"), True)]
        agent = await runtime.try_get_underlying_agent_instance(agent_id, Plain)
        assert agent.id == agent_id
        assert agent.runtime is runtime
        assert AgentInstantiationContext.is_in_factory_call() is False


async def test_factory_runs_exactly_once_under_concurrent_first_messages() -> None:
    with anyio.fail_after(5):
        calls = 0

        async def factory() -> Plain:
            nonlocal calls
            calls += 1
            await anyio.sleep(0.01)
            return Plain()

        runtime = await _runtime_of("slow", factory)
        target = AgentId("slow", "k")
        results: list[Any] = []
        ids: list[AgentId] = []

        async def send(i: int) -> None:
            results.append(await runtime.send_message(i, target))

        async def get() -> None:
            ids.append(await runtime.get(target, lazy=False))

        async with runtime, anyio.create_task_group() as tg:
            for i in range(5):
                tg.start_soon(send, i)
                tg.start_soon(get)
        assert calls == 1
        assert sorted(results) == [0, 1, 2, 3, 4]
        assert ids == [target] * 5
        agent = await runtime.try_get_underlying_agent_instance(target, Plain)
        assert sorted(agent.received) == [0, 1, 2, 3, 4]


class GatedFactory:
    """An async factory that waits for ``gate`` (so a creation can be caught half-way)."""

    def __init__(self) -> None:
        self.gate = anyio.Event()
        self.calls = 0

    async def __call__(self) -> Plain:
        self.calls += 1
        await self.gate.wait()
        return Plain("gated")


async def test_cancelled_creator_does_not_cancel_other_waiters() -> None:
    with anyio.fail_after(5):
        factory = GatedFactory()
        runtime = await _runtime_of("gated", factory)
        target = AgentId("gated", "k")
        outcome: dict[str, Any] = {}

        async def patient() -> None:
            try:
                outcome["patient"] = await runtime.get(target, lazy=False)
            except BaseException as exc:  # recorded, not re-raised: it is not ours
                outcome["patient"] = exc

        scope = anyio.CancelScope()

        async def impatient() -> None:
            with scope:
                await runtime.get(target, lazy=False)

        async with anyio.create_task_group() as tg:
            tg.start_soon(impatient)
            await anyio.wait_all_tasks_blocked()  # the factory runs for impatient()
            tg.start_soon(patient)
            await anyio.wait_all_tasks_blocked()  # patient() waits for that creation
            scope.cancel()
            await anyio.wait_all_tasks_blocked()
            factory.gate.set()
        assert outcome["patient"] == target
        assert isinstance(await runtime.try_get_underlying_agent_instance(target), Plain)


async def test_cancelled_creator_does_not_stop_the_runtime() -> None:
    with anyio.fail_after(5):
        factory = GatedFactory()
        runtime = await _runtime_of("gated", factory, topic_type="t")
        target = AgentId("gated", "k")
        scope = anyio.CancelScope()

        async def impatient_get() -> None:
            with scope:
                await runtime.get(target, lazy=False)

        async with runtime:
            async with anyio.create_task_group() as tg:
                tg.start_soon(impatient_get)
                await anyio.wait_all_tasks_blocked()
                # queued: the worker waits for the creation started by impatient_get
                await runtime.publish_message("published", TopicId("t", "k"))
                await anyio.wait_all_tasks_blocked()
                scope.cancel()
            factory.gate.set()
            await runtime.stop_when_idle()
        agent = await runtime.try_get_underlying_agent_instance(target, Plain)
        assert agent.received == ["published"]


async def test_failed_creation_is_reported_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    with anyio.fail_after(5):
        attempts = 0

        def factory() -> Plain:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                raise RuntimeError("constructor failed")
            return Plain()

        runtime = await _runtime_of("flaky", factory)
        caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
        async with runtime:
            with pytest.raises(RuntimeError, match="constructor failed"):
                await runtime.send_message("x", AgentId("flaky", "k"))
            assert await runtime.send_message("y", AgentId("flaky", "k")) == "y"
        assert attempts == 2
        events = _events(caplog, AgentConstructionExceptionEvent)
        assert len(events) == 1
        kwargs = events[0]
        assert kwargs["type"] == "AgentConstructionException"
        assert kwargs["agent_id"] == "flaky/k"
        assert "constructor failed" in kwargs["exception"]


async def test_register_agent_instance_rules() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        first = Plain("first")
        agent_id = AgentId("inst", "one")
        assert await runtime.register_agent_instance(first, agent_id) == agent_id
        assert first.id == agent_id
        assert first.runtime is runtime
        # duplicate id
        with pytest.raises(ValueError):
            await runtime.register_agent_instance(Plain(), agent_id)
        # same type, same class, other key: fine
        await runtime.register_agent_instance(Plain("second"), AgentId("inst", "two"))
        # same type, other class
        with pytest.raises(ValueError):
            await runtime.register_agent_instance(OtherPlain(), AgentId("inst", "three"))
        # a factory for a type that has instances
        with pytest.raises(ValueError):
            await runtime.register_factory("inst", Plain)
        # an instance for a type that has a factory
        await runtime.register_factory("made", Plain)
        with pytest.raises(ValueError):
            await runtime.register_agent_instance(Plain(), AgentId("made", "x"))

        async with runtime:
            assert await runtime.send_message("hi", agent_id) == "hi"
            assert first.received == ["hi"]
            # an instance-registered type creates nothing for an unknown key
            with pytest.raises(UnknownAgentTypeError):
                await runtime.send_message("hi", AgentId("inst", "missing"))
        assert await runtime.try_get_underlying_agent_instance(agent_id) is first


async def test_register_agent_instance_rejects_an_agent_bound_elsewhere() -> None:
    with anyio.fail_after(5):
        agent = Plain()
        one = SingleThreadedAgentRuntime()
        two = SingleThreadedAgentRuntime()
        await one.register_agent_instance(agent, AgentId("inst", "a"))
        with pytest.raises(RuntimeError):
            await two.register_agent_instance(agent, AgentId("inst", "a"))


# --- look-ups -------------------------------------------------------------------------------


async def test_get_forms_and_laziness() -> None:
    with anyio.fail_after(5):
        created: list[AgentId] = []

        def factory() -> Plain:
            created.append(AgentInstantiationContext.current_agent_id())
            return Plain()

        runtime = await _runtime_of("plain", factory)
        assert await runtime.get("plain") == AgentId("plain", "default")
        assert await runtime.get("plain", "k") == AgentId("plain", "k")
        assert await runtime.get(AgentType("plain"), "k") == AgentId("plain", "k")
        assert await runtime.get(AgentId("plain", "j")) == AgentId("plain", "j")
        assert created == []
        assert await runtime.get("plain", "eager", lazy=False) == AgentId("plain", "eager")
        assert await runtime.get(AgentId("plain", "eager"), lazy=False) == AgentId("plain", "eager")
        assert created == [AgentId("plain", "eager")]
        with pytest.raises(UnknownAgentTypeError):
            await runtime.get("ghost")
        with pytest.raises(UnknownAgentTypeError):
            await runtime.get("ghost", lazy=False)


async def test_try_get_underlying_agent_instance_checks_the_type() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        agent_id = AgentId("echo", "k")
        echo = await runtime.try_get_underlying_agent_instance(agent_id, Echo)
        assert isinstance(echo, Echo)
        assert await runtime.try_get_underlying_agent_instance(agent_id, RoutedAgent) is echo
        assert await runtime.try_get_underlying_agent_instance(agent_id) is echo
        with pytest.raises(TypeError):
            await runtime.try_get_underlying_agent_instance(agent_id, Plain)
        with pytest.raises(UnknownAgentTypeError):
            await runtime.try_get_underlying_agent_instance(AgentId("ghost", "k"))


async def test_agent_metadata() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        metadata = await runtime.agent_metadata(AgentId("echo", "k"))
        assert metadata == {"type": "echo", "key": "k", "description": "echoes pings"}
        with pytest.raises(UnknownAgentTypeError):
            await runtime.agent_metadata(AgentId("ghost", "k"))


# --- max_concurrency ------------------------------------------------------------------------


class Overlapper(BaseAgent):
    """Records how many of its handlers run at once."""

    active = 0
    peak = 0

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        cls = type(self)
        cls.active += 1
        cls.peak = max(cls.peak, cls.active)
        try:
            await anyio.sleep(0.02)
        finally:
            cls.active -= 1
        return None


class SerialOverlapper(Overlapper):
    pass


class ConcurrentOverlapper(Overlapper):
    max_concurrency = 2


@pytest.mark.parametrize("cls, peak", [(SerialOverlapper, 1), (ConcurrentOverlapper, 2)])
async def test_deliveries_to_one_agent_overlap_only_with_max_concurrency(
    cls: type[Overlapper], peak: int
) -> None:
    with anyio.fail_after(5):
        cls.active = cls.peak = 0
        runtime = SingleThreadedAgentRuntime()
        await cls.register(runtime, "worker", lambda: cls("w"))
        async with runtime:
            for i in range(4):
                await runtime.publish_message(i, TopicId("worker:", "k"))
            await runtime.stop_when_idle()
        assert cls.peak == peak
        # concurrent RPCs to one agent
        cls.peak = 0
        async with runtime, anyio.create_task_group() as tg:
            for i in range(4):
                tg.start_soon(runtime.send_message, i, AgentId("worker", "k"))
        assert cls.peak == peak


@dataclass
class Wait:
    pass


@dataclass
class Release:
    pass


async def test_handler_waiting_for_another_handler_does_not_block_dispatch() -> None:
    """A handler suspended on something outside the runtime must not stop other deliveries.

    Work is queued before the runtime's tasks have run at all; repeated so that every
    scheduling order of the runtime's first steps is exercised.
    """

    with anyio.fail_after(5):

        class Waiter(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("waits")

            @event
            async def on_wait(self, message: Wait, ctx: MessageContext) -> None:
                await gate.wait()

        class Releaser(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("releases")

            @event
            async def on_release(self, message: Release, ctx: MessageContext) -> None:
                gate.set()

        for _ in range(30):
            gate = anyio.Event()
            runtime = SingleThreadedAgentRuntime()
            await Waiter.register(runtime, "waiter", Waiter)
            await Releaser.register(runtime, "releaser", Releaser)
            async with runtime:
                await runtime.publish_message(Wait(), TopicId("waiter:", "k"))
                await runtime.publish_message(Release(), TopicId("releaser:", "k"))
                with anyio.move_on_after(0.1) as scope:
                    await runtime.stop_when_idle()
                if scope.cancelled_caught:
                    gate.set()
                    pytest.fail("stop_when_idle() hung: the waiting handler blocked dispatch")


# --- process_next and unprocessed_messages_count --------------------------------------------


async def test_process_next_steps_one_delivery_at_a_time() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime(topic_type="news")
        assert runtime.unprocessed_messages_count == 0
        await runtime.process_next()  # nothing queued: returns at once
        for i in range(3):
            await runtime.publish_message(Note(str(i)), TopicId("news", "k"))
        assert runtime.unprocessed_messages_count == 3
        await runtime.process_next()
        assert runtime.unprocessed_messages_count == 2
        echo = await _echo(runtime, "k")
        assert echo.notes == ["0"]
        await runtime.process_next()
        await runtime.process_next()
        assert echo.notes == ["0", "1", "2"]
        assert runtime.unprocessed_messages_count == 0
        await runtime.process_next()
        assert echo.notes == ["0", "1", "2"]


async def test_process_next_answers_a_waiting_rpc() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        results: list[Any] = []

        async def call() -> None:
            results.append(await runtime.send_message(Ping(9), AgentId("echo", "k")))

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 1
            assert results == []
            await runtime.process_next()
        assert results == [Pong(9)]
        assert runtime.unprocessed_messages_count == 0


async def test_process_next_handler_can_send_inline() -> None:
    with anyio.fail_after(5):

        class Forwarder(BaseAgent):
            def __init__(self) -> None:
                super().__init__("forwards")
                self.answers: list[Any] = []

            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                self.answers.append(await self.send_message(Ping(message), AgentId("echo", "k")))
                return None

        runtime = await _echo_runtime()
        await runtime.register_factory("fwd", Forwarder)
        await runtime.add_subscription(TypeSubscription("go", "fwd"))
        await runtime.publish_message(4, TopicId("go", "k"))
        await runtime.process_next()
        fwd = await runtime.try_get_underlying_agent_instance(AgentId("fwd", "k"), Forwarder)
        assert fwd.answers == [Pong(4)]


async def test_process_next_on_a_started_runtime_raises() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime()
        async with runtime:
            with pytest.raises(RuntimeError):
                await runtime.process_next()


async def test_unprocessed_messages_count_counts_queued_not_running() -> None:
    with anyio.fail_after(5):
        gate = anyio.Event()
        started = anyio.Event()

        class Slow(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                started.set()
                await gate.wait()
                return None

        runtime = await _runtime_of("slow", lambda: Slow("slow"), topic_type="t")
        async with runtime:
            for i in range(3):
                await runtime.publish_message(i, TopicId("t", "k"))
            assert runtime.unprocessed_messages_count == 3
            await started.wait()
            assert runtime.unprocessed_messages_count == 2
            gate.set()
            await runtime.stop_when_idle()
        assert runtime.unprocessed_messages_count == 0


# --- trace hooks ----------------------------------------------------------------------------


async def test_trace_recorder_records_each_delivery() -> None:
    with anyio.fail_after(5):
        runtime = await _echo_runtime(topic_type="news")
        recorder = TraceRecorder()
        calls: list[DeliveryRecord] = []
        runtime.add_trace_hook(recorder)
        runtime.add_trace_hook(calls.append)
        sender = AgentId("someone", "s")
        async with runtime:
            await runtime.send_message(Ping(1), AgentId("echo", "a"), sender=sender)
            await runtime.publish_message(Note("n"), TopicId("news", "b"))
            await runtime.stop_when_idle()
        assert recorder.records == [
            DeliveryRecord("send", sender, AgentId("echo", "a"), None, Ping(1)),
            DeliveryRecord("publish", None, AgentId("echo", "b"), TopicId("news", "b"), Note("n")),
        ]
        assert calls == recorder.records
        runtime.remove_trace_hook(recorder)
        async with runtime:
            await runtime.send_message(Ping(2), AgentId("echo", "a"))
        assert len(recorder.records) == 2
        assert len(calls) == 3
        recorder.clear()
        assert recorder.records == []
        with pytest.raises(ValueError):
            runtime.remove_trace_hook(recorder)


@dataclass
class Hop:
    left: int


class Relay(RoutedAgent):
    """Publishes a hop onward and asks a counter; the run's trace is fixed."""

    def __init__(self) -> None:
        super().__init__("relay")

    @event
    async def on_hop(self, message: Hop, ctx: MessageContext) -> None:
        if message.left:
            await self.send_message(Ping(message.left), AgentId("echo", self.id.key))
            await self.publish_message(Hop(message.left - 1), TopicId("hops", "x"))
            await self.publish_message(Hop(message.left - 1), TopicId("hops", "y"))


async def _relay_trace() -> list[DeliveryRecord]:
    runtime = await _echo_runtime()
    await Relay.register(runtime, "relay", Relay)
    await Relay.register(runtime, "mirror", Relay)
    await runtime.add_subscription(TypeSubscription("hops", "relay"))
    await runtime.add_subscription(TypeSubscription("hops", "mirror"))
    recorder = TraceRecorder()
    runtime.add_trace_hook(recorder)
    async with runtime:
        await runtime.publish_message(Hop(3), TopicId("hops", "x"))
        await runtime.stop_when_idle()
    return recorder.records


async def test_trace_is_identical_across_runs_and_backends() -> None:
    with anyio.fail_after(5):
        first = await _relay_trace()
        second = await _relay_trace()
        assert first == second
        # the same literal sequence on every backend
        summary = [
            (r.kind, r.sender and str(r.sender), str(r.recipient), getattr(r.message, "left", None))
            for r in first
        ]
        assert summary[:8] == [
            ("publish", None, "relay/x", 3),
            ("send", "relay/x", "echo/x", None),
            ("publish", None, "mirror/x", 3),
            ("send", "mirror/x", "echo/x", None),
            ("publish", "relay/x", "relay/y", 2),
            ("send", "relay/y", "echo/y", None),
            ("publish", "relay/x", "mirror/y", 2),
            ("send", "mirror/y", "echo/y", None),
        ]
        # 2 + 6 + 18 + 54 hops (each reaches 3 agents: 4 minus its sender), 26 RPCs
        assert len(first) == 106
        assert sum(r.kind == "send" for r in first) == 26


# --- structured log events ------------------------------------------------------------------


EventT = TypeVar(
    "EventT",
    MessageEvent,
    MessageDroppedEvent,
    MessageHandlerExceptionEvent,
    AgentConstructionExceptionEvent,
)


def _events(caplog: pytest.LogCaptureFixture, event_type: type[EventT]) -> list[dict[str, Any]]:
    """The fields of every event of ``event_type`` logged on the event logger."""
    result: list[dict[str, Any]] = []
    for record in caplog.records:
        msg = record.msg
        if record.name == EVENT_LOGGER_NAME and isinstance(msg, event_type):
            assert json.loads(str(msg))["type"] == msg.kwargs["type"]
            result.append(msg.kwargs)
    return result


def _stages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (e["kind"], e["delivery_stage"], e["sender"], e["receiver"])
        for e in _events(caplog, MessageEvent)
    ]


async def test_message_events_for_a_send(caplog: pytest.LogCaptureFixture) -> None:
    with anyio.fail_after(5):
        caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
        runtime = await _echo_runtime()
        async with runtime:
            await runtime.send_message(Ping(1), AgentId("echo", "a"), sender=AgentId("x", "y"))
        messages = _events(caplog, MessageEvent)
        assert messages[0] == {
            "type": "Message",
            "payload": json.dumps({"n": 1}),
            "sender": "x/y",
            "receiver": "echo/a",
            "kind": "DIRECT",
            "delivery_stage": "SEND",
        }
        assert _stages(caplog) == [
            ("DIRECT", "SEND", "x/y", "echo/a"),
            ("DIRECT", "DELIVER", "x/y", "echo/a"),
            ("RESPOND", "SEND", "echo/a", "x/y"),
        ]
        assert json.loads(messages[2]["payload"]) == {"n": 1}  # the response Pong(1)


async def test_message_events_for_a_publish(caplog: pytest.LogCaptureFixture) -> None:
    with anyio.fail_after(5):
        caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
        runtime = await _echo_runtime(topic_type="news")
        async with runtime:
            await runtime.publish_message(Note("n"), TopicId("news", "b"))
            await runtime.stop_when_idle()
        assert _stages(caplog) == [
            ("PUBLISH", "SEND", None, "news/b"),
            ("PUBLISH", "DELIVER", None, "echo/b"),
        ]
        assert all(json.loads(e["payload"]) == {"text": "n"} for e in _events(caplog, MessageEvent))


async def test_message_dropped_event(caplog: pytest.LogCaptureFixture) -> None:
    with anyio.fail_after(5):

        class DropAll(DefaultInterventionHandler):
            async def on_send(
                self, message: Any, *, message_context: MessageContext, recipient: AgentId
            ) -> Any:
                return DropMessage

            async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
                return DropMessage

        caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
        runtime = await _echo_runtime(intervention_handlers=[DropAll()])
        async with runtime:
            with pytest.raises(MessageDroppedException):
                await runtime.send_message(Ping(1), AgentId("echo", "a"))
            await runtime.publish_message(
                Note("n"), TopicId("news", "b"), sender=AgentId("echo", "s")
            )
            await runtime.stop_when_idle()
        dropped = _events(caplog, MessageDroppedEvent)
        assert [(d["kind"], d["receiver"], d["sender"]) for d in dropped] == [
            ("DIRECT", "echo/a", None),
            ("PUBLISH", "news/b", "echo/s"),
        ]
        assert dropped[0]["type"] == "MessageDropped"
        assert json.loads(dropped[0]["payload"]) == {"n": 1}
        assert _events(caplog, MessageEvent) == []


async def test_handler_exception_events_and_error_log(caplog: pytest.LogCaptureFixture) -> None:
    with anyio.fail_after(5):

        class Failing(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                raise ValueError(f"bad {message}")

        caplog.set_level(logging.INFO, logger=ROOT_LOGGER_NAME)
        runtime = await _runtime_of("failing", lambda: Failing("fails"), topic_type="t")
        async with runtime:
            with pytest.raises(ValueError):
                await runtime.send_message("rpc", AgentId("failing", "a"))
            await runtime.publish_message("pub", TopicId("t", "b"))
            await runtime.stop_when_idle()
        failures = _events(caplog, MessageHandlerExceptionEvent)
        assert [(f["handling_agent"], f["payload"]) for f in failures] == [
            ("failing/a", '"rpc"'),
            ("failing/b", '"pub"'),
        ]
        assert "bad rpc" in failures[0]["exception"]
        assert failures[0]["type"] == "MessageHandlerException"
        errors = [
            r for r in caplog.records if r.name == ROOT_LOGGER_NAME and r.levelno == logging.ERROR
        ]
        assert len(errors) == 1  # only the publish is logged as an error: the RPC caller got it
        assert errors[0].exc_info is not None


class Probe:
    """A message whose rendering into a log payload can be observed."""

    rendered = 0

    def __str__(self) -> str:
        Probe.rendered += 1
        return "probe"


async def test_unserializable_payload_is_rendered_with_str(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with anyio.fail_after(5):
        caplog.set_level(logging.INFO, logger=EVENT_LOGGER_NAME)
        runtime = await _runtime_of("plain", Plain)
        Probe.rendered = 0
        async with runtime:
            message = Probe()
            assert await runtime.send_message(message, AgentId("plain", "k")) is message
        payloads = [e["payload"] for e in _events(caplog, MessageEvent)]
        assert payloads and all(p == '"probe"' for p in payloads)
        assert Probe.rendered == len(payloads)


async def test_no_event_is_built_when_the_event_logger_is_disabled(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    with anyio.fail_after(5):

        def forbidden(self: Any, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("an event was built although the event logger is disabled")

        for event_class in (
            MessageEvent,
            MessageDroppedEvent,
            MessageHandlerExceptionEvent,
            AgentConstructionExceptionEvent,
        ):
            monkeypatch.setattr(event_class, "__init__", forbidden)
        caplog.set_level(logging.WARNING, logger=EVENT_LOGGER_NAME)
        caplog.set_level(logging.CRITICAL, logger=ROOT_LOGGER_NAME)

        class DropSome(DefaultInterventionHandler):
            async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
                return DropMessage if message == "drop" else message

            async def on_send(
                self, message: Any, *, message_context: MessageContext, recipient: AgentId
            ) -> Any:
                return DropMessage if message == "drop" else message

        class Failing(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                if isinstance(message, Probe):
                    return message
                raise ValueError("handler failed")

        def broken_factory() -> Plain:
            raise RuntimeError("factory failed")

        runtime = await _runtime_of(
            "failing", lambda: Failing("f"), topic_type="t", intervention_handlers=[DropSome()]
        )
        await runtime.register_factory("broken", broken_factory)
        Probe.rendered = 0
        async with runtime:
            probe = Probe()
            assert await runtime.send_message(probe, AgentId("failing", "k")) is probe
            await runtime.publish_message(probe, TopicId("t", "k"))
            await runtime.publish_message("drop", TopicId("t", "k"))
            await runtime.publish_message("fails", TopicId("t", "k"))
            with pytest.raises(MessageDroppedException):
                await runtime.send_message("drop", AgentId("failing", "k"))
            with pytest.raises(ValueError):
                await runtime.send_message("fails", AgentId("failing", "k"))
            with pytest.raises(RuntimeError):
                await runtime.send_message("x", AgentId("broken", "k"))
            await runtime.stop_when_idle()
        assert Probe.rendered == 0
