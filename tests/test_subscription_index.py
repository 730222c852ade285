"""Subscriptions in the runtime: add/remove rules, routing, de-duplication, the index."""

from __future__ import annotations

from typing import Any, ClassVar

import anyio
import pytest

from cantata import (
    AgentId,
    AgentType,
    BaseAgent,
    DefaultSubscription,
    MessageContext,
    SingleThreadedAgentRuntime,
    Subscription,
    SubscriptionNotFoundError,
    TopicId,
    TypePrefixSubscription,
    TypeSubscription,
)
from cantata._runtime._subscription_index import SubscriptionIndex
from cantata.exceptions import CantHandleException, UnknownAgentTypeError


class Inbox(BaseAgent):
    received: ClassVar[list[tuple[AgentId, Any]]] = []

    def __init__(self) -> None:
        super().__init__("inbox")

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        Inbox.received.append((self.id, message))
        return None


async def _runtime(*agent_types: str, **kwargs: Any) -> SingleThreadedAgentRuntime:
    Inbox.received = []
    runtime = SingleThreadedAgentRuntime(**kwargs)
    for agent_type in agent_types:
        await runtime.register_factory(agent_type, Inbox)
    return runtime


async def _publish(runtime: SingleThreadedAgentRuntime, *topics: TopicId) -> list[str]:
    """Publish one message per topic and return ``"recipient <- topic"`` lines."""
    Inbox.received = []
    async with runtime:
        for topic in topics:
            await runtime.publish_message(str(topic), topic)
        await runtime.stop_when_idle()
    return [f"{agent_id} <- {message}" for agent_id, message in Inbox.received]


class SourceSubscription:
    """A custom subscription: topics whose source starts with ``prefix`` go to one agent."""

    def __init__(self, prefix: str, agent: AgentId, id: str = "source-sub") -> None:
        self.prefix = prefix
        self.agent = agent
        self._id = id

    @property
    def id(self) -> str:
        return self._id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SourceSubscription) and other.id == self.id

    __hash__ = None  # type: ignore[assignment]

    def is_match(self, topic_id: TopicId) -> bool:
        return topic_id.source.startswith(self.prefix)

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        if not self.is_match(topic_id):
            raise CantHandleException(str(topic_id))
        return self.agent


# --- add and remove -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_add_and_remove_subscriptions() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader")
        sub = TypeSubscription("news", "reader")
        await runtime.add_subscription(sub)
        assert await _publish(runtime, TopicId("news", "s")) == ["reader/s <- news/s"]
        await runtime.remove_subscription(sub.id)
        assert await _publish(runtime, TopicId("news", "s")) == []
        # it can be added again after removal
        await runtime.add_subscription(sub)
        assert await _publish(runtime, TopicId("news", "s")) == ["reader/s <- news/s"]


@pytest.mark.anyio
async def test_removing_an_unknown_id_raises_subscription_not_found() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        with pytest.raises(SubscriptionNotFoundError):
            await runtime.remove_subscription("no-such-id")
        # what autogen-core documents and what it raises both catch it
        with pytest.raises(LookupError):
            await runtime.remove_subscription("no-such-id")
        with pytest.raises(ValueError):
            await runtime.remove_subscription("no-such-id")
        sub = TypeSubscription("news", "reader")
        await runtime.add_subscription(sub)
        await runtime.remove_subscription(sub.id)
        with pytest.raises(SubscriptionNotFoundError):
            await runtime.remove_subscription(sub.id)


def test_subscription_not_found_error_types() -> None:
    assert issubclass(SubscriptionNotFoundError, LookupError)
    assert issubclass(SubscriptionNotFoundError, ValueError)


@pytest.mark.anyio
async def test_duplicate_subscriptions_are_rejected() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        await runtime.add_subscription(TypeSubscription("news", "reader", id="one"))
        # the same id
        with pytest.raises(ValueError):
            await runtime.add_subscription(TypeSubscription("other", "reader", id="one"))
        # equal: same topic type and agent type
        with pytest.raises(ValueError):
            await runtime.add_subscription(TypeSubscription("news", AgentType("reader")))
        with pytest.raises(ValueError):
            await runtime.add_subscription(DefaultSubscription("news", "reader"))
        await runtime.add_subscription(TypePrefixSubscription("news", "reader", id="two"))
        with pytest.raises(ValueError):
            await runtime.add_subscription(TypePrefixSubscription("news", "reader"))
        # a different agent type or topic type is a different subscription
        await runtime.add_subscription(TypeSubscription("news", "writer"))
        await runtime.add_subscription(TypeSubscription("sports", "reader"))
        custom = SourceSubscription("a", AgentId("reader", "x"))
        await runtime.add_subscription(custom)
        with pytest.raises(ValueError):
            await runtime.add_subscription(SourceSubscription("b", AgentId("reader", "y")))


# --- routing ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_type_subscription_maps_source_to_key() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader", "writer")
        await runtime.add_subscription(TypeSubscription("news", "reader"))
        await runtime.add_subscription(TypeSubscription("news", "writer"))
        await runtime.add_subscription(TypeSubscription("sports", "writer"))
        lines = await _publish(
            runtime, TopicId("news", "a"), TopicId("sports", "b"), TopicId("weather", "c")
        )
        assert sorted(lines) == ["reader/a <- news/a", "writer/a <- news/a", "writer/b <- sports/b"]


