"""The runtime under faults: dying workers, deep chains, stuck handlers, stray cancellations,
leaking context variables, stale scheduling state, bad agent states and failing closes.

Every test runs on asyncio and on Trio, in the ``start()`` form where the fault concerns it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import anyio.lowlevel
import pytest

from cantata import (
    AgentId,
    BaseAgent,
    CheckpointError,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.exceptions import (
    HandlerCancelledError,
    RuntimeStoppedError,
    UnknownAgentTypeError,
)

pytestmark = pytest.mark.anyio


class Fatal(BaseException):
    """Not an Exception and not a cancellation: ends the runtime's workers."""


@dataclass
class Go:
    """What a :class:`Probe` does is set per test in ``Probe.action``."""

    n: int = 0


@dataclass
class Call:
    depth: int


class Probe(RoutedAgent):
    """An agent whose handler runs ``Probe.action(self, message)``."""

    action: Callable[[Probe, Go], Any]
    max_concurrency = 1

    def __init__(self) -> None:
        super().__init__("probe")

    @message_handler
    async def on_go(self, message: Go, ctx: MessageContext) -> Any:
        return await Probe.action(self, message)


class Recursive(RoutedAgent):
    """Calls itself (``self``) or the next agent, ``depth`` times."""

    def __init__(self, to_self: bool) -> None:
        super().__init__("recursive")
        self.to_self = to_self

    @message_handler
    async def on_call(self, message: Call, ctx: MessageContext) -> int:
        if message.depth == 0:
            return 0
        target = self.id if self.to_self else AgentId(self.id.type, str(message.depth - 1))
        below: int = await self.send_message(Call(message.depth - 1), target)
        return 1 + below


async def _probe_runtime(
    action: Callable[[Probe, Go], Any], **kwargs: Any
) -> SingleThreadedAgentRuntime:
    Probe.action = staticmethod(action)
    runtime = SingleThreadedAgentRuntime(**kwargs)
    await Probe.register(runtime, "probe", Probe)
    await runtime.add_subscription(TypeSubscription("go", "probe"))
    return runtime


PROBE = AgentId("probe", "a")
GO = TopicId("go", "a")

# -- 1. the workers never die silently ----------------------------------------------------


@pytest.mark.parametrize("how", ["stop", "stop_when_idle", "stop_when"])
async def test_a_fatal_publish_handler_error_is_raised_and_answers_every_caller(
    how: str,
) -> None:
    release = anyio.Event()

    async def action(agent: Probe, message: Go) -> int:
        if message.n == 0:
            await release.wait()
            raise Fatal("boom")
        if message.n == 2:
            await anyio.Event().wait()  # keeps agent b busy
        return message.n

    runtime = await _probe_runtime(action)
    busy = AgentId("probe", "b")
    errors: list[BaseException] = []
    with anyio.fail_after(5):
        runtime.start()
        await runtime.publish_message(Go(0), GO)  # runs in a worker and waits

        answered = anyio.Event()

        async def queued_caller() -> None:
            try:
                await runtime.send_message(Go(3), busy)  # queued behind the busy handler
            except BaseException as exc:
                errors.append(exc)
            answered.set()

        async def stuck_caller() -> None:
            # Inline in its own task, or in a worker if the session has not started yet:
            # either way it is stuck until cancelled (by us, or by the failing runtime).
            with contextlib.suppress(RuntimeStoppedError):
                await runtime.send_message(Go(2), busy)

        async with anyio.create_task_group() as tg:
            tg.start_soon(stuck_caller)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(queued_caller)
            await anyio.wait_all_tasks_blocked()
            release.set()
            await answered.wait()
            tg.cancel_scope.cancel()
        assert len(errors) == 1 and isinstance(errors[0], RuntimeStoppedError)
        assert isinstance(errors[0].__cause__, Fatal)
        with pytest.raises(Fatal):
            if how == "stop":
                await runtime.stop()
            elif how == "stop_when_idle":
                await runtime.stop_when_idle()
            else:
                await runtime.stop_when(lambda: False)
        # reported once; the runtime can start again
        with pytest.raises(RuntimeError, match="not started"):
            await runtime.stop()
        runtime.start()
        assert await runtime.send_message(Go(5), PROBE) == 5
        await runtime.stop()


