"""Running and stopping a runtime: the ``async with`` form and the ``start()`` form.

Both forms run the same session: a task group holding the dispatcher's keeper and workers.

* ``async with runtime:`` runs the session in a task group owned by the block. Leaving the
  block normally stops the runtime gracefully (as :meth:`stop` does); leaving it by an
  exception stops it with ``cancel_in_flight=True`` and re-raises that exception unchanged
  (not wrapped in an ``ExceptionGroup``). Either way, when the block has exited no task of
  the runtime is left running. Errors of publish handlers collected under
  ``ignore_unhandled_exceptions=False`` are raised at a normal exit.
* ``runtime.start()`` (asyncio only) runs the session in a background task; ``stop()``,
  ``stop_when_idle()``, ``stop_when()`` and ``close()`` end it, and ``start()`` may be
  called again afterwards.

Stopping (both forms):

1. New RPCs fail at once with :class:`RuntimeStoppedError`, and so does every queued RPC
   that has not been delivered: no caller is left waiting.
2. Queued publishes are kept, in order, and delivered after the next start.
3. Handlers already running finish (default), or are cancelled with
   ``stop(cancel_in_flight=True)``; their RPC callers then get :class:`RuntimeStoppedError`.
   Handlers running inline in a caller's own task belong to that task and are not cancelled.
4. When ``stop()`` returns, no handler task of the runtime is running. Called from inside a
   handler, ``stop()`` only requests the stop (waiting would wait for itself); the runtime
   stops when the last running handler finishes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup, TaskStatus

from .._contexts import _handler_agent_var
from ._background import spawn_background

if TYPE_CHECKING:
    from ._dispatch import Dispatcher


class Session:
    """One run of a runtime, from start to stop."""

    __slots__ = ("bg_task", "cancel", "done", "error", "stop_requested", "tg")

    def __init__(self) -> None:
        self.stop_requested = anyio.Event()
        self.done = anyio.Event()
        self.cancel = False
        self.error: BaseException | None = None
        self.tg: TaskGroup | None = None
        self.bg_task: Any = None


class Lifecycle:
    """Start/stop logic shared by the runtime; see the module docstring for the rules."""

    _dispatch: Dispatcher

    def __init__(self) -> None:
        self._session: Session | None = None
        self._outer: TaskGroup | None = None
        self._unhandled: list[Exception] = []
        self._stopping = False  # a stop was requested and the session has not ended yet

    async def _serve(
        self, session: Session, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        dispatch = self._dispatch
        try:
            async with anyio.create_task_group() as tg:
                session.tg = tg
                if session.stop_requested.is_set():
                    tg.cancel_scope.cancel()
                await dispatch.run_workers(tg)
                task_status.started()
                await session.stop_requested.wait()
                while dispatch.in_flight and not session.cancel:
                    event = dispatch.flight_event = anyio.Event()
                    await event.wait()
                tg.cancel_scope.cancel()
        finally:
            dispatch.workers_stopped()
            if self._session is session:
                self._session = None
                self._stopping = False
            session.done.set()

    def start(self) -> None:
        """Start processing messages in a background task (asyncio only).

        Raises:
            RuntimeError: already started; not inside a running loop; or the backend is Trio
                (use ``async with runtime:`` there).
        """
        if self._session is not None:
            raise RuntimeError("Runtime is already started")
        if self._outer is not None:
            raise RuntimeError("Inside `async with runtime:` the runtime runs with the block")
        session = Session()

        async def run() -> None:
            try:
                await self._serve(session)
            except BaseException as exc:  # kept for stop() to raise
                session.error = exc

        session.bg_task = spawn_background(run)
        self._session = session

    async def __aenter__(self) -> Any:
        if self._session is not None or self._outer is not None:
            raise RuntimeError("Runtime is already started")
        outer = anyio.create_task_group()
        await outer.__aenter__()
        self._outer = outer
        session = self._session = Session()
        try:
            await outer.start(self._serve, session)
        except BaseException:
            self._outer = None
            self._session = None
            await outer.__aexit__(*sys.exc_info())
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        outer = self._outer
        assert outer is not None
        session = self._session
        if session is not None:
            self._request_stop(session, cancel=exc is not None)
        try:
            # The block's own exception is not handed to the task group, so it propagates
            # as it was raised (not wrapped in an ExceptionGroup).
            await outer.__aexit__(None, None, None)
        finally:
            self._outer = None
        if exc is None:
            self._raise_unhandled()
        return None

    def _request_stop(self, session: Session, *, cancel: bool) -> None:
        if not session.stop_requested.is_set():
            self._stopping = True
            session.stop_requested.set()
            self._dispatch.dispatching = False
            self._dispatch.fail_queued_rpcs()
        if cancel:
            session.cancel = True
            if session.tg is not None:
                session.tg.cancel_scope.cancel()

    async def stop(self, *, cancel_in_flight: bool = False) -> None:
        """Stop processing messages; see the module docstring for what happens to which message.

        Raises:
            RuntimeError: the runtime is not started.
            Exception | ExceptionGroup: publish-handler errors collected under
                ``ignore_unhandled_exceptions=False``.
        """
        session = self._session
        if session is None:
            raise RuntimeError("Runtime is not started")
        self._request_stop(session, cancel=cancel_in_flight)
        if _handler_agent_var.get(None) is not None:
            return  # inside a handler: the stop completes when the running handlers finish
        await session.done.wait()
        if session.error is not None:
            raise session.error
        self._raise_unhandled()

    async def stop_when_idle(self) -> None:
        """Wait until no message is queued and no handler runs, then stop.

        Every message, including those that handlers produce meanwhile, is delivered first.

        Raises:
            RuntimeError: the runtime is not started, or this is called inside a handler
                (the handler itself keeps the runtime busy; use ``stop()`` there).
        """
        if self._session is None:
            raise RuntimeError("Runtime is not started")
        if _handler_agent_var.get(None) is not None:
            raise RuntimeError(
                "stop_when_idle() inside a handler would wait for itself; use stop()"
            )
        dispatch = self._dispatch
        while dispatch.outstanding and self._session is not None and not self._stopping:
            event = dispatch.idle_event
            if event is None:
                event = dispatch.idle_event = anyio.Event()
            await event.wait()
        if self._session is not None:
            await self.stop()
        else:
            self._raise_unhandled()

    async def stop_when(self, condition: Callable[[], bool], check_period: float = 0.05) -> None:
        """Stop once ``condition()`` is true; it is checked after every delivery and every
        ``check_period`` seconds.

        Raises:
            RuntimeError: the runtime is not started.
        """
        if self._session is None:
            raise RuntimeError("Runtime is not started")
        dispatch = self._dispatch
        while not condition() and self._session is not None:
            event = dispatch.progress_event
            if event is None:
                event = dispatch.progress_event = anyio.Event()
            with anyio.move_on_after(check_period):
                await event.wait()
        if self._session is not None:
            await self.stop()

    def _raise_unhandled(self) -> None:
        errors, self._unhandled = self._unhandled, []
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup("unhandled exceptions in message handlers", errors)
