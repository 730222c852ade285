"""Two RPC chains that call into each other are admitted instead of deadlocking.

With one message at a time per agent, A waiting for B while B (handling another message)
waits for A would hang both. The runtime sees that the callee waits, through queued RPCs,
for an agent of the caller's chain, and admits the call as a re-entrant one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import anyio
import pytest

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    message_handler,
)


@dataclass
class Go:
    peer: str


@dataclass
class Ask:
    hops: tuple[str, ...]


class Peer(RoutedAgent):
    log: ClassVar[list[str]] = []

    def __init__(self) -> None:
        super().__init__("calls its peer")

    @message_handler
    async def on_go(self, message: Go, ctx: MessageContext) -> None:
        Peer.log.append(f"{self.id.type} go")
        hops = await self.send_message(Ask(()), AgentId(message.peer, "k"))
        Peer.log.append(f"{self.id.type} got {'>'.join(hops)}")

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> tuple[str, ...]:
        return (*message.hops, self.id.type)


async def _run(pairs: list[tuple[str, str]]) -> list[str]:
    Peer.log = []
    runtime = SingleThreadedAgentRuntime()
    for name in {name for pair in pairs for name in pair}:
        await Peer.register(runtime, name, Peer)
    async with runtime:
        with anyio.fail_after(5):
            for caller, callee in pairs:
                await runtime.publish_message(Go(callee), TopicId(f"{caller}:", "k"))
            await runtime.stop_when_idle()
    return Peer.log


@pytest.mark.anyio
async def test_two_chains_calling_each_other_complete() -> None:
    log = await _run([("a", "b"), ("b", "a")])
    assert log.count("a go") == 1 and log.count("b go") == 1
    assert {line for line in log if "got" in line} == {"a got b", "b got a"}


@pytest.mark.anyio
async def test_a_three_agent_cycle_completes() -> None:
    log = await _run([("a", "b"), ("b", "c"), ("c", "a")])
    assert {line for line in log if "got" in line} == {"a got b", "b got c", "c got a"}


@pytest.mark.anyio
async def test_cycle_resolution_is_deterministic() -> None:
    first = await _run([("a", "b"), ("b", "c"), ("c", "a")])
    second = await _run([("a", "b"), ("b", "c"), ("c", "a")])
    assert first == second
