"""CancellationToken: callbacks, re-entrancy, error isolation, hooks and futures."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import weakref

import anyio
import anyio.lowlevel
import pytest

from cantata._cancellation_token import CancellationToken
from cantata._constants import ROOT_LOGGER_NAME


def test_initial_state_and_cancel() -> None:
    token = CancellationToken()
    assert not token.is_cancelled()
    token.cancel()
    assert token.is_cancelled()
    token.cancel()  # idempotent
    assert token.is_cancelled()
    assert "cancelled" in repr(token)
    assert "active" in repr(CancellationToken())


def test_callbacks_run_once_in_order() -> None:
    token = CancellationToken()
    calls: list[str] = []
    token.add_callback(lambda: calls.append("a"))
    token.add_callback(lambda: calls.append("b"))
    token.add_callback(lambda: calls.append("c"))
    assert calls == []
    token.cancel()
    assert calls == ["a", "b", "c"]
    token.cancel()
    assert calls == ["a", "b", "c"]


def test_add_callback_after_cancel_runs_immediately() -> None:
    token = CancellationToken()
    token.cancel()
    calls: list[int] = []
    token.add_callback(lambda: calls.append(1))
    assert calls == [1]
    token.cancel()
    assert calls == [1]


def test_callback_can_call_token_methods_without_deadlock() -> None:
    token = CancellationToken()
    seen: list[object] = []

    def reentrant() -> None:
        seen.append(token.is_cancelled())
        token.cancel()  # nested cancel is a no-op
        token.add_callback(lambda: seen.append("nested"))  # runs immediately
        handle = token._add_cancel_hook(lambda: seen.append("hook"))
        token._remove_cancel_hook(handle)
        token.link_future(_FakeFuture(seen))

    token.add_callback(reentrant)
    token.add_callback(lambda: seen.append("after"))

    worker = threading.Thread(target=token.cancel)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "cancel() deadlocked"
    assert seen == [True, "nested", "hook", "fake-cancel", "after"]


def test_callback_may_remove_a_later_hook() -> None:
    token = CancellationToken()
    calls: list[str] = []
    later: list[object] = []

    def first() -> None:
        calls.append("first")
        token._remove_cancel_hook(later[0])

    token.add_callback(first)
    later.append(token._add_cancel_hook(lambda: calls.append("removed")))
    token.add_callback(lambda: calls.append("last"))
    token.cancel()
    assert calls == ["first", "last"]


def test_failing_callback_does_not_stop_others(caplog: pytest.LogCaptureFixture) -> None:
    token = CancellationToken()
    calls: list[str] = []

    def boom() -> None:
        raise RuntimeError("callback failed")

    token.add_callback(lambda: calls.append("before"))
    token.add_callback(boom)
    token.add_callback(lambda: calls.append("after"))
    with caplog.at_level(logging.ERROR, logger=ROOT_LOGGER_NAME):
        token.cancel()  # does not raise
    assert calls == ["before", "after"]
    assert token.is_cancelled()
    records = [r for r in caplog.records if r.name == ROOT_LOGGER_NAME]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], RuntimeError)


def test_failing_immediate_callback_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    token = CancellationToken()
    token.cancel()

    def boom() -> None:
        raise ValueError("late")

    with caplog.at_level(logging.ERROR, logger=ROOT_LOGGER_NAME):
        token.add_callback(boom)
    assert any(
        r.exc_info is not None and isinstance(r.exc_info[1], ValueError) for r in caplog.records
    )


def test_base_exception_runs_others_then_propagates() -> None:
    token = CancellationToken()
    calls: list[str] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    token.add_callback(interrupt)
    token.add_callback(lambda: calls.append("after"))
    with pytest.raises(KeyboardInterrupt):
        token.cancel()
    assert calls == ["after"]
    assert token.is_cancelled()


def test_cancel_hooks() -> None:
    token = CancellationToken()
    calls: list[str] = []
    h1 = token._add_cancel_hook(lambda: calls.append("h1"))
    h2 = token._add_cancel_hook(lambda: calls.append("h2"))
    h3 = token._add_cancel_hook(lambda: calls.append("h3"))
    assert len({h1, h2, h3}) == 3
    token._remove_cancel_hook(h2)
    token._remove_cancel_hook(h2)  # already removed: no-op
    token._remove_cancel_hook(object())  # unknown handle: no-op
    token.cancel()
    assert calls == ["h1", "h3"]
    token._remove_cancel_hook(h1)  # already run: no-op
    h4 = token._add_cancel_hook(lambda: calls.append("h4"))  # runs immediately
    assert calls == ["h1", "h3", "h4"]
    token._remove_cancel_hook(h4)


def test_removed_hooks_do_not_accumulate() -> None:
    token = CancellationToken()
    for _ in range(1000):
        token._remove_cancel_hook(token._add_cancel_hook(lambda: None))
    assert token._callbacks == {}


def test_link_future_with_any_cancellable() -> None:
    token = CancellationToken()
    seen: list[object] = []
    fake = _FakeFuture(seen)
    assert token.link_future(fake) is fake
    assert seen == []
    token.cancel()
    assert seen == ["fake-cancel"]
    late = _FakeFuture(seen)
    assert token.link_future(late) is late
    assert seen == ["fake-cancel", "fake-cancel"]


def test_concurrent_cancel_from_threads_runs_each_callback_once() -> None:
    token = CancellationToken()
    counter: list[int] = []
    lock = threading.Lock()

    def count() -> None:
        with lock:
            counter.append(1)

    for _ in range(100):
        token.add_callback(count)
    threads = [threading.Thread(target=token.cancel) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert len(counter) == 100


def test_token_supports_weakref() -> None:
    token = CancellationToken()
    ref = weakref.ref(token)
    assert ref() is token
    del token
    gc.collect()
    assert ref() is None


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_link_future_cancels_asyncio_future() -> None:
    loop = asyncio.get_running_loop()
    token = CancellationToken()
    future: asyncio.Future[int] = loop.create_future()
    assert token.link_future(future) is future
    token.cancel()
    assert future.cancelled()
    with pytest.raises(asyncio.CancelledError):
        await future


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_link_future_unlinks_completed_future() -> None:
    loop = asyncio.get_running_loop()
    token = CancellationToken()
    future: asyncio.Future[int] = loop.create_future()
    token.link_future(future)
    future.set_result(1)
    await asyncio.sleep(0)  # let the done callbacks run
    assert future.result() == 1
    # The token no longer holds the completed future.
    ref = weakref.ref(future)
    del future
    gc.collect()
    assert ref() is None
    token.cancel()  # nothing left to cancel


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_link_future_after_cancel_cancels_immediately() -> None:
    loop = asyncio.get_running_loop()
    token = CancellationToken()
    token.cancel()
    future: asyncio.Future[None] = loop.create_future()
    token.link_future(future)
    assert future.cancelled()


@pytest.mark.anyio
async def test_cancel_hook_wakes_waiter() -> None:
    token = CancellationToken()
    event = anyio.Event()
    token._add_cancel_hook(event.set)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_cancel_later, token)
        with anyio.fail_after(5):
            await event.wait()
    assert token.is_cancelled()


async def _cancel_later(token: CancellationToken) -> None:
    await anyio.lowlevel.checkpoint()
    token.cancel()


class _FakeFuture:
    """A minimal object with a ``cancel()`` method."""

    def __init__(self, seen: list[object]) -> None:
        self._seen = seen

    def cancel(self) -> bool:
        self._seen.append("fake-cancel")
        return True
