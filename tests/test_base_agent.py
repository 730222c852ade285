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

pytestmark = pytest.mark.anyio


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


@pytest.fixture
def runtime() -> SingleThreadedAgentRuntime:
    return SingleThreadedAgentRuntime()


async def _publish_all(
    runtime: SingleThreadedAgentRuntime, messages: list[tuple[str, TopicId]]
) -> list[tuple[AgentId, Any]]:
    """Publish each message to its topic and stop when idle; return what reached whom."""
    async with runtime:
        for message, topic in messages:
            await runtime.publish_message(message, topic)
        await runtime.stop_when_idle()
    return [(recipient, message) for recipient, message, _ in Recorder.received]


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


async def test_bind_id_and_runtime(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
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


async def test_on_message_calls_on_message_impl(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        agent = Recorder()
        await runtime.register_agent_instance(agent, AgentId("rec", "k"))
        ctx = MessageContext(None, None, True, CancellationToken(), "m")
        assert await agent.on_message("direct", ctx) == "direct"
        assert Recorder.received == [(AgentId("rec", "k"), "direct", ctx)]


async def test_agent_send_message_uses_its_id_as_sender(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
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


async def test_agent_publish_message_uses_its_id_as_sender(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
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


async def test_default_state_methods_warn() -> None:
    with anyio.fail_after(5):
        agent = Recorder()
        with pytest.warns(UserWarning, match="save_state not implemented"):
            assert await agent.save_state() == {}
        with pytest.warns(UserWarning, match="load_state not implemented"):
            await agent.load_state({"x": 1})
        await agent.close()  # the default close does nothing


# --- register ---------------------------------------------------------------------------------


async def test_register_adds_class_and_direct_message_subscriptions(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        assert await Subscribed.register(runtime, "sub", Subscribed) == AgentType("sub")
        received = await _publish_all(
            runtime,
            [
                ("default topic", DefaultTopicId()),
                ("alert", TopicId("alerts", "s1")),
                ("direct", TopicId("sub:", "s2")),
                ("direct sub-topic", TopicId("sub:x", "s3")),
                ("unrelated", TopicId("other", "s4")),
            ],
        )
        assert [(r.key, m) for r, m in received] == [
            ("default", "default topic"),
            ("s1", "alert"),
            ("s2", "direct"),
            ("s3", "direct sub-topic"),
        ]


async def test_register_can_skip_subscriptions(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        await Subscribed.register(runtime, "no-class", Subscribed, skip_class_subscriptions=True)
        await Subscribed.register(
            runtime, "no-direct", Subscribed, skip_direct_message_subscription=True
        )
        received = await _publish_all(
            runtime,
            [
                ("default", DefaultTopicId()),
                ("direct", TopicId("no-class:", "k")),
                ("direct", TopicId("no-direct:", "k")),
            ],
        )
        assert received == [
            (AgentId("no-direct", "default"), "default"),
            (AgentId("no-class", "k"), "direct"),
        ]


async def test_register_expects_instances_of_the_class(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        await Other.register(runtime, "other", lambda: Recorder())  # type: ignore[arg-type, return-value]
        await Recorder.register(runtime, "rec", Other)
        async with runtime:
            with pytest.raises(ValueError):
                await runtime.send_message("x", AgentId("other", "k"))
            assert await runtime.send_message("x", AgentId("rec", "k")) == "x"


async def test_register_accepts_an_async_factory(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):

        async def make() -> Recorder:
            await anyio.lowlevel.checkpoint()
            return Recorder("made asynchronously")

        await Recorder.register(runtime, "rec", make)
        metadata = await runtime.agent_metadata(AgentId("rec", "k"))
        assert metadata["description"] == "made asynchronously"


def test_subscription_decorators_do_not_leak_to_base_classes() -> None:
    assert len(Subscribed.internal_unbound_subscriptions_list) == 2
    assert Recorder.internal_unbound_subscriptions_list == []
    assert Other.internal_unbound_subscriptions_list == []
    assert BaseAgent.internal_unbound_subscriptions_list == []


# --- register_instance ------------------------------------------------------------------------


async def test_register_instance_subscriptions(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        agent = Subscribed("instance")
        agent_id = AgentId("inst", "news")
        assert await agent.register_instance(runtime, agent_id) == agent_id
        assert agent.id == agent_id
        assert agent.runtime is runtime
        received = await _publish_all(
            runtime,
            [
                ("by key", TopicId("news", "news")),  # the key as a topic type
                ("direct", TopicId("inst:", "news")),  # the direct-message prefix
                # class subscriptions are skipped by default
                ("default", DefaultTopicId(source="news")),
            ],
        )
        assert [m for _, m in received] == ["by key", "direct"]


async def test_register_instance_with_class_subscriptions_and_no_direct(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
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
        received = await _publish_all(
            runtime, [("default", DefaultTopicId()), ("alert", TopicId("alerts", "s1"))]
        )
        assert [(r.key, m) for r, m in received] == [
            ("default", "default"),
            ("s1", "alert"),
        ]


async def test_register_instance_twice_with_one_id_raises(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        await Recorder().register_instance(runtime, AgentId("inst", "k"))
        with pytest.raises(ValueError):
            await Recorder().register_instance(runtime, AgentId("inst", "k"))


async def test_prefix_subscription_of_register_reaches_sub_topics(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        await Recorder.register(runtime, "rec", Recorder)
        # registering again by hand is a duplicate of the one register() added
        with pytest.raises(ValueError):
            await runtime.add_subscription(TypePrefixSubscription("rec:", "rec"))
