"""One process of the autogen interop check and of the gRPC benchmark.

The same code runs on autogen (``autogen_core``/``autogen_ext``) or on cantata: only the
imports differ, chosen by the first argument.

    python peer.py IMPL host ADDR
    python peer.py IMPL worker ADDR NAME PEER [--pb-rpc]
    python peer.py IMPL bench-server ADDR
    python peer.py IMPL bench-client ADDR ROUNDS FANOUT

A worker serves ``NAME_echo`` and ``NAME_collector`` (subscribed to topic type ``interop``),
prints ``READY``, and on a ``go`` line on stdin calls ``PEER_echo`` and publishes; it prints
what it gets back and what its collector receives.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from google.protobuf import wrappers_pb2

IMPL = sys.argv[1]  # autogen, cantata, or cantata-trio (the benchmark client on Trio)
if IMPL == "autogen":
    from autogen_core import (
        PROTOBUF_DATA_CONTENT_TYPE,
        AgentId,
        MessageContext,
        RoutedAgent,
        TopicId,
        TypeSubscription,
        message_handler,
        try_get_known_serializers_for_type,
    )
    from autogen_ext.runtimes.grpc import GrpcWorkerAgentRuntime, GrpcWorkerAgentRuntimeHost
else:
    from cantata import (
        PROTOBUF_DATA_CONTENT_TYPE,
        AgentId,
        MessageContext,
        RoutedAgent,
        TopicId,
        TypeSubscription,
        message_handler,
        try_get_known_serializers_for_type,
    )
    from cantata.runtimes.grpc import GrpcWorkerAgentRuntime, GrpcWorkerAgentRuntimeHost


@dataclass
class InteropPing:
    text: str


@dataclass
class InteropPong:
    text: str


class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echo")

    @message_handler
    async def on_ping(self, message: InteropPing, ctx: MessageContext) -> InteropPong:
        return InteropPong(message.text.upper())

    @message_handler
    async def on_string(
        self, message: wrappers_pb2.StringValue, ctx: MessageContext
    ) -> wrappers_pb2.StringValue:
        return wrappers_pb2.StringValue(value=message.value[::-1])


class Collector(RoutedAgent):
    def __init__(self, received: list[Any] | None = None, done: Any = None) -> None:
        super().__init__("collector")
        self._received = received
        self._done = done

    @message_handler
    async def on_ping(self, message: InteropPing, ctx: MessageContext) -> None:
        if self._received is not None:
            self._received.append(message)
            if self._done is not None and len(self._received) >= self._done[0]:
                self._done[1].set()
            return
        print(f"GOT {message.text} sender={ctx.sender}", flush=True)

    @message_handler
    async def on_string(self, message: wrappers_pb2.StringValue, ctx: MessageContext) -> None:
        print(f"GOT-PB {message.value}", flush=True)


def serializers(runtime: Any) -> None:
    for cls in (InteropPing, InteropPong, wrappers_pb2.StringValue):
        runtime.add_message_serializer(try_get_known_serializers_for_type(cls))


async def host(address: str) -> None:
    service = GrpcWorkerAgentRuntimeHost(address=address)
    service.start()
    print("READY", flush=True)
    await service.stop_when_signal()


async def worker(address: str, name: str, peer: str, pb_rpc: bool) -> None:
    runtime = GrpcWorkerAgentRuntime(host_address=address)
    serializers(runtime)
    await runtime.start()
    await Echo.register(runtime, f"{name}_echo", Echo)
    await Collector.register(runtime, f"{name}_collector", Collector)
    await runtime.add_subscription(TypeSubscription("interop", f"{name}_collector"))
    # autogen serializes a runtime's publishes in one format: a second runtime for protobuf
    proto_runtime = GrpcWorkerAgentRuntime(
        host_address=address, payload_serialization_format=PROTOBUF_DATA_CONTENT_TYPE
    )
    serializers(proto_runtime)
    await proto_runtime.start()
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    reply = await runtime.send_message(
        InteropPing(f"hello from {name}"), AgentId(f"{peer}_echo", "k")
    )
    print(f"RPC-DC {reply.text}", flush=True)
    if pb_rpc:
        value = await runtime.send_message(
            wrappers_pb2.StringValue(value=f"pb from {name}"), AgentId(f"{peer}_echo", "k")
        )
        print(f"RPC-PB {value.value}", flush=True)
    await runtime.publish_message(
        InteropPing(f"from {name}"), TopicId("interop", "x"), sender=AgentId(f"{name}_echo", "k")
    )
    await proto_runtime.publish_message(
        wrappers_pb2.StringValue(value=f"from {name}"), TopicId("interop", "x")
    )
    print("SENT", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await proto_runtime.stop()
    await runtime.stop()


async def bench_server(address: str) -> None:
    runtime = GrpcWorkerAgentRuntime(host_address=address)
    serializers(runtime)
    await runtime.start()
    await Echo.register(runtime, "bench_echo", Echo)
    for n in range(8):
        await Collector.register(runtime, f"bench_sink{n}", Collector)
        await runtime.add_subscription(TypeSubscription("bench", f"bench_sink{n}"))
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await runtime.stop()


async def bench_client(address: str, rounds: int, fanout_messages: int) -> None:
    """RPC round trips, then publishes fanned out to the sinks of the server worker and to
    this worker's own sink (whose receipts are counted to know when all arrived)."""
    runtime = GrpcWorkerAgentRuntime(host_address=address)
    serializers(runtime)
    if IMPL == "cantata-trio":  # Trio has no background tasks without a nursery
        async with runtime:
            await _bench(runtime, rounds, fanout_messages)
    else:
        await runtime.start()
        await _bench(runtime, rounds, fanout_messages)
        await runtime.stop()


