"""Whole-runtime checkpoints: agent states, subscriptions and every queued message.

A checkpoint is one JSON-serializable document::

    {
      "format": "cantata.checkpoint",
      "version": 1,
      "agents": {"type/key": <the agent's save_state()>, ...},
      "subscriptions": [{"kind": "type" | "prefix", "id": ..., "topic": ..., "agent_type": ...}],
      "queued": [{"recipient": "type/key", "sender": "type/key" | null,
                  "topic": {"type": ..., "source": ...}, "message_id": ...,
                  "type_name": ..., "content_type": ..., "data": <JSON> | "base64": ...}]
    }

``queued`` lists the undelivered publishes mailbox by mailbox, mailboxes in the order they
would run, so a runtime restored from it (on either backend) rebuilds the same mailboxes and
delivers the rest exactly as the original would have.

When a checkpoint can be taken: when no handler is running and the workers cannot start one.
That is the case before the first start, after ``stop()`` (queued publishes are kept; queued
RPCs have failed), between ``process_next()`` steps of a runtime that is not started, and in a
started runtime with nothing queued. A started runtime with queued messages is refused: stop
it first. Publishes whose cancellation token was cancelled are left out (they would not be
delivered).

What a checkpoint cannot capture: a handler in mid-flight (its local variables and its
position in the code), RPCs whose callers are waiting (their callers are live coroutines;
:func:`take_checkpoint` refuses while any is queued), the context variables a queued message
carried from its sender, cancellation tokens passed with a publish, trace hooks, intervention
handlers, factories and serializers (the restoring program registers those again, as at
start-up), and subscriptions of custom :class:`Subscription` classes.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from contextvars import copy_context
from typing import TYPE_CHECKING, Any

from .._agent_id import AgentId
from .._serialization import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    SerializationRegistry,
    UnknownPayload,
)
from .._subscriptions import Subscription, TypePrefixSubscription, TypeSubscription
from .._topic import TopicId
from ._records import Delivery

if TYPE_CHECKING:
    from ._directory import AgentDirectory
    from ._dispatcher import Dispatcher
    from ._subscription_index import SubscriptionIndex

FORMAT = "cantata.checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint cannot be taken now, or a document cannot be restored."""


async def take_checkpoint(
    dispatcher: Dispatcher,
    directory: AgentDirectory,
    subscriptions: SubscriptionIndex,
    serialization: SerializationRegistry,
) -> dict[str, Any]:
    """Capture a runtime as a JSON-serializable document (see the module docstring).

    Each agent's state is checked to be JSON (strings as keys; strings, finite numbers,
    booleans, ``None``, lists and tuples as values) and copied, so later changes to the
    agent's objects do not change the document.

    Raises:
        CheckpointError: a handler is running, an RPC is queued, or an agent's state is
            not JSON (the message names the agent and the path, e.g. ``$.history[2]``).
        SerializationError | ValueError: a queued message's type has no serializer.
    """
    if dispatcher.in_flight:
        raise CheckpointError(
            f"{dispatcher.in_flight} handler(s) running: take a checkpoint when the runtime "
            "is idle or stopped (e.g. after stop() or stop_when_idle())"
        )
    if dispatcher.dispatching and dispatcher.queued:
        raise CheckpointError(
            "the runtime is running with messages queued: stop() it first (queued publishes "
            "are kept) or wait until it is idle"
        )
    _queued_publishes(dispatcher)  # refuse early, before asking agents for their states
    # Agents' save_state() may await: no delivery may start meanwhile, or the document would
    # not be one consistent cut (a message's effect in one state and not the next).
    was_dispatching = dispatcher.pause()
    try:
        agents = {
            str(agent_id): _json_copy(await agent.save_state(), f"agent {agent_id}", "$")
            for agent_id, agent in list(directory.agents.items())
        }
        queued = _queued_publishes(dispatcher)
    finally:
        dispatcher.resume(was_dispatching)
    return {
        "format": FORMAT,
        "version": VERSION,
        "agents": agents,
        "subscriptions": [_dump_subscription(sub) for sub in subscriptions],
        "queued": [_dump_delivery(serialization, delivery) for delivery in queued],
    }