@pytest.mark.anyio
async def test_type_prefix_subscription_routing() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader", "all")
        await runtime.add_subscription(TypePrefixSubscription("news.", "reader"))
        await runtime.add_subscription(TypePrefixSubscription("", "all"))
        lines = await _publish(
            runtime,
            TopicId("news.sports", "s"),
            TopicId("news.", "s"),
            TopicId("newsletter", "s"),
            TopicId("news", "s"),
        )
        assert sorted(lines) == sorted(
            [
                "reader/s <- news.sports/s",
                "reader/s <- news./s",
                "all/s <- news.sports/s",
                "all/s <- news./s",
                "all/s <- newsletter/s",
                "all/s <- news/s",
            ]
        )


@pytest.mark.anyio
async def test_overlapping_subscriptions_deliver_once_per_agent() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader", "writer")
        for sub in (
            TypeSubscription("news.local", "reader"),
            TypePrefixSubscription("news", "reader"),
            TypePrefixSubscription("news.", "reader"),
            TypePrefixSubscription("", "reader"),
            TypePrefixSubscription("n", "writer"),
        ):
            await runtime.add_subscription(sub)
        await runtime.add_subscription(SourceSubscription("s", AgentId("reader", "s")))
        lines = await _publish(runtime, TopicId("news.local", "s"))
        assert sorted(lines) == ["reader/s <- news.local/s", "writer/s <- news.local/s"]


@pytest.mark.anyio
async def test_custom_subscriptions_are_asked_and_can_be_removed() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader")
        custom = SourceSubscription("vip-", AgentId("reader", "desk"))
        await runtime.add_subscription(custom)
        lines = await _publish(runtime, TopicId("any", "vip-1"), TopicId("any", "guest"))
        assert lines == ["reader/desk <- any/vip-1"]
        await runtime.remove_subscription(custom.id)
        assert await _publish(runtime, TopicId("any", "vip-2")) == []


@pytest.mark.anyio
async def test_subscription_changes_take_effect_on_the_next_publish() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader", "writer")
        await runtime.add_subscription(TypeSubscription("news", "reader"))
        assert await _publish(runtime, TopicId("news", "s")) == ["reader/s <- news/s"]
        prefix = TypePrefixSubscription("ne", "writer")
        await runtime.add_subscription(prefix)
        assert sorted(await _publish(runtime, TopicId("news", "s"))) == [
            "reader/s <- news/s",
            "writer/s <- news/s",
        ]
        await runtime.remove_subscription(prefix.id)
        assert await _publish(runtime, TopicId("news", "s")) == ["reader/s <- news/s"]


@pytest.mark.anyio
async def test_publish_resolves_subscriptions_when_published() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader")
        sub = TypeSubscription("news", "reader")
        await runtime.add_subscription(sub)
        await runtime.publish_message("queued", TopicId("news", "s"))
        await runtime.remove_subscription(sub.id)
        assert await _publish(runtime) == ["reader/s <- queued"]


@pytest.mark.anyio
async def test_subscription_to_an_unregistered_agent_type() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime("reader", ignore_unhandled_exceptions=False)
        await runtime.add_subscription(TypeSubscription("news", "ghost"))
        await runtime.add_subscription(TypeSubscription("news", "reader"))
        async with runtime:
            await runtime.publish_message("hello", TopicId("news", "s"))
            with pytest.raises(UnknownAgentTypeError) as info:
                await runtime.stop_when_idle()
        assert info.value.agent_type == "ghost"
        assert Inbox.received == [(AgentId("reader", "s"), "hello")]


# --- the index ----------------------------------------------------------------------------


class CountingPrefix(TypePrefixSubscription):
    asked = 0

    def is_match(self, topic_id: TopicId) -> bool:
        CountingPrefix.asked += 1
        return super().is_match(topic_id)


class CountingType(TypeSubscription):
    asked = 0

    def is_match(self, topic_id: TopicId) -> bool:
        CountingType.asked += 1
        return super().is_match(topic_id)


def test_index_does_not_scan_built_in_subscriptions() -> None:
    index = SubscriptionIndex()
    for i in range(2000):
        index.add(CountingPrefix(f"topic.{i}.", f"agent{i}"))
        index.add(CountingType(f"exact.{i}", f"agent{i}"))
    assert len(index) == 4000
    assert index.recipients(TopicId("topic.1234.sub", "s")) == [AgentId("agent1234", "s")]
    assert index.recipients(TopicId("exact.77", "s")) == [AgentId("agent77", "s")]
    assert index.recipients(TopicId("topic.5", "s")) == []
    assert CountingPrefix.asked == 0
    assert CountingType.asked == 0


def test_index_recipients_are_unique_and_stable() -> None:
    index = SubscriptionIndex()
    subs: list[Subscription] = [
        TypePrefixSubscription("a", "p1"),
        TypeSubscription("abc", "e1"),
        TypePrefixSubscription("", "p0"),
        TypePrefixSubscription("ab", "p1"),
        SourceSubscription("s", AgentId("c1", "fixed")),
        TypeSubscription("abc", "p0"),
    ]
    for sub in subs:
        index.add(sub)
    topic = TopicId("abc", "s")
    first = index.recipients(topic)
    assert sorted(map(str, first)) == ["c1/fixed", "e1/s", "p0/s", "p1/s"]
    assert index.recipients(topic) == first
    assert {s.id for s in index} == {s.id for s in subs}


def test_index_remove_returns_the_subscription() -> None:
    index = SubscriptionIndex()
    sub = TypeSubscription("t", "a")
    index.add(sub)
    assert index.remove(sub.id) is sub
    assert len(index) == 0
    assert index.recipients(TopicId("t", "s")) == []
    with pytest.raises(SubscriptionNotFoundError):
        index.remove(sub.id)
