"""gRPC runtime benchmark: cantata beside autogen-ext 0.7.5, in one run (``nox -s bench_grpc``).

    python benchmarks/grpc/bench.py --autogen-python A [--cantata-python C] [--rounds N]

For each implementation: its own host, a server worker (an echo agent and 8 sinks
subscribed to topic ``bench``) and a client worker, three processes on 127.0.0.1. The client
measures RPC round trips to the echo agent (each is four hops: client -> host -> server ->
host -> client) and publish fan-out (each publish reaches the 8 sinks in the server and one
in the client). Repeated ``--repeat`` times, interleaved; medians reported, as JSON lines
and a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from interop import Proc, free_port


def run_once(impl: str, python: str, rounds: int, fanout: int) -> dict[str, float]:
    address = f"127.0.0.1:{free_port()}"
    procs: list[Proc] = []
    client_impl = impl
    impl = impl.removesuffix("-trio")
    try:
        host = Proc(python, impl, "host", address)
        procs.append(host)
        host.wait_for("READY")
        time.sleep(0.3)
        server = Proc(python, impl, "bench-server", address)
        procs.append(server)
        server.wait_for("READY")
        client = Proc(python, client_impl, "bench-client", address, str(rounds), str(fanout))
        procs.append(client)
        client.wait_for("RESULT", timeout=600)
        line = next(line for line in client.lines if line.startswith("RESULT "))
        result: dict[str, float] = json.loads(line.removeprefix("RESULT "))
        server.tell("stop")
        return result
    finally:
        for proc in reversed(procs):
            proc.end()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--autogen-python", required=True)
    parser.add_argument("--cantata-python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--fanout", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    pythons = {
        "cantata": options.cantata_python,
        "cantata-trio": options.cantata_python,
        "autogen": options.autogen_python,
    }
    runs: dict[str, list[dict[str, float]]] = {impl: [] for impl in pythons}
    for _ in range(options.repeat):
        for impl, python in pythons.items():
            result = run_once(impl, python, options.rounds, options.fanout)
            print(json.dumps(result), flush=True)
            runs[impl].append(result)
    keys = ("rpc_per_s", "rpc_p50_us", "rpc_p99_us", "fanout_deliveries_per_s")
    medians = {
        impl: {key: statistics.median(r[key] for r in results) for key in keys}
        for impl, results in runs.items()
    }
    print()
    print(
        "| metric | cantata asyncio | cantata Trio client | autogen-ext 0.7.5 | cantata / autogen |"
    )
    print("| --- | --- | --- | --- | --- |")
    for key in keys:
        c, t, a = (medians[i][key] for i in ("cantata", "cantata-trio", "autogen"))
        print(f"| {key} | {c:,.0f} | {t:,.0f} | {a:,.0f} | {c / a:.2f}x |")
    c, t, a = (medians[i]["rpc_p50_us"] / 4 for i in ("cantata", "cantata-trio", "autogen"))
    print(f"| per-hop latency, p50/4 (us) | {c:,.0f} | {t:,.0f} | {a:,.0f} | {c / a:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