async def test_a_fatal_error_leaves_the_async_with_block_and_keeps_publishes() -> None:
    async def action(agent: Probe, message: Go) -> int:
        if message.n == 0:
            raise Fatal("boom")
        return message.n

    runtime = await _probe_runtime(action)
    with anyio.fail_after(5):
        with pytest.raises(Fatal):
            async with runtime:
                await runtime.publish_message(Go(0), GO)
                await runtime.publish_message(Go(1), GO)
                await runtime.stop_when_idle()
        # the publish behind the fatal one is kept for the next start
        assert runtime.unprocessed_messages_count == 1
        seen: list[int] = []

        async def record(agent: Probe, message: Go) -> None:
            seen.append(message.n)

        Probe.action = staticmethod(record)
        async with runtime:
            await runtime.stop_when_idle()
        assert seen == [1]


async def test_rpcs_after_the_workers_failed_fail_instead_of_waiting() -> None:
    async def action(agent: Probe, message: Go) -> int:
        if message.n == 0:
            raise Fatal("boom")
        return message.n

    runtime = await _probe_runtime(action)
    with anyio.fail_after(5):
        runtime.start()
        await runtime.publish_message(Go(0), GO)
        with pytest.raises(Fatal):
            await runtime.stop_when_idle()
        # not started: an RPC waits for the next start, as before any start ...
        async with anyio.create_task_group() as tg:
            result: list[int] = []

            async def call() -> None:
                result.append(await runtime.send_message(Go(7), PROBE))

            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            runtime.start()  # ... and is delivered when it comes
        assert result == [7]
        await runtime.stop()


def _stray_cancellation() -> BaseException:
    exc_class = anyio.get_cancelled_exc_class()
    if exc_class is asyncio.CancelledError:
        return asyncio.CancelledError()
    import trio

    return trio.Cancelled._create()  # Trio has no public constructor


async def _await_a_cancelled_future() -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # Trio: the same thing as Trio can express it
        raise _stray_cancellation() from None
    future = loop.create_future()
    future.cancel()
    await future


@pytest.mark.parametrize("path", ["inline", "queued"])
async def test_a_stray_cancellation_is_the_handlers_error_not_the_runtimes(path: str) -> None:
    async def action(agent: Probe, message: Go) -> int:
        if message.n == 0:
            await _await_a_cancelled_future()
        return message.n

    runtime = await _probe_runtime(action)
    with anyio.fail_after(5):
        runtime.start()
        if path == "queued":
            await runtime.publish_message(Go(1), GO)  # not yet delivered: the RPC queues
        with pytest.raises(HandlerCancelledError) as info:
            await runtime.send_message(Go(0), PROBE)
        assert isinstance(info.value.__cause__, anyio.get_cancelled_exc_class())
        assert info.value.recipient == PROBE
        # the runtime goes on
        assert await runtime.send_message(Go(3), PROBE) == 3
        await runtime.stop_when_idle()


async def test_a_stray_cancellation_in_a_publish_handler_is_reported_not_fatal() -> None:
    async def action(agent: Probe, message: Go) -> int:
        if message.n == 0:
            await _await_a_cancelled_future()
        return message.n

    runtime = await _probe_runtime(action, ignore_unhandled_exceptions=False)
    with anyio.fail_after(5):
        runtime.start()
        await runtime.publish_message(Go(0), GO)
        assert await runtime.send_message(Go(2), PROBE) == 2
        with pytest.raises(HandlerCancelledError):
            await runtime.stop_when_idle()


# -- 2. deep chains ------------------------------------------------------------------------


@pytest.mark.parametrize("to_self", [True, False], ids=["self", "planners"])
@pytest.mark.parametrize("depth", [200, 1000])
async def test_deep_rpc_chains_work(to_self: bool, depth: int) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Recursive.register(runtime, "recursive", lambda: Recursive(to_self))
    with anyio.fail_after(20):
        async with runtime:
            assert (
                await runtime.send_message(Call(depth), AgentId("recursive", str(depth))) == depth
            )


