"""``GrpcWorkerAgentRuntimeHost``: the process that connects workers and routes messages."""

from __future__ import annotations

import logging
import signal
from typing import Any

import grpc
from grpc import aio

from ..._constants import ROOT_LOGGER_NAME
from ._constants import HOST_KEEPALIVE_OPTIONS
from ._host_servicer import GrpcWorkerAgentRuntimeHostServicer
from ._loop_thread import LoopThread, wait_future
from ._wire import GrpcOptions, merge_options, send_limit
from .protos import agent_worker_pb2_grpc as pb_grpc

__all__ = ["GrpcWorkerAgentRuntimeHost"]

_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.runtimes.grpc.host")


class GrpcWorkerAgentRuntimeHost:
    """The host service of the distributed runtime.

    It runs a gRPC server on an asyncio loop in a thread of its own, so :meth:`start` works
    from synchronous code, from asyncio and from Trio, and the host never competes with the
    caller's loop. See :class:`GrpcWorkerAgentRuntimeHostServicer` for the routing rules.

    Args:
        address: ``host:port`` to listen on. The default binds to the loopback interface
            only; listen on other interfaces (``"0.0.0.0:50051"``, ``"[::]:50051"``)
            explicitly, preferably with TLS and a token. Port 0 picks a free port
            (see :attr:`port`).
        extra_grpc_config: gRPC server options, e.g. ``("grpc.max_receive_message_length",
            n)``. They override the host's keepalive defaults (a worker that stops answering
            is dropped after about 10 s; a worker whose process dies, at once).
        server_credentials: ``grpc.ssl_server_credentials(...)`` to serve TLS (mTLS when it
            requires client certificates).
        token: A shared secret every worker must present (``token=`` of the worker);
            connections without it are refused with ``UNAUTHENTICATED``.
    """

    def __init__(
        self,
        address: str = "localhost:50051",
        extra_grpc_config: GrpcOptions | None = None,
        *,
        server_credentials: grpc.ServerCredentials | None = None,
        token: str | None = None,
    ) -> None:
        self._address = address
        self._options = merge_options(HOST_KEEPALIVE_OPTIONS, extra_grpc_config)
        self._credentials = server_credentials
        self._servicer = GrpcWorkerAgentRuntimeHostServicer(
            token=token, max_message_length=send_limit(self._options)
        )
        self._thread: LoopThread | None = None
        self._server: Any = None
        self._port: int | None = None

    @property
    def servicer(self) -> GrpcWorkerAgentRuntimeHostServicer:
        return self._servicer

    @property
    def port(self) -> int:
        """The port the host listens on (after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("the host is not started")
        return self._port

    @property
    def address(self) -> str:
        """``host:port`` with the actual port (after :meth:`start`)."""
        host = self._address.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving in the background and return once the port is bound.

        Raises:
            RuntimeError: already started, or the address cannot be bound.
        """
        if self._thread is not None:
            raise RuntimeError("the host is already started")
        thread = LoopThread("cantata-grpc-host")
        thread.start()
        self._thread = thread
        try:
            self._port = thread.submit(self._serve()).result(timeout)
        except BaseException:
            thread.call_soon(thread.loop.stop)
            self._thread = None
            raise
        _logger.info("host listening on %s", self.address)

    async def _serve(self) -> int:
        server = aio.server(options=self._options)
        pb_grpc.add_AgentRpcServicer_to_server(  # type: ignore[no-untyped-call]  # generated
            self._servicer, server
        )
        if self._credentials is None:
            port: int = server.add_insecure_port(self._address)
        else:
            port = server.add_secure_port(self._address, self._credentials)
        if port == 0:
            raise RuntimeError(f"cannot listen on {self._address}")
        await server.start()
        self._server = server
        return port

    async def stop(self, grace: float = 5) -> None:
        """Stop serving: close every worker's channel, give calls ``grace`` seconds, end."""
        thread = self._thread
        if thread is None:
            return
        self._thread = None
        server = self._server
        self._server = None

        async def shutdown() -> None:
            self._servicer.close_all()
            if server is not None:
                await server.stop(grace)

        try:
            await wait_future(thread.submit(shutdown()))
        finally:
            await thread.close()
            self._port = None

    async def stop_when_signal(
        self,
        grace: float = 5,
        signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
    ) -> None:
        """Wait for one of ``signals`` (main thread only), then :meth:`stop`."""
        import anyio

        with anyio.open_signal_receiver(*signals) as received:
            async for _ in received:
                break
        await self.stop(grace)
