"""The :class:`Subscription` protocol."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeAlias, runtime_checkable

from cantata._agent_id import AgentId
from cantata._topic import TopicId

__all__ = ["Subscription", "UnboundSubscription"]


@runtime_checkable
class Subscription(Protocol):
    """Decides which published messages an agent receives.

    A runtime delivers a message published to a topic to
    ``subscription.map_to_agent(topic_id)`` for every subscription whose
    ``is_match(topic_id)`` is true.

    Implementations must be deterministic: ``is_match`` and ``map_to_agent`` must
    depend only on the topic id and the subscription's own (immutable) state.
    """

    @property
    def id(self) -> str:
        """A unique id of this subscription, used to remove it from a runtime."""
        ...

    def __eq__(self, other: object) -> bool:
        """Whether *other* is the same subscription (at least: the same :attr:`id`)."""
        ...

    def is_match(self, topic_id: TopicId) -> bool:
        """Return whether a message published to *topic_id* should be delivered."""
        ...

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        """Return the agent that receives a message published to *topic_id*.

        Raises:
            CantHandleException: *topic_id* does not match this subscription.
        """
        ...


UnboundSubscription: TypeAlias = Callable[[], list[Subscription] | Awaitable[list[Subscription]]]
"""A zero-argument callable returning subscriptions, possibly awaitable.

Agent classes declare these (e.g. via ``@default_subscription``). The runtime calls
them when the agent type is registered, inside
``SubscriptionInstantiationContext.populate_context(agent_type)``.
"""
