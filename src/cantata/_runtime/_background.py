"""``start()`` without a task group: a background task on asyncio.

This is the one place where cantata touches an event loop directly: AnyIO offers no way to
spawn a task outside a task group, and asyncio can. Trio, by design, cannot; there
:func:`spawn_background` raises an error that names the ``async with`` form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import sniffio

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
        backend = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        raise RuntimeError(
            "runtime.start() must be called from inside a running event loop "
            "(e.g. inside `async def main()` run by asyncio.run or anyio.run)"
        ) from None
    if backend != "asyncio":
        raise RuntimeError(_STRUCTURED_HINT.format(backend=backend))
    import asyncio

    async def runner() -> None:
        await func()

    return asyncio.get_running_loop().create_task(runner())
