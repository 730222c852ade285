"""Hypothesis strategies for cantata tests: message scripts and exploration settings.

Needs ``hypothesis`` (extra ``cantata[testing]``).

Example::

    from hypothesis import given, settings
    from cantata.testing import explore
    from cantata.testing.strategies import message_scripts, run_script

    @given(script=message_scripts([AgentId("counter", "a")], [], st.integers()))
    @settings(max_examples=20)
    def test_counter(script):
        async def scenario(runtime):
            await Counter.register(runtime, "counter", Counter)
            async with runtime:
                await run_script(runtime, script, concurrent=True)
                await runtime.stop_when_idle()
        explore(scenario, runs=20)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from hypothesis import strategies as st

from .._agent_id import AgentId
from .._runtime._single_threaded import SingleThreadedAgentRuntime
from .._topic import TopicId
from ._strategies import STRATEGIES

__all__ = [
    "Publish",
    "Send",
    "Step",
    "explore_settings",
    "message_scripts",
    "run_script",
]


@dataclass(frozen=True, slots=True)
class Send:
    """An RPC from outside any agent: ``runtime.send_message(message, recipient)``."""

    recipient: AgentId
    message: Any


@dataclass(frozen=True, slots=True)
class Publish:
    """``runtime.publish_message(message, topic)``."""

    topic: TopicId
    message: Any


Step = Send | Publish


def message_scripts(
    recipients: Sequence[AgentId],
    topics: Sequence[TopicId],
    messages: st.SearchStrategy[Any],
    *,
    min_size: int = 1,
    max_size: int = 10,
) -> st.SearchStrategy[list[Step]]:
    """Lists of sends (to ``recipients``) and publishes (to ``topics``) of ``messages``.

    Hypothesis shrinks a failing script towards fewer, simpler steps.

    Raises:
        ValueError: neither recipients nor topics are given.
    """
    options: list[st.SearchStrategy[Step]] = []
    if recipients:
        options.append(st.builds(Send, st.sampled_from(list(recipients)), messages))
    if topics:
        options.append(st.builds(Publish, st.sampled_from(list(topics)), messages))
    if not options:
        raise ValueError("message_scripts needs at least one recipient or topic")
    return st.lists(st.one_of(options), min_size=min_size, max_size=max_size)


async def run_script(
    runtime: SingleThreadedAgentRuntime, script: Sequence[Step], *, concurrent: bool = False
) -> list[Any]:
    """Play ``script`` into a running ``runtime``; return each step's result (``None`` for a
    publish), in script order.

    With ``concurrent=True`` every step starts in its own task at once (their order is then
    up to the scheduler, which is what :func:`~cantata.testing.explore` explores); otherwise
    each step is awaited before the next.
    """
    results: list[Any] = [None] * len(script)

    async def play(index: int, step: Step) -> None:
        if isinstance(step, Send):
            results[index] = await runtime.send_message(step.message, step.recipient)
        else:
            await runtime.publish_message(step.message, step.topic)

    if concurrent:
        async with anyio.create_task_group() as tg:
            for index, step in enumerate(script):
                tg.start_soon(play, index, step)
    else:
        for index, step in enumerate(script):
            await play(index, step)
    return results


def explore_settings(
    *, backends: Sequence[str] = ("asyncio", "trio")
) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for :func:`~cantata.testing.explore`: strategy, seed and backend."""
    return st.fixed_dictionaries(
        {
            "strategy": st.sampled_from(STRATEGIES),
            "seed": st.integers(min_value=0, max_value=2**32 - 1),
            "backend": st.sampled_from(list(backends)),
        }
    )
