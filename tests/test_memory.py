"""An idle agent costs memory, not a task: 20,000 lazily created agents stay small."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass

import anyio
import pytest

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)


@dataclass
class Poke:
    n: int


class Idle(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("idle after one message")
        self.count = 0

    @message_handler
    async def on_poke(self, message: Poke, ctx: MessageContext) -> None:
        self.count += 1


@pytest.mark.anyio
async def test_twenty_thousand_idle_agents_cost_under_4kb_each() -> None:
    n = 20_000
    runtime = SingleThreadedAgentRuntime()
    await Idle.register(runtime, "idle", Idle)
    async with runtime:
        await runtime.send_message(Poke(-1), AgentId("idle", "warm"))
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(n):
            await runtime.send_message(Poke(i), AgentId("idle", f"k{i}"))
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        tasks_while_idle = len(anyio.get_running_tasks())
        await runtime.stop_when_idle()
    per_agent = (after - before) / n
    assert per_agent < 4096, f"{per_agent:.0f} bytes per idle agent"
    # No task per agent: the runtime keeps a fixed, small number of tasks.
    assert tasks_while_idle < 10
