"""A host process for the distributed-runtime tests: ``python tests/_grpc_host.py ADDR``.

Prints ``LISTENING`` once bound; stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import sys

import anyio

from cantata.runtimes.grpc import GrpcWorkerAgentRuntimeHost


async def main() -> None:
    host = GrpcWorkerAgentRuntimeHost(address=sys.argv[1])
    host.start()
    print("LISTENING", flush=True)
    await host.stop_when_signal(grace=0.5)


if __name__ == "__main__":
    anyio.run(main)
