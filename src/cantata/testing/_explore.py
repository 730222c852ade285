"""explore() and replay(): run a scenario under many schedules, and one schedule again."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from .._agent_id import AgentId
from .._cancellation_token import CancellationToken
from .._runtime._single_threaded import SingleThreadedAgentRuntime
from .._runtime._trace import DeliveryRecord
from ..exceptions import MessageCancelledError
from ..trace import TraceEvent, TraceRecorder
from ._asyncio_loop import ControlledEventLoop
from ._errors import ReplayDivergence, ScenarioHung, ScheduleFailure, StepLimitExceeded
from ._schedule import Schedule
from ._strategies import Chooser, GuidedChooser, ReplayChooser, Strategy
from ._trio_hooks import controlled_trio_scheduling

__all__ = ["ExploreReport", "ReplayResult", "Scenario", "explore", "replay"]

Scenario = Callable[[SingleThreadedAgentRuntime], Awaitable[None]]
"""``async def scenario(runtime) -> None``: registers agents, drives them, asserts."""

BACKENDS = ("asyncio", "trio")
DEFAULT_TIMEOUT = 86_400.0
"""A run's deadline in (virtual) seconds: one simulated day."""


@dataclass(frozen=True, slots=True)
class ExploreReport:
    """What :func:`explore` did when every run passed.

    Attributes:
        runs: Runs made.
        distinct_traces: Different delivery orders seen (by recipient, sender, kind and
            message type).
        steps: Scheduling decisions taken over all runs.
        max_run_steps: The most decisions one run took.
        elapsed: Wall-clock seconds for all runs.
        virtual_time: Logical seconds the runs' clocks advanced in total.
        strategy, seed, backend: As given.
    """

    runs: int
    distinct_traces: int
    steps: int
    max_run_steps: int
    elapsed: float
    virtual_time: float
    strategy: str
    seed: int
    backend: str

    @property
    def runs_per_second(self) -> float:
        return self.runs / self.elapsed if self.elapsed > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """A replayed run that passed: its delivery records and event trace."""

    trace: list[DeliveryRecord]
    events: list[TraceEvent]


@dataclass(slots=True)
class _Run:
    error: Exception | None
    decisions: tuple[int, ...]
    records: list[DeliveryRecord]
    events: list[TraceEvent] = field(default_factory=list)
    virtual_elapsed: float = 0.0


class _Scheduler:
    """The runtime's :class:`~cantata._runtime._scheduling.DeliveryScheduler` for a chooser."""

    __slots__ = ("_chooser",)

    def __init__(self, chooser: Chooser) -> None:
        self._chooser = chooser

    def choose(self, options: Sequence[AgentId]) -> int:
        return self._chooser.pick(options)

    def choose_resume(self, count: int) -> int:
        keys: list[Hashable] = [("resume", i) for i in range(count)]
        return self._chooser.pick(keys)


class _ObservedRuntime(SingleThreadedAgentRuntime):
    """The harness' runtime: notes RPC cancellations in the trace when one is recorded."""

    def __init__(self, *, scheduler: _Scheduler, recorder: TraceRecorder | None) -> None:
        super().__init__(scheduler=scheduler)
        self._harness_recorder = recorder

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        recorder = self._harness_recorder
        try:
            return await super().send_message(
                message,
                recipient,
                sender=sender,
                cancellation_token=cancellation_token,
                message_id=message_id,
            )
        except BaseException as exc:
            if recorder is not None and isinstance(
                exc, (MessageCancelledError, anyio.get_cancelled_exc_class())
            ):
                recorder.note(
                    type="cancel",
                    kind="rpc",
                    sender=None if sender is None else str(sender),
                    receiver=str(recipient),
                    payload=type(message).__name__,
                    detail=type(exc).__name__,
                )
            raise


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose 'asyncio' or 'trio'")


