"""The RPC call chain a handler belongs to (for re-entrancy)."""

from __future__ import annotations

from contextvars import ContextVar

from .._agent_id import AgentId

chain_var: ContextVar[tuple[AgentId, ...]] = ContextVar("cantata.rpc_chain", default=())
"""Agents handling a message of the current RPC chain, outermost first.

An RPC to an agent already in the chain (A -> B -> A, or A -> A) is admitted at once, even
though that agent is busy: the chain would otherwise wait for itself. A published message
starts a new chain.
"""
