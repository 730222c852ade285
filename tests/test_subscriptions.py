"""Subscriptions: protocol, type/prefix/default subscriptions and class decorators."""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest

from cantata._agent_id import AgentId
from cantata._agent_type import AgentType
from cantata._contexts import SubscriptionInstantiationContext
from cantata._subscriptions import (
    DefaultSubscription,
    Subscription,
    TypePrefixSubscription,
    TypeSubscription,
    UnboundSubscription,
    default_subscription,
    type_subscription,
)
from cantata._topic import TopicId
from cantata.exceptions import CantHandleException


class FakeAgent:
    """Stands in for BaseAgent: each subclass gets its own list."""

    internal_unbound_subscriptions_list: ClassVar[list[UnboundSubscription]] = []

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.internal_unbound_subscriptions_list = []


def _bind(cls: type[FakeAgent], agent_type: str) -> list[Subscription]:
    """Call the class's unbound subscriptions as a runtime would."""
    result: list[Subscription] = []
    with SubscriptionInstantiationContext.populate_context(AgentType(agent_type)):
        for unbound in cls.internal_unbound_subscriptions_list:
            subs = unbound()
            assert isinstance(subs, list)
            result.extend(subs)
    return result


# --- TypeSubscription --------------------------------------------------------------------


def test_type_subscription_basics() -> None:
    sub = TypeSubscription("news", "reader")
    assert isinstance(sub, Subscription)
    assert sub.topic_type == "news"
    assert sub.agent_type == "reader"
    uuid.UUID(sub.id)  # a UUID string by default
    assert TypeSubscription("news", "reader").id != sub.id
    assert TypeSubscription("news", "reader", id="my-id").id == "my-id"
    assert TypeSubscription("news", AgentType("reader")).agent_type == "reader"


def test_type_subscription_matching() -> None:
    sub = TypeSubscription("news", "reader")
    assert sub.is_match(TopicId("news", "s1"))
    assert not sub.is_match(TopicId("news2", "s1"))
    assert not sub.is_match(TopicId("new", "s1"))
    agent = sub.map_to_agent(TopicId("news", "s1"))
    assert agent == AgentId("reader", "s1")
    assert type(agent) is AgentId
    assert hash(agent) == hash(AgentId("reader", "s1"))
    with pytest.raises(CantHandleException, match="news2/s1"):
        sub.map_to_agent(TopicId("news2", "s1"))


def test_type_subscription_validates_agent_type() -> None:
    with pytest.raises(ValueError, match="'bad type'"):
        TypeSubscription("news", "bad type")
    with pytest.raises(TypeError):
        TypeSubscription("news", 3)  # type: ignore[arg-type]


def test_type_subscription_equality() -> None:
    a = TypeSubscription("news", "reader")
    assert a == TypeSubscription("news", "reader")  # same agent type and topic type
    assert a != TypeSubscription("news", "writer")
    assert a != TypeSubscription("sports", "reader")
    assert a == TypeSubscription("sports", "writer", id=a.id)  # same id
    assert a != TypePrefixSubscription("news", "reader", id=a.id)  # different class
    assert a != "news"
    with pytest.raises(TypeError):
        hash(a)


def test_type_subscription_repr() -> None:
    sub = TypeSubscription("news", "reader", id="i")
    assert repr(sub) == "TypeSubscription(topic_type='news', agent_type='reader', id='i')"


# --- TypePrefixSubscription --------------------------------------------------------------


def test_type_prefix_subscription_basics() -> None:
    sub = TypePrefixSubscription("news.", "reader")
    assert isinstance(sub, Subscription)
    assert sub.topic_type_prefix == "news."
    assert sub.agent_type == "reader"
    uuid.UUID(sub.id)
    assert TypePrefixSubscription("news.", "reader", id="x").id == "x"
    assert TypePrefixSubscription("news.", AgentType("reader")).agent_type == "reader"
    assert (
        repr(TypePrefixSubscription("p", "a", id="i"))
        == "TypePrefixSubscription(topic_type_prefix='p', agent_type='a', id='i')"
    )


def test_type_prefix_subscription_matching() -> None:
    sub = TypePrefixSubscription("news.", "reader")
    assert sub.is_match(TopicId("news.sports", "s"))
    assert sub.is_match(TopicId("news.", "s"))
    assert not sub.is_match(TopicId("news", "s"))
    assert not sub.is_match(TopicId("weather.news.", "s"))
    assert sub.map_to_agent(TopicId("news.tech", "k")) == AgentId("reader", "k")
    with pytest.raises(CantHandleException, match=r"'news\.'"):
        sub.map_to_agent(TopicId("weather", "k"))
    everything = TypePrefixSubscription("", "reader")
    assert everything.is_match(TopicId("anything", "s"))


def test_type_prefix_subscription_validates_agent_type() -> None:
    with pytest.raises(ValueError, match="Invalid agent type"):
        TypePrefixSubscription("p", "a/b")


