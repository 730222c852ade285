"""Strategies: how a run chooses among the candidates at each scheduling decision.

Every decision point offers candidates in FIFO order with a stable *key* each (an agent id
for deliveries, a task for the event loop); a strategy returns an index. ``fifo`` always
takes 0; ``random`` picks uniformly; ``pct`` is probabilistic concurrency testing
(Burckhardt et al., ASPLOS 2010): every key gets a random priority, the highest-priority
candidate runs, and at ``depth - 1`` random steps the running key drops below all others.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence

__all__ = [
    "BACKGROUND",
    "STRATEGIES",
    "Chooser",
    "GuidedChooser",
    "ReplayChooser",
    "Strategy",
    "make_strategy",
]

STRATEGIES = ("fifo", "random", "pct")

BACKGROUND: Hashable = "cantata.testing:background"
"""The key of event-loop callbacks that belong to no task (e.g. a cancel-delivery retry).

PCT ranks them below every task, in FIFO order among themselves: a callback that
re-schedules itself until some task acts would otherwise starve that task forever.
"""


class Chooser:
    """The decision maker of one run: records every decision, counts steps, enforces limits.

    ``pick`` is called with the candidates' keys (two or more) and returns an index. After
    ``max_steps`` decisions it calls ``on_limit`` once and answers 0 (FIFO) from then on, so
    the run can wind down.
    """

    def __init__(self, max_steps: int) -> None:
        self.decisions: list[int] = []
        self.max_steps = max_steps
        self.limit_hit = False
        self.on_limit: Callable[[], None] | None = None

    @property
    def steps(self) -> int:
        return len(self.decisions)

    def pick(self, keys: Sequence[Hashable]) -> int:
        if self.limit_hit:
            return 0
        if len(self.decisions) >= self.max_steps:
            self.limit_hit = True
            if self.on_limit is not None:
                self.on_limit()
            return 0
        index = self._choose(keys)
        self.decisions.append(index)
        return index

    def _choose(self, keys: Sequence[Hashable]) -> int:
        return 0


class _RandomChooser(Chooser):
    def __init__(self, max_steps: int, rng: random.Random) -> None:
        super().__init__(max_steps)
        self._rng = rng

    def _choose(self, keys: Sequence[Hashable]) -> int:
        return self._rng.randrange(len(keys))


class _PCTChooser(Chooser):
    def __init__(self, max_steps: int, rng: random.Random, depth: int, horizon: int) -> None:
        super().__init__(max_steps)
        self._rng = rng
        self._priority: dict[Hashable, float] = {}
        self._lowest = 0.0
        self._change_points = set(rng.sample(range(1, horizon + 1), min(depth - 1, horizon)))

    def _choose(self, keys: Sequence[Hashable]) -> int:
        priority = self._priority
        for key in keys:
            if key not in priority:
                # tasks rank above every lowered priority; background callbacks below all
                priority[key] = -1e18 if key == BACKGROUND else self._rng.random() + 1.0
        best = max(range(len(keys)), key=lambda i: priority[keys[i]])
        if len(self.decisions) + 1 in self._change_points:
            if keys[best] != BACKGROUND:
                self._lowest -= 1.0
                priority[keys[best]] = self._lowest
            best = max(range(len(keys)), key=lambda i: priority[keys[i]])
        return best


class ReplayChooser(Chooser):
    """Answers with recorded decisions; notes a divergence instead of guessing.

    When the recorded decisions run out, the run stops as if it hit its step limit (a
    replayed :class:`StepLimitExceeded` failure fails the same way).
    """

    def __init__(self, decisions: Sequence[int]) -> None:
        super().__init__(max_steps=len(decisions))
        self._script = tuple(decisions)
        self.divergence: str | None = None

    def pick(self, keys: Sequence[Hashable]) -> int:
        step = len(self.decisions)
        if self.limit_hit:
            return 0
        if step >= len(self._script):
            return super().pick(keys)  # trips the limit
        if self.divergence is None and self._script[step] >= len(keys):
            self.divergence = (
                f"decision {step} chose {self._script[step]} of {len(keys)} candidates"
            )
        index = 0 if self.divergence is not None else self._script[step]
        self.decisions.append(index)
        return index


class GuidedChooser(Chooser):
    """Follows ``guide`` where it fits, FIFO (0) elsewhere; used to shrink a schedule."""

    def __init__(self, guide: Sequence[int], max_steps: int) -> None:
        super().__init__(max_steps)
        self._guide = tuple(guide)

    def _choose(self, keys: Sequence[Hashable]) -> int:
        step = len(self.decisions)
        if step < len(self._guide) and self._guide[step] < len(keys):
            return self._guide[step]
        return 0


class Strategy:
    """Makes one :class:`Chooser` per run; runs are seeded by ``(seed, run_index)``."""

    def __init__(self, name: str, seed: int, depth: int, max_steps: int) -> None:
        if name not in STRATEGIES:
            raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
        if depth < 1:
            raise ValueError(f"pct depth must be at least 1, not {depth}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, not {max_steps}")
        self.name = name
        self.seed = seed
        self.depth = depth
        self.max_steps = max_steps
        self._horizon = 16  # PCT's estimate of the steps per run; grows with what runs show

    def chooser(self, run_index: int) -> Chooser:
        rng = random.Random(f"cantata:{self.name}:{self.seed}:{run_index}")
        if self.name == "fifo":
            return Chooser(self.max_steps)
        if self.name == "random":
            return _RandomChooser(self.max_steps, rng)
        return _PCTChooser(self.max_steps, rng, self.depth, self._horizon)

    def finished(self, chooser: Chooser) -> None:
        """Learn from a finished run (PCT places change points within the steps seen)."""
        self._horizon = max(self._horizon, chooser.steps)


def make_strategy(name: str, seed: int, depth: int, max_steps: int) -> Strategy:
    return Strategy(name, seed, depth, max_steps)