async def test_deep_chains_in_the_start_form() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Recursive.register(runtime, "recursive", lambda: Recursive(True))
    with anyio.fail_after(20):
        runtime.start()
        assert await runtime.send_message(Call(300), AgentId("recursive", "x")) == 300
        await runtime.stop()


# -- 3. stop() is bounded -----------------------------------------------------------------


class Stuck:
    """A handler that waits for an event nobody sets, and records how it ended."""

    def __init__(self) -> None:
        self.started = anyio.Event()
        self.ended: list[str] = []

    async def __call__(self, agent: Probe, message: Go) -> int:
        self.started.set()
        try:
            await anyio.Event().wait()
        except anyio.get_cancelled_exc_class():
            self.ended.append("cancelled")
            raise
        return 0  # pragma: no cover - never set


async def _stuck_runtime(**kwargs: Any) -> tuple[SingleThreadedAgentRuntime, Stuck]:
    stuck = Stuck()
    return await _probe_runtime(stuck, **kwargs), stuck


async def test_stop_cancels_a_stuck_handler_after_the_grace_period() -> None:
    runtime, stuck = await _stuck_runtime()
    with anyio.fail_after(5):
        runtime.start()
        await runtime.publish_message(Go(), GO)
        await stuck.started.wait()
        before = anyio.current_time()
        await runtime.stop(grace_period=0.2)
        assert 0.15 <= anyio.current_time() - before < 2
        assert stuck.ended == ["cancelled"]  # nothing of the runtime runs after stop()


async def test_the_runtime_default_grace_period_bounds_the_async_with_exit() -> None:
    runtime, stuck = await _stuck_runtime(stop_grace_period=0.1)
    errors: list[BaseException] = []
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:

            async def caller() -> None:
                try:
                    await runtime.send_message(Go(), PROBE)
                except BaseException as exc:
                    errors.append(exc)

            async with runtime:
                await runtime.publish_message(Go(), GO)  # the stuck one
                await stuck.started.wait()
                tg.start_soon(caller)  # an RPC queued behind it
                await anyio.wait_all_tasks_blocked()
        assert stuck.ended == ["cancelled"]
        assert len(errors) == 1 and isinstance(errors[0], RuntimeStoppedError)


async def test_cancelling_the_caller_of_stop_cancels_handlers_at_once() -> None:
    runtime, stuck = await _stuck_runtime(stop_grace_period=5)
    with anyio.fail_after(5):
        runtime.start()
        await runtime.publish_message(Go(), GO)
        await stuck.started.wait()
        before = anyio.current_time()
        with anyio.move_on_after(0.1):
            await runtime.stop()
        assert anyio.current_time() - before < 1
        assert stuck.ended == ["cancelled"]
        with pytest.raises(RuntimeError, match="not started"):
            await runtime.stop()


async def test_a_stuck_rpc_handlers_caller_gets_an_answer_at_stop() -> None:
    runtime, stuck = await _stuck_runtime(stop_grace_period=0.1)
    errors: list[BaseException] = []
    with anyio.fail_after(5):
        runtime.start()
        await runtime.publish_message(Go(), GO)
        await stuck.started.wait()
        async with anyio.create_task_group() as tg:

            async def queued() -> None:
                try:
                    await runtime.send_message(Go(), PROBE)
                except BaseException as exc:
                    errors.append(exc)

            tg.start_soon(queued)
            await anyio.wait_all_tasks_blocked()
            await runtime.stop()
        assert [type(e) for e in errors] == [RuntimeStoppedError]


def test_a_negative_grace_period_is_refused() -> None:
    with pytest.raises(ValueError, match="stop_grace_period"):
        SingleThreadedAgentRuntime(stop_grace_period=-1)


# -- 4. context variables never leak from a handler to its caller --------------------------

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("test_var", default="caller")


