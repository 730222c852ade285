"""What the harness raises."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..trace import TraceEvent, render_html, render_mermaid, write_trace

if TYPE_CHECKING:
    from .._runtime._trace import DeliveryRecord
    from ._schedule import Schedule

__all__ = ["ReplayDivergence", "ScenarioHung", "ScheduleFailure", "StepLimitExceeded"]


class ScenarioHung(Exception):
    """The scenario did not finish before the run's deadline (``timeout``).

    Under virtual time the clock only jumps to the deadline when every task is blocked and no
    earlier timer is pending: the run is deadlocked (agents waiting on each other).
    """


class StepLimitExceeded(Exception):
    """The run took more than ``max_steps`` scheduling decisions (a livelock, or raise it)."""


class ReplayDivergence(Exception):
    """A replayed run asked for decisions the schedule does not have.

    The scenario is not deterministic under the harness: it depends on something the harness
    does not control (real I/O, threads, wall-clock time, an unseeded random generator, a
    changed scenario or cantata version).
    """


class ScheduleFailure(AssertionError):
    """A run of an explored scenario failed; everything needed to replay and inspect it.

    The scenario's exception is ``__cause__``. ``str()`` ends with the line that replays the
    run.

    Attributes:
        seed: The exploration seed.
        run_index: Which run (0-based) failed.
        strategy: The strategy's name (``"replay"`` for a replayed schedule).
        schedule: The failing run's decisions; ``str(schedule)`` is a one-line token that
            :func:`cantata.testing.replay` accepts.
        trace: The failing run's delivery records (what ran, in order).
        events: The failing run's full event trace (see :mod:`cantata.trace`).
    """

    def __init__(
        self,
        message: str,
        *,
        seed: int | None,
        run_index: int | None,
        strategy: str,
        schedule: Schedule,
        trace: list[DeliveryRecord],
        events: list[TraceEvent],
    ) -> None:
        super().__init__(message)
        self.seed = seed
        self.run_index = run_index
        self.strategy = strategy
        self.schedule = schedule
        self.trace = trace
        self.events = events

    @property
    def replay_line(self) -> str:
        """The Python line that replays this failure."""
        return f"cantata.testing.replay(scenario, {str(self.schedule)!r})"

    def write_trace(self, path: str | Path) -> Path:
        """Write the failing run's events as JSON lines."""
        return write_trace(self.events, path)

    def write_html(self, path: str | Path) -> Path:
        """Draw the failing run as a self-contained HTML page."""
        out = Path(path)
        out.write_text(render_html(self.events, title="cantata: failing run"), encoding="utf-8")
        return out

    def write_mermaid(self, path: str | Path) -> Path:
        """Write the failing run as a Mermaid sequence diagram."""
        out = Path(path)
        out.write_text(render_mermaid(self.events), encoding="utf-8")
        return out
