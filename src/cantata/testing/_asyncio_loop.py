"""An asyncio event loop whose ready callbacks run in an order a strategy chooses, on an
optional virtual clock.

Why not an existing library: ``looptime`` fakes only the clock, and ``async-solipsism``
(virtual time, no real I/O) is GPL-licensed; neither controls the order of ready callbacks,
which needs the same loop class. This loop uses only public asyncio API: ``call_soon`` (the
way every task step, future callback and wake-up reaches the loop) and a selector.

* **Order.** ``call_soon`` callbacks wait in a pool; one pump callback at a time takes the
  one the chooser picks (index 0 = FIFO, the order plain asyncio uses) and runs it. Timer
  callbacks due together run in deadline order, and whatever they wake goes through the pool.
  Not controlled: I/O readiness callbacks and ``call_soon_threadsafe`` (they enter the
  loop's own ready queue) and anything running in other threads.
* **Virtual time.** ``time()`` is a logical clock that starts at 0 and moves only when the
  loop would wait: when nothing is ready, it jumps to the next timer's deadline. Real I/O is
  still polled (without waiting); with no timer pending the loop blocks on real I/O.
"""

from __future__ import annotations

import asyncio
import contextvars
import selectors
from collections.abc import Callable, Mapping
from typing import Any, TypeVarTuple, Unpack

from ._strategies import BACKGROUND, Chooser

__all__ = ["ControlledEventLoop"]

_Ts = TypeVarTuple("_Ts")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0


class _VirtualSelector(selectors.BaseSelector):
    """Polls the real selector; a wait with a timeout moves the virtual clock instead."""

    def __init__(self, clock: _Clock) -> None:
        self._real = selectors.DefaultSelector()
        self._clock = clock

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = self._real.select(0)
        if events or timeout == 0:
            return events
        if timeout is None:  # nothing scheduled: only real I/O can wake the loop
            return self._real.select(None)
        self._clock.now += timeout
        return []

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()


def _key(callback: Callable[..., Any]) -> Any:
    """What identifies a callback across a run: its task, or :data:`BACKGROUND`."""
    owner = getattr(callback, "__self__", None)
    return owner if isinstance(owner, asyncio.Task) else BACKGROUND


class ControlledEventLoop(asyncio.SelectorEventLoop):
    """A selector event loop with chosen callback order and, optionally, virtual time."""

    def __init__(self, chooser: Chooser, *, virtual_time: bool) -> None:
        self._cantata_clock: _Clock | None = _Clock() if virtual_time else None
        selector = (
            _VirtualSelector(self._cantata_clock) if self._cantata_clock is not None else None
        )
        super().__init__(selector)
        self._cantata_chooser = chooser
        self._cantata_pool: list[
            tuple[asyncio.Handle, Callable[..., Any], tuple[Any, ...], contextvars.Context]
        ] = []
        self._cantata_pump_scheduled = False

    def time(self) -> float:
        clock = self._cantata_clock
        return super().time() if clock is None else clock.now

    def call_soon(
        self,
        callback: Callable[[Unpack[_Ts]], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        if context is None:
            context = contextvars.copy_context()
        handle = asyncio.Handle(callback, args, self, context)
        self._cantata_pool.append((handle, callback, args, context))
        if not self._cantata_pump_scheduled:
            self._cantata_pump_scheduled = True
            super().call_soon(self._cantata_pump)
        return handle

    def _cantata_pump(self) -> None:
        self._cantata_pump_scheduled = False
        pool = self._cantata_pool
        pool[:] = [entry for entry in pool if not entry[0].cancelled()]
        if not pool:
            return
        index = 0 if len(pool) == 1 else self._cantata_chooser.pick([_key(e[1]) for e in pool])
        handle, callback, args, context = pool.pop(index)
        if pool:
            self._cantata_pump_scheduled = True
            super().call_soon(self._cantata_pump)
        try:
            context.run(callback, *args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self.call_exception_handler(
                {
                    "message": f"Exception in callback {callback!r}",
                    "exception": exc,
                    "handle": handle,
                }
            )
