"""ClosureAgent and ClosureContext: agents made of one async function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from cantata import (
    AgentId,
    AgentInstantiationContext,
    AgentType,
    ClosureAgent,
    ClosureContext,
    DefaultSubscription,
    MessageContext,
    SingleThreadedAgentRuntime,
    Subscription,
    SubscriptionInstantiationContext,
    TopicId,
    TypeSubscription,
)
from cantata.exceptions import CantHandleException


@dataclass
class Job:
    name: str


@dataclass
class Other:
    value: int


Seen = list[tuple[AgentId, Any, MessageContext]]


def _collector(seen: Seen) -> Any:
    async def closure(context: ClosureContext, message: Job, ctx: MessageContext) -> str:
        seen.append((context.id, message, ctx))
        return f"done {message.name}"

    return closure


@pytest.mark.anyio
async def test_register_closure_and_send() -> None:
    with anyio.fail_after(5):
        seen: Seen = []
        runtime = SingleThreadedAgentRuntime()
        agent_type = await ClosureAgent.register_closure(runtime, "collector", _collector(seen))
        assert agent_type == AgentType("collector")
        target = AgentId("collector", "k")
        async with runtime:
            assert await runtime.send_message(Job("a"), target, sender=AgentId("x", "y")) == (
                "done a"
            )
        agent_id, message, ctx = seen[0]
        assert agent_id == target
        assert message == Job("a")
        assert ctx.is_rpc is True
        assert ctx.sender == AgentId("x", "y")
        agent = await runtime.try_get_underlying_agent_instance(target, ClosureAgent)
        assert isinstance(agent, ClosureContext)
        assert agent.expected_types == [Job]
        with pytest.raises(ValueError):
            await ClosureAgent.register_closure(runtime, "collector", _collector(seen))


@pytest.mark.anyio
async def test_closure_context_sends_and_publishes_as_the_agent() -> None:
    with anyio.fail_after(5):
        seen: Seen = []

        async def relay(context: ClosureContext, message: Other, ctx: MessageContext) -> Any:
            reply = await context.send_message(Job("via send"), AgentId("collector", "c"))
            await context.publish_message(Job("via publish"), TopicId("jobs", "p"))
            return reply

        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(runtime, "collector", _collector(seen))
        await ClosureAgent.register_closure(runtime, "relay", relay)
        await runtime.add_subscription(TypeSubscription("jobs", "collector"))
        async with runtime:
            assert await runtime.send_message(Other(1), AgentId("relay", "r")) == "done via send"
            await runtime.stop_when_idle()
        relay_id = AgentId("relay", "r")
        assert [(a, m, c.sender, c.is_rpc) for a, m, c in seen] == [
            (AgentId("collector", "c"), Job("via send"), relay_id, True),
            (AgentId("collector", "p"), Job("via publish"), relay_id, False),
        ]


@pytest.mark.anyio
async def test_unknown_type_policy_error() -> None:
    with anyio.fail_after(5):
        seen: Seen = []
        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(
            runtime, "c", _collector(seen), unknown_type_policy="error"
        )
        async with runtime:
            with pytest.raises(CantHandleException):
                await runtime.send_message(Other(1), AgentId("c", "k"))
            assert await runtime.send_message(Job("j"), AgentId("c", "k")) == "done j"
        assert len(seen) == 1


@pytest.mark.anyio
async def test_unknown_type_policy_warn_is_the_default() -> None:
    with anyio.fail_after(5):
        seen: Seen = []
        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(runtime, "c", _collector(seen))
        async with runtime:
            with pytest.warns(UserWarning, match="Other"):
                assert await runtime.send_message(Other(1), AgentId("c", "k")) is None
        assert seen == []


@pytest.mark.anyio
async def test_unknown_type_policy_ignore_calls_the_closure_anyway() -> None:
    with anyio.fail_after(5):
        seen: Seen = []
        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(
            runtime, "c", _collector(seen), unknown_type_policy="ignore"
        )
        async with runtime:
            with pytest.raises(AttributeError):  # the closure reads message.name
                await runtime.send_message(Other(1), AgentId("c", "k"))
        assert [m for _, m, _ in seen] == [Other(1)]


@pytest.mark.anyio
async def test_any_union_and_missing_annotations() -> None:
    with anyio.fail_after(5):

        async def any_closure(context: ClosureContext, message: Any, ctx: MessageContext) -> Any:
            return ("any", message)

        async def union_closure(
            context: ClosureContext, message: Job | Other, ctx: MessageContext
        ) -> Any:
            return ("union", message)

        async def bare_closure(context, message, ctx):  # type: ignore[no-untyped-def]
            return ("bare", message)

        runtime = SingleThreadedAgentRuntime()
        policy: Any = "error"
        await ClosureAgent.register_closure(runtime, "any", any_closure, unknown_type_policy=policy)
        await ClosureAgent.register_closure(
            runtime, "union", union_closure, unknown_type_policy=policy
        )
        await ClosureAgent.register_closure(
            runtime, "bare", bare_closure, unknown_type_policy=policy
        )
        async with runtime:
            assert await runtime.send_message(3, AgentId("any", "k")) == ("any", 3)
            assert await runtime.send_message(Job("j"), AgentId("union", "k")) == (
                "union",
                Job("j"),
            )
            assert await runtime.send_message(Other(2), AgentId("union", "k")) == (
                "union",
                Other(2),
            )
            with pytest.raises(CantHandleException):
                await runtime.send_message("str", AgentId("union", "k"))
            assert await runtime.send_message("s", AgentId("bare", "k")) == ("bare", "s")


@pytest.mark.anyio
async def test_closure_must_take_three_arguments() -> None:
    with anyio.fail_after(5):

        async def two(context: ClosureContext, message: Job) -> None:
            return None

        runtime = SingleThreadedAgentRuntime()
        with pytest.raises(AssertionError):
            await ClosureAgent.register_closure(runtime, "two", two)  # type: ignore[arg-type]


def test_closure_agent_outside_a_factory_raises() -> None:
    with pytest.raises(RuntimeError):
        ClosureAgent("outside", _collector([]))


def test_closure_agent_inside_a_factory_context() -> None:
    runtime = SingleThreadedAgentRuntime()
    agent_id = AgentId("made", "by-hand")
    with AgentInstantiationContext.populate_context((runtime, agent_id)):
        agent = ClosureAgent("made by hand", _collector([]))
    assert agent.id == agent_id
    assert agent.runtime is runtime
    assert agent.metadata["description"] == "made by hand"


@pytest.mark.anyio
async def test_subscriptions_argument_sync_and_async() -> None:
    with anyio.fail_after(5):
        seen: Seen = []
        built_for: list[AgentType] = []

        def sync_subscriptions() -> list[Subscription]:
            built_for.append(SubscriptionInstantiationContext.agent_type())
            return [DefaultSubscription(topic_type="jobs")]

        async def async_subscriptions() -> list[Subscription]:
            built_for.append(SubscriptionInstantiationContext.agent_type())
            return [TypeSubscription("work", "b")]

        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(
            runtime, "a", _collector(seen), subscriptions=sync_subscriptions
        )
        await ClosureAgent.register_closure(
            runtime, "b", _collector(seen), subscriptions=async_subscriptions
        )
        assert built_for == [AgentType("a"), AgentType("b")]
        async with runtime:
            await runtime.publish_message(Job("1"), TopicId("jobs", "s"))
            await runtime.publish_message(Job("2"), TopicId("work", "s"))
            await runtime.stop_when_idle()
        assert [(a, m.name) for a, m, _ in seen] == [
            (AgentId("a", "s"), "1"),
            (AgentId("b", "s"), "2"),
        ]


@pytest.mark.anyio
async def test_direct_message_subscription_and_skipping_it() -> None:
    with anyio.fail_after(5):
        seen: Seen = []
        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(runtime, "with", _collector(seen))
        await ClosureAgent.register_closure(
            runtime, "without", _collector(seen), skip_direct_message_subscription=True
        )
        async with runtime:
            await runtime.publish_message(Job("direct"), TopicId("with:", "k"))
            await runtime.publish_message(Job("direct"), TopicId("without:", "k"))
            await runtime.publish_message(Job("direct"), TopicId("with:sub", "k2"))
            await runtime.stop_when_idle()
        assert [a for a, _, _ in seen] == [AgentId("with", "k"), AgentId("with", "k2")]


@pytest.mark.anyio
async def test_description_metadata_and_state() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(runtime, "c", _collector([]), description="collects")
        await ClosureAgent.register_closure(runtime, "plain", _collector([]))
        assert await runtime.agent_metadata(AgentId("c", "k")) == {
            "type": "c",
            "key": "k",
            "description": "collects",
        }
        assert (await runtime.agent_metadata(AgentId("plain", "k")))["description"] == ""
        assert await runtime.agent_save_state(AgentId("c", "k")) == {}
        await runtime.agent_load_state(AgentId("c", "k"), {"ignored": True})
        assert await runtime.agent_save_state(AgentId("c", "k")) == {}


@pytest.mark.anyio
async def test_closure_publish_from_outside_reaches_every_key() -> None:
    with anyio.fail_after(5):
        seen: Seen = []
        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(
            runtime,
            "c",
            _collector(seen),
            subscriptions=lambda: [TypeSubscription("jobs", "c")],
        )
        async with runtime:
            for key in ("x", "y", "x"):
                await runtime.publish_message(Job(key), TopicId("jobs", key))
            await runtime.stop_when_idle()
        assert [(a.key, m.name, c.topic_id) for a, m, c in seen] == [
            ("x", "x", TopicId("jobs", "x")),
            ("y", "y", TopicId("jobs", "y")),
            ("x", "x", TopicId("jobs", "x")),
        ]
