"""Guarantee 2, determinism: a runtime-only program has one trace, on asyncio and on Trio."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from hypothesis import example, given, target

from cantata import (
    AgentId,
    DeliveryRecord,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TraceRecorder,
    TypeSubscription,
    message_handler,
)

from ._support import (
    Graph,
    Program,
    Publish,
    Rpc,
    Start,
    SubSpec,
    programs,
    prop_settings,
    run_program,
)

RUNS = ("asyncio", "trio", "trio", "trio")
"""Backends of the runs compared with a first asyncio run (Trio schedules randomly)."""

# A publish reaches "a" and "b"; a's handler then calls b, which still has the publish
# queued: the call waits for a busy agent and the worker hands its role over.
HANDOVER = Program(
    Graph(("a", "b", "c"), (SubSpec("type", "t", "a"), SubSpec("prefix", "t", "b"))),
    (
        (Publish("t", "k0", (Rpc("b", "k0", (Rpc("c", "k0", ()),)),)),),
        (Rpc("b", "k0", ()),),
        (Publish("t.x", "k0", ()),),
    ),
)

# Hand-overs while other mailboxes still have work queued.
NESTED_HANDOVERS = Program(
    Graph(("a", "b"), (SubSpec("type", "t", "a"), SubSpec("type", "t", "b"))),
    (
        (
            Publish(
                "t",
                "k0",
                (Publish("t", "k1", (Publish("t", "k0", ()), Rpc("b", "k0", ()))),),
            ),
        ),
    ),
)


def _run(program: Program, backend: str) -> tuple[list[DeliveryRecord], list[Start], int]:
    world = anyio.run(run_program, program, backend=backend)
    assert world.delivery_errors() == []
    assert world.reply_errors == []
    return world.trace.records, world.starts, world.handovers


@given(program=programs(max_steps=6))
@example(program=HANDOVER)
@example(program=NESTED_HANDOVERS)
@prop_settings(40)
def test_trace_is_identical_across_runs_and_backends(program: Program) -> None:
    """Handlers and the test's main task await only the runtime (publishes, RPCs to idle
    and to busy agents, nested and re-entrant RPC chains): every run records the same
    delivery trace."""
    reference, starts, handovers = _run(program, "asyncio")
    target(float(handovers), label="handlers waiting for busy agents")
    for backend in RUNS:
        records, other_starts, _ = _run(program, backend)
        assert records == reference, backend
        assert other_starts == starts, backend


def test_handover_example_waits_for_a_busy_agent() -> None:
    for backend in ("asyncio", "trio"):
        _, _, handovers = _run(HANDOVER, backend)
        assert handovers > 0


# -- a minimal program that once had two traces on Trio ------------------------------------


@dataclass(frozen=True)
class Ping:
    n: int


class Pinger(RoutedAgent):
    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> int:
        if self.id.type == "a" and not ctx.is_rpc:
            # b still has a publish queued: this call waits for a busy agent (hand-over)
            await self.send_message(Ping(message.n), AgentId("b", "k"))
        return message.n


async def _ping_program() -> tuple[str, ...]:
    runtime = SingleThreadedAgentRuntime()
    recorder = TraceRecorder()
    runtime.add_trace_hook(recorder)
    for name, topic in (("a", "t"), ("b", "t"), ("c", "u")):
        await runtime.register_factory(name, lambda: Pinger("pinger"))
        await runtime.add_subscription(TypeSubscription(topic, name))
    with anyio.fail_after(10):
        async with runtime:
            for n in range(2):
                await runtime.publish_message(Ping(n), TopicId("t", "k"))
            for n in range(5):
                await runtime.publish_message(Ping(n), TopicId("u", "k"))
            await runtime.stop_when_idle()
    return tuple(f"{record.recipient.type}{record.message.n}" for record in recorder.records)


def test_trace_after_a_hand_over_back_is_stable_on_trio() -> None:
    """When the reply of a waiting handler is ready, the role goes back to the waiting
    handler; no other worker may be started meanwhile (it would race the resumed handler
    for the ready queue, which Trio's scheduling decides randomly)."""
    expected = ("a0", "b0", "c0", "b1", "c1", "b0", "c2", "a1", "b1", "c3", "c4")
    assert anyio.run(_ping_program, backend="asyncio") == expected
    for _ in range(60):
        assert anyio.run(_ping_program, backend="trio") == expected
