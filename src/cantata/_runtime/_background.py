"""``start()`` without a task group: a background task on asyncio.

This is the one place where cantata touches an event loop directly: AnyIO offers no way to
spawn a task outside a task group, and asyncio can. Trio, by design, cannot; there
:func:`spawn_background` raises an error that names the ``async with`` form.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

_STRUCTURED_HINT = (
    "runtime.start() needs a background task, which only asyncio can create without a task "
    "group. On {backend}, run the runtime as `async with SingleThreadedAgentRuntime() as "
    "runtime: ...` instead."
)


def spawn_background(func: Callable[[], Awaitable[None]]) -> Any:
    """Run ``func()`` as a background task of the running asyncio loop and return the task.

    Raises:
        RuntimeError: no event loop is running, or the backend is not asyncio.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if _trio_running():
            raise RuntimeError(_STRUCTURED_HINT.format(backend="trio")) from None
        raise RuntimeError(
            "runtime.start() must be called from inside a running event loop "
            "(e.g. inside `async def main()` run by asyncio.run or anyio.run)"
        ) from None

    async def runner() -> None:
        await func()

    return loop.create_task(runner())


def _trio_running() -> bool:
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True
