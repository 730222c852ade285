"""The runtime's DeliveryScheduler hook: asked only with two or more candidates, obeyed,
and a bad answer is a clear error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TraceRecorder,
    TypeSubscription,
    message_handler,
)


@dataclass
class Hello:
    n: int


class Quiet(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("quiet")

    @message_handler
    async def on_hello(self, message: Hello, ctx: MessageContext) -> None:
        pass


class LastFirst:
    """Always runs the most recently readied agent."""

    def __init__(self) -> None:
        self.asked: list[list[AgentId]] = []

    def choose(self, options: Sequence[AgentId]) -> int:
        assert len(options) >= 2
        self.asked.append(list(options))
        return len(options) - 1

    def choose_resume(self, count: int) -> int:
        assert count >= 2
        return count - 1


async def _deliveries(runtime: SingleThreadedAgentRuntime) -> list[str]:
    recorder = TraceRecorder()
    runtime.add_trace_hook(recorder)
    await Quiet.register(runtime, "quiet", Quiet)
    await runtime.add_subscription(TypeSubscription("t", "quiet"))
    async with runtime:
        for key in ("a", "b", "c"):
            await runtime.publish_message(Hello(1), TopicId("t", key))
        await runtime.stop_when_idle()
    return [r.recipient.key for r in recorder.records]


@pytest.mark.anyio
async def test_the_scheduler_decides_the_order(anyio_backend: str) -> None:
    assert await _deliveries(SingleThreadedAgentRuntime()) == ["a", "b", "c"]
    scheduler = LastFirst()
    assert await _deliveries(SingleThreadedAgentRuntime(scheduler=scheduler)) == ["c", "b", "a"]
    assert [[o.key for o in options] for options in scheduler.asked] == [
        ["a", "b", "c"],
        ["a", "b"],
    ]


class OutOfRange(LastFirst):
    def choose(self, options: Sequence[AgentId]) -> int:
        return len(options)


@pytest.mark.anyio
async def test_a_bad_choice_is_a_clear_error(anyio_backend: str) -> None:
    with pytest.raises(BaseException) as info:
        await _deliveries(SingleThreadedAgentRuntime(scheduler=OutOfRange()))
    error: BaseException = info.value
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, IndexError) and "scheduler chose 3 among 3" in str(error)
