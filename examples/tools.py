"""Port of the user-guide section "Tools".

A ``FunctionTool`` wraps a Python function; its JSON schema, taken from the signature, tells a
model how to call it. The section calls the tool directly, then through a model client, and
finally builds a tool-equipped agent: a ``RoutedAgent`` that asks the model, runs the tool
calls the model requests, and asks the model again to reflect on the results. (The guide's
"Built-in Tools" part, the code-execution tool, is in ``examples/code_execution_tool.py``.)

The model is a ``ReplayChatCompletionClient`` that replays the guide's model replies, tool
calls included, so the example runs offline and prints the guide's output. When
``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is available,
:func:`create_model_client` returns the guide's ``OpenAIChatCompletionClient(model="gpt-4o-mini")``
instead. The tool's result is random, as in the guide, so it is not printed.

:func:`main` (``python examples/tools.py``) runs the agent between ``runtime.start()`` and
``await runtime.stop()`` as the guide does, on asyncio; :func:`run_structured` runs it inside
an ``async with`` block, on asyncio or Trio (see ``examples/README.md``). So that the agent
runs on both, it awaits its tool calls with ``gather`` from ``examples/_support.py``, an AnyIO
stand-in for the guide's ``asyncio.gather``.
"""

from __future__ import annotations

import asyncio
import json
import pprint
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from _support import configured_openai_client, gather, printed_lines, structured_form

from cantata import (
    AgentId,
    CancellationToken,
    FunctionCall,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tools import FunctionTool, Tool

# -- Custom Function Tools -------------------------------------------------------------------


async def get_stock_price(ticker: str, date: Annotated[str, "Date in YYYY/MM/DD"]) -> float:
    # Returns a random stock price for demonstration purposes.
    return random.uniform(10, 200)


async def custom_function_tool() -> str:
    """The guide's direct use of the tool; returns what the guide prints (a random price)."""
    # Create a function tool.
    stock_price_tool = FunctionTool(get_stock_price, description="Get the stock price.")

    # Run the tool.
    cancellation_token = CancellationToken()
    result = await stock_price_tool.run_json(
        {"ticker": "AAPL", "date": "2021/01/01"}, cancellation_token
    )

    # Return the result as the guide prints it.
    return stock_price_tool.return_value_as_string(result)


# -- The scripted model ----------------------------------------------------------------------


def _function_calls(call_id: str, ticker: str, date: str) -> CreateResult:
    """A model reply that asks for one call of get_stock_price."""
    arguments = json.dumps({"ticker": ticker, "date": date}, separators=(",", ":"))
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=call_id, arguments=arguments, name="get_stock_price")],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


MODEL_CLIENT_REPLIES: list[str | CreateResult] = [
    _function_calls("call_tpJ5J1Xoxi84Sw4v0scH0qBM", "AAPL", "2021/01/01"),
    "The stock price of AAPL (Apple Inc.) on January 1, 2021, was approximately $32.38.",
]
"""The guide's model replies in "Calling Tools with Model Clients"."""

AGENT_REPLIES: list[str | CreateResult] = [
    _function_calls("call_8gTj3Obh6GJJ6FZhCAobLMoU", "NVDA", "2024/06/01"),
    "The stock price of NVIDIA (NVDA) on June 1, 2024, was approximately $140.05.",
]
"""The model replies behind the guide's "Tool-Equipped Agent" output."""


def create_model_client(replies: Sequence[str | CreateResult]) -> ChatCompletionClient:
    """Return the OpenAI client if it is configured and available, else one replaying
    *replies*."""
    return configured_openai_client(model="gpt-4o-mini") or ReplayChatCompletionClient(replies)


# -- Calling Tools with Model Clients --------------------------------------------------------


async def calling_tools_with_model_clients(model_client: ChatCompletionClient) -> None:
    stock_price_tool = FunctionTool(get_stock_price, description="Get the stock price.")
    # In a notebook the cell shows the schema; here we print it.
    pprint.pprint(stock_price_tool.schema, sort_dicts=False)

    # Create a user message.
    user_message = UserMessage(
        content="What is the stock price of AAPL on 2021/01/01?", source="user"
    )

    # Run the chat completion with the stock_price_tool defined above.
    cancellation_token = CancellationToken()
    create_result = await model_client.create(
        messages=[user_message], tools=[stock_price_tool], cancellation_token=cancellation_token
    )
    print(create_result.content)

    assert isinstance(create_result.content, list)
    arguments = json.loads(create_result.content[0].arguments)
    tool_result = await stock_price_tool.run_json(arguments, cancellation_token)
    tool_result_str = stock_price_tool.return_value_as_string(tool_result)

    # Create a function execution result
    exec_result = FunctionExecutionResult(
        call_id=create_result.content[0].id,
        content=tool_result_str,
        is_error=False,
        name=stock_price_tool.name,
    )

    # Make another chat completion with the history and function execution result message.
    messages: list[LLMMessage] = [
        user_message,
        AssistantMessage(content=create_result.content, source="assistant"),
        FunctionExecutionResultMessage(content=[exec_result]),
    ]
    create_result = await model_client.create(
        messages=messages, cancellation_token=cancellation_token
    )
    print(create_result.content)
    await model_client.close()


