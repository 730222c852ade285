"""Tools that models can call, and workbenches that hold them.

Migrating from autogen-core: ``autogen_core.tools`` -> ``cantata.tools``.

* :class:`Tool` / :class:`StreamTool`: what agents and model clients accept.
* :class:`BaseTool`, :class:`BaseToolWithState`, :class:`BaseStreamTool`: base classes
  whose arguments are a pydantic model.
* :class:`FunctionTool`: a sync or async Python function as a tool, its JSON schema
  taken from the signature and docstring.
* :class:`Workbench`, :class:`StaticWorkbench`, :class:`StaticStreamWorkbench`: sets of
  tools called by name, every result a :class:`ToolResult`.

Tool runs emit an OpenTelemetry ``execute_tool`` span when a tracer provider is
configured (install ``cantata[otel]``), and log a :class:`cantata.logging.ToolCallEvent`
when the ``cantata.events`` logger is enabled.
"""

from ._base import BaseStreamTool, BaseTool, BaseToolWithState
from ._function_tool import FunctionTool, FunctionToolConfig
from ._imports import Alias, Import, ImportFromModule
from ._protocols import StreamTool, Tool
from ._result import ImageResultContent, TextResultContent, ToolResult
from ._schema import ParametersSchema, ToolSchema
from ._static_workbench import (
    StaticStreamWorkbench,
    StaticWorkbench,
    StaticWorkbenchConfig,
    ToolOverride,
)
from ._workbench import StreamWorkbench, Workbench

__all__ = [
    "Alias",
    "BaseStreamTool",
    "BaseTool",
    "BaseToolWithState",
    "FunctionTool",
    "FunctionToolConfig",
    "ImageResultContent",
    "Import",
    "ImportFromModule",
    "ParametersSchema",
    "StaticStreamWorkbench",
    "StaticWorkbench",
    "StaticWorkbenchConfig",
    "StreamTool",
    "StreamWorkbench",
    "TextResultContent",
    "Tool",
    "ToolOverride",
    "ToolResult",
    "ToolSchema",
    "Workbench",
]
