"""cantata.testing: explored runs per second, and runs-to-find for the seeded bugs.

    python benchmarks/explore.py [--runs 300] [--seeds 10]

Prints (1) explored runs per second of a small scenario (three agents, RPCs and publishes)
per strategy and backend, next to the same scenario on the plain runtime; (2) for every
seeded bug in ``tests/_seeded_bugs.py``, the median number of runs until ``random`` and
``pct`` find it, over several seeds (``>N`` when a seed found nothing within the budget).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _seeded_bugs import SEEDED_BUGS

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from cantata.testing import ScheduleFailure, explore


@dataclass
class Ping:
    n: int


class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echo")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> int:
        if message.n % 2:
            await self.publish_message(Ping(message.n + 1), TopicId("pings", "default"))
        return message.n


async def small(runtime: SingleThreadedAgentRuntime) -> None:
    await Echo.register(runtime, "echo", Echo)
    await runtime.add_subscription(TypeSubscription("pings", "echo"))
    async with runtime:
        for key in ("a", "b", "c"):
            await runtime.publish_message(Ping(1), TopicId("pings", key))
        await runtime.send_message(Ping(2), AgentId("echo", "a"))
        await runtime.stop_when_idle()


def throughput(runs: int) -> None:
    print("explored runs per second (small scenario: 3 agents, publishes and RPCs)")
    for backend in ("asyncio", "trio"):
        started = time.perf_counter()
        for _ in range(runs):
            anyio.run(small, SingleThreadedAgentRuntime(), backend=backend)
        plain = runs / (time.perf_counter() - started)
        print(f"  {backend:8s} plain runtime (anyio.run per run): {plain:8.0f} runs/s")
        for strategy in ("fifo", "random", "pct"):
            report = explore(small, runs=runs, strategy=strategy, backend=backend)
            print(
                f"  {backend:8s} explore {strategy:6s}: {report.runs_per_second:8.0f} runs/s"
                f"  ({report.distinct_traces} distinct traces, {report.steps} decisions)"
            )


def runs_to_find(budget: int, seeds: int) -> None:
    print(f"\nmedian runs to find each seeded bug ({seeds} seeds, budget {budget} runs)")
    print("| bug | backend | random | pct |")
    print("| --- | --- | --- | --- |")
    for name, make in SEEDED_BUGS.items():
        for backend in ("asyncio", "trio"):
            cells = []
            for strategy in ("random", "pct"):
                found: list[float] = []
                for seed in range(seeds):
                    try:
                        explore(make(), runs=budget, strategy=strategy, seed=seed, backend=backend)
                        found.append(float("inf"))
                    except ScheduleFailure as failure:
                        assert failure.run_index is not None
                        found.append(failure.run_index + 1)
                median = statistics.median(found)
                cells.append(f">{budget}" if median == float("inf") else f"{median:g}")
            print(f"| {name} | {backend} | {cells[0]} | {cells[1]} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    throughput(args.runs)
    runs_to_find(args.runs, args.seeds)


if __name__ == "__main__":
    main()
