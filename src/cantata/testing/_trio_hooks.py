"""The one place that reaches into Trio's scheduler (private API, isolated here).

Trio runs the tasks that became runnable together (a *batch*) in an order it randomizes on
purpose. When ``trio._core._run._ALLOW_DETERMINISTIC_SCHEDULING`` is true (Trio sets it for
Hypothesis), it sorts each batch by task creation order and calls ``_r.shuffle(batch)``,
then runs the batch from the end. Replacing ``_r`` with an object whose ``shuffle`` asks a
:class:`~cantata.testing._strategies.Chooser` lets a strategy choose which woken task runs
first, one pick per position (index 0 = the oldest task).

Tested with Trio 0.35. Both names are checked before use; if a Trio version lacks them,
the harness warns with :class:`UncontrolledSchedulingWarning` and controls only the
runtime's own decisions. The patch is process-wide while a run lasts: do not explore Trio
scenarios from several threads at once.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator, MutableSequence
from contextlib import contextmanager
from typing import Any

from ._strategies import Chooser

__all__ = ["TESTED_TRIO_VERSIONS", "UncontrolledSchedulingWarning", "controlled_trio_scheduling"]

TESTED_TRIO_VERSIONS = ("0.35",)


class UncontrolledSchedulingWarning(UserWarning):
    """The harness cannot control part of the scheduling on this backend or version."""


class _ChoosingRandom(random.Random):
    """Trio's batch shuffler, answering from a chooser (other methods stay seeded)."""

    def __init__(self, chooser: Chooser) -> None:
        super().__init__(0)
        self._chooser = chooser

    def shuffle(self, x: MutableSequence[Any]) -> None:
        remaining = list(x)  # sorted by creation order
        order = []
        while len(remaining) > 1:
            order.append(remaining.pop(self._chooser.pick(remaining)))
        order.extend(remaining)
        order.reverse()  # Trio pops the batch from the end
        x[:] = order


@contextmanager
def controlled_trio_scheduling(chooser: Chooser) -> Iterator[bool]:
    """Let ``chooser`` order Trio's runnable batches in the block; yields whether it can."""
    import trio

    run_module: Any = getattr(getattr(trio, "_core", None), "_run", None)
    if (
        run_module is None
        or not isinstance(getattr(run_module, "_r", None), random.Random)
        or not hasattr(run_module, "_ALLOW_DETERMINISTIC_SCHEDULING")
    ):
        warnings.warn(
            f"Trio {trio.__version__} does not offer the scheduler hook cantata.testing uses "
            f"(tested: {', '.join(TESTED_TRIO_VERSIONS)}); only the runtime's delivery order "
            "is explored",
            UncontrolledSchedulingWarning,
            stacklevel=3,
        )
        yield False
        return
    old_r, old_allow = run_module._r, run_module._ALLOW_DETERMINISTIC_SCHEDULING
    run_module._r = _ChoosingRandom(chooser)
    run_module._ALLOW_DETERMINISTIC_SCHEDULING = True
    try:
        yield True
    finally:
        run_module._r = old_r
        run_module._ALLOW_DETERMINISTIC_SCHEDULING = old_allow
