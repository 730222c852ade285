"""Publishes to a type that several workers serve: each worker handles only its own keys.

A worker resolves a publish's recipients through its local runtime's subscriptions, which
cover every key of its types. When several workers serve a type, the host names, with the
event, the recipients it placed on this worker; the others belong to other workers. The
worker's agents are wrapped in :class:`PlacedAgent`, which skips a publish delivery to an
agent not named. The names travel in a context variable, which the local runtime hands to
the handler (it runs handlers with the context of the code that sent the message).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ... import AgentRuntime  # public names: the runtime core is free to move
from ..._agent_id import AgentId
from ..._agent_metadata import AgentMetadata
from ..._agents._agent import Agent
from ..._message_context import MessageContext

_only: ContextVar[frozenset[str] | None] = ContextVar("cantata.grpc.placed", default=None)


class PlacedAgent:
    """An agent as the worker's local runtime sees it (see the module docstring)."""

    max_concurrency = 1

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._name = str(agent.id)

    @property
    def id(self) -> AgentId:
        return self.agent.id

    @property
    def metadata(self) -> AgentMetadata:
        return self.agent.metadata

    async def bind_id_and_runtime(self, id: AgentId, runtime: AgentRuntime) -> None:
        """The agent is bound to its worker already; the local runtime's binding is skipped."""

    async def on_message(self, message: Any, ctx: MessageContext) -> Any:
        only = _only.get()
        if only is not None and not ctx.is_rpc and self._name not in only:
            return None
        return await self.agent.on_message(message, ctx)

    async def save_state(self) -> Mapping[str, Any]:
        return await self.agent.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        await self.agent.load_state(state)

    async def close(self) -> None:
        await self.agent.close()


_classes: dict[int, type[PlacedAgent]] = {1: PlacedAgent}


class RecipientFilter:
    """Wraps a worker's agents and scopes publish deliveries to the host's placement."""

    def wrap(self, agent: Agent) -> Agent:
        limit = max(1, int(getattr(type(agent), "max_concurrency", 1)))
        cls = _classes.get(limit)
        if cls is None:
            cls = _classes[limit] = type(
                f"PlacedAgent{limit}", (PlacedAgent,), {"max_concurrency": limit}
            )
        return cls(agent)

    @staticmethod
    def unwrap(agent: Any) -> Any:
        return agent.agent if isinstance(agent, PlacedAgent) else agent

    @staticmethod
    @contextmanager
    def only(names: frozenset[str] | None) -> Iterator[None]:
        """Deliveries started inside reach only agents named (``type/key``); None: all."""
        if names is None:
            yield
            return
        token = _only.set(names)
        try:
            yield
        finally:
            _only.reset(token)