def _run_once(
    scenario: Scenario,
    *,
    backend: str,
    chooser: Chooser,
    virtual_time: bool,
    timeout: float,
    recorder: TraceRecorder | None,
) -> _Run:
    records: list[DeliveryRecord] = []
    clock: dict[str, float] = {}

    async def main() -> None:
        runtime = _ObservedRuntime(scheduler=_Scheduler(chooser), recorder=recorder)
        runtime.add_trace_hook(records.append)
        start = anyio.current_time()
        passed = False
        try:
            with anyio.CancelScope() as limit_scope:
                chooser.on_limit = limit_scope.cancel
                with anyio.move_on_after(timeout) as deadline:
                    await scenario(runtime)
            passed = True
        finally:
            clock["elapsed"] = anyio.current_time() - start
            await _stop_if_running(runtime, raise_errors=passed)
        if chooser.limit_hit:
            raise StepLimitExceeded(
                f"the run took more than {chooser.max_steps} scheduling decisions"
            )
        if deadline.cancelled_caught:
            raise ScenarioHung(
                f"the scenario did not finish within {timeout:g} "
                + (
                    "virtual seconds: every task was blocked with no timer left (deadlock)"
                    if virtual_time and timeout == DEFAULT_TIMEOUT
                    else ("virtual seconds" if virtual_time else "seconds")
                )
            )

    error: Exception | None = None
    try:
        if recorder is None:
            _run_backend(main, backend, chooser, virtual_time)
        else:
            with recorder.attach():
                try:
                    _run_backend(main, backend, chooser, virtual_time)
                except Exception as exc:
                    recorder.note(type="outcome", error=f"{type(exc).__name__}: {exc}")
                    raise
                recorder.note(type="outcome", error=None)
    except Exception as exc:
        error = exc
    return _Run(
        error,
        tuple(chooser.decisions),
        records,
        recorder.events if recorder is not None else [],
        clock.get("elapsed", 0.0),
    )


async def _stop_if_running(runtime: SingleThreadedAgentRuntime, *, raise_errors: bool) -> None:
    """Stop a runtime the scenario left running (``start()`` without a stop)."""
    with anyio.CancelScope(shield=True), anyio.move_on_after(60.0):
        try:
            await runtime.stop(cancel_in_flight=True)
        except RuntimeError as exc:
            if raise_errors and "not started" not in str(exc):
                raise
        except Exception:
            if raise_errors:
                raise


def _run_backend(
    main: Callable[[], Awaitable[None]], backend: str, chooser: Chooser, virtual_time: bool
) -> None:
    if backend == "asyncio":
        factory = partial(ControlledEventLoop, chooser, virtual_time=virtual_time)
        anyio.run(main, backend="asyncio", backend_options={"loop_factory": factory})
        return
    options: dict[str, Any] = {}
    if virtual_time:
        from trio.testing import MockClock

        options["clock"] = MockClock(autojump_threshold=0)
    with controlled_trio_scheduling(chooser):
        anyio.run(main, backend="trio", backend_options=options)


def _digest(records: list[DeliveryRecord]) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for r in records:
        h.update(
            f"{r.kind}|{r.sender}|{r.recipient}|{r.topic_id}|{type(r.message).__name__}\n".encode()
        )
    return h.digest()


def _name(scenario: Scenario) -> str:
    return getattr(scenario, "__qualname__", None) or type(scenario).__name__