@pytest.mark.parametrize("path", ["inline", "queued"])
async def test_a_handlers_context_variable_writes_stay_in_the_handler(path: str) -> None:
    seen: list[str] = []

    async def action(agent: Probe, message: Go) -> int:
        seen.append(VAR.get())
        VAR.set("handler")
        if message.n:
            await anyio.lowlevel.checkpoint()  # across a suspension too
        return 1

    runtime = await _probe_runtime(action)
    with anyio.fail_after(5):
        async with runtime:
            VAR.set("sender")
            if path == "queued":
                await runtime.publish_message(Go(1), GO)
            await runtime.send_message(Go(1), PROBE)
            assert VAR.get() == "sender"
            await runtime.send_message(Go(0), PROBE)
            assert VAR.get() == "sender"
            await runtime.stop_when_idle()
    assert set(seen) == {"sender"}


# -- 5. stop and restart leave no stale scheduling state -----------------------------------


class Halting(RoutedAgent):
    max_concurrency = 2
    log: list[str]

    def __init__(self) -> None:
        super().__init__("halting")

    @message_handler
    async def on_go(self, message: Go, ctx: MessageContext) -> int:
        Halting.log.append(f"{'rpc' if ctx.is_rpc else 'publish'} {message.n}")
        if not ctx.is_rpc and message.n == 0:
            await cast(SingleThreadedAgentRuntime, self.runtime).stop()
        return message.n


@pytest.mark.parametrize("form", ["start", "async with"])
async def test_a_stop_from_a_handler_then_a_restart(form: str) -> None:
    Halting.log = []
    runtime = SingleThreadedAgentRuntime()
    await Halting.register(runtime, "halting", Halting)
    await runtime.add_subscription(TypeSubscription("halt", "halting"))
    target = AgentId("halting", "a")
    errors: list[BaseException] = []
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            await runtime.publish_message(Go(0), TopicId("halt", "a"))

            async def caller() -> None:
                try:
                    await runtime.send_message(Go(1), target)
                except BaseException as exc:
                    errors.append(exc)

            tg.start_soon(caller)
            await anyio.wait_all_tasks_blocked()  # both queued before the start
            if form == "start":
                runtime.start()
                await anyio.sleep(0.05)
            else:
                async with runtime:
                    await anyio.sleep(0.05)
        assert runtime.unprocessed_messages_count == 0
        # the next session starts cleanly and works
        async with runtime:
            assert await runtime.send_message(Go(2), target) == 2
            await runtime.publish_message(Go(3), TopicId("halt", "a"))
            await runtime.stop_when_idle()
    assert "publish 3" in Halting.log
    assert all(isinstance(e, RuntimeStoppedError) for e in errors)


# -- 6. checkpoints check and copy agent state ---------------------------------------------


class Stateful(BaseAgent):
    state: dict[str, Any]

    def __init__(self) -> None:
        super().__init__("stateful")
        self.items: list[int] = [1]

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        return None

    async def save_state(self) -> dict[str, Any]:
        return Stateful.state if Stateful.state else {"items": self.items}


async def _stateful_runtime() -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime()
    await Stateful.register(runtime, "stateful", Stateful)
    await runtime.get("stateful", "a", lazy=False)
    return runtime


@pytest.mark.parametrize(
    ("state", "path"),
    [
        ({"when": object()}, "$.when"),
        ({"nested": {"list": [1, {2: "x"}]}}, "$.nested.list[1]"),
        ({"f": float("nan")}, "$.f"),
        ({"s": {1, 2}}, "$.s"),
    ],
)
async def test_a_checkpoint_refuses_state_that_is_not_json(
    state: dict[str, Any], path: str
) -> None:
    Stateful.state = state
    runtime = await _stateful_runtime()
    with pytest.raises(CheckpointError) as info:
        await runtime.checkpoint()
    assert "stateful/a" in str(info.value)
    assert path in str(info.value)


async def test_a_checkpoint_is_a_copy() -> None:
    Stateful.state = {}
    runtime = await _stateful_runtime()
    document = await runtime.checkpoint()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("stateful", "a"), Stateful)
    agent.items.append(2)
    assert document["agents"]["stateful/a"] == {"items": [1]}
    json.dumps(document)


# -- 7. close() closes every agent --------------------------------------------------------


