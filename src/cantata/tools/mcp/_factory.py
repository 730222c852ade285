"""The :func:`mcp_server_tools` factory."""

from __future__ import annotations

from mcp import ClientSession

from ._adapters import SseMcpToolAdapter, StdioMcpToolAdapter, StreamableHttpMcpToolAdapter
from ._config import McpServerParams, SseServerParams, StdioServerParams, StreamableHttpServerParams
from ._session import create_mcp_server_session

__all__ = ["mcp_server_tools"]


async def mcp_server_tools(
    server_params: McpServerParams, session: ClientSession | None = None
) -> list[StdioMcpToolAdapter] | list[SseMcpToolAdapter] | list[StreamableHttpMcpToolAdapter]:
    """Return an adapter for each tool of the server, to give to an agent or a
    :class:`~cantata.tools.StaticWorkbench`.

    Without *session*, the tools are listed on a session opened for the purpose, and each
    adapter opens a session of its own per call (for a stdio server: a fresh process per
    call). With *session* (initialized, kept open by the caller), they are listed on it and
    every adapter calls its tool on it.

    Raises:
        TypeError: *server_params* is not one of the server parameter classes.
    """
    if session is None:
        async with create_mcp_server_session(server_params) as opened:
            await opened.initialize()
            listing = await opened.list_tools()
    else:
        listing = await session.list_tools()
    if isinstance(server_params, StdioServerParams):
        return [StdioMcpToolAdapter(server_params, tool, session) for tool in listing.tools]
    if isinstance(server_params, SseServerParams):
        return [SseMcpToolAdapter(server_params, tool, session) for tool in listing.tools]
    if isinstance(server_params, StreamableHttpServerParams):
        return [
            StreamableHttpMcpToolAdapter(server_params, tool, session) for tool in listing.tools
        ]
    raise TypeError(f"Unsupported server params type: {type(server_params).__name__}")
