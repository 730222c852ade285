"""The :func:`tool_agent_caller_loop`: a model's tool calls, run by a ToolAgent, in a loop."""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from cantata._agent_id import AgentId
from cantata._agents._base_agent import BaseAgent
from cantata._cancellation_token import CancellationToken
from cantata._function_call import FunctionCall
from cantata._runtime._protocol import AgentRuntime
from cantata.exceptions import MessageCancelledError
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
)
from cantata.tools import Tool, ToolSchema

from ._exceptions import ToolException

__all__ = ["tool_agent_caller_loop"]


async def tool_agent_caller_loop(
    caller: BaseAgent | AgentRuntime,
    tool_agent_id: AgentId,
    model_client: ChatCompletionClient,
    input_messages: list[LLMMessage],
    tool_schema: list[ToolSchema] | list[Tool],
    cancellation_token: CancellationToken | None = None,
    caller_source: str = "assistant",
) -> list[LLMMessage]:
    """Ask the model, run the tools it calls through a tool agent, and repeat until it
    answers with text.

    Each round sends the input messages plus everything generated so far to
    *model_client* with *tool_schema*. When the model asks for function calls, each
    call is sent to the :class:`~cantata.tool_agent.ToolAgent` at *tool_agent_id*;
    the calls of one round run concurrently (in an AnyIO task group) and their results
    keep the calls' order. A :class:`~cantata.tool_agent.ToolException` (a missing
    tool, bad arguments, a failing tool, or one raised by an intervention handler to
    refuse the call) becomes a ``FunctionExecutionResult(is_error=True)`` carrying its
    ``content``, so the model can react to it.

    Args:
        caller: The agent (or the runtime) that sends the calls.
        tool_agent_id: The tool agent that runs them.
        model_client: The model.
        input_messages: The conversation so far; it is not modified.
        tool_schema: The tools (or their schemas) the model may call.
        cancellation_token: Cancels the model calls and the tool calls.
        caller_source: The ``source`` of the generated assistant messages.

    Returns:
        The generated messages only: one :class:`~cantata.models.AssistantMessage` per
        model response, each round of calls followed by its
        :class:`~cantata.models.FunctionExecutionResultMessage`. The last message is
        the model's text answer.

    Raises:
        cantata.exceptions.MessageCancelledError: *cancellation_token* was cancelled.
        Exception: A tool call failed with an exception that is not a
            :class:`~cantata.tool_agent.ToolException` (for example an unknown tool
            agent type); the first such failure, in call order, is raised once every
            call of the round has finished. Errors of the model client propagate.
    """
    generated: list[LLMMessage] = []
    response = await model_client.create(
        input_messages, tools=tool_schema, cancellation_token=cancellation_token
    )
    generated.append(_assistant_message(response, caller_source))
    while isinstance(response.content, list) and all(
        isinstance(call, FunctionCall) for call in response.content
    ):
        results = await _run_calls(caller, tool_agent_id, response.content, cancellation_token)
        generated.append(FunctionExecutionResultMessage(content=results))
        response = await model_client.create(
            [*input_messages, *generated],
            tools=tool_schema,
            cancellation_token=cancellation_token,
        )
        generated.append(_assistant_message(response, caller_source))
    return generated


def _assistant_message(response: CreateResult, source: str) -> AssistantMessage:
    return AssistantMessage(content=response.content, thought=response.thought, source=source)


async def _run_calls(
    caller: BaseAgent | AgentRuntime,
    tool_agent_id: AgentId,
    calls: Sequence[FunctionCall],
    cancellation_token: CancellationToken | None,
) -> list[FunctionExecutionResult]:
    """Send every call to the tool agent at once; return the results in call order."""
    outcomes: list[object] = [None] * len(calls)

    async def send(index: int, call: FunctionCall) -> None:
        try:
            outcomes[index] = await caller.send_message(
                call, tool_agent_id, cancellation_token=cancellation_token
            )
        # A MessageCancelledError is kept too: on asyncio it is a CancelledError, which
        # a task group would take for the cancellation of the task and drop.
        except (Exception, MessageCancelledError) as exc:
            outcomes[index] = exc

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(send, index, call)

    results: list[FunctionExecutionResult] = []
    for call, outcome in zip(calls, outcomes, strict=True):
        if isinstance(outcome, ToolException):
            results.append(
                FunctionExecutionResult(
                    content=outcome.content,
                    name=outcome.name,
                    call_id=outcome.call_id,
                    is_error=True,
                )
            )
        elif isinstance(outcome, BaseException):
            raise outcome
        elif isinstance(outcome, FunctionExecutionResult):
            results.append(outcome)
        else:
            raise TypeError(
                f"Tool agent {tool_agent_id} answered call {call.id!r} ({call.name}) with "
                f"{type(outcome).__name__}, not a FunctionExecutionResult"
            )
    return results
