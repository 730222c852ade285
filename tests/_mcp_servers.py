"""Starting the test MCP server (``tests/mcp_test_server.py``) and checking nothing is left.

* :func:`stdio_params`: parameters that run the server over stdio, as a child process.
* :class:`HttpServer`: the server on 127.0.0.1 (streamable HTTP or SSE) in a child process,
  on a free port, stopped (and its port checked free) on leaving the block.
* :func:`children` / :func:`wait_until_gone`: this process's live child processes, for
  the leak checks; :func:`eventually`: wait for another process's doing.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import anyio

from cantata.tools.mcp import SseServerParams, StdioServerParams, StreamableHttpServerParams

SERVER_SCRIPT = Path(__file__).resolve().parent / "mcp_test_server.py"
STARTUP_TIMEOUT = 30.0


def stdio_params(**overrides: Any) -> StdioServerParams:
    """Run the test server over stdio with this interpreter."""
    settings: dict[str, Any] = {
        "command": sys.executable,
        "args": [str(SERVER_SCRIPT)],
        "read_timeout_seconds": 20,
    }
    settings.update(overrides)
    return StdioServerParams(**settings)


def children() -> set[int]:
    """The pids of this process's child processes that have not been reaped (zombies
    included: an unreaped child is a leak too). Empty where ``/proc`` is missing."""
    me = os.getpid()
    found: set[int] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == me:
            found.add(int(entry.name))
    return found


def wait_until_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait until none of *pids* is a live child; return those still there."""
    deadline = time.monotonic() + timeout
    while True:
        left = pids & children()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


EVENTUALLY_TIMEOUT = 30.0


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` is true: polled, as it watches another process (a marker
    file it writes, its existence). Fails after :data:`EVENTUALLY_TIMEOUT` seconds rather
    than hang."""
    with anyio.fail_after(EVENTUALLY_TIMEOUT):
        while not condition():  # noqa: ASYNC110 - another process's state: no event to await
            await anyio.sleep(0.01)


def process_exists(pid: int) -> bool:
    """Whether a process *pid* exists (zombies included)."""
    return Path(f"/proc/{pid}").exists()


def port_is_free(port: int) -> bool:
    """Whether nothing accepts connections on 127.0.0.1:*port*."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) != 0


class HttpServer:
    """The test server listening on 127.0.0.1, in a child process.

    Args:
        transport: ``"http"`` (streamable HTTP, at ``/mcp``) or ``"sse"`` (at ``/sse``).
        port: The port to bind; a free one by default.
    """

    def __init__(self, transport: Literal["http", "sse"] = "http", port: int = 0) -> None:
        self.transport = transport
        command = [sys.executable, str(SERVER_SCRIPT), f"--{transport}"]
        if port:
            command += ["--port", str(port)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.port = self._read_port()

    def _read_port(self) -> int:
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], STARTUP_TIMEOUT)
        line = stdout.readline() if ready else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"The MCP test server did not start: {line!r}")
        return int(line.split()[1])

    @property
    def url(self) -> str:
        path = "/mcp" if self.transport == "http" else "/sse"
        return f"http://127.0.0.1:{self.port}{path}"

    def params(self, **overrides: Any) -> StreamableHttpServerParams | SseServerParams:
        if self.transport == "http":
            return StreamableHttpServerParams(url=self.url, **overrides)
        return SseServerParams(url=self.url, **overrides)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL) and reap it."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        assert port_is_free(self.port), f"port {self.port} still accepts connections"
