"""The executors' first-come, first-served lock (``cantata.code_executors._turns.Turns``)."""

from __future__ import annotations

import anyio
import pytest

from cantata.code_executors._turns import Turns


@pytest.mark.anyio
async def test_turns_go_in_arrival_order() -> None:
    turns = Turns()
    order: list[int] = []

    async def take(n: int) -> None:
        async with turns:
            order.append(n)
            await anyio.sleep(0.01)

    async with anyio.create_task_group() as task_group:
        for n in range(5):
            task_group.start_soon(take, n)
            await anyio.sleep(0.001)
    assert order == [0, 1, 2, 3, 4]
    assert not turns.held


@pytest.mark.anyio
async def test_a_waiter_cancelled_as_it_is_handed_the_lock_passes_it_on() -> None:
    """Whether the cancelled waiter still takes its turn (its wait may already have
    completed when the cancellation lands) depends on the backend; either way the lock goes
    on to the next waiter and ends up free."""
    turns = Turns()
    release = anyio.Event()
    got: list[str] = []
    waiting = anyio.CancelScope()

    async def holder() -> None:
        async with turns:
            await release.wait()
        # The lock now belongs to the first waiter, which has not run yet: cancel it.
        assert turns.held
        waiting.cancel()

    async def waiter(name: str) -> None:
        async with turns:
            got.append(name)

    async def cancelled_waiter() -> None:
        with waiting:
            await waiter("cancelled")

    with anyio.fail_after(5):
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(holder)
            await anyio.sleep(0.01)
            task_group.start_soon(cancelled_waiter)
            await anyio.sleep(0.01)
            task_group.start_soon(waiter, "next")
            await anyio.sleep(0.01)
            release.set()
    assert got in (["next"], ["cancelled", "next"])
    assert not turns.held


@pytest.mark.anyio
async def test_a_cancelled_caller_does_not_take_a_free_lock() -> None:
    turns = Turns()
    with anyio.CancelScope() as scope:
        scope.cancel()
        async with turns:
            raise AssertionError("not reached")  # pragma: no cover
    assert not turns.held
