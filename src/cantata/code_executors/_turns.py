"""Taking turns: the first-come, first-served lock of an executor."""

from __future__ import annotations

from collections import deque
from types import TracebackType

import anyio
import anyio.lowlevel

__all__ = ["Turns"]


class Turns:
    """A FIFO lock that works on whichever event loop uses it (asyncio or Trio).

    ``anyio.Lock`` binds to the backend that first uses it; an executor may be created
    outside any event loop and used by several ``anyio.run`` calls in turn. This lock keeps
    no backend state between uses: each waiter waits on an ``anyio.Event`` of its own, and
    the lock is handed to the longest waiter on release, so turns go in arrival order.
    A waiter cancelled after being handed the lock passes it on.
    """

    def __init__(self) -> None:
        self._held = False
        self._waiters: deque[anyio.Event] = deque()

    @property
    def held(self) -> bool:
        """Whether someone holds the lock."""
        return self._held

    async def __aenter__(self) -> None:
        await anyio.lowlevel.checkpoint_if_cancelled()
        if not self._held:
            self._held = True
            return
        turn = anyio.Event()
        self._waiters.append(turn)
        try:
            await turn.wait()
        except BaseException:
            if turn.is_set():  # handed over just as the wait was cancelled: pass it on
                self._release()
            else:
                self._waiters.remove(turn)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._release()

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()  # the lock stays held: it now belongs to that waiter
        else:
            self._held = False
