"""The RPC call chain a handler belongs to: re-entrancy and the inline depth.

Each running handler sees, in the context variable :data:`chain_var`, the :class:`Hop` of
its delivery. A hop names the agent, links to the hop of the handler that sent the RPC
(``None`` for a published message, which starts a new chain) and counts how many RPCs of
the chain ran inline, one inside the other, in the current task's stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar

from .._agent_id import AgentId

__all__ = ["MAX_INLINE_DEPTH", "Hop", "chain_var"]

MAX_INLINE_DEPTH = 24
"""Nested inline RPCs in one task before the next one runs in a fresh worker stack.

Each inline hop costs about eight Python frames, so chains of any depth stay far below the
interpreter's recursion limit (1,000 frames by default).
"""


class Hop:
    """One handler of an RPC chain (see the module docstring)."""

    __slots__ = ("agent", "depth", "parent")

    def __init__(self, agent: AgentId, parent: Hop | None, depth: int) -> None:
        self.agent = agent
        self.parent = parent
        self.depth = depth

    def agents(self) -> Iterator[AgentId]:
        """The agents of the chain, innermost first."""
        hop: Hop | None = self
        while hop is not None:
            yield hop.agent
            hop = hop.parent

    def __contains__(self, agent: object) -> bool:
        hop: Hop | None = self
        while hop is not None:
            if hop.agent == agent:
                return True
            hop = hop.parent
        return False


chain_var: ContextVar[Hop | None] = ContextVar("cantata.rpc_chain", default=None)
"""The hop of the handler running in this context, if any.

An RPC to an agent already in the chain (A -> B -> A, or A -> A) is admitted at once, even
though that agent is busy: the chain would otherwise wait for itself.
"""
