"""The public namespace: every name in ``cantata.__all__``, its kind and its signature."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import is_dataclass
from typing import Any, get_args, get_type_hints

import pytest
from pydantic import BaseModel

import cantata
import cantata.exceptions as exceptions
from cantata import (
    Agent,
    AgentId,
    AgentRuntime,
    AgentType,
    BaseAgent,
    ClosureContext,
    MessageContext,
    SingleThreadedAgentRuntime,
    Subscription,
    TopicId,
)


def _is_class(obj: Any) -> bool:
    return inspect.isclass(obj)


def _is_protocol(obj: Any) -> bool:
    return inspect.isclass(obj) and bool(getattr(obj, "_is_protocol", False))


def _is_runtime_checkable_protocol(obj: Any) -> bool:
    return _is_protocol(obj) and bool(getattr(obj, "_is_runtime_protocol", False))


def _is_static_class(obj: Any) -> bool:
    if not inspect.isclass(obj):
        return False
    try:
        obj()
    except RuntimeError:
        return True
    return False


def _is_function(obj: Any) -> bool:
    return inspect.isfunction(obj)


def _is_dataclass_type(obj: Any) -> bool:
    return inspect.isclass(obj) and is_dataclass(obj)


def _is_str(value: str) -> Callable[[Any], bool]:
    return lambda obj: obj == value


def _is_callable_alias(obj: Any) -> bool:
    return getattr(obj, "__origin__", None) is not None


# One check per public name: a new public name fails test_every_public_name_is_checked.
CHECKS: dict[str, Callable[[Any], bool]] = {
    "EVENT_LOGGER_NAME": _is_str("cantata.events"),
    "JSON_DATA_CONTENT_TYPE": _is_str("application/json"),
    "PROTOBUF_DATA_CONTENT_TYPE": _is_str("application/x-protobuf"),
    "ROOT_LOGGER_NAME": _is_str("cantata"),
    "TRACE_LOGGER_NAME": _is_str("cantata.trace"),
    "Agent": _is_runtime_checkable_protocol,
    "AgentId": _is_class,
    "AgentInstantiationContext": _is_static_class,
    "AgentMetadata": lambda obj: set(get_type_hints(obj)) == {"type", "key", "description"},
    "AgentProxy": _is_class,
    "AgentRuntime": _is_runtime_checkable_protocol,
    "AgentType": _is_dataclass_type,
    "BaseAgent": inspect.isabstract,
    "CacheStore": inspect.isabstract,
    "CancellationToken": _is_class,
    "InMemoryStore": _is_class,
    "CheckpointError": lambda obj: issubclass(obj, RuntimeError),
    "ClosureAgent": lambda obj: issubclass(obj, BaseAgent),
    "ClosureContext": _is_runtime_checkable_protocol,
    "Component": lambda obj: issubclass(obj, cantata.ComponentFromConfig),
    "ComponentBase": lambda obj: issubclass(obj, cantata.ComponentLoader),
    "ComponentFromConfig": _is_class,
    "ComponentLoader": _is_class,
    "ComponentModel": lambda obj: issubclass(obj, BaseModel) and "provider" in obj.model_fields,
    "ComponentSchemaType": _is_class,
    "ComponentToConfig": lambda obj: callable(getattr(obj, "dump_component", None)),
    "ComponentType": lambda obj: str in get_args(obj),
    "allow_component_namespaces": inspect.isfunction,
    "is_component_class": lambda obj: obj(cantata.InMemoryStore) and not obj(int),
    "is_component_instance": lambda obj: obj(cantata.InMemoryStore[int]()) and not obj(1),
    "DefaultInterventionHandler": _is_class,
    "DefaultSubscription": lambda obj: issubclass(obj, cantata.TypeSubscription),
    "DefaultTopicId": lambda obj: issubclass(obj, TopicId),
    "DeliveryRecord": _is_dataclass_type,
    "DropMessage": _is_class,
    "FunctionCall": _is_dataclass_type,
    "Image": _is_class,
    "InterventionHandler": _is_protocol,
    "MessageContext": _is_dataclass_type,
    "MessageHandlerContext": _is_static_class,
    "MessageSerializer": _is_protocol,
    "RoutedAgent": lambda obj: issubclass(obj, BaseAgent),
    "SerializationError": lambda obj: issubclass(obj, ValueError),
    "SerializationRegistry": _is_class,
    "SingleThreadedAgentRuntime": _is_class,
    "Subscription": _is_runtime_checkable_protocol,
    "SubscriptionInstantiationContext": _is_static_class,
    "SubscriptionNotFoundError": lambda obj: issubclass(obj, LookupError | ValueError),
    "TopicId": _is_dataclass_type,
    "TraceHook": _is_callable_alias,
    "TraceRecorder": _is_class,
    "TypePrefixSubscription": lambda obj: Subscription in obj.__mro__,
    "TypeSubscription": lambda obj: Subscription in obj.__mro__,
    "UnknownPayload": _is_dataclass_type,
    "default_subscription": _is_function,
    "event": _is_function,
    "message_handler": _is_function,
    "rpc": _is_function,
    "try_get_known_serializers_for_type": _is_function,
    "type_subscription": _is_function,
}


def test_every_public_name_is_checked() -> None:
    assert set(CHECKS) == set(cantata.__all__)
    assert len(cantata.__all__) == len(set(cantata.__all__))


@pytest.mark.parametrize("name", sorted(cantata.__all__))
def test_public_name(name: str) -> None:
    obj = getattr(cantata, name)
    assert CHECKS[name](obj), name
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert obj.__doc__, f"{name} has no docstring"
        assert not obj.__module__.startswith("autogen")


def test_version() -> None:
    assert isinstance(cantata.__version__, str)
    assert cantata.__version__


def test_exceptions_module() -> None:
    assert set(exceptions.__all__) == {
        "CantHandleException",
        "MessageCancelledError",
        "MessageDroppedException",
        "NotAccessibleError",
        "RuntimeStoppedError",
        "UndeliverableException",
        "UnknownAgentTypeError",
    }
    for name in ("CantHandleException", "UndeliverableException", "MessageDroppedException"):
        assert issubclass(getattr(exceptions, name), Exception)
    assert issubclass(exceptions.NotAccessibleError, Exception)
    assert issubclass(exceptions.UnknownAgentTypeError, exceptions.UndeliverableException)
    assert issubclass(exceptions.UnknownAgentTypeError, LookupError)
    assert issubclass(exceptions.RuntimeStoppedError, exceptions.UndeliverableException)
    error = exceptions.UnknownAgentTypeError("ghost")
    assert error.agent_type == "ghost"
    assert "ghost" in str(error)
    stopped = exceptions.RuntimeStoppedError(AgentId("a", "b"))
    assert stopped.recipient == AgentId("a", "b")
    assert "a/b" in str(stopped)
    assert exceptions.RuntimeStoppedError().recipient is None


def test_exceptions_pickle() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(exceptions.UnknownAgentTypeError("ghost", "custom")))
    assert (error.agent_type, str(error)) == ("ghost", "custom")
    stopped = pickle.loads(pickle.dumps(exceptions.RuntimeStoppedError(AgentId("a", "b"))))
    assert stopped.recipient == AgentId("a", "b")


# --- the runtime's surface ----------------------------------------------------------------

PROTOCOL_METHODS = [
    "send_message",
    "publish_message",
    "register_factory",
    "register_agent_instance",
    "try_get_underlying_agent_instance",
    "get",
    "save_state",
    "load_state",
    "agent_metadata",
    "agent_save_state",
    "agent_load_state",
    "add_subscription",
    "remove_subscription",
    "add_message_serializer",
]


def _params(func: Any) -> list[tuple[str, Any, Any]]:
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(func).parameters.values()
        if p.name != "self"
    ]


@pytest.mark.parametrize("name", PROTOCOL_METHODS)
def test_runtime_methods_match_the_protocol(name: str) -> None:
    protocol = _params(getattr(AgentRuntime, name))
    runtime = _params(getattr(SingleThreadedAgentRuntime, name))
    assert [p[:2] for p in runtime] == [p[:2] for p in protocol]
    if name != "try_get_underlying_agent_instance":
        assert runtime == protocol
    is_async = inspect.iscoroutinefunction(getattr(SingleThreadedAgentRuntime, name))
    assert is_async is (name != "add_message_serializer")


KW = inspect.Parameter.KEYWORD_ONLY
POS = inspect.Parameter.POSITIONAL_OR_KEYWORD
POS_ONLY = inspect.Parameter.POSITIONAL_ONLY
EMPTY = inspect.Parameter.empty


def test_reference_signatures() -> None:
    runtime = SingleThreadedAgentRuntime
    assert _params(runtime.__init__) == [
        ("intervention_handlers", KW, None),
        ("tracer_provider", KW, None),
        ("ignore_unhandled_exceptions", KW, True),
        ("scheduler", KW, None),
    ]
    assert _params(runtime.send_message) == [
        ("message", POS, EMPTY),
        ("recipient", POS, EMPTY),
        ("sender", KW, None),
        ("cancellation_token", KW, None),
        ("message_id", KW, None),
    ]
    assert _params(runtime.publish_message) == [
        ("message", POS, EMPTY),
        ("topic_id", POS, EMPTY),
        ("sender", KW, None),
        ("cancellation_token", KW, None),
        ("message_id", KW, None),
    ]
    assert _params(runtime.register_factory) == [
        ("type", POS, EMPTY),
        ("agent_factory", POS, EMPTY),
        ("expected_class", KW, None),
    ]
    assert _params(runtime.get) == [
        ("id_or_type", POS_ONLY, EMPTY),
        ("key", POS, "default"),
        ("lazy", KW, True),
    ]
    assert [p[0] for p in _params(runtime.stop_when)][:1] == ["condition"]
    assert _params(runtime.start) == []
    assert not inspect.iscoroutinefunction(runtime.start)
    for name in ("stop", "stop_when_idle", "stop_when", "close", "process_next"):
        assert inspect.iscoroutinefunction(getattr(runtime, name)), name
    assert isinstance(inspect.getattr_static(runtime, "unprocessed_messages_count"), property)
    assert _params(BaseAgent.register) == [
        ("runtime", POS, EMPTY),
        ("type", POS, EMPTY),
        ("factory", POS, EMPTY),
        ("skip_class_subscriptions", KW, False),
        ("skip_direct_message_subscription", KW, False),
    ]
    assert _params(BaseAgent.register_instance) == [
        ("runtime", POS, EMPTY),
        ("agent_id", POS, EMPTY),
        ("skip_class_subscriptions", KW, True),
        ("skip_direct_message_subscription", KW, False),
    ]
    assert _params(BaseAgent.publish_message) == [
        ("message", POS, EMPTY),
        ("topic_id", POS, EMPTY),
        ("cancellation_token", KW, None),
    ]
    assert _params(cantata.ClosureAgent.register_closure) == [
        ("runtime", POS, EMPTY),
        ("type", POS, EMPTY),
        ("closure", POS, EMPTY),
        ("unknown_type_policy", KW, "warn"),
        ("skip_direct_message_subscription", KW, False),
        ("description", KW, ""),
        ("subscriptions", KW, None),
    ]
    assert _params(cantata.AgentProxy.send_message) == [
        ("message", POS, EMPTY),
        ("sender", KW, EMPTY),
        ("cancellation_token", KW, None),
        ("message_id", KW, None),
    ]
    for decorator in (cantata.message_handler, cantata.event, cantata.rpc):
        assert _params(decorator) == [
            ("func", POS, None),
            ("strict", KW, True),
            ("match", KW, None),
        ]


def test_runtime_and_agents_satisfy_their_protocols() -> None:
    assert isinstance(SingleThreadedAgentRuntime(), AgentRuntime)
    assert ClosureContext in cantata.ClosureAgent.__mro__
    for name in ("metadata", "id", "bind_id_and_runtime", "on_message", "save_state"):
        assert hasattr(BaseAgent, name)
        assert name in dir(Agent)
    assert isinstance(cantata.TypeSubscription("t", "a"), Subscription)


def test_value_types() -> None:
    assert str(AgentId("t", "k")) == "t/k"
    assert AgentId(AgentType("t"), "k") == AgentId.from_str("t/k")
    assert str(TopicId("t", "s")) == "t/s"
    context = MessageContext(None, None, True, cantata.CancellationToken(), "m")
    assert context.is_rpc is True
    record = cantata.DeliveryRecord("send", None, AgentId("a", "b"), None, "x")
    assert record.kind == "send"
    with pytest.raises(AttributeError):
        record.kind = "publish"  # type: ignore[misc]
