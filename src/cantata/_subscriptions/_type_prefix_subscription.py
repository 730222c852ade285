"""The :class:`TypePrefixSubscription` class."""

from __future__ import annotations

import uuid

from cantata._agent_id import AgentId, _agent_id_unchecked, _check_agent_type
from cantata._agent_type import AgentType
from cantata._subscriptions._subscription import Subscription
from cantata._topic import TopicId
from cantata.exceptions import CantHandleException

__all__ = ["TypePrefixSubscription"]


class TypePrefixSubscription(Subscription):
    """Delivers messages published to topic types with a given prefix.

    A message published to ``TopicId(type, source)`` where ``type`` starts with
    :attr:`topic_type_prefix` goes to ``AgentId(agent_type, source)``.

    Two prefix subscriptions are equal when they have the same :attr:`id`, or the
    same :attr:`agent_type` and :attr:`topic_type_prefix`. Instances are not hashable.

    Args:
        topic_type_prefix: The prefix to match (``str.startswith``); ``""`` matches
            every topic.
        agent_type: The agent type that receives the messages.
        id: The subscription id; a fresh UUID4 string when ``None``.

    Raises:
        ValueError: *agent_type* is not a valid agent type.
        TypeError: *agent_type* is neither a ``str`` nor an :class:`AgentType`.
    """

    __hash__ = None  # type: ignore[assignment]  # unhashable: equality is by id OR content

    def __init__(
        self, topic_type_prefix: str, agent_type: str | AgentType, id: str | None = None
    ) -> None:
        self._topic_type_prefix = topic_type_prefix
        self._agent_type = _check_agent_type(agent_type)
        self._id = str(uuid.uuid4()) if id is None else id

    @property
    def id(self) -> str:
        """The subscription id."""
        return self._id

    @property
    def topic_type_prefix(self) -> str:
        """The topic type prefix this subscription matches."""
        return self._topic_type_prefix

    @property
    def agent_type(self) -> str:
        """The agent type that receives the messages."""
        return self._agent_type

    def is_match(self, topic_id: TopicId) -> bool:
        """Return whether ``topic_id.type`` starts with :attr:`topic_type_prefix`."""
        return topic_id.type.startswith(self._topic_type_prefix)

    def map_to_agent(self, topic_id: TopicId) -> AgentId:
        """Return ``AgentId(agent_type, topic_id.source)``.

        Raises:
            CantHandleException: *topic_id* does not match this subscription.
        """
        if not topic_id.type.startswith(self._topic_type_prefix):
            raise CantHandleException(
                f"Topic {topic_id} does not match {self!r}: expected a topic type starting "
                f"with {self._topic_type_prefix!r}"
            )
        return _agent_id_unchecked(self._agent_type, topic_id.source)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TypePrefixSubscription):
            return NotImplemented
        return self._id == other._id or (
            self._agent_type == other._agent_type
            and self._topic_type_prefix == other._topic_type_prefix
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(topic_type_prefix={self._topic_type_prefix!r}, "
            f"agent_type={self._agent_type!r}, id={self._id!r})"
        )
