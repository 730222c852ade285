"""The hook a test harness uses to choose the order of deliveries.

By default the dispatcher runs ready agents in FIFO order (the order in which they became
ready) and resumes RPC callers whose replies are ready in the order the replies arrived. A
:class:`DeliveryScheduler` given to the runtime chooses instead, among exactly the choices
the runtime's guarantees allow: it never sees an agent that may not run now, so per-agent
order, one message at a time and exactly-once delivery hold under any scheduler.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .._agent_id import AgentId

__all__ = ["DeliveryScheduler"]


class DeliveryScheduler(Protocol):
    """Chooses what the dispatcher runs next when it has more than one choice."""

    def choose(self, options: Sequence[AgentId]) -> int:
        """Return the index in ``options`` of the agent whose next delivery starts now.

        ``options`` holds the ready agents in FIFO order (index 0 is the plain runtime's
        choice); it has at least two entries.
        """
        ...

    def choose_resume(self, count: int) -> int:
        """Return which of ``count`` RPC callers whose replies are ready resumes first
        (index 0 is the earliest reply); ``count`` is at least two."""
        ...
