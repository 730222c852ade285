"""Targets, ratios, the printed tables and the JSON document of a run."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from harness import Stats

CANTATA = "cantata"
AUTOGEN = "autogen-core"
BOUND = "bound"
BACKENDS = ("asyncio", "trio")
AUTOGEN_LABEL = f"{AUTOGEN}/asyncio"
COLUMNS = (
    "cantata/asyncio",
    "cantata/trio",
    AUTOGEN_LABEL,
    "bound/asyncio",
    "bound/trio",
)
SERIALIZERS = (CANTATA, AUTOGEN, "json")


@dataclass
class Results:
    """Everything one run measured."""

    units: dict[str, str] = field(default_factory=dict)  # runtime scenario -> unit
    scenarios: dict[str, dict[str, Stats]] = field(default_factory=dict)  # -> label -> stats
    # label -> (variant, subscription count) -> stats
    subscriptions: dict[str, dict[tuple[str, int], Stats]] = field(default_factory=dict)
    serialization: dict[str, dict[str, Stats]] = field(default_factory=dict)  # shape -> name
    notes: list[str] = field(default_factory=list)

    def median(self, scenario: str, label: str) -> float | None:
        stats = self.scenarios.get(scenario, {}).get(label)
        return None if stats is None else stats.median

    def bytes_per_agent(self, label: str) -> float | None:
        stats = self.scenarios.get("spawn", {}).get(label)
        return None if stats is None else stats.extra.get("bytes_per_agent")

    def cost_growth(self, label: str, variant: str) -> tuple[int, float] | None:
        """(largest count, cost there / cost with the smallest count).

        The median over rounds of the ratio within each round: the cells of a round run
        back to back, so drift of the machine between rounds cancels out.
        """
        cells = {c: s for (v, c), s in self.subscriptions.get(label, {}).items() if v == variant}
        if len(cells) < 2:
            return None
        least, most = cells[min(cells)], cells[max(cells)]
        ratios = [a / b for a, b in zip(least.rates, most.rates, strict=True)]
        return max(cells), statistics.median(ratios)


@dataclass(frozen=True)
class Target:
    """One of the benchmark issue's targets for cantata on one backend."""

    scenario: str
    kind: str  # "vs autogen", "vs bound", "memory", "growth"
    threshold: float
    variant: str = ""  # subscriptions_scale: which variant

    @property
    def text(self) -> str:
        if self.kind == "vs autogen":
            return f"{self.scenario}: >= {self.threshold:g}x {AUTOGEN}"
        if self.kind == "vs bound":
            return f"{self.scenario}: >= {self.threshold:g} of the bound"
        if self.kind == "memory":
            return f"{self.scenario}: memory per agent <= {AUTOGEN}'s"
        return f"{self.scenario} ({self.variant}): cost at 10,000 <= {self.threshold:g}x at 1"


TARGETS = (
    Target("rpc", "vs autogen", 30),
    Target("rpc_concurrent", "vs autogen", 20),
    Target("rpc_concurrent", "vs bound", 0.3),
    Target("publish_fanout", "vs autogen", 8),
    Target("publish_fanout", "vs bound", 0.3),
    Target("spawn", "vs autogen", 25),
    Target("spawn", "memory", 1.0),
    Target("chain", "vs autogen", 15),
    Target("chain", "vs bound", 0.3),
    Target("subscriptions_scale", "growth", 1.2, "same topic"),
    Target("subscriptions_scale", "growth", 1.2, "fresh topics"),
)


@dataclass(frozen=True)
class Verdict:
    target: Target
    backend: str
    value: float | None  # None: not measured in this run
    passed: bool | None
    shown: str

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target.text,
            "backend": self.backend,
            "value": None if self.value is None else round(self.value, 3),
            "threshold": self.target.threshold,
            "passed": self.passed,
        }


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return None if top is None or not bottom else top / bottom


