"""Intervention handlers in the runtime: chaining, ``None``, ``DropMessage`` and errors."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any

import anyio
import pytest

from cantata import (
    AgentId,
    BaseAgent,
    CancellationToken,
    DefaultInterventionHandler,
    DropMessage,
    InterventionHandler,
    MessageContext,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
)
from cantata.exceptions import MessageDroppedException


class Recorder(BaseAgent):
    """Returns what it receives (uppercased if asked) and remembers it."""

    received: list[tuple[AgentId, Any]]

    def __init__(self) -> None:
        super().__init__("records")

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        Recorder.received.append((self.id, message))
        if message == "forward":
            return await self.send_message("forwarded", AgentId("rec", "other"))
        if message == "block":
            await Recorder.gate.wait()
        return f"reply to {message}"

    gate: anyio.Event


async def _runtime(*handlers: InterventionHandler) -> SingleThreadedAgentRuntime:
    Recorder.received = []
    Recorder.gate = anyio.Event()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=list(handlers))
    await runtime.register_factory("rec", Recorder)
    await runtime.add_subscription(TypeSubscription("t", "rec"))
    return runtime


R = AgentId("rec", "r")
T = TopicId("t", "r")


class Append(DefaultInterventionHandler):
    """Appends a suffix to every str message, reply and publish."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        return message + self.suffix

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        return message + self.suffix

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        return message + self.suffix


class Upper(DefaultInterventionHandler):
    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        return message.upper()

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        return message.upper()

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        return message.upper()


class Observe(DefaultInterventionHandler):
    """Records what it sees and returns ``None`` (no change)."""

    def __init__(self) -> None:
        self.sends: list[tuple[Any, MessageContext, AgentId]] = []
        self.publishes: list[tuple[Any, MessageContext]] = []
        self.responses: list[tuple[Any, AgentId, AgentId | None]] = []

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        self.sends.append((message, message_context, recipient))
        return None

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        self.publishes.append((message, message_context))
        return None

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        self.responses.append((message, sender, recipient))
        return None


class Drop(DefaultInterventionHandler):
    """Drops the chosen kinds of messages; ``instance`` returns ``DropMessage()``."""

    def __init__(self, *kinds: str, instance: bool = False) -> None:
        self.kinds = kinds
        self.marker: Any = DropMessage() if instance else DropMessage

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        return self.marker if "send" in self.kinds else message

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        return self.marker if "publish" in self.kinds else message

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        return self.marker if "response" in self.kinds else message


class Raise(DefaultInterventionHandler):
    """Raises ``error`` from the chosen hooks."""

    def __init__(self, error: Exception, *kinds: str) -> None:
        self.error = error
        self.kinds = kinds

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        if "send" in self.kinds:
            raise self.error
        return message

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        if "publish" in self.kinds:
            raise self.error
        return message

    async def on_response(self, message: Any, *, sender: AgentId, recipient: AgentId | None) -> Any:
        if "response" in self.kinds:
            raise self.error
        return message


# --- chaining ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_handlers_are_chained_in_order() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Upper(), Append("!"))
        async with runtime:
            reply = await runtime.send_message("hi", R)
            await runtime.publish_message("news", T)
            await runtime.stop_when_idle()
        # each handler gets the previous one's output: "hi" -> "HI" -> "HI!"
        assert Recorder.received == [(R, "HI!"), (R, "NEWS!")]
        assert reply == "REPLY TO HI!!"


@pytest.mark.anyio
async def test_returning_none_means_no_change() -> None:
    with anyio.fail_after(5):
        observe = Observe()
        runtime = await _runtime(Append("1"), observe, Append("2"))
        async with runtime:
            reply = await runtime.send_message("m", R)
            await runtime.publish_message("p", T)
            await runtime.stop_when_idle()
        assert Recorder.received == [(R, "m12"), (R, "p12")]
        assert reply == "reply to m1212"
        assert [s[0] for s in observe.sends] == ["m1"]
        assert [p[0] for p in observe.publishes] == ["p1"]
        assert [r[0] for r in observe.responses] == ["reply to m121"]


@pytest.mark.anyio
async def test_default_intervention_handler_changes_nothing() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(DefaultInterventionHandler(), DefaultInterventionHandler())
        async with runtime:
            assert await runtime.send_message("m", R) == "reply to m"
            await runtime.publish_message("p", T)
            await runtime.stop_when_idle()
        assert Recorder.received == [(R, "m"), (R, "p")]


@pytest.mark.anyio
async def test_hooks_see_message_contexts_and_response_parties() -> None:
    with anyio.fail_after(5):
        observe = Observe()
        runtime = await _runtime(observe)
        token = CancellationToken()
        sender = AgentId("rec", "s")
        async with runtime:
            await runtime.send_message(
                "m", R, sender=sender, cancellation_token=token, message_id="id-1"
            )
            await runtime.send_message("external", R)
            await runtime.publish_message("p", T, sender=sender, message_id="id-2")
            await runtime.stop_when_idle()
        message, ctx, recipient = observe.sends[0]
        assert (message, recipient) == ("m", R)
        assert ctx.is_rpc is True
        assert ctx.topic_id is None
        assert ctx.sender == sender
        assert ctx.message_id == "id-1"
        assert ctx.cancellation_token is token
        message, ctx = observe.publishes[0]
        assert message == "p"
        assert ctx.is_rpc is False
        assert ctx.topic_id == T
        assert ctx.sender == sender
        assert ctx.message_id == "id-2"
        # on_response: sender is the responder, recipient the original sender (or None)
        assert observe.responses == [("reply to m", R, sender), ("reply to external", R, None)]


