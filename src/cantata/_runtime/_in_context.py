"""Run a coroutine inside a given :class:`contextvars.Context`, across its suspensions.

A handler dispatched by the runtime runs with the context variables of the code that sent
its message, as an awaited call would. Backends only let a *task* choose its context, so
the coroutine is stepped by hand: every ``send``/``throw`` runs inside the context, and what
the coroutine yields passes through to the event loop unchanged (works on any backend).
"""

from __future__ import annotations

import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_NOT_STARTED: Any = object()


class RunInContext(Generic[T]):
    """Awaitable running ``coro`` with every step inside ``context``."""

    __slots__ = ("_context", "_coro", "_first")

    def __init__(
        self, context: contextvars.Context, coro: Coroutine[Any, Any, T], first: Any = _NOT_STARTED
    ) -> None:
        self._context = context
        self._coro = coro
        self._first = first  # what the coroutine yielded if its first step was already run

    def __await__(self) -> Generator[Any, Any, T]:
        run = self._context.run
        coro = self._coro
        result: T
        yielded = self._first
        if yielded is _NOT_STARTED:
            try:
                yielded = run(coro.send, None)
            except StopIteration as stop:
                result = stop.value
                return result
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # delivered into the coroutine, e.g. cancellation
                try:
                    yielded = run(coro.throw, exc)
                except StopIteration as stop:
                    result = stop.value
                    return result
            else:
                try:
                    yielded = run(coro.send, sent)
                except StopIteration as stop:
                    result = stop.value
                    return result
