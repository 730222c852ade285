"""A worker process for the distributed-runtime tests.

    python tests/_grpc_worker.py HOST:PORT [--type echo] [--token T] [--max-size N]

Serves agent type ``echo`` (see ``_grpc_messages.Echo``), prints ``READY`` and runs until
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import sys

import anyio
from _grpc_messages import Echo, Slow, echo_subscriptions

from cantata import AgentId
from cantata.runtimes.grpc import GrpcWorkerAgentRuntime


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--type", default="echo")
    parser.add_argument("--token")
    parser.add_argument("--max-size", type=int)
    parser.add_argument("--format", default="application/json")
    parser.add_argument("--call-slow", help="then call echo/k with Slow(60, TAG) and wait")
    options = parser.parse_args()
    config: list[tuple[str, int | str]] = []
    if options.max_size:
        config = [
            ("grpc.max_send_message_length", options.max_size),
            ("grpc.max_receive_message_length", options.max_size),
        ]
    runtime = GrpcWorkerAgentRuntime(
        host_address=options.address,
        extra_grpc_config=config,
        payload_serialization_format=options.format,
        token=options.token,
        reconnect_backoff=(0.05, 0.5),
    )
    await runtime.start()
    await Echo.register(runtime, options.type, Echo, skip_class_subscriptions=True)
    for subscription in echo_subscriptions(options.type):
        await runtime.add_subscription(subscription)
    print("READY", flush=True)
    if options.call_slow:
        await runtime.send_message(Slow(60, options.call_slow), AgentId("echo", "k"))
    await runtime.stop_when_signal()


if __name__ == "__main__":
    sys.exit(anyio.run(main))
