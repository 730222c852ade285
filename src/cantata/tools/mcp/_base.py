"""The :class:`McpToolAdapter` base class: one MCP tool as a cantata tool."""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

import mcp_types as types
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, ConfigDict

from cantata._cancellation_token import CancellationToken

from .._base import BaseTool
from .._cancellation import token_cancel_scope
from .._schema import ToolSchema
from ._config import SseServerParams, StdioServerParams, StreamableHttpServerParams
from ._convert import content_as_text, tool_schema
from ._errors import McpConnectionError, McpToolError
from ._session import create_mcp_server_session

__all__ = ["McpToolAdapter", "McpToolArguments"]

TServerParams = TypeVar(
    "TServerParams", bound=StdioServerParams | SseServerParams | StreamableHttpServerParams
)


class McpToolArguments(BaseModel):
    """The arguments of an MCP tool: any JSON object (the server checks them against the
    tool's input schema)."""

    model_config = ConfigDict(extra="allow")


class McpToolAdapter(
    BaseTool[McpToolArguments, list[types.ContentBlock]], ABC, Generic[TServerParams]
):
    """One tool of an MCP server, usable wherever a cantata tool is.

    The tool's JSON schema is the server's input schema (local ``$ref``\\ s inlined). A
    run sends ``tools/call`` on *session* if one is given, else on a session of its own
    opened for that call (for a stdio server: a fresh server process), in the caller's
    task; the run's cancellation token, or the caller's cancel scope, cancels it.

    :meth:`run` returns the server's content blocks; :meth:`return_value_as_string` shows
    text as text and other blocks as JSON, one per line.

    Args:
        server_params: Where the server is and how to reach it.
        tool: The tool, as the server lists it.
        session: An initialized session to call the tool on; its owner keeps it open.
    """

    component_type: ClassVar[str] = "tool"
    """The component type of every tool."""

    def __init__(
        self, server_params: TServerParams, tool: types.Tool, session: ClientSession | None = None
    ) -> None:
        self._tool = tool
        self._server_params = server_params
        self._session = session
        super().__init__(McpToolArguments, list, tool.name, tool.description or "")

    def _build_schema(self) -> ToolSchema:
        return tool_schema(self._tool)

    @property
    def tool(self) -> types.Tool:
        """The MCP tool, as the server listed it."""
        return self._tool

    @property
    def server_params(self) -> TServerParams:
        """Where the server is and how to reach it."""
        return self._server_params

    async def run(
        self, args: McpToolArguments, cancellation_token: CancellationToken
    ) -> list[types.ContentBlock]:
        """Call the tool and return its content blocks.

        Arguments the model did not give are not sent (the server applies its defaults).

        Raises:
            McpToolError: The tool reported an error; the message is the server's text.
            McpConnectionError: The server could not be reached, or the connection was
                lost during the call.
            mcp.MCPError: The server answered with a protocol error, or not in time (the
                session's ``read_timeout_seconds``, or ``sse_read_timeout`` over HTTP).
            cantata.exceptions.MessageCancelledError: *cancellation_token* was cancelled.
        """
        arguments = args.model_dump(exclude_unset=True)
        try:
            with token_cancel_scope(cancellation_token, f"The call to MCP tool {self.name!r}"):
                if self._session is not None:
                    result = await self._session.call_tool(self._tool.name, arguments)
                else:
                    result = await self._call_on_new_session(arguments)
        except MCPError as exc:
            if exc.error.code != types.CONNECTION_CLOSED:
                raise
            raise McpConnectionError(
                f"The connection to the MCP server was lost during the call to tool {self.name!r}"
            ) from exc
        if result.is_error:
            raise McpToolError("\n".join(content_as_text(block) for block in result.content))
        return list(result.content)

    async def _call_on_new_session(self, arguments: dict[str, Any]) -> types.CallToolResult:
        try:
            async with create_mcp_server_session(self._server_params) as session:
                await session.initialize()
                return await session.call_tool(self._tool.name, arguments)
        except (OSError, ExceptionGroup) as exc:
            raise McpConnectionError(
                f"Could not call MCP tool {self.name!r}: {_first_line(exc)}"
            ) from exc

    def _validate_args(self, args: Mapping[str, Any]) -> McpToolArguments:
        if not isinstance(args, Mapping):
            raise ValueError(
                f"Invalid arguments for tool {self.name!r}: expected a JSON object, "
                f"got {type(args).__name__}"
            )
        return McpToolArguments.model_validate(dict(args))

    def return_value_as_string(self, value: Any) -> str:
        """Content blocks as text: text blocks (and embedded text resources) as their text,
        other blocks as their JSON, one per line."""
        if isinstance(value, list):
            return "\n".join(
                content_as_text(item) if isinstance(item, _CONTENT_TYPES) else str(item)
                for item in value
            )
        return super().return_value_as_string(value)

    @classmethod
    async def from_server_params(
        cls, server_params: TServerParams, tool_name: str
    ) -> McpToolAdapter[TServerParams]:
        """Connect to the server and return an adapter for its tool *tool_name*.

        Raises:
            ValueError: The server has no tool called *tool_name* (its tools are listed).
        """
        async with create_mcp_server_session(server_params) as session:
            await session.initialize()
            listing = await session.list_tools()
        for tool in listing.tools:
            if tool.name == tool_name:
                return cls(server_params, tool)
        available = ", ".join(tool.name for tool in listing.tools) or "none"
        raise ValueError(f"Tool {tool_name!r} not found; available tools: {available}")


_CONTENT_TYPES = (
    types.TextContent,
    types.ImageContent,
    types.AudioContent,
    types.ResourceLink,
    types.EmbeddedResource,
)


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_first_line(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"
