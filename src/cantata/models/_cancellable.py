"""Running one step of a model call so that a :class:`CancellationToken` can stop it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import anyio

from cantata._cancellation_token import CancellationToken
from cantata.exceptions import MessageCancelledError

__all__ = ["next_cancellable", "run_cancellable"]

_T = TypeVar("_T")


async def run_cancellable(func: Callable[[], Awaitable[_T]], token: CancellationToken | None) -> _T:
    """Await ``func()`` in a cancel scope that *token* cancels.

    Raises:
        MessageCancelledError: The token was cancelled before or during the call.

    A cancellation of an enclosing scope (the caller's own) propagates unchanged.
    """
    if token is None:
        return await func()
    if token.is_cancelled():
        raise MessageCancelledError("The model call was cancelled")
    with anyio.CancelScope() as scope:
        handle = token._add_cancel_hook(scope.cancel)
        try:
            return await func()
        finally:
            token._remove_cancel_hook(handle)
    raise MessageCancelledError("The model call was cancelled")


async def next_cancellable(
    iterator: AsyncIterator[_T], token: CancellationToken | None
) -> _T | None:
    """The next item of *iterator* (``None`` at its end), awaited with :func:`run_cancellable`.

    Raises:
        MessageCancelledError: The token was cancelled before or during the wait.
    """

    async def step() -> _T | None:
        try:
            return await iterator.__anext__()
        except StopAsyncIteration:
            return None

    return await run_cancellable(step, token)
