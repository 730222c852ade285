"""Running a task that outlives its caller's scope, on asyncio and on Trio."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
from collections.abc import Awaitable, Callable

__all__ = ["spawn_detached"]

_running: set[asyncio.Task[None]] = set()
"""Strong references to the asyncio tasks, which the event loop only holds weakly."""


def spawn_detached(function: Callable[[], Awaitable[None]], name: str) -> None:
    """Start ``function()`` in a task of its own that belongs to no caller's task group.

    On asyncio it is a plain task (in an empty context); on Trio a system task. Either
    way it is cancelled when the event loop ends (``asyncio.run`` cancels what is left,
    Trio cancels system tasks once the main task returns), so it cannot outlive the
    program. *function* must not raise anything but cancellation: on Trio an
    exception from a system task ends the whole run.

    Raises:
        RuntimeError: Not called from asyncio or Trio.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:

        async def run() -> None:
            await function()

        task = loop.create_task(run(), name=name, context=contextvars.Context())
        _running.add(task)
        task.add_done_callback(_running.discard)
        return
    try:
        trio = importlib.import_module("trio")
        trio.lowlevel.current_task()
    except (ImportError, RuntimeError):
        raise RuntimeError("cantata.tools.mcp needs a running asyncio or Trio event loop") from None
    trio.lowlevel.spawn_system_task(function, name=name)