def test_type_prefix_subscription_equality() -> None:
    a = TypePrefixSubscription("news.", "reader")
    assert a == TypePrefixSubscription("news.", "reader")
    assert a != TypePrefixSubscription("news.", "writer")
    assert a != TypePrefixSubscription("sport.", "reader")
    assert a == TypePrefixSubscription("other", "other", id=a.id)
    assert a != TypeSubscription("news.", "reader")
    with pytest.raises(TypeError):
        hash(a)


# --- DefaultSubscription -----------------------------------------------------------------


def test_default_subscription_explicit_agent_type() -> None:
    sub = DefaultSubscription(agent_type="reader")
    assert isinstance(sub, TypeSubscription)
    assert sub.topic_type == "default"
    assert sub.agent_type == "reader"
    assert sub == TypeSubscription("default", "reader")
    assert DefaultSubscription("news", AgentType("reader")).topic_type == "news"
    assert sub.map_to_agent(TopicId("default", "s")) == AgentId("reader", "s")


def test_default_subscription_from_context() -> None:
    with SubscriptionInstantiationContext.populate_context(AgentType("ctx_agent")):
        sub = DefaultSubscription()
        news = DefaultSubscription("news")
    assert sub.agent_type == "ctx_agent"
    assert sub.topic_type == "default"
    assert news.agent_type == "ctx_agent"
    assert news.topic_type == "news"


def test_default_subscription_without_context_raises() -> None:
    with pytest.raises(CantHandleException, match="agent_type"):
        DefaultSubscription()
    with pytest.raises(CantHandleException):
        DefaultSubscription("news")


# --- class decorators --------------------------------------------------------------------


def test_default_subscription_decorator_without_parentheses() -> None:
    @default_subscription
    class Agent(FakeAgent):
        pass

    assert len(Agent.internal_unbound_subscriptions_list) == 1
    assert FakeAgent.internal_unbound_subscriptions_list == []
    subs = _bind(Agent, "alpha")
    assert subs == [TypeSubscription("default", "alpha")]
    assert isinstance(subs[0], DefaultSubscription)


def test_default_subscription_decorator_with_parentheses() -> None:
    @default_subscription()
    class Agent(FakeAgent):
        pass

    assert _bind(Agent, "beta") == [TypeSubscription("default", "beta")]


def test_type_subscription_decorator_and_stacking() -> None:
    @type_subscription("news")
    @type_subscription(topic_type="weather")
    @default_subscription
    class Agent(FakeAgent):
        pass

    subs = _bind(Agent, "gamma")
    assert subs == [
        TypeSubscription("default", "gamma"),
        TypeSubscription("weather", "gamma"),
        TypeSubscription("news", "gamma"),
    ]
    assert all(isinstance(s, DefaultSubscription) for s in subs)
    # Each call builds fresh subscriptions (fresh ids).
    again = _bind(Agent, "gamma")
    assert [s.id for s in again] != [s.id for s in subs]


def test_decorators_return_the_class_unchanged() -> None:
    class Agent(FakeAgent):
        pass

    assert default_subscription(Agent) is Agent
    assert default_subscription()(Agent) is Agent
    assert type_subscription("t")(Agent) is Agent
    assert len(Agent.internal_unbound_subscriptions_list) == 3


def test_decorated_unbound_needs_context() -> None:
    @default_subscription
    class Agent(FakeAgent):
        pass

    with pytest.raises(CantHandleException):
        Agent.internal_unbound_subscriptions_list[0]()


def test_decorator_does_not_modify_inherited_list() -> None:
    class Base:
        internal_unbound_subscriptions_list: ClassVar[list[UnboundSubscription]] = []

    @default_subscription
    class Child(Base):
        pass

    assert Base.internal_unbound_subscriptions_list == []
    assert len(Child.internal_unbound_subscriptions_list) == 1


def test_decorator_rejects_non_agent_class() -> None:
    class NotAnAgent:
        pass

    with pytest.raises(TypeError, match="internal_unbound_subscriptions_list"):
        default_subscription(NotAnAgent)
    with pytest.raises(TypeError, match="NotAnAgent"):
        type_subscription("t")(NotAnAgent)


# --- protocol ----------------------------------------------------------------------------


def test_custom_subscription_satisfies_protocol() -> None:
    class EverythingTo:
        def __init__(self, agent: AgentId) -> None:
            self._agent = agent

        @property
        def id(self) -> str:
            return "everything"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, EverythingTo) and other.id == self.id

        __hash__ = None  # type: ignore[assignment]

        def is_match(self, topic_id: TopicId) -> bool:
            return True

        def map_to_agent(self, topic_id: TopicId) -> AgentId:
            return self._agent

    sub: Subscription = EverythingTo(AgentId("sink", "k"))
    assert isinstance(sub, Subscription)
    assert not isinstance(object(), Subscription)
    assert sub.map_to_agent(TopicId("x", "y")) == AgentId("sink", "k")