class Closing(BaseAgent):
    closed: list[str]

    def __init__(self) -> None:
        super().__init__("closing")

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        return None

    async def close(self) -> None:
        Closing.closed.append(self.id.key)
        if self.id.key.startswith("bad"):
            raise ValueError(self.id.key)


@pytest.mark.parametrize("bad", [["bad1"], ["bad1", "bad2"]])
async def test_close_closes_every_agent_then_raises(bad: list[str]) -> None:
    Closing.closed = []
    runtime = SingleThreadedAgentRuntime()
    await Closing.register(runtime, "closing", Closing)
    keys = ["a", *bad, "b"]
    for key in keys:
        await runtime.get("closing", key, lazy=False)
    runtime.start()
    if len(bad) == 1:
        with pytest.raises(ValueError, match="bad1"):
            await runtime.close()
    else:
        with pytest.raises(ExceptionGroup) as info:
            await runtime.close()
        assert [str(e) for e in info.value.exceptions] == bad
    assert Closing.closed == keys


# -- 8. recursive and forward-referenced message types ------------------------------------


@dataclass
class Node:
    name: str
    children: list["Node"] = field(default_factory=list)  # noqa: UP037  # a string on purpose


@dataclass
class Point:
    x: int
    parent: "Point | None" = None  # noqa: UP037


class Tree(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("tree")

    @message_handler
    async def on_node(self, message: Node, ctx: MessageContext) -> Point:
        return Point(len(message.children), Point(-1))


async def test_recursive_message_types_serialize_and_checkpoint() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Tree.register(runtime, "tree", Tree)
    await runtime.add_subscription(TypeSubscription("trees", "tree"))
    tree = Node("root", [Node("a", [Node("b")]), Node("c")])
    await runtime.publish_message(tree, TopicId("trees", "x"))
    document = json.loads(json.dumps(await runtime.checkpoint()))
    assert document["queued"][0]["data"]["children"][0]["children"][0]["name"] == "b"
    fresh = SingleThreadedAgentRuntime()
    await Tree.register(fresh, "tree", Tree)
    await fresh.restore_checkpoint(document)
    with anyio.fail_after(5):
        async with fresh:
            assert await fresh.send_message(tree, AgentId("tree", "y")) == Point(2, Point(-1))
            await fresh.stop_when_idle()


# -- compatibility with autogen-core's own tests -------------------------------------------


async def test_unknown_instance_key_is_also_a_runtime_error() -> None:
    runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=False)
    await runtime.register_agent_instance(Closing(), AgentId("closing", "only"))
    await runtime.add_subscription(TypeSubscription("go", "closing"))
    # refused at once, even before the runtime runs
    with pytest.raises(RuntimeError, match="closing/other"):
        await runtime.send_message(Go(), AgentId("closing", "other"))
    with anyio.fail_after(5):
        async with runtime:
            with pytest.raises(UnknownAgentTypeError):
                await runtime.send_message(Go(), AgentId("closing", "other"))
            await runtime.publish_message(Go(), TopicId("go", "other"))
            with pytest.raises(RuntimeError, match="closing/other"):
                await runtime.stop_when_idle()