def explore(
    scenario: Scenario,
    *,
    runs: int = 100,
    strategy: str = "pct",
    seed: int = 0,
    backend: str = "asyncio",
    virtual_time: bool = True,
    max_steps: int = 10_000,
    depth: int = 3,
    timeout: float = DEFAULT_TIMEOUT,
    trace_dir: str | Path | None = None,
    shrink: int = 100,
) -> ExploreReport:
    """Run ``scenario`` under ``runs`` schedules; raise :class:`ScheduleFailure` on the first
    failing one, else return an :class:`ExploreReport`.

    Each run gets a fresh, not yet started runtime, in an event loop the harness owns (on
    asyncio a :class:`~cantata.testing._asyncio_loop.ControlledEventLoop`, on Trio
    ``MockClock(autojump_threshold=0)`` and the scheduler hook of
    :mod:`cantata.testing._trio_hooks`). Run ``i`` is seeded by ``(strategy, seed, i)``;
    the same arguments explore the same schedules in the same order.

    Args:
        scenario: ``async def scenario(runtime)``; it fails by raising.
        runs: How many runs (schedules) to try.
        strategy: ``"fifo"`` (the plain runtime's order), ``"random"`` or ``"pct"``.
        seed: Seeds the strategy.
        backend: ``"asyncio"`` or ``"trio"``.
        virtual_time: Run on a logical clock that jumps to the next deadline whenever every
            task is blocked (sleeps take no wall time). ``False`` uses the real clock.
        max_steps: Scheduling decisions allowed per run before it fails with
            :class:`StepLimitExceeded`.
        depth: PCT's bug depth ``d`` (``d - 1`` priority change points per run).
        timeout: A run's deadline in (virtual) seconds; reaching it fails the run with
            :class:`ScenarioHung` (under virtual time: a deadlock).
        trace_dir: If given, a failure writes ``failure.jsonl``, ``failure.html`` and
            ``failure.mmd`` there.
        shrink: Extra runs allowed to shrink a failing schedule: the harness looks for a
            schedule that fails the same way (same exception type) with fewer deviations
            from FIFO order (fewer context switches), and reports that one. 0 disables it.

    Raises:
        ScheduleFailure: A run failed; the scenario's exception is its ``__cause__``.
        ValueError: Bad arguments.
    """
    _check_backend(backend)
    if runs < 1:
        raise ValueError(f"runs must be at least 1, not {runs}")
    plan = Strategy(strategy, seed, depth, max_steps)
    digests: set[bytes] = set()
    steps = max_run = 0
    virtual = 0.0
    started = time.perf_counter()
    for index in range(runs):
        chooser = plan.chooser(index)
        run = _run_once(
            scenario,
            backend=backend,
            chooser=chooser,
            virtual_time=virtual_time,
            timeout=timeout,
            recorder=None,
        )
        plan.finished(chooser)
        steps += len(run.decisions)
        max_run = max(max_run, len(run.decisions))
        virtual += run.virtual_elapsed
        if run.error is not None:
            original = len(run.decisions) - run.decisions.count(0)
            if shrink > 0:
                run = _shrink(
                    scenario,
                    run,
                    backend=backend,
                    virtual_time=virtual_time,
                    timeout=timeout,
                    max_steps=max_steps,
                    budget=shrink,
                )
            assert run.error is not None
            schedule = Schedule(backend, virtual_time, run.decisions)
            raise _failure(
                scenario,
                run,
                schedule,
                strategy=strategy,
                seed=seed,
                run_index=index,
                runs=runs,
                timeout=timeout,
                trace_dir=trace_dir,
                original_deviations=original,
            ) from run.error
        digests.add(_digest(run.records))
    return ExploreReport(
        runs=runs,
        distinct_traces=len(digests),
        steps=steps,
        max_run_steps=max_run,
        elapsed=time.perf_counter() - started,
        virtual_time=virtual,
        strategy=strategy,
        seed=seed,
        backend=backend,
    )


def _failure(
    scenario: Scenario,
    run: _Run,
    schedule: Schedule,
    *,
    strategy: str,
    seed: int | None,
    run_index: int | None,
    runs: int | None,
    timeout: float,
    trace_dir: str | Path | None,
    original_deviations: int | None = None,
) -> ScheduleFailure:
    """Build the failure; replay the schedule once with a recorder to get the event trace."""
    assert run.error is not None
    events = run.events
    note = ""
    if not events:
        replayer = ReplayChooser(schedule.decisions)
        again = _run_once(
            scenario,
            backend=schedule.backend,
            chooser=replayer,
            virtual_time=schedule.virtual_time,
            timeout=timeout,
            recorder=TraceRecorder(metadata=_metadata(schedule, strategy, seed, run_index)),
        )
        events = again.events
        if replayer.divergence is not None or type(again.error) is not type(run.error):
            note = (
                "\nnote: replaying this schedule did not fail the same way; the scenario "
                "depends on something the harness does not control (see cantata.testing)"
            )
    where = (
        f"run {run_index + 1} of {runs} (strategy {strategy!r}, seed {seed}, "
        if run_index is not None
        else "replay ("
    )
    deviations = len(schedule.decisions) - schedule.decisions.count(0)
    shrunk = (
        f", shrunk from {original_deviations}"
        if original_deviations is not None and original_deviations != deviations
        else ""
    )
    message = (
        f"{_name(scenario)} failed on {where}backend {schedule.backend!r}, "
        f"{len(schedule.decisions)} decisions, {deviations} off FIFO{shrunk}): "
        f"{type(run.error).__name__}: {run.error}\n"
        f"replay: cantata.testing.replay({_name(scenario)}, {str(schedule)!r})"
        f"{note}"
    )
    failure = ScheduleFailure(
        message,
        seed=seed,
        run_index=run_index,
        strategy=strategy,
        schedule=schedule,
        trace=run.records,
        events=events,
    )
    if trace_dir is not None:
        out = Path(trace_dir)
        out.mkdir(parents=True, exist_ok=True)
        failure.write_trace(out / "failure.jsonl")
        failure.write_html(out / "failure.html")
        failure.write_mermaid(out / "failure.mmd")
        failure.args = (f"{message}\ntrace: {out / 'failure.html'}",)
    return failure


