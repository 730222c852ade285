"""Run a coroutine inside a given :class:`contextvars.Context`, across its suspensions.

A handler dispatched by the runtime runs with the context variables of the code that sent
its message, in its own copy, as a task would. Backends only let a *task* choose its
context, so the coroutine is stepped by hand: every ``send``/``throw`` runs inside the
context, and what the coroutine yields passes through to the event loop unchanged (works on
any backend).

Stepping a coroutine from Python normally ends in a ``StopIteration`` exception, and an
exception (object, traceback, matching) costs about as much as the rest of an inline RPC's
bookkeeping. A :class:`Stepper` avoids it: it is a long-lived generator-based coroutine
that is sent a :data:`Call` ``(function, first, second)``, makes the coroutine
``function(first, second)`` (inside the context, so the synchronous part of a hand-written
``on_message`` runs where the rest of the handler runs), runs it with ``yield from`` (which
takes the return value without an exception; an awaitable that is not a native coroutine
is awaited as ``await`` would) and then *yields* :data:`DONE`. A stepper is reusable once
it yielded :data:`DONE`; one whose coroutine raised is finished and is dropped.

Usage (``steppers`` is a free list)::

    stepper = steppers.pop() if steppers else Stepper()
    yielded = context.run(stepper.send, (agent.on_message, message, ctx))
    if yielded is DONE:  # the coroutine returned without suspending
        result, stepper.result = stepper.result, None
    else:
        result = await stepper.resume(context, yielded)
    steppers.append(stepper)  # only after a normal return: a raising one is finished
"""

from __future__ import annotations

import contextvars
import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Final, TypeAlias, TypeVar

__all__ = ["DONE", "Call", "Stepper", "run_in"]


_COROUTINE: Final = types.CoroutineType
_T = TypeVar("_T")
_A = TypeVar("_A")
_B = TypeVar("_B")

Call: TypeAlias = "tuple[Callable[[Any, Any], Any], Any, Any]"
"""What a stepper is sent: ``(function, first, second)``; it awaits ``function(first, second)``."""


async def _await(awaitable: Any) -> Any:
    """Await what an agent's ``on_message`` returned that is not a native coroutine (a
    generator-based coroutine, a future, an object with ``__await__``)."""
    return await awaitable


class _Done:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DONE"


DONE: Final[Any] = _Done()
"""What :meth:`Stepper.send` returns when the coroutine it was sent has returned."""


class Stepper:
    """Runs one coroutine after another; see the module docstring.

    ``send((function, first, second))`` starts ``function(first, second)`` and returns
    what it first yields, or :data:`DONE` with the return value in ``result`` (take it and
    set ``result`` back to ``None``, so that the idle stepper keeps nothing alive). An
    exception the coroutine raises propagates from ``send`` (or from :meth:`resume`) and
    finishes the stepper.
    """

    __slots__ = ("_close", "_throw", "result", "send")

    def __init__(self) -> None:
        self.result: Any = None
        gen = self._loop()
        self.send: Any = gen.send
        self._throw = gen.throw
        self._close = gen.close
        gen.send(None)  # run to the first ``yield DONE``

    @types.coroutine
    def _loop(self) -> Generator[Any, Any, None]:
        coroutine, wrap = _COROUTINE, _await  # locals: read once per handler
        while True:
            function, first, second = yield DONE  # a Call
            # Called here, inside the context: the synchronous part of a handler (an agent's
            # hand-written ``on_message`` may have one) runs where the rest of it runs.
            coro: Any = function(first, second)
            if coro.__class__ is not coroutine:  # any other awaitable, as ``await`` takes it
                coro = wrap(coro)
            self.result = yield from coro

    @types.coroutine
    def resume(self, context: contextvars.Context, yielded: Any) -> Generator[Any, Any, Any]:
        """Pass ``yielded`` (what the coroutine yielded first) to the event loop and go on
        stepping the coroutine inside ``context`` until it returns; return its value."""
        run = context.run
        while yielded is not DONE:
            try:
                sent = yield yielded
            except GeneratorExit:  # the awaiting coroutine is closed: close the handler's
                run(self._close)
                raise
            except BaseException as exc:  # delivered into the coroutine, e.g. cancellation
                yielded = run(self._throw, exc)
            else:
                yielded = run(self.send, sent)
        result, self.result = self.result, None
        return result


async def run_in(
    context: contextvars.Context,
    function: Callable[[_A, _B], Coroutine[Any, Any, _T]],
    first: _A,
    second: _B,
) -> _T:
    """Await ``function(first, second)`` inside ``context`` (e.g. a copy of the current
    one, so that what it sets in context variables stays there)."""
    stepper = Stepper()
    yielded = context.run(stepper.send, (function, first, second))
    if yielded is DONE:
        result: _T = stepper.result
        return result
    returned: _T = await stepper.resume(context, yielded)
    return returned
