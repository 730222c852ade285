"""The :class:`AgentRuntime` protocol shared by every runtime implementation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

if TYPE_CHECKING:
    from .._agent_id import AgentId
    from .._agent_metadata import AgentMetadata
    from .._agent_type import AgentType
    from .._agents._agent import Agent
    from .._cancellation_token import CancellationToken
    from .._serialization import MessageSerializer
    from .._subscriptions import Subscription
    from .._topic import TopicId

T = TypeVar("T", bound="Agent")


@runtime_checkable
class AgentRuntime(Protocol):
    """What agents and applications can ask of a runtime."""

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Deliver ``message`` to ``recipient`` and return the handler's response.

        Raises:
            UnknownAgentTypeError: no agent type ``recipient.type`` is registered.
            CantHandleException: the recipient cannot handle the message.
            MessageDroppedException: an intervention handler dropped the message.
            MessageCancelledError: the cancellation token was cancelled.
            RuntimeStoppedError: the runtime stopped before the message was delivered.
        """
        ...

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Deliver ``message`` to every agent subscribed to ``topic_id`` (sender excluded)."""
        ...

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Register a factory that creates agents of ``type`` on first use."""
        ...

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Register an already-built agent under ``agent_id``."""
        ...

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = ...) -> T:
        """Return the agent object (creating it if needed). Raises NotAccessibleError/TypeError."""
        ...

    @overload
    async def get(self, id_or_type: AgentId, /, *, lazy: bool = ...) -> AgentId: ...

    @overload
    async def get(
        self, id_or_type: AgentType | str, /, key: str = ..., *, lazy: bool = ...
    ) -> AgentId: ...

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId:
        """Return an agent id; with ``lazy=False`` the agent is created now."""
        ...

    async def save_state(self) -> Mapping[str, Any]:
        """Return the states of all instantiated agents."""
        ...

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load states produced by :meth:`save_state`."""
        ...

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        """Return an agent's metadata."""
        ...

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        """Return one agent's state."""
        ...

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        """Load one agent's state."""
        ...

    async def add_subscription(self, subscription: Subscription) -> None:
        """Add a subscription. Raises ValueError if an equal one exists."""
        ...

    async def remove_subscription(self, id: str) -> None:
        """Remove a subscription by id. Raises LookupError if there is none."""
        ...

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers for message types."""
        ...