# -- Tool-Equipped Agent ---------------------------------------------------------------------


@dataclass
class Message:
    content: str


class ToolUseAgent(RoutedAgent):
    def __init__(self, model_client: ChatCompletionClient, tool_schema: list[Tool]) -> None:
        super().__init__("An agent with tools")
        self._system_messages: list[LLMMessage] = [
            SystemMessage(content="You are a helpful AI assistant.")
        ]
        self._model_client = model_client
        self._tools = tool_schema

    @message_handler
    async def handle_user_message(self, message: Message, ctx: MessageContext) -> Message:
        # Create a session of messages.
        session: list[LLMMessage] = [
            *self._system_messages,
            UserMessage(content=message.content, source="user"),
        ]

        # Run the chat completion with the tools.
        create_result = await self._model_client.create(
            messages=session,
            tools=self._tools,
            cancellation_token=ctx.cancellation_token,
        )

        # If there are no tool calls, return the result.
        if isinstance(create_result.content, str):
            return Message(content=create_result.content)
        assert isinstance(create_result.content, list) and all(
            isinstance(call, FunctionCall) for call in create_result.content
        )

        # Add the first model create result to the session.
        session.append(AssistantMessage(content=create_result.content, source="assistant"))

        # Execute the tool calls.
        results = await gather(
            *[
                self._execute_tool_call(call, ctx.cancellation_token)
                for call in create_result.content
            ]
        )

        # Add the function execution results to the session.
        session.append(FunctionExecutionResultMessage(content=results))

        # Run the chat completion again to reflect on the history and function execution results.
        create_result = await self._model_client.create(
            messages=session,
            cancellation_token=ctx.cancellation_token,
        )
        assert isinstance(create_result.content, str)

        # Return the result as a message.
        return Message(content=create_result.content)

    async def _execute_tool_call(
        self, call: FunctionCall, cancellation_token: CancellationToken
    ) -> FunctionExecutionResult:
        # Find the tool by name.
        tool = next((tool for tool in self._tools if tool.name == call.name), None)
        assert tool is not None

        # Run the tool and capture the result.
        try:
            arguments = json.loads(call.arguments)
            result = await tool.run_json(arguments, cancellation_token)
            return FunctionExecutionResult(
                call_id=call.id,
                content=tool.return_value_as_string(result),
                is_error=False,
                name=tool.name,
            )
        except Exception as e:
            return FunctionExecutionResult(
                call_id=call.id, content=str(e), is_error=True, name=tool.name
            )


async def register_tool_use_agent(
    runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient
) -> None:
    # Create the tools.
    tools: list[Tool] = [FunctionTool(get_stock_price, description="Get the stock price.")]
    # Register the agents.
    print(
        await ToolUseAgent.register(
            runtime,
            "tool_use_agent",
            lambda: ToolUseAgent(
                model_client=model_client,
                tool_schema=tools,
            ),
        )
    )


async def ask_tool_use_agent(runtime: SingleThreadedAgentRuntime) -> None:
    # Send a direct message to the tool agent.
    tool_use_agent = AgentId("tool_use_agent", "default")
    response = await runtime.send_message(
        Message("What is the stock price of NVDA on 2024/06/01?"), tool_use_agent
    )
    print(response.content)


async def tool_equipped_agent(
    runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient
) -> None:
    """Register the agent and ask it the guide's question."""
    await register_tool_use_agent(runtime, model_client)
    await ask_tool_use_agent(runtime)


# -- The guide's form (asyncio) and the structured form (asyncio and Trio) -------------------


async def main() -> None:
    print("# Calling Tools with Model Clients")
    await calling_tools_with_model_clients(create_model_client(MODEL_CLIENT_REPLIES))

    print("# Tool-Equipped Agent")
    # Create the model client.
    model_client = create_model_client(AGENT_REPLIES)
    # Create a runtime.
    runtime = SingleThreadedAgentRuntime()
    await register_tool_use_agent(runtime, model_client)
    # Start processing messages.
    runtime.start()
    await ask_tool_use_agent(runtime)
    # Stop processing messages.
    await runtime.stop()
    await model_client.close()


async def structured() -> None:
    print("# Calling Tools with Model Clients")
    await calling_tools_with_model_clients(create_model_client(MODEL_CLIENT_REPLIES))

    print("# Tool-Equipped Agent")
    model_client = create_model_client(AGENT_REPLIES)
    await structured_form(lambda runtime: tool_equipped_agent(runtime, model_client))
    await model_client.close()


async def run_structured() -> list[str]:
    """Run the section with ``async with``; return the lines it printed."""
    return await printed_lines(structured)


if __name__ == "__main__":
    asyncio.run(main())
