"""The :class:`AgentType` value type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=True, frozen=True)
class AgentType:
    """The type of an agent, as registered with a runtime.

    A thin, immutable and hashable wrapper around the type string. It is accepted
    wherever an agent type string is, e.g. ``AgentId(AgentType("writer"), "k")``.
    """

    type: str
    """The agent type string."""
