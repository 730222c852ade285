"""Starting and stopping a runtime: the ``async with`` form and the ``start()`` form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import anyio
import pytest

from cantata import (
    AgentId,
    BaseAgent,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
    message_handler,
    rpc,
)
from cantata.exceptions import RuntimeStoppedError, UndeliverableException

pytestmark = pytest.mark.anyio


@dataclass
class Ask:
    n: int


@dataclass
class Tell:
    text: str


@dataclass
class Hold:
    """Makes the handler wait for ``Worker.release``."""


@dataclass
class Halt:
    """Makes the handler call ``runtime.stop()``."""


@dataclass
class Fail:
    text: str


@dataclass
class Count:
    left: int


class Worker(RoutedAgent):
    """A test agent; class-level events coordinate with the test body."""

    started: anyio.Event
    release: anyio.Event
    log: list[str]
    closed: list[AgentId]

    def __init__(self) -> None:
        super().__init__("worker")

    @classmethod
    def reset(cls) -> None:
        cls.started = anyio.Event()
        cls.release = anyio.Event()
        cls.log = []
        cls.closed = []

    @rpc
    async def on_ask(self, message: Ask, ctx: MessageContext) -> int:
        return message.n * 10

    @event
    async def on_tell(self, message: Tell, ctx: MessageContext) -> None:
        Worker.log.append(f"{self.id.key}:{message.text}")

    @message_handler
    async def on_hold(self, message: Hold, ctx: MessageContext) -> str:
        Worker.started.set()
        try:
            await Worker.release.wait()
        except BaseException:
            Worker.log.append("hold cancelled")
            raise
        Worker.log.append("hold finished")
        return "held"

    @event
    async def on_halt(self, message: Halt, ctx: MessageContext) -> None:
        runtime = cast(SingleThreadedAgentRuntime, self.runtime)
        await runtime.stop()
        Worker.log.append("stop requested")

    @event
    async def on_fail(self, message: Fail, ctx: MessageContext) -> None:
        raise ValueError(message.text)

    @event
    async def on_count(self, message: Count, ctx: MessageContext) -> None:
        Worker.log.append(f"count {message.left}")
        if message.left:
            await self.publish_message(Count(message.left - 1), _count_topic(message.left - 1))

    async def close(self) -> None:
        Worker.closed.append(self.id)


def _count_topic(left: int) -> TopicId:
    return TopicId("work", f"c{left}")


async def _runtime(**kwargs: Any) -> SingleThreadedAgentRuntime:
    Worker.reset()
    runtime = SingleThreadedAgentRuntime(**kwargs)
    await Worker.register(runtime, "worker", Worker)
    await runtime.add_subscription(TypeSubscription("work", "worker"))
    return runtime


@pytest.fixture
async def runtime() -> SingleThreadedAgentRuntime:
    """A runtime of ``Worker`` agents (type ``worker``, subscribed to topic type ``work``)."""
    return await _runtime()


@pytest.fixture
async def strict_runtime() -> SingleThreadedAgentRuntime:
    """The same with ``ignore_unhandled_exceptions=False``: publish-handler errors are raised."""
    return await _runtime(ignore_unhandled_exceptions=False)


W = AgentId("worker", "w")
WORK = TopicId("work", "w")


async def _hold(runtime: SingleThreadedAgentRuntime) -> None:
    """Publish ``Hold`` to ``W`` and wait until its handler runs (until ``Worker.release``)."""
    await runtime.publish_message(Hold(), WORK)
    await Worker.started.wait()


async def _assert_not_running(runtime: SingleThreadedAgentRuntime) -> None:
    """``stop()`` raises: the runtime is not running."""
    with pytest.raises(RuntimeError, match="not started"):
        await runtime.stop()


# --- the start() form ------------------------------------------------------------------------


async def test_start_stop_and_restart_on_asyncio(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        runtime.start()
        assert await runtime.send_message(Ask(1), W) == 10
        await runtime.publish_message(Tell("a"), WORK)
        await runtime.stop_when_idle()
        assert Worker.log == ["w:a"]
        # start again after a stop
        runtime.start()
        assert await runtime.send_message(Ask(2), W) == 20
        await runtime.stop()
        runtime.start()
        await runtime.publish_message(Tell("b"), WORK)
        await runtime.stop_when_idle()
        assert Worker.log == ["w:a", "w:b"]


async def test_start_twice_raises(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        runtime.start()
        with pytest.raises(RuntimeError, match="already started"):
            runtime.start()
        await runtime.stop()


async def test_start_inside_async_with_raises(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        async with runtime:
            with pytest.raises(RuntimeError):
                runtime.start()
        runtime.start()
        with pytest.raises(RuntimeError):
            async with runtime:
                pass  # pragma: no cover - not reached
        await runtime.stop()


async def test_start_form_and_structured_form_alternate(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        runtime.start()
        assert await runtime.send_message(Ask(3), W) == 30
        await runtime.stop()
        async with runtime:
            assert await runtime.send_message(Ask(4), W) == 40
        runtime.start()
        with pytest.raises(RuntimeError, match="already started"):
            async with runtime:
                pass  # pragma: no cover - not reached
        await runtime.stop_when_idle()


def test_start_outside_an_event_loop_raises() -> None:
    runtime = SingleThreadedAgentRuntime()
    with pytest.raises(RuntimeError, match="event loop"):
        runtime.start()


async def test_stop_when_idle_and_stop_when_and_close_in_the_start_form(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        runtime.start()
        await runtime.publish_message(Count(3), _count_topic(3))
        await runtime.stop_when(lambda: "count 0" in Worker.log)
        assert Worker.log == ["count 3", "count 2", "count 1", "count 0"]
        await _assert_not_running(runtime)
        runtime.start()
        assert await runtime.send_message(Ask(4), W) == 40
        await runtime.close()
        assert Worker.closed == [AgentId("worker", f"c{i}") for i in range(3, -1, -1)] + [W]
        await _assert_not_running(runtime)


# --- the async with form ---------------------------------------------------------------------


async def test_async_with_returns_the_runtime_and_can_be_entered_again(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime as entered:
            assert entered is runtime
            assert await runtime.send_message(Ask(1), W) == 10
        async with runtime:
            assert await runtime.send_message(Ask(2), W) == 20
        # not running any more: stop() has nothing to stop
        await _assert_not_running(runtime)


async def test_async_with_cannot_be_nested(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        async with runtime:
            with pytest.raises(RuntimeError, match="already started"):
                async with runtime:
                    pass  # pragma: no cover - not reached
            assert await runtime.send_message(Ask(1), W) == 10


async def test_stop_twice_raises(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        await _assert_not_running(runtime)
        async with runtime:
            await runtime.stop()
            await _assert_not_running(runtime)


async def test_stop_family_requires_a_started_runtime(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        with pytest.raises(RuntimeError):
            await runtime.stop_when_idle()
        with pytest.raises(RuntimeError):
            await runtime.stop_when(lambda: True)


async def test_normal_exit_keeps_queued_publishes_for_the_next_start(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        await runtime.publish_message(Tell("before start"), WORK)
        async with runtime:
            await runtime.stop()
            await runtime.publish_message(Tell("while stopped"), WORK)
        assert Worker.log == []
        assert runtime.unprocessed_messages_count == 2
        async with runtime:
            await runtime.stop_when_idle()
        assert Worker.log == ["w:before start", "w:while stopped"]


async def test_rpc_sent_before_start_is_answered_after_start(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        answers: list[int] = []

        async def ask() -> None:
            answers.append(await runtime.send_message(Ask(5), W))

        async with anyio.create_task_group() as tg:
            tg.start_soon(ask)
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 1
            async with runtime:
                await runtime.stop_when_idle()
        assert answers == [50]


async def test_stop_when_idle_delivers_cascades_exactly_once(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.publish_message(Count(5), _count_topic(5))
            await runtime.stop_when_idle()
            assert Worker.log == [f"count {i}" for i in range(5, -1, -1)]
            assert runtime.unprocessed_messages_count == 0
            # the runtime is stopped now
            await _assert_not_running(runtime)


async def test_stop_when_idle_with_nothing_to_do_returns_at_once(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.stop_when_idle()


async def test_stop_when_stops_once_the_condition_holds(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.publish_message(Count(100), _count_topic(100))
            await runtime.stop_when(lambda: len(Worker.log) >= 3)
            assert len(Worker.log) >= 3
            await _assert_not_running(runtime)
        # what was not delivered yet is kept for the next start
        async with runtime:
            await runtime.stop_when_idle()
        assert Worker.log == [f"count {i}" for i in range(100, -1, -1)]


async def test_stop_when_polls_conditions_that_do_not_depend_on_deliveries(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        flag = anyio.Event()
        async with runtime, anyio.create_task_group() as tg:

            async def later() -> None:
                await anyio.sleep(0.05)
                flag.set()

            tg.start_soon(later)
            await runtime.stop_when(flag.is_set, check_period=0.01)
            assert flag.is_set()


async def test_stop_when_with_a_true_condition_stops_at_once(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.stop_when(lambda: True)
            await _assert_not_running(runtime)


async def test_close_stops_the_runtime_and_closes_agents_in_creation_order(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.send_message(Ask(1), AgentId("worker", "b"))
            await runtime.send_message(Ask(1), AgentId("worker", "a"))
            await runtime.close()
            assert Worker.closed == [AgentId("worker", "b"), AgentId("worker", "a")]
            await _assert_not_running(runtime)
        # close() on a runtime that is not running only closes the agents
        await runtime.close()
        assert len(Worker.closed) == 4


async def test_normal_exit_waits_for_running_handlers(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        async with runtime, anyio.create_task_group() as tg:
            await _hold(runtime)

            async def release_later() -> None:
                await anyio.sleep(0.02)
                Worker.release.set()

            tg.start_soon(release_later)
        assert Worker.log == ["hold finished"]


async def test_exit_by_exception_cancels_running_handlers_and_reraises_unchanged(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        error = KeyError("leaving")
        with pytest.raises(KeyError) as info:
            async with runtime:
                await _hold(runtime)
                raise error
        assert info.value is error
        assert Worker.log == ["hold cancelled"]
        # the runtime can be used again
        async with runtime:
            assert await runtime.send_message(Ask(1), W) == 10


async def test_outer_cancel_scope_around_the_block(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        with anyio.move_on_after(0.05) as scope:
            async with runtime:
                await _hold(runtime)
                await anyio.sleep_forever()
        assert scope.cancelled_caught
        assert Worker.log == ["hold cancelled"]
        async with runtime:
            assert await runtime.send_message(Ask(1), W) == 10


async def test_stop_cancel_in_flight_cancels_running_handlers(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        outcome: list[BaseException] = []

        async def ask_hold() -> None:
            try:
                await runtime.send_message(Hold(), W)
            except BaseException as exc:
                outcome.append(exc)

        async with runtime, anyio.create_task_group() as tg:
            await _hold(runtime)
            tg.start_soon(ask_hold)
            await anyio.wait_all_tasks_blocked()
            await runtime.stop(cancel_in_flight=True)
        assert Worker.log == ["hold cancelled"]
        # the queued RPC behind the cancelled handler was never delivered
        assert len(outcome) == 1
        assert isinstance(outcome[0], RuntimeStoppedError)


async def test_cancel_in_flight_fails_a_running_queued_rpc_with_runtime_stopped_error() -> None:
    with anyio.fail_after(5):
        first_gate = anyio.Event()
        running = anyio.Event()
        log: list[str] = []

        class Busy(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                if message == "first":
                    await first_gate.wait()
                    return None
                running.set()
                try:
                    await anyio.sleep_forever()
                except BaseException:
                    log.append("rpc handler cancelled")
                    raise

        runtime = SingleThreadedAgentRuntime()
        await runtime.register_factory("busy", lambda: Busy("busy"))
        await runtime.add_subscription(TypeSubscription("t", "busy"))
        outcome: list[BaseException] = []

        async def call() -> None:
            try:
                await runtime.send_message("second", AgentId("busy", "k"))
            except BaseException as exc:
                outcome.append(exc)

        async with runtime, anyio.create_task_group() as tg:
            await runtime.publish_message("first", TopicId("t", "k"))
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(call)  # queued behind "first", then run by the runtime's worker
            await anyio.wait_all_tasks_blocked()
            first_gate.set()
            await running.wait()
            await runtime.stop(cancel_in_flight=True)
        assert log == ["rpc handler cancelled"]
        assert len(outcome) == 1
        assert isinstance(outcome[0], RuntimeStoppedError)


async def test_stop_fails_undelivered_rpcs_with_runtime_stopped_error(
    runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        outcome: dict[str, Any] = {}

        async def ask() -> None:
            try:
                outcome["value"] = await runtime.send_message(Ask(1), W)
            except BaseException as exc:
                outcome["error"] = exc

        async with runtime, anyio.create_task_group() as tg:
            await _hold(runtime)
            tg.start_soon(ask)
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 1
            tg.start_soon(runtime.stop)
            await anyio.wait_all_tasks_blocked()
            # the caller is not left waiting while the running handler finishes
            error = outcome["error"]
            assert isinstance(error, RuntimeStoppedError)
            assert isinstance(error, UndeliverableException)
            assert error.recipient == W
            assert "value" not in outcome
            assert Worker.log == []
            # while stopping, new RPCs fail at once
            with pytest.raises(RuntimeStoppedError):
                await runtime.send_message(Ask(2), W)
            Worker.release.set()
        assert Worker.log == ["hold finished"]
        assert runtime.unprocessed_messages_count == 0


async def test_stop_from_inside_a_handler(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.publish_message(Halt(), WORK)
            await runtime.publish_message(Tell("after halt"), WORK)
            # the wait ends when the stop requested by the handler completes
            await runtime.stop_when_idle()
            assert Worker.log == ["stop requested"]
            await _assert_not_running(runtime)
        # the publish queued behind the halting handler is kept for the next start
        assert runtime.unprocessed_messages_count == 1
        async with runtime:
            await runtime.stop_when_idle()
        assert Worker.log == ["stop requested", "w:after halt"]


async def test_stop_when_idle_inside_a_handler_raises() -> None:
    with anyio.fail_after(5):
        errors: list[BaseException] = []

        class Impatient(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                runtime = cast(SingleThreadedAgentRuntime, self.runtime)
                try:
                    await runtime.stop_when_idle()
                except RuntimeError as exc:
                    errors.append(exc)
                return None

        runtime = SingleThreadedAgentRuntime()
        await runtime.register_factory("impatient", lambda: Impatient("i"))
        async with runtime:
            await runtime.send_message("x", AgentId("impatient", "k"))
        assert len(errors) == 1
        assert "stop()" in str(errors[0])


async def test_no_runtime_task_outlives_the_block(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        before = len(anyio.get_running_tasks())
        async with runtime:
            for i in range(10):
                await runtime.publish_message(Tell(str(i)), TopicId("work", str(i)))
            await _hold(runtime)
            assert len(anyio.get_running_tasks()) > before
            Worker.release.set()
        assert len(anyio.get_running_tasks()) == before
        with pytest.raises(KeyError):
            async with runtime:
                Worker.reset()
                await _hold(runtime)
                raise KeyError("leave")
        assert len(anyio.get_running_tasks()) == before


# --- errors of publish handlers ---------------------------------------------------------------


async def test_publish_errors_are_swallowed_by_default(runtime: SingleThreadedAgentRuntime) -> None:
    with anyio.fail_after(5):
        async with runtime:
            await runtime.publish_message(Fail("ignored"), WORK)
            await runtime.publish_message(Tell("still running"), WORK)
            await runtime.stop_when_idle()
        assert Worker.log == ["w:still running"]


async def test_unhandled_publish_error_is_raised_from_stop_when_idle(
    strict_runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with strict_runtime:
            await strict_runtime.publish_message(Fail("one"), WORK)
            await strict_runtime.publish_message(Tell("delivered anyway"), WORK)
            with pytest.raises(ValueError, match="one"):
                await strict_runtime.stop_when_idle()
        assert Worker.log == ["w:delivered anyway"]
        # the strict_runtime can be restarted, and the error is not raised twice
        async with strict_runtime:
            assert await strict_runtime.send_message(Ask(1), W) == 10
            await strict_runtime.stop_when_idle()


async def test_several_unhandled_publish_errors_raise_the_first_with_notes(
    strict_runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with strict_runtime:
            await strict_runtime.publish_message(Fail("one"), WORK)
            await strict_runtime.publish_message(Fail("two"), TopicId("work", "v"))
            with pytest.raises(ValueError, match="one") as info:
                await strict_runtime.stop_when_idle()
        assert len(info.value.__notes__) == 1
        assert "two" in info.value.__notes__[0]


async def test_unhandled_publish_error_is_raised_from_stop(
    strict_runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        async with strict_runtime:
            await strict_runtime.publish_message(Fail("from stop"), WORK)
            await _hold(strict_runtime)
            Worker.release.set()
            with pytest.raises(ValueError, match="from stop"):
                await strict_runtime.stop()


async def test_unhandled_publish_error_is_raised_at_the_block_exit(
    strict_runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        with pytest.raises(ValueError, match="at exit"):
            async with strict_runtime:
                await strict_runtime.publish_message(Fail("at exit"), WORK)
                await _hold(strict_runtime)
                Worker.release.set()
        async with strict_runtime:
            assert await strict_runtime.send_message(Ask(2), W) == 20


async def test_rpc_errors_are_not_collected_as_unhandled() -> None:
    with anyio.fail_after(5):

        class Failing(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                raise ValueError("to the caller")

        runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=False)
        await runtime.register_factory("failing", lambda: Failing("f"))
        async with runtime:
            with pytest.raises(ValueError):
                await runtime.send_message("x", AgentId("failing", "k"))
            await runtime.stop_when_idle()  # nothing is raised here


async def test_unhandled_publish_error_in_the_start_form_and_restart(
    strict_runtime: SingleThreadedAgentRuntime,
) -> None:
    with anyio.fail_after(5):
        strict_runtime.start()
        await strict_runtime.publish_message(Fail("boom"), WORK)
        with pytest.raises(ValueError, match="boom"):
            await strict_runtime.stop_when_idle()
        strict_runtime.start()
        assert await strict_runtime.send_message(Ask(3), W) == 30
        await strict_runtime.stop()
