"""Conversions between cantata's types and the wire messages of ``agent_worker.proto``."""

from __future__ import annotations

from ..._agent_id import AgentId
from ..._subscriptions import Subscription, TypePrefixSubscription, TypeSubscription
from ._constants import DEFAULT_MAX_MESSAGE_LENGTH, MAX_RECEIVE_OPTION, MAX_SEND_OPTION
from .protos import agent_worker_pb2 as pb

GrpcOptions = list[tuple[str, int | str]]


def agent_id_to_proto(agent_id: AgentId) -> pb.AgentId:
    return pb.AgentId(type=agent_id.type, key=agent_id.key)


def agent_id_from_proto(agent_id: pb.AgentId) -> AgentId:
    return AgentId(agent_id.type, agent_id.key)


def subscription_to_proto(subscription: Subscription) -> pb.Subscription:
    """The wire form of a subscription.

    Raises:
        ValueError: the subscription is neither a type nor a type-prefix subscription (the
            only kinds the protocol carries).
    """
    if isinstance(subscription, TypeSubscription):
        return pb.Subscription(
            id=subscription.id,
            typeSubscription=pb.TypeSubscription(
                topic_type=subscription.topic_type, agent_type=subscription.agent_type
            ),
        )
    if isinstance(subscription, TypePrefixSubscription):
        return pb.Subscription(
            id=subscription.id,
            typePrefixSubscription=pb.TypePrefixSubscription(
                topic_type_prefix=subscription.topic_type_prefix,
                agent_type=subscription.agent_type,
            ),
        )
    raise ValueError(
        f"{type(subscription).__name__} cannot cross the wire: the distributed runtime carries "
        "TypeSubscription (and DefaultSubscription) and TypePrefixSubscription"
    )


def subscription_from_proto(subscription: pb.Subscription) -> Subscription:
    """The subscription a wire message describes. Raises ValueError if it has no kind."""
    kind = subscription.WhichOneof("subscription")
    if kind == "typeSubscription":
        sub = subscription.typeSubscription
        return TypeSubscription(sub.topic_type, sub.agent_type, id=subscription.id or None)
    if kind == "typePrefixSubscription":
        prefix = subscription.typePrefixSubscription
        return TypePrefixSubscription(
            prefix.topic_type_prefix, prefix.agent_type, id=subscription.id or None
        )
    raise ValueError("subscription message has neither typeSubscription nor typePrefixSubscription")


def option_value(options: GrpcOptions, name: str, default: int) -> int:
    """The last value of gRPC option ``name`` in ``options`` (later entries win)."""
    value = default
    for key, val in options:
        if key == name:
            value = int(val)
    return value


def send_limit(options: GrpcOptions) -> int:
    """The largest message this side sends: its send limit, as gRPC enforces it
    (-1 means unlimited); the peer's receive limit is checked by the peer."""
    limit = option_value(options, MAX_SEND_OPTION, -1)
    receive = option_value(options, MAX_RECEIVE_OPTION, DEFAULT_MAX_MESSAGE_LENGTH)
    # A message this side sends is usually received by a peer configured like this side.
    candidates = [v for v in (limit, receive) if v >= 0]
    return min(candidates) if candidates else -1


def merge_options(defaults: tuple[tuple[str, int], ...], extra: GrpcOptions | None) -> GrpcOptions:
    """``defaults`` overridden by ``extra`` (an option given in ``extra`` replaces the default)."""
    extra = list(extra or [])
    given = {key for key, _ in extra}
    return [(k, v) for k, v in defaults if k not in given] + extra
