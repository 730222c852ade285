"""Processes for the distributed-runtime tests: free ports, worker and host subprocesses.

Every process started here is ended (SIGTERM, then SIGKILL) when its context exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio

TESTS_DIR = Path(__file__).resolve().parent
READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Proc:
    """A child process whose stdout lines can be awaited."""

    def __init__(self, args: list[str], cwd: Path = TESTS_DIR, stdin: str | None = None) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_env(),
            cwd=cwd,
        )
        if stdin is not None:
            assert self.popen.stdin is not None
            self.popen.stdin.write(stdin)
            self.popen.stdin.close()
        self.lines: list[str] = []

    async def wait_for(self, text: str, timeout: float = READY_TIMEOUT) -> None:  # noqa: ASYNC109
        """Wait until a line containing ``text`` is printed (fail if the process ends)."""
        assert self.popen.stdout is not None
        stdout = self.popen.stdout
        with anyio.fail_after(timeout):
            while True:
                line = await anyio.to_thread.run_sync(stdout.readline, abandon_on_cancel=True)
                if not line:
                    raise AssertionError(
                        f"process ended before printing {text!r}:\n{''.join(self.lines)}"
                    )
                self.lines.append(line)
                if text in line:
                    return

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(10)

    def end(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


@contextlib.contextmanager
def processes() -> Iterator[list[Proc]]:
    """A list to put processes in; all of them are ended on exit."""
    started: list[Proc] = []
    try:
        yield started
    finally:
        for proc in started:
            proc.end()


async def start_worker(started: list[Proc], address: str, *extra: str, ready: bool = True) -> Proc:
    proc = Proc([str(TESTS_DIR / "_grpc_worker.py"), address, *extra])
    started.append(proc)
    if ready:
        await proc.wait_for("READY")
    return proc


async def start_host(started: list[Proc], port: int, *extra: str) -> Proc:
    proc = Proc([str(TESTS_DIR / "_grpc_host.py"), f"127.0.0.1:{port}", *extra])
    started.append(proc)
    await proc.wait_for("LISTENING")
    return proc
