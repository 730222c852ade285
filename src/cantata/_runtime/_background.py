"""``start()`` without a task group: a background task of the running event loop.

AnyIO offers no way to spawn a task outside a task group, so this is the one place where
cantata talks to an event loop directly: on asyncio a plain task, on Trio a system task
(``trio.lowlevel.spawn_system_task``). An exception escaping a Trio system task would crash
the whole run, so the function given here must catch everything itself; the lifecycle's does,
and hands errors to the next stop call.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Awaitable, Callable


def spawn_background(func: Callable[[], Awaitable[None]], context: contextvars.Context) -> None:
    """Run ``func()`` in ``context`` as a background task of the running event loop.

    Raises:
        RuntimeError: no event loop is running, or it is neither asyncio nor Trio.
    """
    library = _running_library()
    if library is None:
        raise RuntimeError(
            "runtime.start() must be called from inside a running event loop "
            "(e.g. inside `async def main()` run by asyncio.run, trio.run or anyio.run)"
        )

    async def runner() -> None:
        await func()

    if library == "asyncio":
        asyncio.get_running_loop().create_task(runner(), context=context)
    else:
        trio = sys.modules["trio"]
        trio.lowlevel.spawn_system_task(runner, name="cantata runtime", context=context)


def _running_library() -> str | None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return "asyncio"
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            return None
        return "trio"
    return None
