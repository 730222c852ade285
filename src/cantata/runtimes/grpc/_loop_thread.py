"""An asyncio event loop in a thread of its own, for grpcio's asyncio-only API.

The host and each worker own one. Code on the caller's loop (asyncio or Trio) hands work
to it with :meth:`LoopThread.submit` / :meth:`LoopThread.call_soon` (never blocking) and
learns of results through the worker's AnyIO portal; nothing on the caller's loop waits
for this thread synchronously.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


class LoopThread:
    """A daemon thread running an asyncio loop until :meth:`close`.

    With ``inline=True`` (for a caller already on asyncio) there is no thread: the caller's
    own loop runs gRPC, :meth:`call_soon` calls at once and :meth:`run` awaits directly,
    which saves two thread switches per message.
    """

    def __init__(self, name: str, *, inline: bool = False) -> None:
        self._name = name
        self._inline = inline
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def inline(self) -> bool:
        return self._inline

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError(f"{self._name} is not running")
        return self._loop

    def start(self) -> None:
        if self._inline:
            self._loop = asyncio.get_running_loop()
            return
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            ready.set()
            try:
                loop.run_forever()
                tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in tasks:
                    task.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

        self._thread = threading.Thread(target=run, name=self._name, daemon=True)
        self._thread.start()
        ready.wait()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the thread's loop; returns at once."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call_soon(self, func: Callable[..., object], *args: object) -> None:
        """Call ``func(*args)`` on the thread's loop soon (inline: now); returns at once."""
        if self._inline:
            func(*args)
        else:
            self.loop.call_soon_threadsafe(func, *args)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for its result without blocking the caller."""
        if self._inline:
            return await coro
        return await wait_future(self.submit(coro))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> Callable[[], Any]:
        """Run ``coro`` in the background; returns an async function awaiting its end."""
        if self._inline:
            task = self.loop.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

            async def wait_task() -> None:
                await asyncio.wait([task])
                task.result()

            return wait_task
        future = self.submit(coro)

        async def wait_thread() -> None:
            await wait_future(future)

        return wait_thread

    async def close(self) -> None:
        """Stop the loop (cancelling what still runs on it) and wait for the thread to end."""
        thread, loop = self._thread, self._loop
        if self._inline:
            self._loop = None
            return
        if thread is None or loop is None:
            return
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(loop.stop)
        await anyio.to_thread.run_sync(thread.join)
        self._thread = None
        self._loop = None


async def wait_future(future: concurrent.futures.Future[T]) -> T:
    """Wait for ``future`` without blocking the calling loop (slow path: a worker thread)."""
    return await anyio.to_thread.run_sync(future.result)
