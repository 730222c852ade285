"""RoutedAgent and the message_handler / event / rpc decorators."""

from __future__ import annotations

import logging
import typing
from dataclasses import dataclass
from typing import Any, Union

import anyio
import pytest

from cantata import (
    ROOT_LOGGER_NAME,
    AgentId,
    CancellationToken,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
    message_handler,
    rpc,
)
from cantata.exceptions import CantHandleException


@dataclass
class Text:
    body: str


@dataclass
class Number:
    value: int


@dataclass
class Flag:
    on: bool


@dataclass
class SubText(Text):
    pass


def _is_question(message: Text, ctx: MessageContext) -> bool:
    return message.body.endswith("?")


def _is_shout(message: Text, ctx: MessageContext) -> bool:
    return message.body.isupper()


class Router(RoutedAgent):
    """Handlers named so that their alphabetical order is the intended order."""

    def __init__(self) -> None:
        super().__init__("routes")
        self.calls: list[str] = []

    @message_handler(match=_is_question)
    async def a_question(self, message: Text, ctx: MessageContext) -> str:
        self.calls.append("question")
        return "answer"

    @message_handler(match=_is_shout)
    async def b_shout(self, message: Text, ctx: MessageContext) -> str:
        self.calls.append("shout")
        return "calm down"

    @message_handler
    async def c_text(self, message: Text, ctx: MessageContext) -> str:
        self.calls.append("text")
        return message.body

    @message_handler
    async def number_or_flag(self, message: Number | Flag, ctx: MessageContext) -> str:
        self.calls.append(type(message).__name__)
        return repr(message)


async def _runtime(*classes: type[RoutedAgent], **kwargs: Any) -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime(**kwargs)
    for cls in classes:
        await cls.register(runtime, cls.__name__.lower(), cls)
        await runtime.add_subscription(TypeSubscription("t", cls.__name__.lower()))
    return runtime


async def _agent(runtime: SingleThreadedAgentRuntime, cls: type[RoutedAgent], key: str) -> Any:
    return await runtime.try_get_underlying_agent_instance(AgentId(cls.__name__.lower(), key), cls)


# --- routing ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_routes_by_message_type_and_match_in_name_order() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Router)
        target = AgentId("router", "k")
        async with runtime:
            assert await runtime.send_message(Text("why?"), target) == "answer"
            # matches both a_question and b_shout: the first in name order wins
            assert await runtime.send_message(Text("WHY?"), target) == "answer"
            assert await runtime.send_message(Text("HEY"), target) == "calm down"
            assert await runtime.send_message(Text("plain"), target) == "plain"
        router = await _agent(runtime, Router, "k")
        assert router.calls == ["question", "question", "shout", "text"]


@pytest.mark.anyio
async def test_union_handler_receives_each_member_type() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Router)
        target = AgentId("router", "k")
        async with runtime:
            assert await runtime.send_message(Number(1), target) == "Number(value=1)"
            assert await runtime.send_message(Flag(True), target) == "Flag(on=True)"
        assert (await _agent(runtime, Router, "k")).calls == ["Number", "Flag"]


@pytest.mark.anyio
async def test_typing_union_and_optional_hints() -> None:
    with anyio.fail_after(5):

        class Old(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("old-style hints")

            @message_handler
            async def handle(self, message: Union[Number, Flag], ctx: MessageContext) -> int | None:  # noqa: UP007
                return message.value if isinstance(message, Number) else None

        assert set(Old.handle.target_types) == {Number, Flag}
        assert set(Old.handle.produces_types) == {int, type(None)}
        runtime = await _runtime(Old)
        async with runtime:
            assert await runtime.send_message(Number(3), AgentId("old", "k")) == 3
            assert await runtime.send_message(Flag(False), AgentId("old", "k")) is None


@pytest.mark.anyio
async def test_routing_is_by_exact_type_not_subclass() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Router)
        async with runtime:
            assert await runtime.send_message(SubText("x"), AgentId("router", "k")) is None
        assert (await _agent(runtime, Router, "k")).calls == []


@pytest.mark.anyio
async def test_unhandled_messages_go_to_on_unhandled_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with anyio.fail_after(5):
        caplog.set_level(logging.INFO, logger=ROOT_LOGGER_NAME)
        runtime = await _runtime(Router)
        async with runtime:
            assert await runtime.send_message("a str", AgentId("router", "k")) is None
            await runtime.publish_message(3.5, TopicId("t", "k"))
            await runtime.stop_when_idle()
        unhandled = [r for r in caplog.records if "Unhandled message" in r.getMessage()]
        assert len(unhandled) == 2
        assert all(r.levelno == logging.INFO and r.name == ROOT_LOGGER_NAME for r in unhandled)


