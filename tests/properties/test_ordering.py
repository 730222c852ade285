"""Guarantee 1, ordering: per-recipient FIFO, per-topic order, actor semantics, re-entrancy."""

from __future__ import annotations

import pytest
from hypothesis import given

from ._support import Program, programs, prop_settings, run_program


@pytest.mark.anyio
@given(program=programs(pauses=True, concurrent=True, factory_pauses=2))
@prop_settings(60)
async def test_deliveries_start_in_entry_order_one_at_a_time(program: Program) -> None:
    """Random agent graphs with overlapping subscriptions; publishes and RPCs from several
    concurrent tasks; handlers that pause mid-way, publish, and call other agents (nested,
    A -> B -> A, A -> A); async factories. Per agent, deliveries that are not re-entrant
    calls start in the order their messages entered the runtime, each subscriber sees a
    topic in publish order, no agent runs two handlers at once except within one RPC
    chain, every message arrives exactly once, and nothing deadlocks."""
    world = await run_program(program)
    assert world.order_errors() == []
    assert world.topic_order_errors() == []
    assert world.overlaps == []
    assert world.delivery_errors() == []
    assert world.reply_errors == []
    assert not +world.inside
