"""cantata: autogen-core's agent API on AnyIO structured concurrency.

Migrating from autogen-core is a change of imports: ``autogen_core`` -> ``cantata``.
Everything public is re-exported here; implementation modules are private.
"""

from importlib.metadata import PackageNotFoundError, version

from ._agent_id import AgentId
from ._agent_metadata import AgentMetadata
from ._agent_type import AgentType
from ._agents._agent import Agent
from ._agents._agent_proxy import AgentProxy
from ._agents._base_agent import BaseAgent
from ._agents._closure_agent import ClosureAgent, ClosureContext
from ._agents._routed_agent import RoutedAgent, event, message_handler, rpc
from ._cache_store import CacheStore, InMemoryStore
from ._cancellation_token import CancellationToken
from ._components import (
    Component,
    ComponentBase,
    ComponentFromConfig,
    ComponentLoader,
    ComponentModel,
    ComponentSchemaType,
    ComponentToConfig,
    ComponentType,
    allow_component_namespaces,
    is_component_class,
    is_component_instance,
)
from ._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME, TRACE_LOGGER_NAME
from ._contexts import (
    AgentInstantiationContext,
    MessageHandlerContext,
    SubscriptionInstantiationContext,
)
from ._function_call import FunctionCall
from ._genai_spans import trace_create_agent_span, trace_invoke_agent_span, trace_tool_span
from ._image import Image
from ._intervention import DefaultInterventionHandler, DropMessage, InterventionHandler
from ._message_context import MessageContext
from ._runtime._checkpoint import CheckpointError
from ._runtime._protocol import AgentRuntime
from ._runtime._scheduling import DeliveryScheduler
from ._runtime._single_threaded import SingleThreadedAgentRuntime
from ._runtime._subscription_index import SubscriptionNotFoundError
from ._runtime._trace import DeliveryRecord, TraceHook, TraceRecorder
from ._serialization import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    MessageSerializer,
    SerializationError,
    SerializationRegistry,
    UnknownPayload,
    try_get_known_serializers_for_type,
)
from ._subscriptions import (
    DefaultSubscription,
    Subscription,
    TypePrefixSubscription,
    TypeSubscription,
    default_subscription,
    type_subscription,
)
from ._topic import DefaultTopicId, TopicId

try:
    __version__ = version("cantata")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "EVENT_LOGGER_NAME",
    "JSON_DATA_CONTENT_TYPE",
    "PROTOBUF_DATA_CONTENT_TYPE",
    "ROOT_LOGGER_NAME",
    "TRACE_LOGGER_NAME",
    "Agent",
    "AgentId",
    "AgentInstantiationContext",
    "AgentMetadata",
    "AgentProxy",
    "AgentRuntime",
    "AgentType",
    "BaseAgent",
    "CacheStore",
    "CancellationToken",
    "CheckpointError",
    "ClosureAgent",
    "ClosureContext",
    "Component",
    "ComponentBase",
    "ComponentFromConfig",
    "ComponentLoader",
    "ComponentModel",
    "ComponentSchemaType",
    "ComponentToConfig",
    "ComponentType",
    "DefaultInterventionHandler",
    "DefaultSubscription",
    "DefaultTopicId",
    "DeliveryRecord",
    "DeliveryScheduler",
    "DropMessage",
    "FunctionCall",
    "Image",
    "InMemoryStore",
    "InterventionHandler",
    "MessageContext",
    "MessageHandlerContext",
    "MessageSerializer",
    "RoutedAgent",
    "SerializationError",
    "SerializationRegistry",
    "SingleThreadedAgentRuntime",
    "Subscription",
    "SubscriptionInstantiationContext",
    "SubscriptionNotFoundError",
    "TopicId",
    "TraceHook",
    "TraceRecorder",
    "TypePrefixSubscription",
    "TypeSubscription",
    "UnknownPayload",
    "allow_component_namespaces",
    "default_subscription",
    "event",
    "is_component_class",
    "is_component_instance",
    "message_handler",
    "rpc",
    "trace_create_agent_span",
    "trace_invoke_agent_span",
    "trace_tool_span",
    "try_get_known_serializers_for_type",
    "type_subscription",
]