@pytest.mark.anyio
async def test_on_unhandled_message_can_be_overridden() -> None:
    with anyio.fail_after(5):
        seen: list[tuple[Any, bool]] = []

        class Strict(Router):
            async def on_unhandled_message(self, message: Any, ctx: MessageContext) -> Any:
                seen.append((message, ctx.is_rpc))
                if ctx.is_rpc:
                    raise CantHandleException(f"cannot handle {message!r}")
                return None

        runtime = await _runtime(Strict)
        async with runtime:
            with pytest.raises(CantHandleException):
                await runtime.send_message("rpc", AgentId("strict", "k"))
            # inherited handlers still route
            assert await runtime.send_message(Text("hi"), AgentId("strict", "k")) == "hi"
            await runtime.publish_message("pub", TopicId("t", "k"))
            await runtime.stop_when_idle()
        assert seen == [("rpc", True), ("pub", False)]


@pytest.mark.anyio
async def test_any_handler_receives_types_without_a_specific_handler() -> None:
    with anyio.fail_after(5):

        class CatchAll(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("catches all")

            @message_handler
            async def anything(self, message: Any, ctx: MessageContext) -> Any:
                return ("any", message)

            @message_handler
            async def text(self, message: Text, ctx: MessageContext) -> Any:
                return ("text", message.body)

        runtime = await _runtime(CatchAll)
        target = AgentId("catchall", "k")
        async with runtime:
            assert await runtime.send_message(Text("t"), target) == ("text", "t")
            assert await runtime.send_message(5, target) == ("any", 5)
            assert await runtime.send_message(Number(1), target) == ("any", Number(1))


# --- event and rpc ----------------------------------------------------------------------------


class Split(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("split")
        self.calls: list[str] = []

    @event
    async def on_text_event(self, message: Text, ctx: MessageContext) -> None:
        self.calls.append(f"event {message.body}")

    @rpc
    async def on_text_rpc(self, message: Text, ctx: MessageContext) -> str:
        self.calls.append(f"rpc {message.body}")
        return message.body.upper()

    @rpc
    async def on_number_rpc(self, message: Number, ctx: MessageContext) -> int:
        self.calls.append(f"rpc {message.value}")
        return message.value

    @event
    async def on_flag_event(self, message: Flag, ctx: MessageContext) -> None:
        self.calls.append(f"event {message.on}")


@pytest.mark.anyio
async def test_event_handles_publishes_and_rpc_handles_sends() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Split)
        target = AgentId("split", "k")
        async with runtime:
            assert await runtime.send_message(Text("a"), target) == "A"
            await runtime.publish_message(Text("b"), TopicId("t", "k"))
            # an rpc-only handler ignores publishes; an event-only handler ignores sends
            await runtime.publish_message(Number(1), TopicId("t", "k"))
            assert await runtime.send_message(Flag(True), target) is None
            await runtime.stop_when_idle()
        assert (await _agent(runtime, Split, "k")).calls == ["rpc a", "event b"]


@pytest.mark.anyio
async def test_message_handler_handles_both_kinds() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Router)
        async with runtime:
            assert await runtime.send_message(Text("rpc"), AgentId("router", "k")) == "rpc"
            await runtime.publish_message(Text("pub"), TopicId("t", "k"))
            await runtime.stop_when_idle()
        assert (await _agent(runtime, Router, "k")).calls == ["text", "text"]


# --- strict -----------------------------------------------------------------------------------


class Liar(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("returns the wrong types")

    @rpc
    async def strict_number(self, message: Number, ctx: MessageContext) -> str:
        return message.value  # type: ignore[return-value]

    @rpc(strict=False)
    async def lenient_text(self, message: Text, ctx: MessageContext) -> int:
        return message.body  # type: ignore[return-value]

    @event
    async def noisy_event(self, message: Flag, ctx: MessageContext) -> None:
        return "not None"  # type: ignore[return-value]


@pytest.mark.anyio
async def test_strict_handler_with_wrong_return_type_raises_value_error() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Liar)
        async with runtime:
            with pytest.raises(ValueError, match="strict_number"):
                await runtime.send_message(Number(1), AgentId("liar", "k"))


@pytest.mark.anyio
async def test_lenient_handler_with_wrong_return_type_warns_and_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with anyio.fail_after(5):
        caplog.set_level(logging.WARNING, logger=ROOT_LOGGER_NAME)
        runtime = await _runtime(Liar)
        async with runtime:
            assert await runtime.send_message(Text("t"), AgentId("liar", "k")) == "t"
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "lenient_text" in warnings[0].getMessage()


