"""The exceptions a :class:`~cantata.tool_agent.ToolAgent` raises for failed tool calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

__all__ = [
    "InvalidToolArgumentsException",
    "ToolException",
    "ToolExecutionException",
    "ToolNotFoundException",
]


@dataclass(eq=False)
class ToolException(Exception):
    """A tool call failed; ``content`` says why, in words a model can act on.

    :func:`~cantata.tool_agent.tool_agent_caller_loop` turns it into a
    ``FunctionExecutionResult(is_error=True)`` for the model. Raise it (or a
    subclass) from an intervention handler to refuse a tool call the same way.

    It is an ordinary :class:`Exception`: ``except Exception`` catches it.
    ``str(exc)`` is ``content``.

    Args:
        call_id: The id of the function call that failed.
        content: What went wrong.
        name: The name of the tool that was called.
    """

    call_id: str
    """The id of the function call that failed."""

    content: str
    """What went wrong."""

    name: str
    """The name of the tool that was called."""

    def __post_init__(self) -> None:
        super().__init__(self.content)

    def __str__(self) -> str:
        return self.content

    def __reduce__(self) -> tuple[type[Self], tuple[str, str, str]]:
        return (type(self), (self.call_id, self.content, self.name))


@dataclass(eq=False)
class ToolNotFoundException(ToolException):
    """The tool agent has no tool with the called name."""


@dataclass(eq=False)
class InvalidToolArgumentsException(ToolException):
    """The call's arguments are not a JSON object."""


@dataclass(eq=False)
class ToolExecutionException(ToolException):
    """The tool raised an exception (or rejected its arguments); it is chained as
    ``__cause__``."""
