"""Dispatch benchmarks of cantata, side by side with autogen-core and a raw-AnyIO bound.

    python benchmarks/run.py [--quick] [--out results.json] [--chart chart.png]

Every runtime scenario runs cantata on asyncio and on Trio, autogen-core on asyncio when it
is installed, and the raw-AnyIO lower bound on both backends, interleaved in one process.
The run prints the tables and the targets of the benchmark issue, writes every number to a
JSON file and draws a PNG chart. See benchmarks/README.md for the scenarios.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import bound
import chart
import report
import scenarios
import serialization
from harness import Contender, Entry, Stats, compare
from scenarios import CellRates, Library, Sizes

HERE = Path(__file__).resolve().parent
AUTOGEN_SCALE = 0.1
"""autogen-core runs 1/10 of the messages (same keys, callers, subscribers and stages)."""
BOUND_SCALE = 3.0
"""The bound runs 3x the messages, so its timed regions are not just a few milliseconds."""

QUICK_AUTOGEN_SUBSCRIPTIONS = (1, 1_000)
"""In --quick, autogen-core skips 10,000 subscriptions: registering them takes ~15 s."""

ALL = [*scenarios.SCENARIOS, "subscriptions_scale", "serialization"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller runs, 3 repetitions")
    parser.add_argument("--reps", type=int, help="timed repetitions (default 5, --quick 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed repetitions first")
    parser.add_argument(
        "--scenarios", default=",".join(ALL), help=f"comma list of {', '.join(ALL)}"
    )
    parser.add_argument(
        "--without-autogen", action="store_true", help="leave autogen-core out even if installed"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "results" / "latest.json", help="JSON results"
    )
    parser.add_argument(
        "--chart", type=Path, default=HERE / "results" / "chart.png", help="PNG chart"
    )
    args = parser.parse_args(argv)
    unknown = set(args.scenarios.split(",")) - set(ALL)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.reps is None:
        args.reps = 3 if args.quick else 5
    if args.reps < 1 or args.warmup < 0:
        parser.error("--reps must be >= 1 and --warmup >= 0")
    return args


def trio_available() -> bool:
    try:
        import trio  # noqa: F401
    except ImportError:
        return False
    return True


class Run:
    """The contenders of this run and the sizes each gets."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results = report.Results()
        self.backends = ["asyncio", "trio"] if trio_available() else ["asyncio"]
        if "trio" not in self.backends:
            self.results.notes.append("trio is not installed: asyncio only")
        cantata = Library.load(report.CANTATA, "cantata")
        if cantata is None:
            sys.exit("cantata is not importable: pip install -e . first")
        self.cantata = cantata
        self.autogen = (
            None if args.without_autogen else Library.load(report.AUTOGEN, "autogen_core")
        )
        if self.autogen is None:
            why = "left out (--without-autogen)" if args.without_autogen else "not installed"
            self.results.notes.append(f"autogen-core {why}: no comparison with it")
        self.sizes: Sizes = scenarios.QUICK if args.quick else scenarios.FULL
        self.autogen_sizes = self.sizes.scaled(AUTOGEN_SCALE)
        self.bound_sizes = self.sizes.scaled(BOUND_SCALE)
        if args.quick:
            self.autogen_sizes = replace(
                self.autogen_sizes, subscription_counts=QUICK_AUTOGEN_SUBSCRIPTIONS
            )

    def sizes_of(self, label: str) -> Sizes:
        if label.startswith(report.AUTOGEN):
            return self.autogen_sizes
        return self.bound_sizes if label.startswith(report.BOUND) else self.sizes

    def runtime_entries(self, name: str) -> list[Entry]:
        make, _ = scenarios.SCENARIOS[name]
        memory = name == "spawn"
        entries = [
            Entry(Contender(report.CANTATA, b), make(self.cantata, self.sizes), memory)
            for b in self.backends
        ]
        if self.autogen is not None:
            trial = make(self.autogen, self.autogen_sizes)
            entries.append(Entry(Contender(report.AUTOGEN, "asyncio"), trial, memory))
        entries += [
            Entry(Contender(report.BOUND, b), bound.SCENARIOS[name](self.bound_sizes), memory)
            for b in self.backends
        ]
        return entries

    def run_runtime_scenario(self, name: str) -> None:
        _, unit = scenarios.SCENARIOS[name]
        stats = compare(self.runtime_entries(name), self.args.reps, self.args.warmup)
        self.results.units[name] = unit
        self.results.scenarios[name] = stats
        progress(name, {label: s.median for label, s in stats.items()}, unit)

    def run_subscriptions_scale(self) -> None:
        reps, warmup = self.args.reps, self.args.warmup
        counts = self.sizes.subscription_counts
        jobs: list[tuple[Contender, Callable[[], Awaitable[CellRates]]]] = []
        for b in self.backends:
            mine = partial(
                scenarios.subscriptions_scale, self.cantata, self.sizes, counts, reps, warmup
            )
            jobs.append((Contender(report.CANTATA, b), mine))
        if self.autogen is not None:
            fewer = self.autogen_sizes.subscription_counts
            if fewer != counts:
                shown = " and ".join(f"{c:,}" for c in fewer)
                self.results.notes.append(
                    f"subscriptions_scale: in --quick, autogen-core runs with {shown} unrelated"
                    " subscriptions only (registering 10,000 takes it about 15 s)"
                )
            theirs = partial(
                scenarios.subscriptions_scale, self.autogen, self.autogen_sizes, fewer, reps, warmup
            )
            jobs.append((Contender(report.AUTOGEN, "asyncio"), theirs))
        for b in self.backends:
            floor = partial(bound.subscriptions_scale, self.bound_sizes, counts, reps, warmup)
            jobs.append((Contender(report.BOUND, b), floor))
        for contender, job in jobs:
            rates = anyio.run(job, backend=contender.backend)
            publishes = self.sizes_of(contender.label).publishes
            self.results.subscriptions[contender.label] = {
                cell: Stats(count=publishes, rates=values) for cell, values in rates.items()
            }
        progress(
            "subscriptions_scale",
            {
                label: by_cell[max(c for c in by_cell if c[0] == scenarios.SAME_TOPIC)].median
                for label, by_cell in self.results.subscriptions.items()
            },
            "publishes/s with the most subscriptions, same topic",
        )

    def run_serialization(self) -> None:
        modules = {report.CANTATA: self.cantata.module}
        if self.autogen is not None:
            modules[report.AUTOGEN] = self.autogen.module
        measured, notes = serialization.measure(
            modules, self.sizes.serialization_rounds, self.args.reps, self.args.warmup
        )
        self.results.serialization = measured
        self.results.notes.extend(notes)
        for shape, by in measured.items():
            progress(
                f"serialization {shape}", {n: s.median for n, s in by.items()}, "round trips/s"
            )


