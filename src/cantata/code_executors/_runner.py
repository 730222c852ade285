"""Running one command for a code block: bounded output, a timeout, and nothing left behind."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import Process

from ._common import OutputBuffer
from ._process_tree import MARKER_VARIABLE, kill_process_tree, new_marker

__all__ = ["DRAIN_GRACE_SECONDS", "RunOutcome", "run_command"]

DRAIN_GRACE_SECONDS = 1.0
"""How long output is still read once the block's process tree has been killed."""

_REAP_SECONDS = 5.0


@dataclass
class RunOutcome:
    """How a command ended."""

    exit_code: int
    """Its exit status; ``-N`` if signal ``N`` killed it; ``124`` on timeout."""
    output: str
    """Its standard output and standard error, interleaved, bounded (see ``OutputBuffer``)."""
    timed_out: bool
    truncated: bool


async def _pump(process: Process, buffer: OutputBuffer, done: anyio.Event) -> None:
    assert process.stdout is not None
    try:
        async for chunk in process.stdout:
            buffer.feed(chunk)
    except (anyio.ClosedResourceError, anyio.BrokenResourceError):
        pass
    finally:
        done.set()


async def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    time_limit: float,
    max_output_bytes: int,
) -> RunOutcome:
    """Run *argv* in *cwd* and return how it ended.

    The command runs in a session of its own with no standard input, marked by a fresh
    ``CANTATA_CODE_EXECUTION`` value in its environment; standard output and error go through
    one pipe. It ends when its process exits, when *time_limit* seconds have
    passed (the outcome then has ``timed_out`` and exit code 124), or when the caller is
    cancelled (the cancellation propagates). In every case the command's whole process tree
    is killed before this returns or raises, so nothing it started keeps running, and the
    child is reaped.

    Raises:
        OSError: The command could not be started (e.g. the interpreter does not exist).
    """
    buffer = OutputBuffer(max_output_bytes)
    marker = new_marker()
    process = await anyio.open_process(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env={**env, MARKER_VARIABLE: marker},
        start_new_session=sys.platform != "win32",
    )
    timed_out = False
    reaped = False
    pumped = anyio.Event()
    try:
        with anyio.move_on_after(time_limit) as deadline:
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(_pump, process, buffer, pumped)
                await process.wait()
                reaped = True
                # The block's process has exited; whatever it left running goes now. Once
                # the last writer is gone the pipe reaches its end.
                kill_process_tree(process.pid, reaped=True, marker=marker)
                with anyio.move_on_after(DRAIN_GRACE_SECONDS):
                    await pumped.wait()
                task_group.cancel_scope.cancel()
        timed_out = deadline.cancelled_caught and not reaped
    finally:
        with anyio.CancelScope(shield=True):
            if not reaped:
                kill_process_tree(process.pid, marker=marker)
            with anyio.move_on_after(_REAP_SECONDS):
                await process.aclose()
    if timed_out:
        return RunOutcome(124, buffer.text(), timed_out=True, truncated=buffer.truncated)
    exit_code = process.returncode
    assert exit_code is not None
    return RunOutcome(exit_code, buffer.text(), timed_out=False, truncated=buffer.truncated)
