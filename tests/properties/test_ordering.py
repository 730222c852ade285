"""Guarantee 1, ordering: per-recipient FIFO, per-topic order, actor semantics, re-entrancy."""

from __future__ import annotations

import pytest
from hypothesis import given

from ._support import Program, prop_settings, programs, run_program


@pytest.mark.anyio
@given(program=programs(pauses=True, concurrent=True, factory_pauses=2))
@prop_settings(60)
async def test_deliveries_start_in_entry_order_one_at_a_time(program: Program) -> None:
    world = await run_program(program)
    assert world.order_errors() == []
    assert world.topic_order_errors() == []
    assert world.overlaps == []
    assert world.delivery_errors() == []
    assert world.reply_errors == []
    assert not +world.inside
