"""The scheduling hook: who decides which ready delivery runs next.

The plain runtime takes ready mailboxes and ready RPC waiters in FIFO order. A
:class:`DeliveryScheduler` given to ``SingleThreadedAgentRuntime(scheduler=...)`` is asked
instead whenever there is more than one candidate; ``cantata.testing`` uses it to explore the
interleavings the runtime allows. Without a scheduler the dispatcher never calls into this
module.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from .._agent_id import AgentId
    from ._records import Mailbox, Reply

__all__ = ["DeliveryScheduler", "pick_ready", "pick_resume", "take_choice"]

_T = TypeVar("_T")


class DeliveryScheduler(Protocol):
    """Chooses among deliveries that the runtime may run now.

    Every choice offered is one the runtime's guarantees allow (per-agent order, one message
    at a time per agent unless ``max_concurrency``, exactly-once delivery), so any answer is a
    legal schedule. Both methods are called synchronously from the dispatcher, only with two
    or more candidates, and must return an index into them; they must not call the runtime.
    """

    def choose(self, options: Sequence[AgentId]) -> int:
        """Pick the agent whose next queued delivery starts now.

        ``options`` are the agents with a ready delivery in FIFO order: index 0 is what the
        plain runtime would run.
        """
        ...

    def choose_resume(self, count: int) -> int:
        """Pick which of ``count`` RPC callers whose replies are ready resumes first (0 = FIFO)."""
        ...


def take_choice(queue: deque[_T], index: int) -> _T:
    """Remove and return ``queue[index]``, a scheduler's choice (checked: a bad index raises)."""
    if not 0 <= index < len(queue):
        raise IndexError(f"scheduler chose {index!r} among {len(queue)} candidates")
    item = queue[index]
    del queue[index]
    return item


def pick_ready(ready: deque[Mailbox], scheduler: DeliveryScheduler) -> Mailbox:
    """Take the mailbox ``scheduler`` chooses from the ready queue (asks only if 2 or more)."""
    if len(ready) == 1:
        return ready.popleft()
    return take_choice(ready, scheduler.choose([box.agent_id for box in ready]))


def pick_resume(resumes: deque[Reply], scheduler: DeliveryScheduler) -> Reply:
    """Take the ready RPC reply whose caller ``scheduler`` chooses to resume first."""
    if len(resumes) == 1:
        return resumes.popleft()
    return take_choice(resumes, scheduler.choose_resume(len(resumes)))
