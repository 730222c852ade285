"""AgentInstantiationContext, MessageHandlerContext and SubscriptionInstantiationContext."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import anyio
import pytest

from cantata import _contexts
from cantata._agent_id import AgentId
from cantata._agent_type import AgentType
from cantata._contexts import (
    AgentInstantiationContext,
    MessageHandlerContext,
    SubscriptionInstantiationContext,
)

if TYPE_CHECKING:
    from cantata._runtime._protocol import AgentRuntime


def _fake_runtime(name: str = "runtime") -> AgentRuntime:
    class _Named:
        def __repr__(self) -> str:
            return name

    return cast("AgentRuntime", _Named())


@pytest.mark.parametrize(
    "cls", [AgentInstantiationContext, MessageHandlerContext, SubscriptionInstantiationContext]
)
def test_static_classes_cannot_be_instantiated(cls: type[object]) -> None:
    with pytest.raises(RuntimeError, match="static class"):
        cls()


# --- AgentInstantiationContext -----------------------------------------------------------


def test_agent_instantiation_context_outside_factory() -> None:
    assert not AgentInstantiationContext.is_in_factory_call()
    with pytest.raises(RuntimeError, match="agent factory"):
        AgentInstantiationContext.current_runtime()
    with pytest.raises(RuntimeError, match="agent factory"):
        AgentInstantiationContext.current_agent_id()


def test_agent_instantiation_context_inside_factory() -> None:
    runtime = _fake_runtime()
    agent_id = AgentId("t", "k")
    with AgentInstantiationContext.populate_context((runtime, agent_id)):
        assert AgentInstantiationContext.is_in_factory_call()
        assert AgentInstantiationContext.current_runtime() is runtime
        assert AgentInstantiationContext.current_agent_id() is agent_id
    assert not AgentInstantiationContext.is_in_factory_call()


def test_agent_instantiation_context_nests_and_resets_on_error() -> None:
    outer = (_fake_runtime("outer"), AgentId("o", "1"))
    inner = (_fake_runtime("inner"), AgentId("i", "2"))
    with AgentInstantiationContext.populate_context(outer):
        with pytest.raises(KeyError), AgentInstantiationContext.populate_context(inner):
            assert AgentInstantiationContext.current_agent_id() == AgentId("i", "2")
            raise KeyError("factory failed")
        assert AgentInstantiationContext.current_runtime() is outer[0]
        assert AgentInstantiationContext.current_agent_id() == AgentId("o", "1")
    with pytest.raises(RuntimeError):
        AgentInstantiationContext.current_agent_id()


# --- MessageHandlerContext ---------------------------------------------------------------


def test_message_handler_context_outside_handler() -> None:
    with pytest.raises(RuntimeError, match="message handler"):
        MessageHandlerContext.agent_id()
    assert _contexts._current_agent_id() is None


def test_message_handler_context_inside_handler() -> None:
    agent_id = AgentId("h", "k")
    with MessageHandlerContext.populate_context(agent_id):
        assert MessageHandlerContext.agent_id() is agent_id
        assert _contexts._current_agent_id() is agent_id
        with MessageHandlerContext.populate_context(AgentId("h", "inner")):
            assert MessageHandlerContext.agent_id() == AgentId("h", "inner")
        assert MessageHandlerContext.agent_id() is agent_id


def test_message_handler_context_resets_on_error() -> None:
    with pytest.raises(ValueError), MessageHandlerContext.populate_context(AgentId("h", "k")):
        raise ValueError


@pytest.mark.anyio
async def test_message_handler_context_is_per_task() -> None:
    seen: dict[str, AgentId | None] = {}

    async def handler(key: str) -> None:
        with MessageHandlerContext.populate_context(AgentId("h", key)):
            await anyio.sleep(0.01)
            seen[key] = MessageHandlerContext.agent_id()
            async with anyio.create_task_group() as inner:
                inner.start_soon(child, key)

    async def child(key: str) -> None:
        # A task started inside the handler inherits its context.
        seen[f"{key}-child"] = MessageHandlerContext.agent_id()

    async with anyio.create_task_group() as tg:
        tg.start_soon(handler, "a")
        tg.start_soon(handler, "b")
    assert seen == {
        "a": AgentId("h", "a"),
        "b": AgentId("h", "b"),
        "a-child": AgentId("h", "a"),
        "b-child": AgentId("h", "b"),
    }


# --- SubscriptionInstantiationContext ----------------------------------------------------


def test_subscription_instantiation_context() -> None:
    with pytest.raises(RuntimeError, match="subscriptions"):
        SubscriptionInstantiationContext.agent_type()
    with SubscriptionInstantiationContext.populate_context(AgentType("writer")):
        assert SubscriptionInstantiationContext.agent_type() == AgentType("writer")
        with SubscriptionInstantiationContext.populate_context(AgentType("inner")):
            assert SubscriptionInstantiationContext.agent_type() == AgentType("inner")
        assert SubscriptionInstantiationContext.agent_type() == AgentType("writer")
    with pytest.raises(RuntimeError):
        SubscriptionInstantiationContext.agent_type()


def test_subscription_instantiation_context_resets_on_error() -> None:
    with (
        pytest.raises(KeyError),
        SubscriptionInstantiationContext.populate_context(AgentType("writer")),
    ):
        raise KeyError
    with pytest.raises(RuntimeError):
        SubscriptionInstantiationContext.agent_type()
