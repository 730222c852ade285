"""Topic -> recipients lookup that does not scan unrelated subscriptions.

Exact topic types are a dict lookup; prefix subscriptions are found by looking up each
prefix of the topic type (cost grows with the length of the topic type, not with the
number of subscriptions). Results for the built-in subscription kinds are cached per topic
type. Other :class:`Subscription` implementations are asked one by one (their matching may
depend on the topic source, so it cannot be cached).
"""

from __future__ import annotations

from collections.abc import Iterator

from .._agent_id import AgentId, _agent_id_unchecked
from .._subscriptions import Subscription, TypePrefixSubscription, TypeSubscription
from .._topic import TopicId

_CACHE_LIMIT = 4096


class SubscriptionNotFoundError(LookupError, ValueError):
    """``remove_subscription`` got an id that is not registered.

    Subclasses both :class:`LookupError` (what autogen-core documents) and
    :class:`ValueError` (what autogen-core raises).
    """


class SubscriptionIndex:
    """The runtime's subscriptions, indexed for publish."""

    def __init__(self) -> None:
        self._by_id: dict[str, Subscription] = {}
        self._exact: dict[str, list[TypeSubscription]] = {}
        self._prefix: dict[str, list[TypePrefixSubscription]] = {}
        self._other: list[Subscription] = []
        self._cache: dict[str, tuple[str, ...]] = {}
        self._recipients: dict[tuple[str, str], list[AgentId]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Subscription]:
        """The subscriptions, in the order they were added (a snapshot)."""
        return iter(list(self._by_id.values()))

    def add(self, subscription: Subscription) -> None:
        """Add ``subscription``. Raises ValueError if an equal one is registered."""
        if subscription.id in self._by_id or self._has_equal(subscription):
            raise ValueError(f"Subscription already exists: {subscription!r}")
        self._by_id[subscription.id] = subscription
        if type(subscription) is TypeSubscription or isinstance(subscription, TypeSubscription):
            self._exact.setdefault(subscription.topic_type, []).append(subscription)
        elif isinstance(subscription, TypePrefixSubscription):
            self._prefix.setdefault(subscription.topic_type_prefix, []).append(subscription)
        else:
            self._other.append(subscription)
        self._cache.clear()
        self._recipients.clear()

    def remove(self, id: str) -> Subscription:
        """Remove the subscription ``id``. Raises SubscriptionNotFoundError if absent."""
        subscription = self._by_id.pop(id, None)
        if subscription is None:
            raise SubscriptionNotFoundError(f"Subscription does not exist: {id!r}")
        if isinstance(subscription, TypeSubscription):
            self._exact[subscription.topic_type].remove(subscription)
        elif isinstance(subscription, TypePrefixSubscription):
            self._prefix[subscription.topic_type_prefix].remove(subscription)
        else:
            self._other = [s for s in self._other if s.id != id]
        self._cache.clear()
        self._recipients.clear()
        return subscription

    def _has_equal(self, subscription: Subscription) -> bool:
        if isinstance(subscription, TypeSubscription):
            candidates: list[Subscription] = list(self._exact.get(subscription.topic_type, ()))
        elif isinstance(subscription, TypePrefixSubscription):
            candidates = list(self._prefix.get(subscription.topic_type_prefix, ()))
        else:
            candidates = self._other
        return any(existing == subscription for existing in candidates)

    def _agent_types(self, topic_type: str) -> tuple[str, ...]:
        found = self._cache.get(topic_type)
        if found is not None:
            return found
        types: dict[str, None] = {}
        for sub in self._exact.get(topic_type, ()):
            types[sub.agent_type] = None
        prefix = self._prefix
        if prefix:
            for end in range(len(topic_type) + 1):
                for psub in prefix.get(topic_type[:end], ()):
                    types[psub.agent_type] = None
        found = tuple(types)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
            self._recipients.clear()
        self._cache[topic_type] = found
        return found

    def recipients(self, topic_id: TopicId) -> list[AgentId]:
        """Agents subscribed to ``topic_id``, each once, in a deterministic order.

        Do not mutate the returned list: for the built-in subscription kinds it is cached
        (per topic type and source) until the subscriptions change.
        """
        source = topic_id.source
        key = (topic_id.type, source)
        if not self._other:
            cached = self._recipients.get(key)
            if cached is not None:
                return cached
        result = [_agent_id_unchecked(t, source) for t in self._agent_types(topic_id.type)]
        if not self._other:
            if len(self._recipients) >= _CACHE_LIMIT:
                self._recipients.clear()
            self._recipients[key] = result
            return result
        seen = set(result)
        for sub in self._other:
            if sub.is_match(topic_id):
                agent_id = sub.map_to_agent(topic_id)
                if agent_id not in seen:
                    seen.add(agent_id)
                    result.append(agent_id)
        return result
