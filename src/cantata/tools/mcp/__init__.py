"""MCP (Model Context Protocol) servers' tools, prompts and resources, on the ``mcp`` SDK.

Migrating from autogen: ``autogen_ext.tools.mcp`` -> ``cantata.tools.mcp``. Install the
``mcp`` extra (``pip install 'cantata[mcp]'``).

* :class:`McpWorkbench`: a :class:`~cantata.tools.Workbench` over one server's tools,
  with its prompts, resources and resource templates.
* :class:`StdioServerParams`, :class:`SseServerParams`,
  :class:`StreamableHttpServerParams` (:data:`McpServerParams`): where a server is.
* :func:`mcp_server_tools` and the adapters :class:`StdioMcpToolAdapter`,
  :class:`SseMcpToolAdapter`, :class:`StreamableHttpMcpToolAdapter`: a server's tools as
  individual cantata tools.
* :func:`create_mcp_server_session`: an SDK :class:`~mcp.ClientSession` for given
  parameters; :class:`McpSessionActor`: one session owned by a task of its own.

Runs on asyncio and on Trio.
"""

try:
    import mcp as _mcp  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "cantata.tools.mcp needs the mcp package: pip install 'cantata[mcp]'"
    ) from exc

from ._actor import McpActorArgs, McpSessionActor, McpSessionActorConfig
from ._adapters import (
    SseMcpToolAdapter,
    SseMcpToolAdapterConfig,
    StdioMcpToolAdapter,
    StdioMcpToolAdapterConfig,
    StreamableHttpMcpToolAdapter,
    StreamableHttpMcpToolAdapterConfig,
)
from ._base import McpToolAdapter, McpToolArguments
from ._config import McpServerParams, SseServerParams, StdioServerParams, StreamableHttpServerParams
from ._errors import McpConnectionError, McpToolError
from ._factory import mcp_server_tools
from ._session import create_mcp_server_session
from ._workbench import McpWorkbench, McpWorkbenchConfig, McpWorkbenchState

__all__ = [
    "McpActorArgs",
    "McpConnectionError",
    "McpServerParams",
    "McpSessionActor",
    "McpSessionActorConfig",
    "McpToolAdapter",
    "McpToolArguments",
    "McpToolError",
    "McpWorkbench",
    "McpWorkbenchConfig",
    "McpWorkbenchState",
    "SseMcpToolAdapter",
    "SseMcpToolAdapterConfig",
    "SseServerParams",
    "StdioMcpToolAdapter",
    "StdioMcpToolAdapterConfig",
    "StdioServerParams",
    "StreamableHttpMcpToolAdapter",
    "StreamableHttpMcpToolAdapterConfig",
    "StreamableHttpServerParams",
    "create_mcp_server_session",
    "mcp_server_tools",
]