def judge(results: Results) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for target in TARGETS:
        measured = (
            bool(results.subscriptions)
            if target.kind == "growth"
            else target.scenario in results.scenarios
        )
        if not measured:
            continue
        for backend in BACKENDS:
            label = f"{CANTATA}/{backend}"
            value: float | None
            at_most = target.kind in ("memory", "growth")
            if target.kind == "vs autogen":
                value = _ratio(
                    results.median(target.scenario, label),
                    results.median(target.scenario, AUTOGEN_LABEL),
                )
                shown = "" if value is None else f"{value:.1f}x"
            elif target.kind == "vs bound":
                value = _ratio(
                    results.median(target.scenario, label),
                    results.median(target.scenario, f"{BOUND}/{backend}"),
                )
                shown = "" if value is None else f"{value:.2f}"
            elif target.kind == "memory":
                mine, theirs = (
                    results.bytes_per_agent(label),
                    results.bytes_per_agent(AUTOGEN_LABEL),
                )
                value = _ratio(mine, theirs)
                shown = "" if value is None else f"{mine:,.0f} B vs {theirs:,.0f} B"
            else:
                growth = results.cost_growth(label, target.variant)
                value = None if growth is None or growth[0] < 10_000 else growth[1]
                shown = "" if value is None else f"{value:.2f}x"
            if value is None:
                verdicts.append(Verdict(target, backend, None, None, ""))
                continue
            passed = value <= target.threshold if at_most else value >= target.threshold
            verdicts.append(Verdict(target, backend, value, passed, shown))
    return verdicts


