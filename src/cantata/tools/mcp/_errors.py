"""The errors of :mod:`cantata.tools.mcp`."""

from __future__ import annotations

__all__ = ["McpConnectionError", "McpToolError", "describe_error"]


class McpConnectionError(RuntimeError):
    """The MCP server could not be reached or started, or the connection to it was lost
    (for a stdio server: its process exited). A workbench starts a new session on its next
    use."""


class McpToolError(RuntimeError):
    """An MCP tool reported an error; the message is the server's text."""


def describe_error(exc: BaseException) -> str:
    """An exception as text, ``Type: message``; an exception group's members joined by
    ``"; "``."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe_error(inner) for inner in exc.exceptions)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
