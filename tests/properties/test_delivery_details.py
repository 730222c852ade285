"""Guarantee 7, delivery details: one delivery per subscribed agent, sender's context."""

from __future__ import annotations

from collections import Counter

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cantata import AgentId, SingleThreadedAgentRuntime, TopicId

from ._support import (
    KEYS,
    TIMEOUT,
    TOPIC_TYPES,
    TYPES,
    Graph,
    Program,
    Publish,
    World,
    graphs,
    programs,
    prop_settings,
    run_program,
)

PUBLISHES = st.lists(
    st.tuples(
        st.sampled_from(TOPIC_TYPES),
        st.sampled_from(KEYS),
        st.none() | st.tuples(st.sampled_from(TYPES), st.sampled_from(KEYS)),
    ),
    min_size=1,
    max_size=10,
)


@pytest.mark.anyio
@given(graph=graphs(), publishes=PUBLISHES)
@prop_settings(60)
async def test_publish_reaches_each_subscribed_agent_once(
    graph: Graph, publishes: list[tuple[str, str, tuple[str, str] | None]]
) -> None:
    """Overlapping type, default and prefix subscriptions that map a topic to the same
    agent give that agent one delivery; the publishing agent gets none."""
    runtime = SingleThreadedAgentRuntime()
    world = World(graph, runtime)
    await world.setup()
    with anyio.fail_after(TIMEOUT):
        async with runtime:
            for topic, key, sender in publishes:
                agent = AgentId(*sender) if sender is not None else None
                chain = (agent,) if agent is not None else ()
                await world.perform(Publish(topic, key, ()), agent, chain)
            await runtime.stop_when_idle()
    assert world.delivery_errors() == []
    traced = Counter((record.message.seq, record.recipient) for record in world.trace.records)
    assert traced == world.expected
    for n, (topic, key, sender) in enumerate(publishes, start=1):
        model = graph.recipients(TopicId(topic, key)) - ({AgentId(*sender)} if sender else set())
        assert {agent for seq, agent in traced if seq == n} == model


@pytest.mark.anyio
@given(program=programs(pauses=True, concurrent=True))
@prop_settings(40)
async def test_handlers_see_the_context_variables_of_their_sender(program: Program) -> None:
    """Every sender sets a context variable just before it sends; each handler (inline,
    queued, published, nested) sees the value of its own sender."""
    world = await run_program(program)
    assert world.context_errors == []
    assert world.delivery_errors() == []


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@given(program=programs(pauses=True, concurrent=True))
@prop_settings(20)
async def test_handlers_see_the_senders_context_in_start_form(program: Program) -> None:
    world = await run_program(program, form="start")
    assert world.context_errors == []
