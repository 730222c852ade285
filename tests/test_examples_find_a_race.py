"""``examples/find_a_race.py``: plain runs pass, exploration finds the race, replay repeats it,
and the failing run is written as JSON lines, HTML and Mermaid."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NAME = "find_a_race"
EXAMPLE = Path(__file__).parent.parent / "examples" / f"{NAME}.py"


def test_find_a_race(tmp_path: Path) -> None:
    done = run_python_with_args(tmp_path)
    out = done.stdout
    assert "plain runs: 20 passed" in out
    assert "lost a deposit: balance is 10" in out
    assert "replay: cantata.testing.replay(bank, 'cs1:asyncio:v:" in out
    assert out.count("fails again") == 3
    assert (tmp_path / "race.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "race.mmd").read_text().startswith("sequenceDiagram")
    assert (tmp_path / "race.jsonl").stat().st_size > 0


def run_python_with_args(out_dir: Path) -> subprocess.CompletedProcess[str]:
    """``python examples/find_a_race.py OUT_DIR`` in a fresh interpreter; must exit with 0."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(out_dir)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done
