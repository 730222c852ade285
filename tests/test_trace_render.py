"""cantata.trace: recording a real run, the render CLI (HTML, Mermaid), and the HTML in a
real headless browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from _seeded_bugs import lost_update

from cantata import (
    AgentId,
    CancellationToken,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.exceptions import MessageCancelledError
from cantata.testing import ScheduleFailure, explore
from cantata.trace import TraceRecorder, read_trace, render_html, render_mermaid, write_trace


def _failing_events() -> list[dict[str, object]]:
    with pytest.raises(ScheduleFailure) as info:
        explore(lost_update(), runs=50, seed=3)
    return info.value.events


def _render(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cantata.trace", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_failing_run_trace_has_every_kind_of_event(tmp_path: Path) -> None:
    events = _failing_events()
    types = {e["type"] for e in events}
    assert {"run", "publish", "deliver", "send", "response", "outcome"} <= types
    assert events[-1]["type"] == "outcome" and "lost update" in str(events[-1]["error"])
    path = write_trace(events, tmp_path / "t.jsonl")
    assert read_trace(path) == json.loads(json.dumps(events))
    assert all(isinstance(e["wall"], float) for e in events)


def test_cli_renders_html_and_mermaid(tmp_path: Path) -> None:
    trace = write_trace(_failing_events(), tmp_path / "t.jsonl")
    html_out, mmd_out = tmp_path / "t.html", tmp_path / "t.mmd"
    assert _render(["render", str(trace), "-o", str(html_out)]).returncode == 0
    page = html_out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained
    assert 'class="rpc-request"' in page and 'class="rpc-response"' in page
    assert "failed: AssertionError" in page
    done = _render(["render", str(trace), "--format", "mermaid", "-o", str(mmd_out)])
    assert done.returncode == 0
    text = mmd_out.read_text()
    assert text.startswith("sequenceDiagram\n") and "->>" in text and "-->>" in text
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "send"}\nnot json\n')
    failed = _render(["render", str(bad)])
    assert failed.returncode == 2 and "bad.jsonl:2" in failed.stderr


def test_drops_errors_and_cancellations_are_drawn() -> None:
    events = [
        {"seq": 0, "type": "send", "sender": None, "receiver": "a/1", "payload": "x", "t": 0.0},
        {"seq": 1, "type": "deliver", "kind": "rpc", "sender": None, "receiver": "a/1"},
        {"seq": 2, "type": "error", "receiver": "a/1", "detail": "ValueError('boom')"},
        {"seq": 3, "type": "drop", "sender": "a/1", "receiver": "b/1", "payload": "y"},
        {"seq": 4, "type": "cancel", "sender": "a/1", "receiver": "b/1", "detail": "c"},
    ]
    page = render_html(events)
    for cls in ("error", "drop", "cancel"):
        assert f'class="{cls}"' in page
    text = render_mermaid(events)
    assert "boom" in text and "dropped" in text and "cancel" in text


def test_recorder_attaches_to_a_plain_runtime_and_restores_logging() -> None:
    import logging

    import anyio
    from test_testing_harness import Ask, _agent_classes

    from cantata import AgentId, SingleThreadedAgentRuntime

    logger = logging.getLogger("cantata.events")
    before = (logger.level, logger.propagate, list(logger.handlers))

    async def main() -> TraceRecorder:
        runtime = SingleThreadedAgentRuntime()
        echo, _ = _agent_classes(False)
        await echo.register(runtime, "echo", echo)
        recorder = TraceRecorder()
        with recorder.attach(runtime):
            async with runtime:
                await runtime.send_message(Ask(1), AgentId("echo", "k"))
        return recorder

    recorder = anyio.run(main)
    assert [e["type"] for e in recorder.events] == ["send", "deliver", "response"]
    assert len(recorder.records) == 1
    assert (logger.level, logger.propagate, list(logger.handlers)) == before


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="no chromium binary (apt-get install chromium)")
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "trace.html"
    page.write_text(render_html(_failing_events()))
    browser = _chromium()
    assert browser is not None
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    match = re.search(r'<pre id="render-check">(\{.*?\})</pre>', done.stdout)
    assert match, f"the page's check did not run: {done.stderr[-2000:]}"
    check = json.loads(match.group(1))
    assert check["width"] > 300 and check["height"] > 100
    assert check["lifelines"] >= 3
    assert check["requests"] >= 2 and check["responses"] >= 2 and check["publishes"] >= 2


@dataclass
class Work:
    seconds: float


class Slow(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("slow")

    @message_handler
    async def on_work(self, message: Work, ctx: MessageContext) -> None:
        await anyio.sleep(message.seconds)


def test_a_cancelled_rpc_is_in_the_failing_trace() -> None:
    async def scenario(runtime: SingleThreadedAgentRuntime) -> None:
        await Slow.register(runtime, "slow", Slow)
        token = CancellationToken()
        outcome: list[str] = []

        async def call() -> None:
            try:
                await runtime.send_message(Work(60), AgentId("slow", "k"), cancellation_token=token)
            except MessageCancelledError:
                outcome.append("cancelled")

        async with runtime, anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.sleep(1)
            token.cancel()
        raise AssertionError(f"to see the trace: {outcome}")

    with pytest.raises(ScheduleFailure) as info:
        explore(scenario, runs=1)
    events = info.value.events
    cancels = [e for e in events if e["type"] == "cancel"]
    assert len(cancels) == 1 and cancels[0]["receiver"] == "slow/k"
    assert cancels[0]["t"] == pytest.approx(1.0)  # logical time of the cancellation
    assert "cancelled" in str(info.value.__cause__)
    assert 'class="cancel"' in render_html(events)