def rate(value: float) -> str:
    """A rate with a magnitude suffix: 1.23M, 45.6k, 789."""
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def spread(stats: Stats) -> str:
    return f"{rate(stats.low)}..{rate(stats.high)}"


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns sized to their content; the first column left-aligned, the others right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def format_tables(results: Results, verdicts: Sequence[Verdict]) -> str:
    parts: list[str] = []

    rows: list[list[str]] = []
    for scenario, by_label in results.scenarios.items():
        unit = results.units[scenario]
        rows.append(
            [scenario, unit, *(rate(by_label[c].median) if c in by_label else "-" for c in COLUMNS)]
        )
        rows.append(
            ["", "min..max", *(spread(by_label[c]) if c in by_label else "" for c in COLUMNS)]
        )
    if rows:
        parts.append("Throughput (median of the repetitions, min..max below)")
        parts.append(text_table(["scenario", "unit", *COLUMNS], rows))

    if "spawn" in results.scenarios:
        memory = [results.bytes_per_agent(c) for c in COLUMNS]
        parts.append(
            "spawn, Python heap retained per idle agent (tracemalloc): "
            + ", ".join(f"{c} {m:,.0f} B" for c, m in zip(COLUMNS, memory, strict=True) if m)
        )

    ratio_rows: list[list[str]] = []
    for scenario in results.scenarios:
        cells = [scenario]
        for backend in BACKENDS:
            value = _ratio(
                results.median(scenario, f"{CANTATA}/{backend}"),
                results.median(scenario, AUTOGEN_LABEL),
            )
            cells.append("-" if value is None else f"{value:.1f}x")
        for backend in BACKENDS:
            value = _ratio(
                results.median(scenario, f"{CANTATA}/{backend}"),
                results.median(scenario, f"{BOUND}/{backend}"),
            )
            cells.append("-" if value is None else f"{value:.2f}")
        ratio_rows.append(cells)
    if ratio_rows:
        parts.append("Ratios of medians (cantata on each backend; the bound on the same backend)")
        parts.append(
            text_table(
                [
                    "scenario",
                    "vs autogen-core: asyncio",
                    "trio",
                    "vs bound: asyncio",
                    "trio",
                ],
                ratio_rows,
            )
        )

    if results.subscriptions:
        labels = [c for c in COLUMNS if c in results.subscriptions]
        cells_seen = sorted(
            {cell for by_cell in results.subscriptions.values() for cell in by_cell},
            key=lambda cell: (cell[0] != "same topic", cell[1]),
        )
        sub_rows: list[list[str]] = []
        for variant, count in cells_seen:
            sub_rows.append(
                [
                    variant,
                    f"{count:,}",
                    *(
                        rate(results.subscriptions[c][(variant, count)].median)
                        if (variant, count) in results.subscriptions[c]
                        else "-"
                        for c in labels
                    ),
                ]
            )
        for variant in ("same topic", "fresh topics"):
            growth = [results.cost_growth(c, variant) for c in labels]
            if any(growth):
                sub_rows.append(
                    [
                        variant,
                        "cost max/1",
                        *("-" if g is None else f"{g[1]:.2f}x @{g[0]:,}" for g in growth),
                    ]
                )
        parts.append(
            "subscriptions_scale, publishes/s to one recipient with N unrelated subscriptions"
        )
        parts.append(text_table(["variant", "N", *labels], sub_rows))

    if results.serialization:
        ser_rows = [
            [shape, *(rate(by[n].median) if n in by else "-" for n in SERIALIZERS)]
            for shape, by in results.serialization.items()
        ]
        parts.append("serialization, serialize + deserialize round trips/s")
        parts.append(text_table(["message", *SERIALIZERS], ser_rows))

    if verdicts:
        target_rows: list[list[str]] = []
        texts = list(dict.fromkeys(v.target.text for v in verdicts))
        for text in texts:
            cells = [text]
            for backend in BACKENDS:
                found = [v for v in verdicts if v.target.text == text and v.backend == backend]
                v = found[0]
                mark = "n/a" if v.passed is None else "PASS" if v.passed else "MISS"
                cells.append(f"{v.shown} {mark}".strip())
            target_rows.append(cells)
        parts.append("Targets (cantata on each backend)")
        parts.append(text_table(["target", "asyncio", "trio"], target_rows))

    if results.notes:
        parts.append("\n".join(f"note: {note}" for note in results.notes))
    return "\n\n".join(parts)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in ("cantata", "anyio", "trio", "autogen-core", "cattrs", "matplotlib"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def document(
    results: Results, verdicts: Sequence[Verdict], header: dict[str, Any]
) -> dict[str, Any]:
    """The JSON document of a run: ``header`` (date, command, sizes...) plus every number."""
    scenarios: dict[str, Any] = {}
    for scenario, by_label in results.scenarios.items():
        ratios: dict[str, float] = {}
        for backend in BACKENDS:
            mine = results.median(scenario, f"{CANTATA}/{backend}")
            for other, key in (
                (AUTOGEN_LABEL, f"cantata/{backend} / {AUTOGEN_LABEL}"),
                (f"{BOUND}/{backend}", f"cantata/{backend} / bound/{backend}"),
            ):
                value = _ratio(mine, results.median(scenario, other))
                if value is not None:
                    ratios[key] = round(value, 4)
        scenarios[scenario] = {
            "unit": results.units[scenario],
            "results": {label: stats.as_json() for label, stats in by_label.items()},
            "ratios": ratios,
        }
    subscriptions: dict[str, Any] = {}
    for label, by_cell in results.subscriptions.items():
        per_variant: dict[str, Any] = {}
        for (variant, count), stats in sorted(by_cell.items()):
            per_variant.setdefault(variant, {})[str(count)] = stats.as_json()
        growth = {}
        for variant in per_variant:
            g = results.cost_growth(label, variant)
            if g is not None:
                growth[variant] = {"at": g[0], "cost_ratio": round(g[1], 4)}
        subscriptions[label] = {"results": per_variant, "cost_vs_one": growth}
    return {
        **header,
        "machine": machine(),
        "versions": versions(),
        "scenarios": scenarios,
        "subscriptions_scale": {"unit": "publishes/s", "by_contender": subscriptions},
        "serialization": {
            "unit": "round trips/s",
            "results": {
                shape: {name: stats.as_json() for name, stats in by.items()}
                for shape, by in results.serialization.items()
            },
        },
        "targets": [v.as_json() for v in verdicts],
        "notes": results.notes,
    }
