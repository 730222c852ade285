"""Cancelling messages: tokens, the caller's own cancel scope, nested sends, publishes."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
from anyio.abc import TaskGroup

from cantata import (
    AgentId,
    BaseAgent,
    CancellationToken,
    MessageContext,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
)
from cantata.exceptions import MessageCancelledError

pytestmark = pytest.mark.anyio
asyncio_only = pytest.mark.parametrize("anyio_backend", ["asyncio"])


class Sleeper(BaseAgent):
    """Reacts to string commands; records starts, cancellations and completions."""

    log: list[str]
    started: anyio.Event
    gate: anyio.Event
    tokens: list[CancellationToken]

    @classmethod
    def reset(cls) -> None:
        cls.log = []
        cls.started = anyio.Event()
        cls.gate = anyio.Event()
        cls.tokens = []

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        name = f"{self.id.key}:{message}"
        Sleeper.tokens.append(ctx.cancellation_token)
        Sleeper.log.append(f"start {name}")
        if message == "value":
            return 42
        if message == "gate":
            await Sleeper.gate.wait()
            Sleeper.log.append(f"end {name}")
            return "gated"
        if message == "nested":
            return await self.send_message(
                "sleep", AgentId("sleeper", "inner"), cancellation_token=ctx.cancellation_token
            )
        try:
            if message == "sleep":
                Sleeper.started.set()
                await anyio.sleep_forever()
            if message == "raise-on-cancel":
                Sleeper.started.set()
                try:
                    await anyio.sleep_forever()
                except BaseException:
                    raise ValueError("cleanup failed") from None
        except BaseException:
            Sleeper.log.append(f"cancelled {name}")
            raise
        return None


@pytest.fixture
async def runtime() -> SingleThreadedAgentRuntime:
    """A runtime of ``Sleeper`` agents (type ``sleeper``, subscribed to topic type ``t``)."""
    Sleeper.reset()
    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("sleeper", lambda: Sleeper("sleeps"))
    await runtime.add_subscription(TypeSubscription("t", "sleeper"))
    return runtime


S = AgentId("sleeper", "s")
S_TOPIC = TopicId("t", "s")


def _send_soon(
    tg: TaskGroup,
    runtime: SingleThreadedAgentRuntime,
    message: Any,
    token: CancellationToken,
    recipient: AgentId = S,
) -> list[Any]:
    """Send ``message`` with ``token`` from a new task in ``tg``; return the list that gets
    what the send returns or raises."""
    outcome: list[Any] = []

    async def send() -> None:
        try:
            outcome.append(await runtime.send_message(message, recipient, cancellation_token=token))
        except MessageCancelledError as exc:
            outcome.append(exc)
        except Exception as exc:
            outcome.append(exc)

    tg.start_soon(send)
    return outcome


async def _occupy_s(runtime: SingleThreadedAgentRuntime) -> None:
    """Publish "gate" to ``S`` and let its handler start: ``S`` is busy until ``Sleeper.gate``."""
    await runtime.publish_message("gate", S_TOPIC)
    await anyio.wait_all_tasks_blocked()


async def _send_then_cancel(
    runtime: SingleThreadedAgentRuntime, message: str
) -> tuple[Any, CancellationToken]:
    """Send ``message`` to ``S`` from another task with a new token; cancel the token once a
    handler has started. Return what the send returned or raised, and the token."""
    token = CancellationToken()
    async with anyio.create_task_group() as tg:
        outcome = _send_soon(tg, runtime, message, token)
        await Sleeper.started.wait()
        token.cancel()
    assert len(outcome) == 1
    return outcome[0], token


# --- the token given to send_message ----------------------------------------------------------


async def test_cancelling_the_token_cancels_a_running_handler(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            outcome, token = await _send_then_cancel(runtime, "sleep")
        assert isinstance(outcome, MessageCancelledError)
        assert Sleeper.log == ["start s:sleep", "cancelled s:sleep"]
        assert Sleeper.tokens == [token]


@asyncio_only
async def test_on_asyncio_the_caller_gets_a_cancelled_error(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        outcome: list[BaseException] = []

        async def call() -> None:
            try:
                await runtime.send_message("sleep", S, cancellation_token=token)
            except asyncio.CancelledError as exc:  # what autogen-core callers catch
                outcome.append(exc)

        async with runtime, anyio.create_task_group() as tg:
            tg.start_soon(call)
            await Sleeper.started.wait()
            token.cancel()
        assert len(outcome) == 1
        assert isinstance(outcome[0], MessageCancelledError)


def test_message_cancelled_error_types() -> None:
    assert issubclass(MessageCancelledError, asyncio.CancelledError)
    assert issubclass(MessageCancelledError, BaseException)
    assert not issubclass(MessageCancelledError, Exception)


async def test_an_already_cancelled_token_fails_at_once(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        token.cancel()
        async with runtime:
            with pytest.raises(MessageCancelledError):
                await runtime.send_message("value", S, cancellation_token=token)
            assert Sleeper.log == []
            assert runtime.unprocessed_messages_count == 0
            await runtime.stop_when_idle()


async def test_a_token_that_is_never_cancelled_changes_nothing(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        async with runtime:
            assert await runtime.send_message("value", S, cancellation_token=token) == 42
            assert await runtime.send_message("value", S, cancellation_token=token) == 42
        assert Sleeper.tokens == [token, token]
        assert not token.is_cancelled()


async def test_without_a_token_the_handler_gets_a_fresh_one(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.send_message("value", S)
            await runtime.send_message("value", S)
        first, second = Sleeper.tokens
        assert first is not second
        assert not first.is_cancelled()


async def test_one_token_cancels_every_message_it_was_given_to(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        async with runtime, anyio.create_task_group() as tg:
            first = _send_soon(tg, runtime, "sleep", token, AgentId("sleeper", "a"))
            await Sleeper.started.wait()
            Sleeper.started = anyio.Event()
            second = _send_soon(tg, runtime, "sleep", token, AgentId("sleeper", "b"))
            await Sleeper.started.wait()
            token.cancel()
        outcome = [*first, *second]
        assert len(outcome) == 2
        assert all(isinstance(o, MessageCancelledError) for o in outcome)
        assert sorted(Sleeper.log) == [
            "cancelled a:sleep",
            "cancelled b:sleep",
            "start a:sleep",
            "start b:sleep",
        ]


async def test_cancelling_a_queued_rpc_before_delivery_skips_it(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        async with runtime, anyio.create_task_group() as tg:
            await _occupy_s(runtime)
            outcome = _send_soon(tg, runtime, "value", token)
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 1
            token.cancel()
            await anyio.wait_all_tasks_blocked()
            # the caller learns at once, before the busy handler finishes
            assert len(outcome) == 1
            assert isinstance(outcome[0], MessageCancelledError)
            Sleeper.gate.set()
            await runtime.stop_when_idle()
        assert Sleeper.log == ["start s:gate", "end s:gate"]


async def test_cancelling_a_queued_rpc_after_it_started_cancels_the_handler(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        async with runtime, anyio.create_task_group() as tg:
            await _occupy_s(runtime)
            outcome = _send_soon(tg, runtime, "sleep", token)
            await anyio.wait_all_tasks_blocked()
            Sleeper.gate.set()  # the queued RPC starts once the gate handler ends
            await Sleeper.started.wait()
            token.cancel()
            await anyio.wait_all_tasks_blocked()
            await runtime.stop_when_idle()
        assert len(outcome) == 1
        assert isinstance(outcome[0], MessageCancelledError)
        assert Sleeper.log == [
            "start s:gate",
            "end s:gate",
            "start s:sleep",
            "cancelled s:sleep",
        ]


async def test_token_propagates_through_nested_sends(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        async with runtime:
            outcome, token = await _send_then_cancel(runtime, "nested")
        assert isinstance(outcome, MessageCancelledError)
        assert Sleeper.log == ["start s:nested", "start inner:sleep", "cancelled inner:sleep"]
        assert Sleeper.tokens == [token, token]


async def test_runtime_keeps_working_after_cancellations(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            for _ in range(3):
                Sleeper.started = anyio.Event()
                outcome, _ = await _send_then_cancel(runtime, "sleep")
                assert isinstance(outcome, MessageCancelledError)
                # the same agent is free again, immediately
                assert await runtime.send_message("value", S) == 42
            await runtime.stop_when_idle()


async def test_cancelled_rpc_whose_handler_raises_does_not_hang_stop_when_idle(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        async with runtime, anyio.create_task_group() as tg:
            outcome = _send_soon(tg, runtime, "raise-on-cancel", token)
            await Sleeper.started.wait()
            token.cancel()
            await anyio.wait_all_tasks_blocked()
            await runtime.stop_when_idle()
        assert len(outcome) == 1
        # the handler replaced the cancellation by its own error, which the caller sees
        assert isinstance(outcome[0], ValueError)


@asyncio_only
async def test_linked_asyncio_future_is_cancelled_with_the_token() -> None:
    with anyio.fail_after(5):
        linked: list[asyncio.Future[None]] = []
        started = anyio.Event()

        class Linker(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                linked.append(ctx.cancellation_token.link_future(future))
                started.set()
                await future
                return None

        runtime = SingleThreadedAgentRuntime()
        await runtime.register_factory("linker", lambda: Linker("links"))
        token = CancellationToken()
        async with runtime, anyio.create_task_group() as tg:
            outcome = _send_soon(tg, runtime, "x", token, AgentId("linker", "k"))
            await started.wait()
            token.cancel()
        assert linked[0].cancelled()
        assert len(outcome) == 1
        assert isinstance(outcome[0], asyncio.CancelledError)


# --- the caller's own cancel scope ------------------------------------------------------------


async def test_callers_scope_cancels_an_inline_handler(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        async with runtime:
            with anyio.move_on_after(0.05) as scope:
                await runtime.send_message("sleep", S)
            assert scope.cancelled_caught
            assert Sleeper.log == ["start s:sleep", "cancelled s:sleep"]
            assert await runtime.send_message("value", S) == 42


async def test_callers_scope_cancels_a_queued_handler_that_started(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await _occupy_s(runtime)
            with anyio.CancelScope() as scope:
                async with anyio.create_task_group() as tg:

                    async def open_gate_then_cancel() -> None:
                        Sleeper.gate.set()
                        await Sleeper.started.wait()
                        scope.cancel()

                    tg.start_soon(open_gate_then_cancel)
                    await runtime.send_message("sleep", S)  # queued behind "gate"
            assert scope.cancelled_caught
            await runtime.stop_when_idle()
        assert Sleeper.log == [
            "start s:gate",
            "end s:gate",
            "start s:sleep",
            "cancelled s:sleep",
        ]


async def test_callers_scope_skips_a_queued_rpc_that_did_not_start(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await _occupy_s(runtime)
            with anyio.move_on_after(0.02) as scope:
                await runtime.send_message("value", S)
            assert scope.cancelled_caught
            Sleeper.gate.set()
            await runtime.stop_when_idle()
        assert Sleeper.log == ["start s:gate", "end s:gate"]


# --- publishes --------------------------------------------------------------------------------


async def test_publish_token_skips_deliveries_that_did_not_start(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        async with runtime:
            await runtime.publish_message("gate", S_TOPIC)  # S is busy
            await runtime.publish_message("value", S_TOPIC, cancellation_token=token)
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 1
            token.cancel()
            Sleeper.gate.set()
            await runtime.publish_message("value", S_TOPIC)
            await runtime.stop_when_idle()
        # only the later publish without the token reached S
        assert Sleeper.log == ["start s:gate", "end s:gate", "start s:value"]
        assert runtime.unprocessed_messages_count == 0


async def test_publish_token_cancels_a_running_delivery(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        token = CancellationToken()
        async with runtime:
            await runtime.publish_message("sleep", S_TOPIC, cancellation_token=token)
            await runtime.publish_message("value", S_TOPIC, cancellation_token=token)
            await Sleeper.started.wait()
            token.cancel()
            await runtime.publish_message("value", TopicId("t", "after"))
            await runtime.stop_when_idle()
        # the running delivery was cancelled, the pending one skipped, the later one kept
        assert Sleeper.log == ["start s:sleep", "cancelled s:sleep", "start after:value"]
        assert runtime.unprocessed_messages_count == 0
