""":class:`BaseAgent`: identity, runtime access, registration helpers."""

from __future__ import annotations

import builtins
import contextlib
import inspect
import warnings
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, final

from .._agent_id import AgentId
from .._agent_metadata import AgentMetadata
from .._agent_type import AgentType
from .._cancellation_token import CancellationToken
from .._contexts import SubscriptionInstantiationContext, _instantiation_var
from .._genai_spans import configured_tracer_provider, start_agent_span
from .._serialization import MessageSerializer, try_get_known_serializers_for_type
from .._subscriptions import Subscription, TypePrefixSubscription, TypeSubscription

if TYPE_CHECKING:
    from .._message_context import MessageContext
    from .._runtime._protocol import AgentRuntime
    from .._subscriptions import UnboundSubscription
    from .._topic import TopicId

C = TypeVar("C", bound=type["BaseAgent"])


class AgentNotBoundError(RuntimeError, AttributeError):
    """An agent's id or runtime was read before the agent was bound to a runtime.

    Also an :class:`AttributeError`, so ``hasattr(agent, "id")`` and protocol checks such as
    ``isinstance(agent, Agent)`` answer False instead of raising.
    """


class BaseAgent(ABC):
    """Base class for agents: holds the id and runtime, offers send/publish and registration.

    Subclasses implement :meth:`on_message_impl`. Set the class attribute ``max_concurrency``
    to a number above 1 to let the runtime run that many deliveries to one instance at once
    (the default, 1, gives actor semantics: one message at a time per instance). The runtime
    reads it from the class the type was registered with (``register``'s class, or the first
    agent created when no class was given).

    When an OpenTelemetry tracer provider is configured as the global one while an agent is
    constructed, the agent emits a ``create_agent {type}`` span then and an
    ``invoke_agent {type}`` span around each message it handles (see
    :func:`cantata.trace_invoke_agent_span` for the attributes). Otherwise it costs nothing.
    """

    internal_unbound_subscriptions_list: ClassVar[list[UnboundSubscription]] = []
    internal_extra_handles_types: ClassVar[
        list[tuple[type[Any], list[MessageSerializer[Any]]]]
    ] = []
    max_concurrency: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each class gets its own lists (decorators append to them).
        cls.internal_unbound_subscriptions_list = list(
            cls.__dict__.get("internal_unbound_subscriptions_list", [])
        )
        cls.internal_extra_handles_types = list(
            cls.__dict__.get("internal_extra_handles_types", [])
        )

    def __init__(self, description: str) -> None:
        if not isinstance(description, str):
            raise ValueError("Agent description must be a string")
        self._description = description
        self._runtime: AgentRuntime | None = None
        self._id: AgentId | None = None
        created_by = _instantiation_var.get(None)  # (runtime, id) inside a factory call
        if created_by is not None:
            self._runtime, self._id = created_by
        provider = configured_tracer_provider()
        if provider is not None:
            self._trace_agent(provider)

    def _trace_agent(self, provider: Any) -> None:
        """Emit the ``create_agent`` span and wrap this instance's handler in ``invoke_agent``."""
        name = type(self).__name__ if self._id is None else self._id.type
        agent_id = None if self._id is None else str(self._id)
        with start_agent_span(provider, "create_agent", name, agent_id, self._description):
            pass
        handle = self.on_message_impl

        async def traced(message: Any, ctx: MessageContext) -> Any:
            current = configured_tracer_provider()
            if current is None:
                return await handle(message, ctx)
            agent = self.id
            with start_agent_span(
                current, "invoke_agent", agent.type, str(agent), self._description
            ):
                return await handle(message, ctx)

        # An instance attribute: the runtime calls it in place of the class's method.
        self.__dict__["on_message_impl"] = traced

    @property
    def metadata(self) -> AgentMetadata:
        """Type, key and description."""
        return {"type": self.id.type, "key": self.id.key, "description": self._description}

    @property
    def type(self) -> str:
        """The agent type (``self.id.type``)."""
        return self.id.type

    @property
    def id(self) -> AgentId:
        """The agent id. Raises AgentNotBoundError (a RuntimeError) before binding."""
        if self._id is None:
            raise AgentNotBoundError(
                "Agent is not bound to an id yet: create it in a factory or register it"
            )
        return self._id

    @property
    def runtime(self) -> AgentRuntime:
        """The runtime the agent lives in. Raises AgentNotBoundError before binding."""
        if self._runtime is None:
            raise AgentNotBoundError("Agent is not bound to a runtime yet")
        return self._runtime

    async def bind_id_and_runtime(self, id: AgentId, runtime: AgentRuntime) -> None:
        """Bind an instance built outside a factory. Raises RuntimeError on a different rebind."""
        if self._id is not None and self._id != id:
            raise RuntimeError("Agent is already bound to a different id")
        if self._runtime is not None and self._runtime is not runtime:
            raise RuntimeError("Agent is already bound to a different runtime")
        self._id = id
        self._runtime = runtime

    @final
    def on_message(self, message: Any, ctx: MessageContext) -> Coroutine[Any, Any, Any]:
        """Handle a message by calling :meth:`on_message_impl` (returns its coroutine, so
        awaiting ``on_message`` costs no extra frame)."""
        return self.on_message_impl(message, ctx)

    @abstractmethod
    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        """Handle one message; implemented by subclasses."""
        ...

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send an RPC from this agent; see :meth:`AgentRuntime.send_message`.

        Raises:
            AgentNotBoundError: the agent is not bound to a runtime and an id yet.
        """
        runtime, agent_id = self._runtime, self._id  # read directly: on every message's path
        if runtime is None or agent_id is None:
            raise AgentNotBoundError("Agent is not bound to a runtime yet")
        return await runtime.send_message(
            message,
            recipient,
            sender=agent_id,
            cancellation_token=cancellation_token,
            message_id=message_id,
        )

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        cancellation_token: CancellationToken | None = None,
    ) -> None:
        """Publish from this agent; the agent itself does not receive it.

        Raises:
            AgentNotBoundError: the agent is not bound to a runtime and an id yet.
        """
        runtime, agent_id = self._runtime, self._id
        if runtime is None or agent_id is None:
            raise AgentNotBoundError("Agent is not bound to a runtime yet")
        await runtime.publish_message(
            message, topic_id, sender=agent_id, cancellation_token=cancellation_token
        )

    async def save_state(self) -> Mapping[str, Any]:
        """Return the agent's state; the default has none and warns."""
        warnings.warn("save_state not implemented", stacklevel=2)
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load the agent's state; the default has none and warns."""
        warnings.warn("load_state not implemented", stacklevel=2)

    async def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release resources; the default does nothing."""

    @classmethod
    def _handles_types(cls) -> list[tuple[builtins.type[Any], list[MessageSerializer[Any]]]]:
        """Message types (with serializers) this class handles or returns."""
        return list(cls.internal_extra_handles_types)

    async def register_instance(
        self,
        runtime: AgentRuntime,
        agent_id: AgentId,
        *,
        skip_class_subscriptions: bool = True,
        skip_direct_message_subscription: bool = False,
    ) -> AgentId:
        """Register this instance under ``agent_id`` and add its subscriptions.

        A ``TypeSubscription(topic_type=agent_id.key, agent_type=agent_id.type)`` is always
        added (an existing equal one is kept).
        """
        agent_id = await runtime.register_agent_instance(self, agent_id)
        subscriptions: list[Subscription] = [
            TypeSubscription(topic_type=agent_id.key, agent_type=agent_id.type)
        ]
        if not skip_class_subscriptions:
            subscriptions.extend(await _class_subscriptions(type(self), AgentType(agent_id.type)))
        if not skip_direct_message_subscription:
            subscriptions.append(TypePrefixSubscription(f"{agent_id.type}:", agent_id.type))
        for subscription in subscriptions:
            with contextlib.suppress(ValueError):  # an equal subscription exists already
                await runtime.add_subscription(subscription)
        _add_serializers(runtime, type(self))
        return agent_id

    @classmethod
    async def register(
        cls,
        runtime: AgentRuntime,
        type: str,
        factory: Callable[[], Self | Awaitable[Self]],
        *,
        skip_class_subscriptions: bool = False,
        skip_direct_message_subscription: bool = False,
    ) -> AgentType:
        """Register ``factory`` for agent ``type`` with this class as the expected class.

        Adds the class's subscriptions (``@default_subscription``, ``@type_subscription``,
        ...), the direct-message prefix subscription ``"<type>:"``, and serializers for every
        type the class handles and returns.
        """
        # Serializers first: a refused one (a type name taken by another class) leaves the
        # runtime without this agent type rather than half-registered.
        _add_serializers(runtime, cls)
        agent_type = await runtime.register_factory(type, factory, expected_class=cls)
        if not skip_class_subscriptions:
            for subscription in await _class_subscriptions(cls, agent_type):
                await runtime.add_subscription(subscription)
        if not skip_direct_message_subscription:
            await runtime.add_subscription(
                TypePrefixSubscription(f"{agent_type.type}:", agent_type.type)
            )
        return agent_type


async def _class_subscriptions(cls: type[BaseAgent], agent_type: AgentType) -> list[Subscription]:
    result: list[Subscription] = []
    with SubscriptionInstantiationContext.populate_context(agent_type):
        for unbound in cls.internal_unbound_subscriptions_list:
            produced = unbound()
            if inspect.isawaitable(produced):
                produced = await produced
            result.extend(produced)
    return result


def _add_serializers(runtime: AgentRuntime, cls: type[BaseAgent]) -> None:
    """Register the serializers of every type ``cls`` handles or returns, all or none."""
    everything = [ser for _kind, serializers in cls._handles_types() for ser in serializers]
    if everything:
        runtime.add_message_serializer(everything)


def subscription_factory(subscription: UnboundSubscription) -> Callable[[C], C]:
    """Class decorator adding an unbound subscription to an agent class."""

    def decorator(cls: C) -> C:
        cls.internal_unbound_subscriptions_list.append(subscription)
        return cls

    return decorator


def handles(
    type: type[Any],
    serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]] | None = None,
) -> Callable[[C], C]:
    """Class decorator declaring an extra message type (and serializers) a class handles."""

    def decorator(cls: C) -> C:
        if serializer is None:
            serializers = try_get_known_serializers_for_type(type)
        elif isinstance(serializer, Sequence):
            serializers = list(serializer)
        else:
            serializers = [serializer]
        if not serializers:
            raise ValueError(f"No serializers found for type {type!r}")
        cls.internal_extra_handles_types.append((type, serializers))
        return cls

    return decorator
