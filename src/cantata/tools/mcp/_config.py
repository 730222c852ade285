"""How to reach an MCP server: :class:`StdioServerParams`, :class:`SseServerParams`,
:class:`StreamableHttpServerParams`, and their union :data:`McpServerParams`."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from mcp import StdioServerParameters
from pydantic import BaseModel, Field

__all__ = [
    "McpServerParams",
    "SseServerParams",
    "StdioServerParams",
    "StreamableHttpServerParams",
]


class StdioServerParams(StdioServerParameters):
    """Run an MCP server as a child process and talk to it over its stdin and stdout.

    The fields are the SDK's :class:`mcp.StdioServerParameters` (``command``, ``args``,
    ``env``, ``cwd``, ``encoding``, ``encoding_error_handler``) plus
    ``read_timeout_seconds``. The child gets only a safe subset of the environment
    (``HOME``, ``PATH``, ...) plus ``env``. It runs in a process group of its own; when
    the session ends its stdin is closed and, if it does not exit within two seconds,
    the whole group is terminated, then killed.
    """

    type: Literal["StdioServerParams"] = "StdioServerParams"
    """Discriminator of :data:`McpServerParams`."""

    read_timeout_seconds: float = 5
    """How long any one request (a tool call included) may wait for its response."""


class SseServerParams(BaseModel):
    """Reach an MCP server over the (older) HTTP+SSE transport."""

    type: Literal["SseServerParams"] = "SseServerParams"
    """Discriminator of :data:`McpServerParams`."""

    url: str
    """The SSE endpoint, e.g. ``http://localhost:8931/sse``."""

    headers: dict[str, Any] | None = None
    """Headers sent with every HTTP request (e.g. ``Authorization``)."""

    timeout: float = 5
    """The HTTP timeout, in seconds, for connecting and posting messages."""

    sse_read_timeout: float = 60 * 5
    """How long, in seconds, to wait for the next event, and for any one response."""


class StreamableHttpServerParams(BaseModel):
    """Reach an MCP server over the streamable HTTP transport."""

    type: Literal["StreamableHttpServerParams"] = "StreamableHttpServerParams"
    """Discriminator of :data:`McpServerParams`."""

    url: str
    """The MCP endpoint, e.g. ``http://localhost:8000/mcp``."""

    headers: dict[str, Any] | None = None
    """Headers sent with every HTTP request (e.g. ``Authorization``)."""

    timeout: float = 30.0
    """The HTTP timeout, in seconds, for connecting and sending."""

    sse_read_timeout: float = 300.0
    """How long, in seconds, to wait for the next event, and for any one response."""

    terminate_on_close: bool = True
    """Whether closing the session asks the server to end it (an HTTP ``DELETE``)."""


McpServerParams: TypeAlias = Annotated[
    StdioServerParams | SseServerParams | StreamableHttpServerParams,
    Field(discriminator="type"),
]
"""Any of the server parameter classes, told apart by their ``type`` field."""
