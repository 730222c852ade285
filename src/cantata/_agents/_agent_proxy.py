""":class:`AgentProxy`: a handle to an agent through its runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

from .._agent_id import AgentId
from .._cancellation_token import CancellationToken

if TYPE_CHECKING:
    from .._agent_metadata import AgentMetadata
    from .._runtime._protocol import AgentRuntime


class AgentProxy:
    """Talk to one agent by id without holding the agent object."""

    def __init__(self, agent: AgentId, runtime: AgentRuntime) -> None:
        self._agent = agent
        self._runtime = runtime

    @property
    def id(self) -> AgentId:
        """The target agent's id."""
        return self._agent

    @property
    def metadata(self) -> Awaitable[AgentMetadata]:
        """The target agent's metadata (await it)."""
        return self._runtime.agent_metadata(self._agent)

    async def send_message(
        self,
        message: Any,
        *,
        sender: AgentId,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send an RPC to the target agent."""
        return await self._runtime.send_message(
            message,
            recipient=self._agent,
            sender=sender,
            cancellation_token=cancellation_token,
            message_id=message_id,
        )

    async def save_state(self) -> Mapping[str, Any]:
        """The target agent's state."""
        return await self._runtime.agent_save_state(self._agent)

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load state into the target agent."""
        await self._runtime.agent_load_state(self._agent, state)
