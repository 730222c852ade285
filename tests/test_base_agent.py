"""BaseAgent: identity, binding, send/publish helpers, registration and the Agent protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import anyio
import pytest

from cantata import (
    Agent,
    AgentId,
    AgentType,
    BaseAgent,
    CancellationToken,
    DefaultTopicId,
    MessageContext,
    SingleThreadedAgentRuntime,
    TopicId,
    TypePrefixSubscription,
    TypeSubscription,
    default_subscription,
    type_subscription,
)


@dataclass
class Msg:
    text: str


class Recorder(BaseAgent):
    """Records messages and contexts; ``forward:<key>`` sends on, ``shout`` publishes."""

    received: ClassVar[list[tuple[AgentId, Any, MessageContext]]] = []

    def __init__(self, description: str = "records") -> None:
        super().__init__(description)

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        Recorder.received.append((self.id, message, ctx))
        if isinstance(message, str) and message.startswith("forward:"):
            target = AgentId(self.type, message.removeprefix("forward:"))
            return await self.send_message(
                "forwarded",
                target,
                cancellation_token=ctx.cancellation_token,
                message_id="fwd-id",
            )
        if message == "shout":
            await self.publish_message("shouted", TopicId("room", self.id.key))
        return message


@default_subscription
@type_subscription("alerts")
class Subscribed(Recorder):
    pass


class Other(Recorder):
    pass


@pytest.fixture(autouse=True)
def _clear() -> None:
    Recorder.received.clear()


def test_description_must_be_a_string() -> None:
    with pytest.raises(ValueError):
        Recorder(description=3)  # type: ignore[arg-type]


def test_unbound_agent_has_no_id_or_runtime() -> None:
    agent = Recorder()
    with pytest.raises(RuntimeError):
        _ = agent.id
    with pytest.raises(RuntimeError):
        _ = agent.runtime
    with pytest.raises(RuntimeError):
        _ = agent.type
    with pytest.raises(RuntimeError):
        _ = agent.metadata


@pytest.mark.anyio
async def test_base_agent_is_abstract_and_satisfies_the_agent_protocol() -> None:
    with anyio.fail_after(5):
        with pytest.raises(TypeError):
            BaseAgent("abstract")  # type: ignore[abstract]
        assert BaseAgent.max_concurrency == 1
        agent = Recorder()
        await agent.bind_id_and_runtime(AgentId("rec", "k"), SingleThreadedAgentRuntime())
        assert isinstance(agent, Agent)


def test_isinstance_check_on_an_unbound_agent() -> None:
    # Python 3.11 reads protocol attributes with hasattr(), so the id property is called;
    # the check must still answer instead of raising
    answer = isinstance(Recorder(), Agent)
    assert answer in (True, False)


@pytest.mark.anyio
async def test_bind_id_and_runtime() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        other_runtime = SingleThreadedAgentRuntime()
        agent = Recorder("bound")
        agent_id = AgentId("rec", "k")
        await agent.bind_id_and_runtime(agent_id, runtime)
        assert agent.id == agent_id
        assert agent.runtime is runtime
        assert agent.type == "rec"
        assert agent.metadata == {"type": "rec", "key": "k", "description": "bound"}
        await agent.bind_id_and_runtime(agent_id, runtime)  # the same binding again: fine
        with pytest.raises(RuntimeError):
            await agent.bind_id_and_runtime(AgentId("rec", "other"), runtime)
        with pytest.raises(RuntimeError):
            await agent.bind_id_and_runtime(agent_id, other_runtime)


@pytest.mark.anyio
async def test_on_message_calls_on_message_impl() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        agent = Recorder()
        await runtime.register_agent_instance(agent, AgentId("rec", "k"))
        ctx = MessageContext(None, None, True, CancellationToken(), "m")
        assert await agent.on_message("direct", ctx) == "direct"
        assert Recorder.received == [(AgentId("rec", "k"), "direct", ctx)]


@pytest.mark.anyio
async def test_agent_send_message_uses_its_id_as_sender() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Recorder.register(runtime, "rec", Recorder)
        token = CancellationToken()
        async with runtime:
            reply = await runtime.send_message(
                "forward:b", AgentId("rec", "a"), cancellation_token=token
            )
        assert reply == "forwarded"
        (_, _, first), (receiver, message, second) = Recorder.received
        assert (receiver, message) == (AgentId("rec", "b"), "forwarded")
        assert second.sender == AgentId("rec", "a")
        assert second.message_id == "fwd-id"
        assert second.cancellation_token is token
        assert first.cancellation_token is token


@pytest.mark.anyio
async def test_agent_publish_message_uses_its_id_as_sender() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Recorder.register(runtime, "a", Recorder)
        await Recorder.register(runtime, "b", Recorder)
        await runtime.add_subscription(TypeSubscription("room", "a"))
        await runtime.add_subscription(TypeSubscription("room", "b"))
        async with runtime:
            await runtime.send_message("shout", AgentId("a", "r"))
            await runtime.stop_when_idle()
        assert [(r, m, c.sender, c.topic_id) for r, m, c in Recorder.received] == [
            (AgentId("a", "r"), "shout", None, None),
            (AgentId("b", "r"), "shouted", AgentId("a", "r"), TopicId("room", "r")),
        ]


@pytest.mark.anyio
async def test_default_state_methods_warn() -> None:
    with anyio.fail_after(5):
        agent = Recorder()
        with pytest.warns(UserWarning, match="save_state not implemented"):
            assert await agent.save_state() == {}
        with pytest.warns(UserWarning, match="load_state not implemented"):
            await agent.load_state({"x": 1})
        await agent.close()  # the default close does nothing


# --- register ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_register_adds_class_and_direct_message_subscriptions() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        assert await Subscribed.register(runtime, "sub", Subscribed) == AgentType("sub")
        async with runtime:
            await runtime.publish_message("default topic", DefaultTopicId())
            await runtime.publish_message("alert", TopicId("alerts", "s1"))
            await runtime.publish_message("direct", TopicId("sub:", "s2"))
            await runtime.publish_message("direct sub-topic", TopicId("sub:x", "s3"))
            await runtime.publish_message("unrelated", TopicId("other", "s4"))
            await runtime.stop_when_idle()
        assert [(r.key, m) for r, m, _ in Recorder.received] == [
            ("default", "default topic"),
            ("s1", "alert"),
            ("s2", "direct"),
            ("s3", "direct sub-topic"),
        ]


@pytest.mark.anyio
async def test_register_can_skip_subscriptions() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Subscribed.register(runtime, "no-class", Subscribed, skip_class_subscriptions=True)
        await Subscribed.register(
            runtime, "no-direct", Subscribed, skip_direct_message_subscription=True
        )
        async with runtime:
            await runtime.publish_message("default", DefaultTopicId())
            await runtime.publish_message("direct", TopicId("no-class:", "k"))
            await runtime.publish_message("direct", TopicId("no-direct:", "k"))
            await runtime.stop_when_idle()
        assert [(r, m) for r, m, _ in Recorder.received] == [
            (AgentId("no-direct", "default"), "default"),
            (AgentId("no-class", "k"), "direct"),
        ]


@pytest.mark.anyio
async def test_register_expects_instances_of_the_class() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Other.register(runtime, "other", lambda: Recorder())  # type: ignore[arg-type, return-value]
        await Recorder.register(runtime, "rec", Other)
        async with runtime:
            with pytest.raises(ValueError):
                await runtime.send_message("x", AgentId("other", "k"))
            assert await runtime.send_message("x", AgentId("rec", "k")) == "x"


@pytest.mark.anyio
async def test_register_accepts_an_async_factory() -> None:
    with anyio.fail_after(5):

        async def make() -> Recorder:
            await anyio.lowlevel.checkpoint()
            return Recorder("made asynchronously")

        runtime = SingleThreadedAgentRuntime()
        await Recorder.register(runtime, "rec", make)
        metadata = await runtime.agent_metadata(AgentId("rec", "k"))
        assert metadata["description"] == "made asynchronously"


def test_subscription_decorators_do_not_leak_to_base_classes() -> None:
    assert len(Subscribed.internal_unbound_subscriptions_list) == 2
    assert Recorder.internal_unbound_subscriptions_list == []
    assert Other.internal_unbound_subscriptions_list == []
    assert BaseAgent.internal_unbound_subscriptions_list == []


# --- register_instance ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_register_instance_subscriptions() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        agent = Subscribed("instance")
        agent_id = AgentId("inst", "news")
        assert await agent.register_instance(runtime, agent_id) == agent_id
        assert agent.id == agent_id
        assert agent.runtime is runtime
        async with runtime:
            # the key as a topic type
            await runtime.publish_message("by key", TopicId("news", "news"))
            # the direct-message prefix
            await runtime.publish_message("direct", TopicId("inst:", "news"))
            # class subscriptions are skipped by default
            await runtime.publish_message("default", DefaultTopicId(source="news"))
            await runtime.stop_when_idle()
        assert [m for _, m, _ in Recorder.received] == ["by key", "direct"]


@pytest.mark.anyio
async def test_register_instance_with_class_subscriptions_and_no_direct() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        first = Subscribed("first")
        second = Subscribed("second")
        await first.register_instance(
            runtime,
            AgentId("inst", "default"),
            skip_class_subscriptions=False,
            skip_direct_message_subscription=True,
        )
        # the second instance of the type brings equal subscriptions: no error
        await second.register_instance(
            runtime, AgentId("inst", "s1"), skip_class_subscriptions=False
        )
        async with runtime:
            await runtime.publish_message("default", DefaultTopicId())
            await runtime.publish_message("alert", TopicId("alerts", "s1"))
            await runtime.stop_when_idle()
        assert [(r.key, m) for r, m, _ in Recorder.received] == [
            ("default", "default"),
            ("s1", "alert"),
        ]


@pytest.mark.anyio
async def test_register_instance_twice_with_one_id_raises() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Recorder().register_instance(runtime, AgentId("inst", "k"))
        with pytest.raises(ValueError):
            await Recorder().register_instance(runtime, AgentId("inst", "k"))


@pytest.mark.anyio
async def test_prefix_subscription_of_register_reaches_sub_topics() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        await Recorder.register(runtime, "rec", Recorder)
        # registering again by hand is a duplicate of the one register() added
        with pytest.raises(ValueError):
            await runtime.add_subscription(TypePrefixSubscription("rec:", "rec"))
