"""The RPC call chain a handler belongs to: re-entrancy, the inline depth, the handling agent.

Each running handler sees, in the context variable :data:`chain_var`, the :data:`Hop` of its
delivery: ``(agent, parent, depth)``. ``agent`` is the agent whose handler runs (what
:class:`~cantata.MessageHandlerContext` reports); ``parent`` is the hop of the handler that
sent the RPC (``None`` for a published message, which starts a new chain); ``depth`` counts
how many RPCs of the chain ran inline, one inside the other, in the current task's stack.

A hop is a plain tuple: one is made for every delivery, and a tuple costs a fraction of an
object with attributes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Final, TypeAlias

from .._agent_id import AgentId

__all__ = [
    "AGENT",
    "DEPTH",
    "MAX_INLINE_DEPTH",
    "PARENT",
    "Hop",
    "chain_agents",
    "chain_var",
    "in_chain",
]

MAX_INLINE_DEPTH = 24
"""Nested inline RPCs in one task before the next one runs in a fresh worker stack.

Each inline hop costs about eight Python frames, so chains of any depth stay far below the
interpreter's recursion limit (1,000 frames by default).
"""

Hop: TypeAlias = "tuple[AgentId, Hop | None, int]"
"""One handler of an RPC chain: ``(agent, parent hop, inline depth)``."""

# Indexes of a hop's fields.
AGENT: Final = 0
PARENT: Final = 1
DEPTH: Final = 2


def chain_agents(hop: Hop | None) -> Iterator[AgentId]:
    """The agents of the chain ending at ``hop``, innermost first."""
    while hop is not None:
        yield hop[AGENT]
        hop = hop[PARENT]


def in_chain(agent: AgentId, hop: Hop | None) -> bool:
    """Whether ``agent`` handles a message of the chain ending at ``hop``."""
    while hop is not None:
        if hop[AGENT] == agent:
            return True
        hop = hop[PARENT]
    return False


chain_var: ContextVar[Hop | None] = ContextVar("cantata.rpc_chain", default=None)
"""The hop of the handler running in this context, if any.

An RPC to an agent already in the chain (A -> B -> A, or A -> A) is admitted at once, even
though that agent is busy: the chain would otherwise wait for itself.
"""