def _json_copy(value: Any, owner: str, path: str) -> Any:
    """A deep copy of ``value`` made of JSON types only; raises naming ``owner`` and the path."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        raise CheckpointError(f"the state of {owner} is not JSON at {path}: {value!r}")
    if isinstance(value, Mapping):
        copy: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CheckpointError(
                    f"the state of {owner} is not JSON at {path}: key {key!r} is a "
                    f"{type(key).__name__}, not a str"
                )
            copy[key] = _json_copy(item, owner, f"{path}.{key}")
        return copy
    if isinstance(value, (list, tuple)):
        return [_json_copy(item, owner, f"{path}[{index}]") for index, item in enumerate(value)]
    raise CheckpointError(
        f"the state of {owner} is not JSON at {path}: a {type(value).__name__} "
        "(save_state() must return JSON: dicts with str keys, lists, str, numbers, bools, None)"
    )


def _queued_publishes(dispatcher: Dispatcher) -> list[Delivery]:
    """The queued deliveries to save; raises if an RPC (with a waiting caller) is queued."""
    # A delivery whose token was cancelled would be skipped: it is not part of the future.
    queued = [
        d for d in dispatcher.queued_in_order() if d.token is None or not d.token.is_cancelled()
    ]
    if any(delivery.reply is not None for delivery in queued):
        raise CheckpointError(
            "RPCs are queued (their callers are live coroutines); they cannot be saved"
        )
    return queued


async def restore_checkpoint(
    checkpoint: Mapping[str, Any],
    dispatcher: Dispatcher,
    directory: AgentDirectory,
    subscriptions: SubscriptionIndex,
    serialization: SerializationRegistry,
) -> None:
    """Load ``checkpoint`` into a runtime that has its agent types registered again.

    Agent states are loaded (creating the agents), subscriptions not already present are
    added, and the queued messages are queued again in their order; they are delivered once
    the runtime runs.

    Raises:
        CheckpointError: not a checkpoint of a supported version, or the runtime is running
            handlers.
        UnknownAgentTypeError: an agent type of the checkpoint is not registered.
        SerializationError | ValueError: a queued message cannot be deserialized.
    """
    if checkpoint.get("format") != FORMAT or checkpoint.get("version") != VERSION:
        raise CheckpointError(
            f"not a {FORMAT} document of version {VERSION}: "
            f"format={checkpoint.get('format')!r}, version={checkpoint.get('version')!r}"
        )
    if dispatcher.in_flight:
        raise CheckpointError("restore into a runtime that is not running handlers")
    # Everything is parsed and checked before anything changes: a document that cannot be
    # restored leaves the runtime as it was.
    deliveries = [_load_delivery(serialization, entry) for entry in checkpoint["queued"]]
    states = [(AgentId.from_str(key), state) for key, state in checkpoint["agents"].items()]
    loaded = [_load_subscription(entry) for entry in checkpoint["subscriptions"]]
    for agent_id in (*(a for a, _ in states), *(d.recipient for d in deliveries)):
        directory.check_type(agent_id.type)
    for agent_id, state in states:
        await (await directory.get(agent_id)).load_state(state)
    existing = list(subscriptions)
    for subscription in loaded:
        if not any(sub == subscription for sub in existing):
            subscriptions.add(subscription)
    for delivery in deliveries:
        dispatcher.enqueue(delivery)


def _dump_subscription(subscription: Subscription) -> dict[str, str]:
    if isinstance(subscription, TypeSubscription):
        return {
            "kind": "type",
            "id": subscription.id,
            "topic": subscription.topic_type,
            "agent_type": subscription.agent_type,
        }
    if isinstance(subscription, TypePrefixSubscription):
        return {
            "kind": "prefix",
            "id": subscription.id,
            "topic": subscription.topic_type_prefix,
            "agent_type": subscription.agent_type,
        }
    raise CheckpointError(f"cannot save a subscription of type {type(subscription).__name__}")


def _load_subscription(entry: Mapping[str, str]) -> Subscription:
    kind = entry["kind"]
    if kind == "type":
        return TypeSubscription(entry["topic"], entry["agent_type"], id=entry["id"])
    if kind == "prefix":
        return TypePrefixSubscription(entry["topic"], entry["agent_type"], id=entry["id"])
    raise CheckpointError(f"unknown subscription kind {kind!r}")


def _dump_delivery(registry: SerializationRegistry, delivery: Delivery) -> dict[str, Any]:
    message = delivery.message
    type_name = registry.type_name(message)
    content_type = JSON_DATA_CONTENT_TYPE
    if not registry.is_registered(type_name, content_type) and registry.is_registered(
        type_name, PROTOBUF_DATA_CONTENT_TYPE
    ):
        content_type = PROTOBUF_DATA_CONTENT_TYPE
    payload = registry.serialize(message, type_name=type_name, data_content_type=content_type)
    topic = delivery.topic_id
    entry: dict[str, Any] = {
        "recipient": str(delivery.recipient),
        "sender": None if delivery.sender is None else str(delivery.sender),
        "topic": None if topic is None else {"type": topic.type, "source": topic.source},
        "message_id": delivery.message_id,
        "type_name": type_name,
        "content_type": content_type,
    }
    if content_type == JSON_DATA_CONTENT_TYPE:
        entry["data"] = json.loads(payload)
    else:
        entry["base64"] = base64.b64encode(payload).decode("ascii")
    return entry


def _load_delivery(registry: SerializationRegistry, entry: Mapping[str, Any]) -> Delivery:
    """A queued publish from the document (no token; the restoring code's context)."""
    content_type = entry["content_type"]
    if "data" in entry:
        payload = json.dumps(entry["data"]).encode()
    else:
        payload = base64.b64decode(entry["base64"], validate=True)
    message = registry.deserialize(
        payload, type_name=entry["type_name"], data_content_type=content_type
    )
    if isinstance(message, UnknownPayload):
        raise CheckpointError(
            f"no serializer registered for {entry['type_name']!r} ({content_type}): "
            "register the agent types (and serializers) before restoring"
        )
    topic = entry["topic"]
    sender = entry["sender"]
    return Delivery.publish(
        message,
        AgentId.from_str(entry["recipient"]),
        None if sender is None else AgentId.from_str(sender),
        TopicId(topic["type"], topic["source"]),
        None,
        entry["message_id"],
        copy_context(),
    )
