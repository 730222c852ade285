"""The :class:`AgentMetadata` typed dictionary."""

from typing import TypedDict


class AgentMetadata(TypedDict):
    """Descriptive metadata of an agent instance."""

    type: str
    """The agent's type (the first half of its :class:`~cantata._agent_id.AgentId`)."""
    key: str
    """The agent's key (the second half of its :class:`~cantata._agent_id.AgentId`)."""
    description: str
    """A human-readable description of the agent."""
