"""The pytest plugin: @pytest.mark.explore and the runtime fixture, in a child pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TEST_FILE = """
import pytest
from _seeded_bugs import lost_update

@pytest.mark.explore(runs=10, strategy="random", seed=1)
async def test_passes(runtime):
    async with runtime:
        await runtime.stop_when_idle()

@pytest.mark.explore(runs=50, seed=3, backend="trio")
async def test_lost_update(runtime):
    await lost_update()(runtime)

def test_fixture(runtime):
    assert type(runtime).__name__ == "SingleThreadedAgentRuntime"
"""


def test_marker_explores_and_reports_the_replay_line(tmp_path: Path) -> None:
    (tmp_path / "test_explored.py").write_text(TEST_FILE)
    tests_dir = Path(__file__).parent
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         str(tmp_path / "test_explored.py")],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
        env={"PYTHONPATH": str(tests_dir), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out = done.stdout
    assert "1 failed, 2 passed" in out, out[-3000:]
    assert "ScheduleFailure" in out and "seed 3" in out
    assert "replay: cantata.testing.replay(test_lost_update, 'cs1:trio:v:" in out
