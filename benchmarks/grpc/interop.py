"""Interop with autogen-ext 0.7.5's gRPC runtime, both ways (run by ``nox -s interop``).

    python benchmarks/grpc/interop.py --autogen-python A --cantata-python C

Scenario 1: an autogen host, a cantata worker and an autogen worker. Scenario 2: a cantata
host, an autogen worker and a cantata worker. In each, both workers call the other's echo
agent with a dataclass payload, publish a dataclass and a protobuf message, and must see the
other's publishes. (RPCs with protobuf payloads are not part of it: autogen's worker sends
and answers every RPC in JSON, which protobuf types have no serializer for.)
Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

PEER = str(Path(__file__).resolve().parent / "peer.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proc:
    def __init__(self, python: str, *args: str) -> None:
        self.popen = subprocess.Popen(
            [python, PEER, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.popen.poll() is not None and not any(text in line for line in self.lines):
                break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout}s; output:\n{''.join(self.lines)}")

    def tell(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def end(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def scenario(host_impl: str, a_impl: str, b_impl: str, pythons: dict[str, str]) -> None:
    address = f"127.0.0.1:{free_port()}"
    procs: list[Proc] = []
    try:
        host = Proc(pythons[host_impl], host_impl, "host", address)
        procs.append(host)
        host.wait_for("READY")
        time.sleep(0.5)
        a = Proc(pythons[a_impl], a_impl, "worker", address, "a", "b")
        b = Proc(pythons[b_impl], b_impl, "worker", address, "b", "a")
        procs += [a, b]
        a.wait_for("READY")
        b.wait_for("READY")
        a.tell("go")
        b.tell("go")
        for me, other in ((a, "b"), (b, "a")):
            me.wait_for(f"RPC-DC HELLO FROM {(me is a and 'A') or 'B'}")
            me.wait_for(f"GOT from {other} sender={other}_echo/k")
            me.wait_for(f"GOT-PB from {other}")
        print(f"ok: {host_impl} host, {a_impl} worker <-> {b_impl} worker")
        a.tell("stop")
        b.tell("stop")
    except AssertionError:
        for proc in procs:
            print(f"--- {proc.popen.args}:\n{''.join(proc.lines)}", file=sys.stderr)
        raise
    finally:
        for proc in reversed(procs):
            proc.end()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--autogen-python", required=True)
    parser.add_argument("--cantata-python", default=sys.executable)
    options = parser.parse_args()
    pythons = {"autogen": options.autogen_python, "cantata": options.cantata_python}
    scenario("autogen", "cantata", "autogen", pythons)
    scenario("cantata", "autogen", "cantata", pythons)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
