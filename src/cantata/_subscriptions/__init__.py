"""Subscriptions: rules that route published messages to agents."""

from cantata._subscriptions._default_subscription import (
    DefaultSubscription,
    default_subscription,
    type_subscription,
)
from cantata._subscriptions._subscription import Subscription, UnboundSubscription
from cantata._subscriptions._type_prefix_subscription import TypePrefixSubscription
from cantata._subscriptions._type_subscription import TypeSubscription

__all__ = [
    "DefaultSubscription",
    "Subscription",
    "TypePrefixSubscription",
    "TypeSubscription",
    "UnboundSubscription",
    "default_subscription",
    "type_subscription",
]
