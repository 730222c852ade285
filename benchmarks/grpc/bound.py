"""The gRPC bound: round trips on one bidirectional ``OpenChannel`` stream, no runtime.

    python benchmarks/grpc/bound.py [ROUNDS]

A server echoes every ``Message`` back on the stream (in a child process); the client
measures round trips (two hops). The per-hop time is what grpcio's asyncio API costs on its
own, the floor under any runtime built on it.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from grpc import aio

try:
    from cantata.runtimes.grpc.protos import agent_worker_pb2 as pb
    from cantata.runtimes.grpc.protos import agent_worker_pb2_grpc as pb_grpc
except ImportError:  # in autogen's environment: the same messages from its stubs
    from autogen_ext.runtimes.grpc.protos import agent_worker_pb2 as pb  # type: ignore
    from autogen_ext.runtimes.grpc.protos import agent_worker_pb2_grpc as pb_grpc  # type: ignore


class Echo(pb_grpc.AgentRpcServicer):  # type: ignore[misc]
    async def OpenChannel(
        self, request_iterator: AsyncIterator[pb.Message], context: Any
    ) -> AsyncIterator[pb.Message]:
        async for message in request_iterator:
            yield message


def serve(port: Any) -> None:
    async def main() -> None:
        server = aio.server()
        pb_grpc.add_AgentRpcServicer_to_server(Echo(), server)
        port.value = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        await server.wait_for_termination()

    asyncio.run(main())


async def client(address: str, rounds: int) -> dict[str, float]:
    async with aio.insecure_channel(address) as channel:
        stub = pb_grpc.AgentRpcStub(channel)
        call = stub.OpenChannel()
        message = pb.Message(
            request=pb.RpcRequest(
                request_id="1",
                target=pb.AgentId(type="echo", key="k"),
                payload=pb.Payload(data_type="Ask", data_content_type="application/json",
                                   data=b'{"text": "x"}'),
            )
        )  # fmt: skip
        for _ in range(50):
            await call.write(message)
            await call.read()
        started = time.perf_counter()
        for _ in range(rounds):
            await call.write(message)
            await call.read()
        seconds = time.perf_counter() - started
        call.cancel()
    return {"round_trips_per_s": rounds / seconds, "per_hop_us": seconds / rounds / 2 * 1e6}


def main() -> None:
    import google.protobuf
    import grpc

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    port = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    while port.value == 0:
        time.sleep(0.01)
    try:
        result: dict[str, object] = dict(asyncio.run(client(f"127.0.0.1:{port.value}", rounds)))
        result["grpcio"] = grpc.__version__
        result["protobuf"] = google.protobuf.__version__
        print(json.dumps(result))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()
