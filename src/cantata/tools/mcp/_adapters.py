"""The tool adapters for each transport: :class:`StdioMcpToolAdapter`,
:class:`SseMcpToolAdapter` and :class:`StreamableHttpMcpToolAdapter`."""

from __future__ import annotations

from typing import ClassVar

import mcp_types as types
from pydantic import BaseModel

from cantata._components import Component

from ._base import McpToolAdapter
from ._config import SseServerParams, StdioServerParams, StreamableHttpServerParams

__all__ = [
    "SseMcpToolAdapter",
    "SseMcpToolAdapterConfig",
    "StdioMcpToolAdapter",
    "StdioMcpToolAdapterConfig",
    "StreamableHttpMcpToolAdapter",
    "StreamableHttpMcpToolAdapterConfig",
]


class StdioMcpToolAdapterConfig(BaseModel):
    """The configuration of a :class:`StdioMcpToolAdapter`."""

    server_params: StdioServerParams
    tool: types.Tool


class SseMcpToolAdapterConfig(BaseModel):
    """The configuration of a :class:`SseMcpToolAdapter`."""

    server_params: SseServerParams
    tool: types.Tool


class StreamableHttpMcpToolAdapterConfig(BaseModel):
    """The configuration of a :class:`StreamableHttpMcpToolAdapter`."""

    server_params: StreamableHttpServerParams
    tool: types.Tool


class StdioMcpToolAdapter(McpToolAdapter[StdioServerParams], Component[StdioMcpToolAdapterConfig]):
    """A tool of an MCP server run as a child process (stdio transport).

    See :class:`McpToolAdapter` and :func:`mcp_server_tools`.
    """

    component_config_schema = StdioMcpToolAdapterConfig
    """The configuration model."""

    component_provider_override: ClassVar[str | None] = "cantata.tools.mcp.StdioMcpToolAdapter"
    """The provider name of the component."""

    def _to_config(self) -> StdioMcpToolAdapterConfig:
        return StdioMcpToolAdapterConfig(server_params=self.server_params, tool=self.tool)

    @classmethod
    def _from_config(cls, config: StdioMcpToolAdapterConfig) -> StdioMcpToolAdapter:
        return cls(config.server_params, config.tool)


class SseMcpToolAdapter(McpToolAdapter[SseServerParams], Component[SseMcpToolAdapterConfig]):
    """A tool of an MCP server reached over HTTP+SSE.

    See :class:`McpToolAdapter` and :func:`mcp_server_tools`.
    """

    component_config_schema = SseMcpToolAdapterConfig
    """The configuration model."""

    component_provider_override: ClassVar[str | None] = "cantata.tools.mcp.SseMcpToolAdapter"
    """The provider name of the component."""

    def _to_config(self) -> SseMcpToolAdapterConfig:
        return SseMcpToolAdapterConfig(server_params=self.server_params, tool=self.tool)

    @classmethod
    def _from_config(cls, config: SseMcpToolAdapterConfig) -> SseMcpToolAdapter:
        return cls(config.server_params, config.tool)


class StreamableHttpMcpToolAdapter(
    McpToolAdapter[StreamableHttpServerParams], Component[StreamableHttpMcpToolAdapterConfig]
):
    """A tool of an MCP server reached over streamable HTTP.

    See :class:`McpToolAdapter` and :func:`mcp_server_tools`.
    """

    component_config_schema = StreamableHttpMcpToolAdapterConfig
    """The configuration model."""

    component_provider_override: ClassVar[str | None] = (
        "cantata.tools.mcp.StreamableHttpMcpToolAdapter"
    )
    """The provider name of the component."""

    def _to_config(self) -> StreamableHttpMcpToolAdapterConfig:
        return StreamableHttpMcpToolAdapterConfig(server_params=self.server_params, tool=self.tool)

    @classmethod
    def _from_config(
        cls, config: StreamableHttpMcpToolAdapterConfig
    ) -> StreamableHttpMcpToolAdapter:
        return cls(config.server_params, config.tool)
