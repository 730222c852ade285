"""Cancellation of tool runs through a :class:`~cantata.CancellationToken`."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio

from cantata._cancellation_token import CancellationToken
from cantata.exceptions import MessageCancelledError

__all__ = ["token_cancel_scope"]


@contextmanager
def token_cancel_scope(token: CancellationToken, what: str) -> Iterator[anyio.CancelScope]:
    """Run the block in a cancel scope that *token* cancels.

    The scope is linked to the token for the duration of the block only (the link is
    removed afterwards, so a long-lived token does not collect callbacks). The token
    may be cancelled from any thread.

    Raises:
        cantata.exceptions.MessageCancelledError: *token* was cancelled before the
            block started (the block does not run), or it cancelled the block.
    """
    if token.is_cancelled():
        raise MessageCancelledError(f"{what} was cancelled")
    scope = anyio.CancelScope()
    handle = token._add_cancel_hook(_threadsafe(scope.cancel))
    try:
        with scope:
            yield scope
    finally:
        token._remove_cancel_hook(handle)
    if scope.cancelled_caught:
        raise MessageCancelledError(f"{what} was cancelled")


def _threadsafe(func: Callable[[], object]) -> Callable[[], None]:
    """Wrap *func* (which must run in the current event loop's thread) so that it may be
    called from any thread: from another thread it is scheduled on the loop."""
    loop_thread = threading.get_ident()
    schedule = _loop_scheduler()

    def call() -> None:
        if threading.get_ident() == loop_thread:
            func()
            return
        with contextlib.suppress(RuntimeError):  # a finished loop has nothing to cancel
            schedule(func)

    return call


def _loop_scheduler() -> Callable[[Callable[[], object]], object]:
    """Return a thread-safe "call soon" of the running event loop (asyncio or Trio)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        trio = importlib.import_module("trio")
        run_sync_soon: Callable[[Callable[[], object]], object]
        run_sync_soon = trio.lowlevel.current_trio_token().run_sync_soon
        return run_sync_soon
    return loop.call_soon_threadsafe
