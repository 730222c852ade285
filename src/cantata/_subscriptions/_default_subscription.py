"""The :class:`DefaultSubscription` class and the subscription class decorators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar, overload

from cantata._agent_type import AgentType
from cantata._contexts import SubscriptionInstantiationContext
from cantata._subscriptions._subscription import Subscription, UnboundSubscription
from cantata._subscriptions._type_subscription import TypeSubscription
from cantata.exceptions import CantHandleException

__all__ = ["DefaultSubscription", "default_subscription", "type_subscription"]

_ClassT = TypeVar("_ClassT", bound=type)

_UNBOUND_ATTR: Final = "internal_unbound_subscriptions_list"


class DefaultSubscription(TypeSubscription):
    """A :class:`TypeSubscription` with defaults for the common case.

    The topic type defaults to ``"default"``, and the agent type defaults to the one
    whose subscriptions the runtime is building (see
    :class:`~cantata._contexts.SubscriptionInstantiationContext`), so
    ``DefaultSubscription()`` can be written inside an agent class declaration.

    Args:
        topic_type: The topic type to match; ``"default"`` unless given.
        agent_type: The agent type that receives the messages; ``None`` reads it from
            the subscription instantiation context.

    Raises:
        CantHandleException: *agent_type* is ``None`` and no subscription
            instantiation context is active.
        ValueError: *agent_type* is not a valid agent type.
    """

    def __init__(
        self, topic_type: str = "default", agent_type: str | AgentType | None = None
    ) -> None:
        if agent_type is None:
            try:
                agent_type = SubscriptionInstantiationContext.agent_type()
            except RuntimeError:
                raise CantHandleException(
                    "DefaultSubscription() without an agent_type can only be created while a "
                    "runtime builds an agent type's subscriptions (e.g. from "
                    "@default_subscription); pass agent_type explicitly elsewhere."
                ) from None
        super().__init__(topic_type, agent_type)


def _append_unbound_subscription(cls: type, unbound: UnboundSubscription) -> None:
    """Append *unbound* to ``cls.internal_unbound_subscriptions_list``.

    The list is the class's own: if *cls* only inherits the attribute, a copy is
    stored on *cls* first, so the base class is never modified.

    Raises:
        TypeError: *cls* has no ``internal_unbound_subscriptions_list`` attribute
            (it is not an agent class).
    """
    inherited: list[UnboundSubscription] | None = getattr(cls, _UNBOUND_ATTR, None)
    if inherited is None:
        raise TypeError(
            f"{cls.__qualname__} cannot declare subscriptions: it has no "
            f"{_UNBOUND_ATTR!r} attribute (subscription decorators apply to agent classes)"
        )
    own: list[UnboundSubscription] | None = cls.__dict__.get(_UNBOUND_ATTR)
    if own is None:
        own = list(inherited)
        setattr(cls, _UNBOUND_ATTR, own)
    own.append(unbound)


def _default_unbound() -> list[Subscription]:
    return [DefaultSubscription()]


@overload
def default_subscription(cls: None = None) -> Callable[[_ClassT], _ClassT]: ...


@overload
def default_subscription(cls: _ClassT) -> _ClassT: ...


def default_subscription(cls: _ClassT | None = None) -> _ClassT | Callable[[_ClassT], _ClassT]:
    """Subscribe an agent class to the ``"default"`` topic type.

    Usable as ``@default_subscription`` and ``@default_subscription()``. When the
    agent type is registered, the runtime adds ``DefaultSubscription()`` for it: a
    message published to ``TopicId("default", source)`` goes to
    ``AgentId(agent_type, source)``.

    Raises:
        TypeError: the decorated class is not an agent class.
    """

    def decorator(decorated: _ClassT) -> _ClassT:
        _append_unbound_subscription(decorated, _default_unbound)
        return decorated

    if cls is None:
        return decorator
    return decorator(cls)


def type_subscription(topic_type: str) -> Callable[[_ClassT], _ClassT]:
    """Subscribe an agent class to the topic type *topic_type*.

    When the agent type is registered, the runtime adds
    ``DefaultSubscription(topic_type=topic_type)`` for it: a message published to
    ``TopicId(topic_type, source)`` goes to ``AgentId(agent_type, source)``.

    Raises:
        TypeError: the decorated class is not an agent class.
    """

    def unbound() -> list[Subscription]:
        return [DefaultSubscription(topic_type=topic_type)]

    def decorator(decorated: _ClassT) -> _ClassT:
        _append_unbound_subscription(decorated, unbound)
        return decorated

    return decorator
