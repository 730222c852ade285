"""Looking for processes in the process table (``/proc``), for the code-executor tests.

Tests mark the processes a code block starts with a unique token in their command line, then
check the table for it: a process is "running" while a non-zombie process's command line holds
the token.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import anyio
import pytest

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="needs a /proc process table (Linux)"
)
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def new_token() -> str:
    """A fresh marker for the command lines of one test's processes."""
    return f"cantata-test-{uuid.uuid4().hex}"


def processes_with(token: str) -> list[int]:
    """The live (non-zombie) processes whose command line holds *token*."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            stat = Path(f"/proc/{entry}/stat").read_text(errors="replace")
        except OSError:
            continue
        state = stat.rpartition(")")[2].split()[0] if ")" in stat else "?"
        if token.encode() in cmdline and state not in ("Z", "X"):
            found.append(int(entry))
    return found


async def wait_for_processes(token: str, count: int, within: float = 10.0) -> None:
    """Wait until at least *count* processes carry *token*."""
    with anyio.fail_after(within):
        while len(processes_with(token)) < count:  # noqa: ASYNC110 - polls the process table
            await anyio.sleep(0.02)


async def assert_none_left(token: str, within: float = 3.0) -> None:
    """Fail unless every process carrying *token* is gone within *within* seconds (SIGKILL
    is delivered asynchronously, so a killed process may linger for a moment)."""
    with anyio.move_on_after(within):
        while processes_with(token):  # noqa: ASYNC110 - polls the process table
            await anyio.sleep(0.02)
    left = processes_with(token)
    assert not left, f"processes left running: {left}"


def sleeper(token: str, *, new_session: bool = False, seconds: int = 1000) -> str:
    """Python source that starts a process sleeping *seconds*, marked with *token*."""
    return (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep({seconds})', "
        f"{token!r}], start_new_session={new_session})\n"
    )