async def _bench(runtime: Any, rounds: int, fanout_messages: int) -> None:
    received: list[Any] = []
    if IMPL == "autogen":
        done: list[Any] = [fanout_messages, asyncio.Event()]
    else:
        import anyio

        done = [fanout_messages, anyio.Event()]
    await Collector.register(runtime, "bench_local", lambda: Collector(received, done))
    await runtime.add_subscription(TypeSubscription("bench", "bench_local"))
    target = AgentId("bench_echo", "k")
    for _ in range(20):
        await runtime.send_message(InteropPing("warm"), target)
    latencies = []
    started = time.perf_counter()
    for _ in range(rounds):
        t0 = time.perf_counter()
        await runtime.send_message(InteropPing("x"), target)
        latencies.append(time.perf_counter() - t0)
    rpc_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for n in range(fanout_messages):
        await runtime.publish_message(InteropPing(str(n)), TopicId("bench", "k"))
    await done[1].wait()
    fanout_seconds = time.perf_counter() - started
    latencies.sort()
    print(
        "RESULT "
        + json.dumps(
            {
                "impl": IMPL,
                "rpc_per_s": rounds / rpc_seconds,
                "rpc_p50_us": latencies[len(latencies) // 2] * 1e6,
                "rpc_p99_us": latencies[int(len(latencies) * 0.99)] * 1e6,
                # each publish reaches 9 agents (8 in the server worker, 1 here)
                "fanout_deliveries_per_s": fanout_messages * 9 / fanout_seconds,
            }
        ),
        flush=True,
    )


def main() -> None:
    mode, address = sys.argv[2], sys.argv[3]
    if mode == "host":
        asyncio.run(host(address))
    elif mode == "worker":
        asyncio.run(worker(address, sys.argv[4], sys.argv[5], "--pb-rpc" in sys.argv))
    elif mode == "bench-server":
        asyncio.run(bench_server(address))
    elif mode == "bench-client" and IMPL == "cantata-trio":
        import anyio

        anyio.run(bench_client, address, int(sys.argv[4]), int(sys.argv[5]), backend="trio")
    elif mode == "bench-client":
        asyncio.run(bench_client(address, int(sys.argv[4]), int(sys.argv[5])))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