async def test_a_failing_factory_during_a_publish_is_logged_like_autogen(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def factory() -> Probe:
        raise ValueError("no agent today")

    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("broken", factory)
    await runtime.add_subscription(TypeSubscription("go", "broken"))
    with caplog.at_level(logging.ERROR, logger="cantata"), anyio.fail_after(5):
        async with runtime:
            await runtime.publish_message(Go(), TopicId("go", "k"))
            await runtime.stop_when_idle()
    assert any(
        r.levelno == logging.ERROR and r.getMessage() == "Error constructing agent broken/k"
        for r in caplog.records
    )


async def test_agents_whose_factory_fails_leave_nothing_behind() -> None:
    """The runtime keeps a little state per agent (its mailbox); an id whose agent could not
    be made keeps none, however many such ids are tried. (RPCs: a publish to a new topic
    source also fills the subscriptions' bounded recipients cache.)"""
    import gc
    import tracemalloc

    def factory() -> Probe:
        raise ValueError("no agent today")

    runtime = SingleThreadedAgentRuntime()
    await runtime.register_factory("broken", factory)
    logging.getLogger("cantata").disabled = True  # no log records kept by capture handlers
    tracemalloc.start()
    try:

        async def attempts(first: int, count: int) -> int:
            for key in range(first, first + count):
                with pytest.raises(ValueError, match="no agent today"):
                    await runtime.send_message(Go(), AgentId("broken", f"k{key}"))
            await runtime.stop_when_idle()
            gc.collect()
            return tracemalloc.get_traced_memory()[0]

        with anyio.fail_after(20):
            async with runtime:
                await attempts(0, 200)  # warm caches
            async with runtime:
                before = await attempts(200, 100)
            async with runtime:
                after = await attempts(300, 2000)
    finally:
        tracemalloc.stop()
        logging.getLogger("cantata").disabled = False
    # Kept state would be at least a mailbox and a dictionary entry (>100 bytes) per id.
    assert (after - before) / 2000 < 20, after - before


# -- stepping an inline handler (a reusable stepper per handler) -----------------------------

_step_var: contextvars.ContextVar[str] = contextvars.ContextVar("step_var", default="caller")


async def test_an_inline_handler_that_suspends_then_raises_gives_its_error_and_frees_it() -> None:
    error = ValueError("after two suspensions")

    async def action(agent: Probe, message: Go) -> int:
        _step_var.set(f"handler {message.n}")
        await anyio.lowlevel.checkpoint()
        await anyio.sleep(0.001)
        if message.n == 1:
            raise error
        assert _step_var.get() == f"handler {message.n}"
        return message.n

    runtime = await _probe_runtime(action)
    with anyio.fail_after(5):
        async with runtime:
            for n in range(4):  # a stepper whose handler raised is not used again
                if n == 1:
                    with pytest.raises(ValueError) as raised:
                        await runtime.send_message(Go(n), PROBE)
                    assert raised.value is error
                else:
                    assert await runtime.send_message(Go(n), PROBE) == n
                assert _step_var.get() == "caller"
            await runtime.stop_when_idle()


async def test_closing_the_caller_of_a_suspended_inline_handler_closes_the_handler() -> None:
    seen: list[str] = []
    suspended = anyio.Event()

    async def action(agent: Probe, message: Go) -> int:
        if message.n == 1:
            return 1
        _step_var.set("handler")
        try:
            suspended.set()
            await anyio.sleep(3600)
        finally:
            seen.append(f"finally in {_step_var.get()}")
        return 0

    runtime = await _probe_runtime(action)
    with anyio.fail_after(5):
        async with runtime:
            call = cast(Any, runtime.send_message(Go(0), PROBE))
            call.send(None)  # runs inline until the handler suspends
            assert suspended.is_set()
            call.close()  # e.g. the task that awaited it was garbage-collected
            assert seen == ["finally in handler"]  # closed in its own context
            assert _step_var.get() == "caller"
            assert await runtime.send_message(Go(1), PROBE) == 1  # the agent is free
            await runtime.stop_when_idle()


async def test_a_handler_that_catches_its_cancellation_and_returns_answers_its_caller() -> None:
    started = anyio.Event()

    async def action(agent: Probe, message: Go) -> str:
        if message.n == 1:
            return "next"
        try:
            started.set()
            await anyio.sleep(3600)
        except anyio.get_cancelled_exc_class():
            pass  # swallowed: the handler returns normally
        return "swallowed"

    runtime = await _probe_runtime(action)
    results: list[Any] = []
    with anyio.fail_after(5):
        async with runtime:
            async with anyio.create_task_group() as tg:

                async def caller() -> None:
                    with anyio.CancelScope() as scope:
                        tg.start_soon(_cancel_when, started, scope)
                        results.append(await runtime.send_message(Go(0), PROBE))
                    results.append(("cancelled", scope.cancelled_caught))

                tg.start_soon(caller)
            assert await runtime.send_message(Go(1), PROBE) == "next"
            await runtime.stop_when_idle()
    # The handler ran inline in the caller's scope and swallowed the cancellation; the
    # call returns what the handler returned, as an awaited call would.
    assert results == ["swallowed", ("cancelled", False)]


async def _cancel_when(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()
