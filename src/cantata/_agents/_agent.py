"""The :class:`Agent` protocol: what the runtime needs from an agent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .._agent_id import AgentId
    from .._agent_metadata import AgentMetadata
    from .._message_context import MessageContext
    from .._runtime._protocol import AgentRuntime


@runtime_checkable
class Agent(Protocol):
    """An agent: an addressable unit that handles messages one at a time.

    The runtime calls :meth:`on_message` for every delivery. Unless the agent's class sets
    ``max_concurrency`` above 1, the runtime never runs two deliveries to the same agent
    instance at once (re-entrant calls of one RPC chain excepted).
    """

    @property
    def metadata(self) -> AgentMetadata:
        """Type, key and description of the agent."""
        ...

    @property
    def id(self) -> AgentId:
        """The agent's identity."""
        ...

    async def bind_id_and_runtime(self, id: AgentId, runtime: AgentRuntime) -> None:
        """Attach an instance created outside a factory to its id and runtime."""
        ...

    async def on_message(self, message: Any, ctx: MessageContext) -> Any:
        """Handle one message; the return value is the RPC response (ignored for publishes).

        Raises:
            CantHandleException: the agent cannot handle this message.
        """
        ...

    async def save_state(self) -> Mapping[str, Any]:
        """Return a JSON-serializable snapshot of the agent's state."""
        ...

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a snapshot produced by :meth:`save_state`."""
        ...

    async def close(self) -> None:
        """Release resources; called by the runtime's ``close()``."""
        ...
