"""The :class:`ToolAgent`: an agent that executes function calls with its tools."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, ClassVar

from cantata._agents._routed_agent import RoutedAgent, message_handler
from cantata._function_call import FunctionCall
from cantata._message_context import MessageContext
from cantata.models import FunctionExecutionResult
from cantata.tools import Tool

from ._exceptions import (
    InvalidToolArgumentsException,
    ToolExecutionException,
    ToolNotFoundException,
)

__all__ = ["ToolAgent"]


class ToolAgent(RoutedAgent):
    """An agent that runs tools for other agents.

    Send it a :class:`~cantata.FunctionCall` (as the model produced it) with
    ``send_message``; it runs the tool of that name and replies with a
    :class:`~cantata.models.FunctionExecutionResult` holding the tool's
    ``return_value_as_string`` output. A failure is raised to the sender as a
    :class:`~cantata.tool_agent.ToolException` subclass, which
    :func:`~cantata.tool_agent.tool_agent_caller_loop` turns into an error result.

    The tool runs with the message's cancellation token, so cancelling the sender's
    token cancels the tool. Calls are independent, so one agent runs any number of
    them at once (``max_concurrency`` is unbounded).

    Args:
        description: The agent's description.
        tools: The tools it can run.

    Raises:
        ValueError: Two tools have the same name.
    """

    max_concurrency: ClassVar[int] = sys.maxsize

    def __init__(self, description: str, tools: Sequence[Tool]) -> None:
        super().__init__(description)
        self._tools = list(tools)
        self._by_name: dict[str, Tool] = {}
        for tool in self._tools:
            if tool.name in self._by_name:
                raise ValueError(f"Two tools are named {tool.name!r}; tool names must be unique")
            self._by_name[tool.name] = tool

    @property
    def tools(self) -> list[Tool]:
        """The tools, in the order given."""
        return list(self._tools)

    @message_handler
    async def handle_function_call(
        self, message: FunctionCall, ctx: MessageContext
    ) -> FunctionExecutionResult:
        """Run the tool the call names and return its output.

        Raises:
            ToolNotFoundException: No tool has the called name.
            InvalidToolArgumentsException: The arguments are not a JSON object.
            ToolExecutionException: The tool rejected the arguments or raised an
                :class:`Exception` (chained as ``__cause__``).
            cantata.exceptions.MessageCancelledError: The call was cancelled.
        """
        tool = self._by_name.get(message.name)
        if tool is None:
            raise ToolNotFoundException(
                call_id=message.id,
                content=f"Error: Tool not found: {message.name}",
                name=message.name,
            )
        try:
            arguments: Any = json.loads(message.arguments) if message.arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise InvalidToolArgumentsException(
                call_id=message.id,
                content=f"Error: Invalid arguments (not JSON): {message.arguments}",
                name=message.name,
            ) from exc
        if not isinstance(arguments, dict):
            raise InvalidToolArgumentsException(
                call_id=message.id,
                content=f"Error: Invalid arguments (not a JSON object): {message.arguments}",
                name=message.name,
            )
        try:
            result = await tool.run_json(arguments, ctx.cancellation_token, call_id=message.id)
            text = tool.return_value_as_string(result)
        except Exception as exc:
            raise ToolExecutionException(
                call_id=message.id, content=f"Error: {exc}", name=message.name
            ) from exc
        return FunctionExecutionResult(
            content=text, name=message.name, call_id=message.id, is_error=False
        )
