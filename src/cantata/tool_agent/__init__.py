"""An agent that runs tools for other agents, and the loop that drives it.

Migrating from autogen-core: ``autogen_core.tool_agent`` -> ``cantata.tool_agent``. The
tool exceptions here are ordinary :class:`Exception` subclasses (``except Exception``
catches them).
"""

from ._caller_loop import tool_agent_caller_loop
from ._exceptions import (
    InvalidToolArgumentsException,
    ToolException,
    ToolExecutionException,
    ToolNotFoundException,
)
from ._tool_agent import ToolAgent

__all__ = [
    "InvalidToolArgumentsException",
    "ToolAgent",
    "ToolException",
    "ToolExecutionException",
    "ToolNotFoundException",
    "tool_agent_caller_loop",
]
