"""Opening an MCP client session: :func:`create_mcp_server_session`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any, Self

import httpx2
from mcp import ClientSession
from mcp.client.session import ElicitationFnT, ListRootsFnT, SamplingFnT
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage

from ._config import McpServerParams, SseServerParams, StdioServerParams, StreamableHttpServerParams

__all__ = ["create_mcp_server_session", "open_session", "request_timeout"]


@asynccontextmanager
async def create_mcp_server_session(
    server_params: McpServerParams,
    sampling_callback: SamplingFnT | None = None,
    elicitation_callback: ElicitationFnT | None = None,
    list_roots_callback: ListRootsFnT | None = None,
) -> AsyncIterator[ClientSession]:
    """Connect to the server and yield an MCP :class:`~mcp.ClientSession` on it.

    The session is not initialized: call ``await session.initialize()`` first. Leaving
    the block closes the session and the connection; a stdio server's process is ended
    (stdin closed, then terminated and killed if it lingers), even when the block is
    left by cancellation.

    Args:
        server_params: Where the server is and how to reach it.
        sampling_callback: Answers the server's ``sampling/createMessage`` requests.
        elicitation_callback: Answers the server's elicitation requests.
        list_roots_callback: Answers the server's ``roots/list`` requests.

    Raises:
        OSError: A stdio server's command could not be started.
        httpx2.HTTPError: An SSE server could not be reached.
    """
    async with open_session(
        server_params,
        read_timeout_seconds=request_timeout(server_params),
        sampling_callback=sampling_callback,
        elicitation_callback=elicitation_callback,
        list_roots_callback=list_roots_callback,
    ) as session:
        yield session


@asynccontextmanager
async def open_session(
    server_params: McpServerParams,
    *,
    read_timeout_seconds: float | None,
    sampling_callback: SamplingFnT | None = None,
    elicitation_callback: ElicitationFnT | None = None,
    list_roots_callback: ListRootsFnT | None = None,
    on_closed: Callable[[], None] | None = None,
) -> AsyncIterator[ClientSession]:
    """:func:`create_mcp_server_session` with the session's request timeout given
    (``None``: none), calling *on_closed* once the session stops reading from the server
    (the server closed the connection, or the session ended)."""
    async with _transport(server_params) as (read_stream, write_stream):
        watched = _WatchedReadStream(read_stream, on_closed or _nothing)
        async with ClientSession(
            watched,
            write_stream,
            read_timeout_seconds=read_timeout_seconds,
            sampling_callback=sampling_callback,
            elicitation_callback=elicitation_callback,
            list_roots_callback=list_roots_callback,
        ) as session:
            yield session


def request_timeout(server_params: McpServerParams) -> float:
    """How long one request may wait for its response: ``read_timeout_seconds`` for a
    stdio server, ``sse_read_timeout`` for an HTTP one."""
    if isinstance(server_params, StdioServerParams):
        return server_params.read_timeout_seconds
    return server_params.sse_read_timeout


def _nothing() -> None:
    pass


def _transport(server_params: McpServerParams) -> AbstractAsyncContextManager[Any]:
    """The SDK transport for *server_params*: a context manager yielding its two streams."""
    if isinstance(server_params, StdioServerParams):
        return stdio_client(server_params)
    if isinstance(server_params, SseServerParams):
        return sse_client(
            server_params.url,
            headers=server_params.headers,
            timeout=server_params.timeout,
            sse_read_timeout=server_params.sse_read_timeout,
        )
    if isinstance(server_params, StreamableHttpServerParams):
        return _streamable_http(server_params)
    raise TypeError(
        "server_params must be StdioServerParams, SseServerParams or "
        f"StreamableHttpServerParams, not {type(server_params).__name__}"
    )


@asynccontextmanager
async def _streamable_http(params: StreamableHttpServerParams) -> AsyncIterator[Any]:
    headers = {key: str(value) for key, value in (params.headers or {}).items()}
    timeout = httpx2.Timeout(params.timeout, read=params.sse_read_timeout)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as client,
        streamable_http_client(
            params.url, http_client=client, terminate_on_close=params.terminate_on_close
        ) as streams,
    ):
        yield streams


class _WatchedReadStream:
    """The transport's read stream, calling *on_closed* once the session is done with it.

    The session's dispatcher reads it inside ``async with stream:`` until the server
    closes the connection (or the session ends), so leaving that block is the moment
    the connection is known to be gone.
    """

    def __init__(self, stream: Any, on_closed: Callable[[], None]) -> None:
        self._stream = stream
        self._on_closed = on_closed

    @property
    def last_context(self) -> Any:
        """The sender's context of the last item, where the transport records it."""
        return getattr(self._stream, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        item: SessionMessage | Exception = await self._stream.receive()
        return item

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._on_closed()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        item: SessionMessage | Exception = await self._stream.__anext__()
        return item

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.aclose()
