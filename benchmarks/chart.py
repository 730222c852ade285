"""The PNG chart of a run, drawn from its JSON document.

Left: throughput per runtime scenario (log scale), one group of bars per scenario --
cantata on asyncio, cantata on Trio, autogen-core, the bound on asyncio and on Trio -- with
min..max whiskers and cantata's factor over autogen-core above each group. Right:
serialization round trips per second. The title carries the date, the machine and the
command.

Redraw a chart from a saved run with ``python benchmarks/chart.py results.json chart.png``.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

SERIES = (
    ("cantata/asyncio", "cantata (asyncio)", "#1f6fb4"),
    ("cantata/trio", "cantata (Trio)", "#6baed6"),
    ("autogen-core/asyncio", "autogen-core 0.7.5 (asyncio)", "#d95f02"),
    ("bound/asyncio", "raw-AnyIO bound (asyncio)", "#7f7f7f"),
    ("bound/trio", "raw-AnyIO bound (Trio)", "#c7c7c7"),
)
SERIALIZERS = (
    ("cantata", "cantata", "#1f6fb4"),
    ("autogen-core", "autogen-core", "#d95f02"),
    ("json", "json + asdict", "#7f7f7f"),
)


def load_pyplot() -> Any | None:
    """matplotlib's pyplot on the Agg backend, or None when matplotlib is not installed."""
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        return None
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def groups(doc: dict[str, Any]) -> list[tuple[str, dict[str, dict[str, float]]]]:
    """(group name, label -> {median, min, max}) for every runtime scenario of the run."""
    found: list[tuple[str, dict[str, dict[str, float]]]] = []
    for scenario, data in doc.get("scenarios", {}).items():
        found.append((f"{scenario}\n{data['unit']}", data["results"]))
    by_contender = doc.get("subscriptions_scale", {}).get("by_contender", {})
    for variant in ("same topic", "fresh topics"):
        cells: dict[str, dict[str, float]] = {}
        for label, data in by_contender.items():
            per_count = data["results"].get(variant, {})
            if "10000" in per_count:
                cells[label] = per_count["10000"]
        if cells:
            found.append((f"10,000 subscriptions\n{variant}, publishes/s", cells))
    return found


def draw(doc: dict[str, Any], path: Path) -> bool:
    """Write the chart to ``path``; False (and a message) when matplotlib is missing."""
    plt = load_pyplot()
    if plt is None:
        print("matplotlib is not installed: no chart (pip install matplotlib)")
        return False
    runtime_groups = groups(doc)
    serialization = doc.get("serialization", {}).get("results", {})
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(15, 6.5),
        gridspec_kw={"width_ratios": [max(len(runtime_groups), 1) * 1.3, 2.2]},
    )
    width = 0.8 / len(SERIES)
    for index, (label, legend, colour) in enumerate(SERIES):
        xs, heights, low, high = [], [], [], []
        for position, (_, cells) in enumerate(runtime_groups):
            if label in cells:
                stats = cells[label]
                xs.append(position + (index - (len(SERIES) - 1) / 2) * width)
                heights.append(stats["median"])
                low.append(stats["median"] - stats["min"])
                high.append(stats["max"] - stats["median"])
        left.bar(xs, heights, width, label=legend, color=colour, yerr=[low, high], capsize=2)
    for position, (_, cells) in enumerate(runtime_groups):
        theirs = cells.get("autogen-core/asyncio", {}).get("median")
        mine = [cells[c]["median"] for c in ("cantata/asyncio", "cantata/trio") if c in cells]
        if theirs and mine:
            top = max(stats["max"] for stats in cells.values())
            left.annotate(
                f"{max(mine) / theirs:.0f}x",
                (position, top * 1.6),
                ha="center",
                fontsize=9,
                fontweight="bold",
            )
    left.set_yscale("log")
    left.set_xticks(range(len(runtime_groups)), [name for name, _ in runtime_groups], fontsize=8)
    left.set_ylabel("per second (median, min..max)")
    left.set_title("runtime scenarios (factor: best cantata backend / autogen-core)", fontsize=10)
    left.grid(axis="y", which="both", alpha=0.3)
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=len(SERIES))
    rates = [s[k] for _, cells in runtime_groups for s in cells.values() for k in ("min", "max")]
    if rates:
        left.set_ylim(bottom=min(rates) / 3, top=max(rates) * 6)

    shapes = list(serialization)
    width_s = 0.8 / len(SERIALIZERS)
    for index, (name, legend, colour) in enumerate(SERIALIZERS):
        xs, heights = [], []
        for position, shape in enumerate(shapes):
            if name in serialization[shape]:
                xs.append(position + (index - (len(SERIALIZERS) - 1) / 2) * width_s)
                heights.append(serialization[shape][name]["median"])
        right.bar(xs, heights, width_s, label=legend, color=colour)
    right.set_xticks(range(len(shapes)), [f"{shape} dataclass" for shape in shapes])
    right.set_ylabel("serialize + deserialize per second")
    right.set_title("serialization", fontsize=10)
    right.grid(axis="y", alpha=0.3)
    right.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13))

    machine = doc.get("machine", {})
    fig.suptitle(
        f"cantata {doc.get('versions', {}).get('cantata', '')} dispatch benchmarks, "
        f"{doc.get('date', '')[:16].replace('T', ' ')} UTC\n"
        f"{machine.get('cpu', '?')}, {machine.get('cpus', '?')} CPUs, "
        f"{machine.get('platform', '?')}, {machine.get('python', '?')}\n"
        f"$ {doc.get('command', '')}",
        fontsize=9,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python benchmarks/chart.py RESULTS.json CHART.png")
    doc = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    if draw(doc, Path(sys.argv[2])):
        print(f"chart written to {sys.argv[2]}")


if __name__ == "__main__":
    main()
