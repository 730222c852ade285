"""Systematic concurrency testing for cantata: explore interleavings, replay failures, run
on virtual time.

* :func:`explore` runs an ``async def scenario(runtime)`` under many schedules chosen by a
  strategy (``"fifo"``, ``"random"``, ``"pct"``) and raises :class:`ScheduleFailure` with
  the failing schedule, its trace, and the line that replays it.
* :func:`replay` runs one schedule again, exactly.
* The pytest plugin (``@pytest.mark.explore``) and :mod:`cantata.testing.strategies`
  (Hypothesis strategies for message scripts) build on these.

What a run controls: which ready delivery the runtime starts next and which ready RPC caller
resumes first (the runtime's :class:`~cantata._runtime._scheduling.DeliveryScheduler`
hook); which ready task or callback runs next in the event loop (asyncio: every
``call_soon`` callback; Trio: the order of each batch of woken tasks); and so the order of
timers that expire together. With ``virtual_time`` the clock is logical. Not controlled:
threads, real I/O readiness, wall-clock reads (``time.time()``), unseeded random numbers.
"""

from ._errors import ReplayDivergence, ScenarioHung, ScheduleFailure, StepLimitExceeded
from ._explore import ExploreReport, ReplayResult, Scenario, explore, replay
from ._schedule import Schedule
from ._strategies import STRATEGIES
from ._trio_hooks import TESTED_TRIO_VERSIONS, UncontrolledSchedulingWarning

__all__ = [
    "STRATEGIES",
    "TESTED_TRIO_VERSIONS",
    "ExploreReport",
    "ReplayDivergence",
    "ReplayResult",
    "Scenario",
    "ScenarioHung",
    "Schedule",
    "ScheduleFailure",
    "StepLimitExceeded",
    "UncontrolledSchedulingWarning",
    "explore",
    "replay",
]