def _shrink(
    scenario: Scenario,
    run: _Run,
    *,
    backend: str,
    virtual_time: bool,
    timeout: float,
    max_steps: int,
    budget: int,
) -> _Run:
    """A run that fails like ``run`` with fewer non-FIFO decisions, within ``budget`` runs.

    Greedy: first the shortest prefix of the decisions (then FIFO) that still fails, then
    each remaining non-FIFO decision set to FIFO, last first. A candidate counts only if it
    fails with the same exception type; its recorded decisions replay it exactly.
    """
    assert run.error is not None
    kind = type(run.error)
    best = run
    spent = 0

    def size(r: _Run) -> int:
        return len(r.decisions) - r.decisions.count(0)

    def attempt(guide: Sequence[int]) -> _Run | None:
        nonlocal spent
        spent += 1
        chooser = GuidedChooser(guide, max_steps)
        candidate = _run_once(
            scenario,
            backend=backend,
            chooser=chooser,
            virtual_time=virtual_time,
            timeout=timeout,
            recorder=None,
        )
        if type(candidate.error) is kind and size(candidate) < size(best):
            return candidate
        return None

    # 1. the shortest failing prefix
    cuts = [i + 1 for i, d in enumerate(best.decisions) if d]
    for cut in [0, *cuts[:-1]]:
        if spent >= budget:
            return best
        found = attempt(best.decisions[:cut])
        if found is not None:
            best = found
            break
    # 2. drop single deviations, last first, until nothing more goes
    progress = True
    while progress and spent < budget:
        progress = False
        for i in reversed([i for i, d in enumerate(best.decisions) if d]):
            if spent >= budget:
                break
            guide = list(best.decisions)
            guide[i] = 0
            found = attempt(guide)
            if found is not None:
                best = found
                progress = True
                break
    return best


def _metadata(
    schedule: Schedule, strategy: str, seed: int | None, run_index: int | None
) -> dict[str, Any]:
    return {
        "backend": schedule.backend,
        "virtual_time": schedule.virtual_time,
        "strategy": strategy,
        "seed": seed,
        "run_index": run_index,
        "schedule": str(schedule),
    }


def replay(
    scenario: Scenario,
    schedule: Schedule | str,
    *,
    backend: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ReplayResult:
    """Run ``scenario`` again under exactly ``schedule`` (a :class:`Schedule` or its token).

    Returns the run's trace if it passes. A schedule taken from a :class:`ScheduleFailure`
    fails again, every time, with the same exception type.

    Raises:
        ScheduleFailure: The run failed (the scenario's exception is ``__cause__``).
        ReplayDivergence: The run asked for decisions the schedule does not have (the
            scenario is not deterministic under the harness).
        ValueError: ``schedule`` is malformed, or ``backend`` differs from its backend.
    """
    sched = Schedule.parse(schedule) if isinstance(schedule, str) else schedule
    if backend is not None:
        _check_backend(backend)
        if backend != sched.backend:
            raise ValueError(
                f"the schedule was taken on {sched.backend!r}; it cannot replay on {backend!r}"
            )
    chooser = ReplayChooser(sched.decisions)
    recorder = TraceRecorder(metadata=_metadata(sched, "replay", None, None))
    run = _run_once(
        scenario,
        backend=sched.backend,
        chooser=chooser,
        virtual_time=sched.virtual_time,
        timeout=timeout,
        recorder=recorder,
    )
    divergence = chooser.divergence
    if divergence is None and len(run.decisions) != len(sched.decisions):
        divergence = f"the run ended after {len(run.decisions)} of {len(sched.decisions)} decisions"
    if divergence is not None:
        raise ReplayDivergence(
            f"replaying {_name(scenario)} diverged from the schedule: {divergence}"
        ) from run.error
    if run.error is not None:
        raise _failure(
            scenario,
            run,
            sched,
            strategy="replay",
            seed=None,
            run_index=None,
            runs=None,
            timeout=timeout,
            trace_dir=None,
        ) from run.error
    return ReplayResult(run.records, run.events)
