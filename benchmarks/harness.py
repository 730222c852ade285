"""Timing, repetition and statistics shared by every scenario.

A *trial* is one complete run of a scenario for one contender, in a fresh event loop
(``anyio.run``): setup, an untimed preparation phase, then the timed region bracketed by
:meth:`Stopwatch.start` and :meth:`Stopwatch.stop`. The trial returns how many units
(messages, deliveries, agents) the timed region processed.

:func:`compare` runs the trials of several contenders for one scenario. The first
repetition of each contender is an untimed warm-up; after it the order of the contenders
rotates from one repetition to the next, so a burst of load from elsewhere on the machine
is spread over all of them instead of always hitting the same one.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import anyio


class BenchmarkError(RuntimeError):
    """A scenario did not process what it should have: its numbers would be meaningless."""


def check(condition: bool, what: str) -> None:
    """Raise :class:`BenchmarkError` unless ``condition`` holds (unlike ``assert``, always on)."""
    if not condition:
        raise BenchmarkError(what)


class Stopwatch:
    """Marks the timed region of a trial; optionally the Python heap retained by it.

    ``start()`` collects garbage first, so collections of the setup's garbage are not
    charged to the timed region. With ``trace_memory`` (tracemalloc running), ``start()``
    also records the traced heap and :meth:`retained` reports the growth since then.
    """

    def __init__(self, trace_memory: bool = False) -> None:
        self.trace_memory = trace_memory
        self.elapsed = 0.0
        self.retained_bytes: int | None = None
        self._t0 = 0.0
        self._heap0 = 0

    def start(self) -> None:
        gc.collect()
        if self.trace_memory:
            self._heap0 = tracemalloc.get_traced_memory()[0]
        self._t0 = time.perf_counter()

    def stop(self) -> None:
        self.elapsed = time.perf_counter() - self._t0

    def retained(self) -> None:
        """Record the heap growth since :meth:`start` (after a collection)."""
        if self.trace_memory:
            gc.collect()
            self.retained_bytes = tracemalloc.get_traced_memory()[0] - self._heap0


Trial = Callable[[Stopwatch], Awaitable[int]]
"""An async function running one trial; returns the number of units timed."""


@dataclass(frozen=True)
class Contender:
    """Who runs a scenario: a library (or the bound) on one event-loop backend."""

    family: str  # "cantata", "autogen-core" or "bound"
    backend: str  # "asyncio" or "trio"

    @property
    def label(self) -> str:
        return f"{self.family}/{self.backend}"


@dataclass(frozen=True)
class Entry:
    contender: Contender
    trial: Trial
    memory: bool = False  # also run one untimed trial under tracemalloc


@dataclass
class Stats:
    """Rates of the timed repetitions of one contender in one scenario."""

    count: int
    rates: list[float]
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def low(self) -> float:
        return min(self.rates)

    @property
    def high(self) -> float:
        return max(self.rates)

    def as_json(self) -> dict[str, object]:
        return {
            "count": self.count,
            "median": round(self.median, 1),
            "min": round(self.low, 1),
            "max": round(self.high, 1),
            "rates": [round(rate, 1) for rate in self.rates],
            **self.extra,
        }


def run_trial(entry: Entry, *, trace_memory: bool = False) -> tuple[int, Stopwatch]:
    """Run one trial of ``entry`` in a fresh event loop."""
    watch = Stopwatch(trace_memory)
    gc.collect()
    if trace_memory:
        tracemalloc.start()
    try:
        count = anyio.run(entry.trial, watch, backend=entry.contender.backend)
    finally:
        if trace_memory:
            tracemalloc.stop()
    check(watch.elapsed > 0, f"{entry.contender.label}: the trial never stopped its stopwatch")
    return count, watch


def compare(entries: Sequence[Entry], reps: int, warmup: int = 1) -> dict[str, Stats]:
    """Run ``warmup + reps`` trials of every entry, interleaved; statistics by label."""
    timed: dict[str, list[tuple[int, float]]] = {e.contender.label: [] for e in entries}
    for rep in range(warmup + reps):
        shift = rep % len(entries)
        for entry in [*entries[shift:], *entries[:shift]]:
            count, watch = run_trial(entry)
            if rep >= warmup:
                timed[entry.contender.label].append((count, watch.elapsed))
    result: dict[str, Stats] = {}
    for entry in entries:
        runs = timed[entry.contender.label]
        stats = Stats(count=runs[0][0], rates=[count / seconds for count, seconds in runs])
        if entry.memory:
            count, watch = run_trial(entry, trace_memory=True)
            check(watch.retained_bytes is not None, "the memory trial recorded no heap size")
            stats.extra["bytes_per_agent"] = round((watch.retained_bytes or 0) / count, 1)
        result[entry.contender.label] = stats
    return result


def time_sync(work: Callable[[int], None], rounds: int) -> float:
    """Seconds taken by ``work(rounds)`` (a synchronous loop), after a collection."""
    gc.collect()
    t0 = time.perf_counter()
    work(rounds)
    return time.perf_counter() - t0
