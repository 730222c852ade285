"""Running and stopping a runtime: the ``async with`` form and the ``start()`` form.

Both forms run the same session: a task group holding the dispatcher's keeper and workers.

* ``async with runtime:`` runs the session in a task group owned by the block. Leaving the
  block normally stops the runtime gracefully (as :meth:`Lifecycle.stop` does); leaving it
  by an exception stops it cancelling in-flight handlers and re-raises that exception
  unchanged (not wrapped in an ``ExceptionGroup``). Either way, when the block has exited no
  task of the runtime is left running.
* ``runtime.start()`` runs the session in a background task (an asyncio task, or a Trio
  system task); ``stop()``, ``stop_when_idle()``, ``stop_when()`` and ``close()`` end it, and
  ``start()`` may be called again afterwards.

Stopping (both forms):

1. New RPCs fail at once with :class:`RuntimeStoppedError`, and so does every queued RPC
   that has not been delivered: no caller is left waiting.
2. Queued publishes are kept, in order, and delivered after the next start.
3. Handlers already running get a grace period to finish (the ``grace_period`` argument of
   ``stop()``, else the runtime's ``stop_grace_period``); then they are cancelled and their
   RPC callers get :class:`RuntimeStoppedError`. ``stop(cancel_in_flight=True)``, or
   cancelling the task that called ``stop()``, cancels them at once. Handlers running
   inline in a caller's own task belong to that task and are not cancelled.
4. When ``stop()`` returns, no handler task of the runtime is running. Called from inside a
   handler, ``stop()`` only requests the stop (waiting would wait for itself); the runtime
   stops when the running handlers finish or their grace period ends.

Failures: if the workers end abnormally (a publish handler raised a ``BaseException`` that
is not an ``Exception``, such as ``SystemExit``; or an internal error), every waiting RPC
caller gets :class:`RuntimeStoppedError` caused by it, queued publishes are kept, and the
error is raised from the next ``stop()``, ``stop_when_idle()``, ``stop_when()`` or
``async with`` exit, even though the session has already ended.

Publish-handler errors kept under ``ignore_unhandled_exceptions=False`` are raised by the
same calls: the first one itself (as autogen-core does), the later ones logged when they
happened and named in its notes.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Callable

import anyio
from anyio.abc import TaskGroup, TaskStatus

from .._agent_id import AgentId
from .._contexts import _current_agent_id
from ..exceptions import RuntimeStoppedError
from ._background import spawn_background
from ._dispatcher import Dispatcher

__all__ = ["DEFAULT_STOP_GRACE_PERIOD", "Lifecycle"]

DEFAULT_STOP_GRACE_PERIOD = 3.0
"""Seconds ``stop()`` lets running handlers finish before cancelling them, by default."""


class _Session:
    """One run of a runtime, from start to stop."""

    __slots__ = ("cancel", "done", "grace", "stop_requested", "tg")

    def __init__(self, grace: float) -> None:
        self.stop_requested = anyio.Event()
        self.done = anyio.Event()
        self.cancel = False
        self.grace = grace
        self.tg: TaskGroup | None = None


class Lifecycle:
    """Starts and stops a dispatcher's workers; see the module docstring for the rules."""

    def __init__(self, dispatcher: Dispatcher, *, stop_grace_period: float) -> None:
        if not stop_grace_period >= 0:
            raise ValueError(f"stop_grace_period must be >= 0, not {stop_grace_period!r}")
        self._dispatcher = dispatcher
        self._grace = stop_grace_period
        self._session: _Session | None = None
        self._outer: TaskGroup | None = None
        self._failure: BaseException | None = None  # what ended a session abnormally
        self.stopping = False  # a stop was requested and the session has not ended yet

    @property
    def running(self) -> bool:
        """Whether a session runs (started and not yet stopped)."""
        return self._session is not None

    async def _serve(
        self, session: _Session, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        dispatcher = self._dispatcher
        failure: BaseException | None = None
        try:
            async with anyio.create_task_group() as tg:
                session.tg = tg
                dispatcher.run_workers(tg)
                task_status.started()
                await session.stop_requested.wait()
                if not session.cancel:
                    with anyio.move_on_after(session.grace):
                        await dispatcher.wait_landed()
                tg.cancel_scope.cancel()
        except anyio.get_cancelled_exc_class():
            raise  # cancelled from outside: the enclosing scope handles it
        except BaseException as exc:
            failure = _single(exc)
            self._failure = failure
        finally:
            dispatcher.workers_stopped(failure)
            dispatcher.fail_waiting_rpcs(None if failure is None else _stopped_by(failure))
            if self._session is session:
                self._session = None
                self.stopping = False
            session.done.set()

    def start(self) -> None:
        """Start processing messages in a background task.

        Raises:
            RuntimeError: already started, or not inside a running event loop.
        """
        if self._session is not None or self._outer is not None:
            raise RuntimeError("Runtime is already started")
        session = _Session(self._grace)
        self._dispatcher.clear_failure()

        async def run() -> None:
            try:
                await self._serve(session)
            except BaseException:  # cancelled with its event loop: nothing left to report
                return

        spawn_background(run, contextvars.copy_context())
        self._session = session

    async def enter(self) -> None:
        """Start the session of an ``async with`` block.

        Raises:
            RuntimeError: already started.
        """
        if self._session is not None or self._outer is not None:
            raise RuntimeError("Runtime is already started")
        self._dispatcher.clear_failure()
        outer = anyio.create_task_group()
        await outer.__aenter__()
        self._outer = outer
        session = self._session = _Session(self._grace)
        try:
            await outer.start(self._serve, session)
        except BaseException:
            self._outer = None
            self._session = None
            await outer.__aexit__(*sys.exc_info())
            raise

    async def exit(self, exc: BaseException | None) -> None:
        """End the session of an ``async with`` block that exits with ``exc``."""
        outer = self._outer
        assert outer is not None
        session = self._session
        if session is not None:
            self._request_stop(session, cancel=exc is not None, grace=None)
        try:
            # The block's own exception is not handed to the task group, so it propagates
            # as it was raised (not wrapped in an ExceptionGroup).
            await outer.__aexit__(None, None, None)
        finally:
            self._outer = None
        if exc is None:
            self._raise_errors()
        elif self._failure is not None:
            exc.add_note(f"the runtime's workers had failed: {self._failure!r}")
            self._failure = None

    def _request_stop(self, session: _Session, *, cancel: bool, grace: float | None) -> None:
        if not session.stop_requested.is_set():
            self.stopping = True
            if grace is not None:
                session.grace = grace
            session.stop_requested.set()
            self._dispatcher.pause()
            self._dispatcher.fail_waiting_rpcs()
        if cancel:
            session.cancel = True
            if session.tg is not None:
                session.tg.cancel_scope.cancel()

    async def stop(
        self, *, cancel_in_flight: bool = False, grace_period: float | None = None
    ) -> None:
        """Stop processing messages; see the module docstring for what happens to which message.

        Raises:
            RuntimeError: the runtime is not started.
            ValueError: ``grace_period`` is negative.
            BaseException: what ended the workers abnormally, or the first publish-handler
                error kept under ``ignore_unhandled_exceptions=False``.
        """
        if grace_period is not None and not grace_period >= 0:
            raise ValueError(f"grace_period must be >= 0, not {grace_period!r}")
        session = self._session
        if session is None:
            if self._failure is not None:
                self._raise_errors()
            raise RuntimeError("Runtime is not started")
        self._request_stop(session, cancel=cancel_in_flight, grace=grace_period)
        if _current_agent_id() is not None:
            return  # inside a handler: the stop completes when the running handlers finish
        try:
            await session.done.wait()
        except BaseException:
            # The caller gives up waiting: cancel the handlers now, and still return only
            # when nothing of the runtime runs.
            self._request_stop(session, cancel=True, grace=None)
            with anyio.CancelScope(shield=True):
                await session.done.wait()
            raise
        self._raise_errors()

    async def stop_when_idle(self) -> None:
        """Wait until no message is queued and no handler runs, then stop.

        Raises:
            RuntimeError: the runtime is not started, or this is called inside a handler
                (the handler itself keeps the runtime busy; use ``stop()`` there).
            BaseException: as :meth:`stop`.
        """
        if self._session is None:
            if self._failure is not None:
                self._raise_errors()
            raise RuntimeError("Runtime is not started")
        if _current_agent_id() is not None:
            raise RuntimeError(
                "stop_when_idle() inside a handler would wait for itself; use stop()"
            )
        dispatcher = self._dispatcher
        while dispatcher.outstanding and self._session is not None and not self.stopping:
            await dispatcher.wait_idle()
        if self._session is not None:
            await self.stop()
        else:
            self._raise_errors()

    async def stop_when(self, condition: Callable[[], bool], check_period: float = 0.05) -> None:
        """Stop once ``condition()`` is true; it is checked after every delivery and every
        ``check_period`` seconds.

        Raises:
            RuntimeError: the runtime is not started.
            BaseException: as :meth:`stop`.
        """
        if self._session is None:
            if self._failure is not None:
                self._raise_errors()
            raise RuntimeError("Runtime is not started")
        dispatcher = self._dispatcher
        while not condition() and self._session is not None:
            with anyio.move_on_after(check_period):
                await dispatcher.wait_progress()
        if self._session is not None:
            await self.stop()
        else:
            self._raise_errors()

    def _raise_errors(self) -> None:
        """Raise what ended the workers, else the first kept publish-handler error."""
        failure, self._failure = self._failure, None
        self._dispatcher.clear_failure()
        errors = self._dispatcher.take_unhandled()
        if failure is not None:
            for error in errors:
                failure.add_note(f"a publish handler also raised {error!r}")
            raise failure
        if errors:
            first = errors[0]
            for error in errors[1:]:
                first.add_note(f"another publish handler also raised {error!r} (logged)")
            raise first


def _single(exc: BaseException) -> BaseException:
    """The one exception inside nested single-member groups, or ``exc`` itself."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _stopped_by(failure: BaseException) -> Callable[[AgentId], BaseException]:
    def make(recipient: AgentId) -> BaseException:
        error = RuntimeStoppedError(
            None, f"the runtime's workers failed ({failure!r}); message to {recipient} not handled"
        )
        error.__cause__ = failure
        return error

    return make
