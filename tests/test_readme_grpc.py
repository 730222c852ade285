"""The README's distributed quick start: three processes (host, worker, client) as shown."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("grpc")

from _grpc_harness import Proc, free_port, processes

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _snippet() -> str:
    section = README.split("\n## Distributed runtime\n", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"```python\n(# greeter\.py\n.+?)\n```", section, re.DOTALL)
    assert len(found) == 1
    return str(found[0])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_three_process_quick_start(tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "greeter.py"
    script.write_text(_snippet().replace("localhost:50051", f"localhost:{port}"))
    with processes() as procs:
        procs.append(Proc([str(script), "host"], cwd=tmp_path))
        deadline = time.monotonic() + 30
        while not _listening(port):
            assert time.monotonic() < deadline, "the host did not listen"
            time.sleep(0.05)
        procs.append(Proc([str(script), "worker"], cwd=tmp_path))
        deadline = time.monotonic() + 30
        while True:  # the worker registers its type shortly after starting
            client = subprocess.run(
                [sys.executable, str(script), "client"],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=tmp_path,
            )
            if client.returncode == 0 or time.monotonic() > deadline:
                break
            assert "UnknownAgentTypeError" in client.stderr, client.stderr
            time.sleep(0.2)
        assert client.returncode == 0, client.stderr
        assert client.stdout.strip() == "hello world, from greeter/alice"