@pytest.mark.anyio
async def test_strict_event_returning_a_value_is_an_error() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime(Liar, ignore_unhandled_exceptions=False)
        async with runtime:
            await runtime.publish_message(Flag(True), TopicId("t", "k"))
            with pytest.raises(ValueError, match="noisy_event"):
                await runtime.stop_when_idle()


@pytest.mark.anyio
async def test_strict_handler_called_with_a_wrong_type_raises_cant_handle() -> None:
    with anyio.fail_after(5):

        class Direct(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("direct")

            @message_handler
            async def strict_text(self, message: Text, ctx: MessageContext) -> str:
                return "strict"

            @message_handler(strict=False)
            async def lenient_text(self, message: Text, ctx: MessageContext) -> str:
                return "lenient"

        runtime = SingleThreadedAgentRuntime()
        await Direct.register(runtime, "direct", Direct)
        agent = await runtime.try_get_underlying_agent_instance(AgentId("direct", "k"), Direct)
        ctx = MessageContext(None, None, True, CancellationToken(), "id")
        wrong: Any = Number(1)
        with pytest.raises(CantHandleException):
            await Direct.strict_text(agent, wrong, ctx)
        assert await Direct.lenient_text(agent, wrong, ctx) == "lenient"
        assert await Direct.strict_text(agent, Text("x"), ctx) == "strict"


# --- decorators -------------------------------------------------------------------------------


def test_decorated_handler_carries_routing_metadata() -> None:
    handler = Router.number_or_flag
    assert handler.is_message_handler is True
    assert set(handler.target_types) == {Number, Flag}
    assert handler.produces_types == [str]
    assert Router.__dict__["number_or_flag"].__name__ == "number_or_flag"
    ctx = MessageContext(None, None, True, CancellationToken(), "id")
    assert handler.router(Number(1), ctx) is True
    assert Router.a_question.router(Text("ok?"), ctx) is True
    assert Router.a_question.router(Text("ok"), ctx) is False


def test_event_and_rpc_routers_check_the_message_kind() -> None:
    rpc_ctx = MessageContext(None, None, True, CancellationToken(), "id")
    publish_ctx = MessageContext(None, TopicId("t", "s"), False, CancellationToken(), "id")
    assert Split.on_text_rpc.router(Text("x"), rpc_ctx) is True
    assert Split.on_text_rpc.router(Text("x"), publish_ctx) is False
    assert Split.on_text_event.router(Text("x"), publish_ctx) is True
    assert Split.on_text_event.router(Text("x"), rpc_ctx) is False
    assert Router.c_text.router(Text("x"), rpc_ctx) is True
    assert Router.c_text.router(Text("x"), publish_ctx) is True


@pytest.mark.parametrize("decorator", [message_handler, event, rpc])
def test_decorators_need_type_hints(decorator: Any) -> None:
    async def no_message_hint(self: Any, message, ctx: MessageContext) -> None:  # type: ignore[no-untyped-def]
        return None

    async def no_return_hint(self: Any, message: Text, ctx: MessageContext):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(AssertionError):
        decorator(no_message_hint)
    with pytest.raises(AssertionError):
        decorator(no_return_hint)


@pytest.mark.parametrize("decorator", [message_handler, event, rpc])
def test_decorators_work_with_and_without_parentheses(decorator: Any) -> None:
    async def handle(self: Any, message: Text, ctx: MessageContext) -> None:
        return None

    bare = decorator(handle)
    called = decorator()(handle)
    configured = decorator(strict=False)(handle)
    for wrapped in (bare, called, configured):
        assert wrapped.is_message_handler
        assert wrapped.target_types == [Text]


@pytest.mark.anyio
async def test_subclasses_inherit_and_override_handlers() -> None:
    with anyio.fail_after(5):

        class Child(Router):
            @message_handler
            async def c_text(  # overrides Router.c_text: no type: ignore needed
                self, message: Text, ctx: MessageContext
            ) -> str:
                self.calls.append("child text")
                return "child"

        runtime = await _runtime(Child)
        target = AgentId("child", "k")
        async with runtime:
            assert await runtime.send_message(Text("plain"), target) == "child"
            assert await runtime.send_message(Text("why?"), target) == "answer"
            assert await runtime.send_message(Number(2), target) == "Number(value=2)"
        assert (await _agent(runtime, Child, "k")).calls == ["child text", "question", "Number"]


def test_handler_types_resolve_forward_references() -> None:
    hints = typing.get_type_hints(Router.c_text.__wrapped__)  # type: ignore[attr-defined]
    assert hints["message"] is Text