def progress(name: str, medians: dict[str, float], unit: str) -> None:
    cells = ", ".join(f"{label} {report.rate(value)}" for label, value in medians.items())
    print(f"  {name}: {cells} ({unit})", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    date = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    argv = sys.argv[1:]
    if os.environ.get("NOX_CURRENT_SESSION") == "bench":
        command = shlex.join(["nox", "-s", "bench", *(["--", *argv] if argv else [])])
    else:
        command = shlex.join(["python", "benchmarks/run.py", *argv])
    run = Run(args)
    mode = "quick" if args.quick else "full"
    print(
        f"cantata dispatch benchmarks ({mode}: {args.reps} repetitions after {args.warmup}"
        f" warm-up) on {report.cpu_model()}, {report.machine()['cpus']} CPUs",
        flush=True,
    )
    wanted = args.scenarios.split(",")
    for name in ALL:
        if name not in wanted:
            continue
        t0 = time.perf_counter()
        if name in scenarios.SCENARIOS:
            run.run_runtime_scenario(name)
        elif name == "subscriptions_scale":
            run.run_subscriptions_scale()
        else:
            run.run_serialization()
        print(f"    ({time.perf_counter() - t0:.1f} s)", flush=True)

    verdicts = report.judge(run.results)
    elapsed = time.perf_counter() - started
    print()
    print(report.format_tables(run.results, verdicts))
    print(f"\n{mode} run took {elapsed:.1f} s")

    header: dict[str, Any] = {
        "date": date,
        "command": command,
        "mode": mode,
        "reps": args.reps,
        "warmup": args.warmup,
        "sizes": {
            report.CANTATA: asdict(run.sizes),
            report.BOUND: asdict(run.bound_sizes),
            **({report.AUTOGEN: asdict(run.autogen_sizes)} if run.autogen else {}),
        },
        "seconds": round(elapsed, 1),
    }
    doc = report.document(run.results, verdicts, header)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"results written to {args.out}")
    if chart.draw(doc, args.chart):
        print(f"chart written to {args.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
