"""The :class:`CancellationToken` type."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from cantata._constants import ROOT_LOGGER_NAME

__all__ = ["CancellationToken"]

_logger = logging.getLogger(ROOT_LOGGER_NAME)

# One re-entrant lock for the state of every token: it is held only for a few dictionary
# operations (never while a callback runs), so sharing it costs nothing measurable, and a
# token is cheap to create (the runtime makes one per message).
_STATE_LOCK = threading.RLock()
# Handles of registered callbacks, unique across tokens (``next`` on it is atomic).
_handles = itertools.count()


class _Cancellable(Protocol):
    """Anything with a ``cancel()`` method, e.g. an :class:`asyncio.Future`."""

    def cancel(self) -> object: ...


_CancellableT = TypeVar("_CancellableT", bound=_Cancellable)


class CancellationToken:
    """A one-shot signal that a piece of work should be cancelled.

    A token starts uncancelled. :meth:`cancel` flips it to cancelled, permanently,
    and runs every registered callback exactly once, in registration order.

    Guarantees:

    * Thread-safe: an internal lock protects the state; it is never held while a
      callback runs.
    * Re-entrant: a callback may call any method of the token (including
      :meth:`cancel`, :meth:`add_callback` and :meth:`is_cancelled`) without
      deadlocking. A callback added while callbacks run, or after cancellation,
      runs immediately.
    * Isolated callbacks: an :class:`Exception` raised by a callback is logged on
      the ``cantata`` logger and does not stop the other callbacks; no token method
      propagates it. A :class:`BaseException` that is not an :class:`Exception`
      (e.g. :class:`KeyboardInterrupt`) does not stop the other callbacks either,
      and the first one is re-raised once they have all run.
    """

    # The runtime makes a token per message, so a new token costs no ``__init__``: the
    # class attributes are its initial state, and the instance gets its own values only
    # when it is cancelled or gets a callback (most never do).
    _lock = _STATE_LOCK
    _cancelled: bool = False
    _callbacks: dict[object, Callable[[], object]] | None = None

    def cancel(self) -> None:
        """Cancel the token and run the registered callbacks.

        Calling it again, or while the callbacks of an earlier call run, does nothing.
        A hook removed with :meth:`remove_cancel_hook` before its turn comes is not
        run.
        """
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            pending = list(self._callbacks or ())
        first_base_exc: BaseException | None = None
        for handle in pending:
            with self._lock:
                callback = None if self._callbacks is None else self._callbacks.pop(handle, None)
            if callback is None:
                continue
            exc = _run_callback(callback)
            if exc is not None and first_base_exc is None:
                first_base_exc = exc
        if first_base_exc is not None:
            raise first_base_exc

    def is_cancelled(self) -> bool:
        """Return whether :meth:`cancel` has been called."""
        return self._cancelled

    def add_callback(self, callback: Callable[[], None]) -> None:
        """Register *callback* to run when the token is cancelled.

        If the token is already cancelled, *callback* runs immediately (an
        :class:`Exception` it raises is logged, not propagated).
        """
        self.add_cancel_hook(callback)

    def link_future(self, future: _CancellableT) -> _CancellableT:
        """Call ``future.cancel()`` when the token is cancelled, and return *future*.

        *future* may be any object with a ``cancel()`` method, such as an
        :class:`asyncio.Future`. If the token is already cancelled, the future is
        cancelled immediately. If *future* also has an ``add_done_callback`` method
        (as asyncio futures do), the link is removed once the future completes, so a
        long-lived token does not keep completed futures alive.
        """
        handle = self.add_cancel_hook(future.cancel)
        add_done_callback = getattr(future, "add_done_callback", None)
        if callable(add_done_callback) and not self._cancelled:

            def _unlink(_: object) -> None:
                self.remove_cancel_hook(handle)

            add_done_callback(_unlink)
        return future

    def add_cancel_hook(self, callback: Callable[[], object]) -> object:
        """Register *callback* like :meth:`add_callback` and return a handle for it.

        The handle can be passed to :meth:`remove_cancel_hook`. If the token is
        already cancelled, *callback* runs immediately and a (spent) handle is still
        returned. O(1).
        """
        handle = next(_handles)
        with self._lock:
            if not self._cancelled:
                if self._callbacks is None:
                    self._callbacks = {}
                self._callbacks[handle] = callback
                return handle
        exc = _run_callback(callback)
        if exc is not None:
            raise exc
        return handle

    def remove_cancel_hook(self, handle: object) -> None:
        """Unregister the callback behind *handle*.

        Does nothing if it already ran or was already removed. O(1).
        """
        with self._lock:
            if self._callbacks is not None:
                self._callbacks.pop(handle, None)

    def __repr__(self) -> str:
        state = "cancelled" if self._cancelled else "active"
        return f"<CancellationToken {state} at {id(self):#x}>"

    # The names these methods had before they were public.
    _add_cancel_hook = add_cancel_hook
    _remove_cancel_hook = remove_cancel_hook


def _run_callback(callback: Callable[[], object]) -> BaseException | None:
    """Run *callback*; log an :class:`Exception`, return any other BaseException."""
    try:
        callback()
    except Exception:
        _logger.exception("Cancellation callback %r raised an exception", callback)
    except BaseException as exc:
        return exc
    return None
