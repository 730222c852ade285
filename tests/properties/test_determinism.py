"""Guarantee 2, determinism: a runtime-only program has one trace, on asyncio and on Trio."""

from __future__ import annotations

import anyio
from hypothesis import example, given, target

from cantata import DeliveryRecord

from ._support import (
    BACKENDS,
    Graph,
    Program,
    Publish,
    Rpc,
    Start,
    SubSpec,
    prop_settings,
    programs,
    run_program,
)

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


def _run(program: Program, backend: str) -> tuple[list[DeliveryRecord], list[Start], int]:
    world = anyio.run(run_program, program, backend=backend)
    assert world.delivery_errors() == []
    assert world.reply_errors == []
    return world.trace.records, world.starts, world.handovers


@given(program=programs(max_steps=6))
@example(program=HANDOVER)
@prop_settings(40)
def test_trace_is_identical_across_runs_and_backends(program: Program) -> None:
    reference, starts, handovers = _run(program, "asyncio")
    target(float(handovers), label="handlers waiting for busy agents")
    for backend in (*BACKENDS, "trio"):
        records, other_starts, _ = _run(program, backend)
        assert records == reference, backend
        assert other_starts == starts, backend


def test_handover_example_waits_for_a_busy_agent() -> None:
    for backend in BACKENDS:
        _, _, handovers = _run(HANDOVER, backend)
        assert handovers > 0