@pytest.mark.anyio
async def test_messages_sent_by_agents_pass_the_handlers_too() -> None:
    with anyio.fail_after(5):
        observe = Observe()
        runtime = await _runtime(observe)
        async with runtime:
            assert await runtime.send_message("forward", R) == "reply to forwarded"
        assert [(s[0], s[1].sender, s[2]) for s in observe.sends] == [
            ("forward", None, R),
            ("forwarded", R, AgentId("rec", "other")),
        ]
        assert [r[1:] for r in observe.responses] == [(AgentId("rec", "other"), R), (R, None)]


_caller: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="none")


@pytest.mark.anyio
async def test_handlers_run_in_the_senders_task() -> None:
    with anyio.fail_after(5):
        seen: list[str] = []

        class Peek(DefaultInterventionHandler):
            async def on_send(
                self, message: Any, *, message_context: MessageContext, recipient: AgentId
            ) -> Any:
                seen.append(_caller.get())
                return message

            async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
                seen.append(_caller.get())
                return message

        runtime = await _runtime(Peek())
        async with runtime:
            _caller.set("sender of m")
            await runtime.send_message("m", R)
            _caller.set("publisher of p")
            await runtime.publish_message("p", T)
            await runtime.stop_when_idle()
        assert seen == ["sender of m", "publisher of p"]


# --- dropping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("instance", [False, True])
@pytest.mark.anyio
async def test_dropped_send_raises_message_dropped_and_stops_the_chain(instance: bool) -> None:
    with anyio.fail_after(5):
        after = Observe()
        runtime = await _runtime(Drop("send", instance=instance), after)
        async with runtime:
            with pytest.raises(MessageDroppedException):
                await runtime.send_message("m", R)
            await runtime.stop_when_idle()
        assert Recorder.received == []
        assert after.sends == []


@pytest.mark.parametrize("instance", [False, True])
@pytest.mark.anyio
async def test_dropped_publish_reaches_nobody(instance: bool) -> None:
    with anyio.fail_after(5):
        after = Observe()
        runtime = await _runtime(Drop("publish", instance=instance), after)
        async with runtime:
            await runtime.publish_message("p", T)
            assert runtime.unprocessed_messages_count == 0
            await runtime.stop_when_idle()
            assert Recorder.received == []
            assert after.publishes == []


@pytest.mark.parametrize("instance", [False, True])
@pytest.mark.anyio
async def test_dropped_response_raises_message_dropped(instance: bool) -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Drop("response", instance=instance))
        async with runtime:
            with pytest.raises(MessageDroppedException):
                await runtime.send_message("m", R)
            await runtime.stop_when_idle()
        assert Recorder.received == [(R, "m")]  # the handler ran; its reply was dropped


@pytest.mark.anyio
async def test_dropped_response_of_a_queued_rpc() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Drop("response"))
        outcome: list[BaseException] = []

        async def ask() -> None:
            try:
                await runtime.send_message("queued", R)
            except MessageDroppedException as exc:
                outcome.append(exc)

        async with runtime, anyio.create_task_group() as tg:
            await runtime.publish_message("block", T)  # keeps R busy
            tg.start_soon(ask)
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 1
            Recorder.gate.set()
        assert len(outcome) == 1
        assert Recorder.received == [(R, "block"), (R, "queued")]


# --- raising ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_error_in_on_send_reaches_the_caller() -> None:
    with anyio.fail_after(5):
        error = KeyError("rejected")
        runtime = await _runtime(Raise(error, "send"))
        async with runtime:
            with pytest.raises(KeyError) as info:
                await runtime.send_message("m", R)
            assert info.value is error
            await runtime.stop_when_idle()
        assert Recorder.received == []


@pytest.mark.anyio
async def test_error_in_on_publish_reaches_the_publisher() -> None:
    with anyio.fail_after(5):
        error = KeyError("rejected")
        runtime = await _runtime(Raise(error, "publish"))
        async with runtime:
            with pytest.raises(KeyError) as info:
                await runtime.publish_message("p", T)
            assert info.value is error
            assert runtime.unprocessed_messages_count == 0
            await runtime.stop_when_idle()
        assert Recorder.received == []


@pytest.mark.anyio
async def test_error_in_on_response_reaches_the_caller() -> None:
    with anyio.fail_after(5):
        error = KeyError("rejected")
        runtime = await _runtime(Raise(error, "response"))
        outcome: list[BaseException] = []

        async def ask() -> None:
            try:
                await runtime.send_message("queued", R)
            except KeyError as exc:
                outcome.append(exc)

        async with runtime:
            # inline RPC
            with pytest.raises(KeyError) as info:
                await runtime.send_message("m", R)
            assert info.value is error
            # queued RPC, answered by the runtime's worker
            async with anyio.create_task_group() as tg:
                await runtime.publish_message("block", T)
                tg.start_soon(ask)
                await anyio.wait_all_tasks_blocked()
                Recorder.gate.set()
            assert outcome == [error]
            await runtime.stop_when_idle()


@pytest.mark.parametrize(
    "handler",
    [
        Drop("send", "publish", "response"),
        Raise(RuntimeError("intervention failed"), "send", "publish", "response"),
        Raise(RuntimeError("intervention failed"), "response"),
    ],
    ids=["drop", "raise", "raise-on-response"],
)
@pytest.mark.anyio
async def test_stop_when_idle_never_hangs_after_drops_or_errors(
    handler: InterventionHandler,
) -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(handler)
        async with runtime:
            for i in range(3):
                with pytest.raises((MessageDroppedException, RuntimeError)):
                    await runtime.send_message(f"m{i}", AgentId("rec", str(i)))
                with contextlib.suppress(RuntimeError):
                    await runtime.publish_message(f"p{i}", T)
            await runtime.stop_when_idle()
            assert runtime.unprocessed_messages_count == 0
