"""Port of the user-guide section "Workbench (and MCP)", its "Using Workbench" part.

``WorkbenchAgent`` (the guide's code) asks the model with the tools of a ``Workbench``, runs
the calls the model makes through ``workbench.call_tool`` and asks again, until the model
answers in text. The guide then gives it an MCP workbench of a Playwright browser server; that
needs a browser, Node.js and the network, so here the agent gets a ``StaticWorkbench`` of two
local ``FunctionTool``\\ s over a small campus directory instead. The agent code does not change:
any ``Workbench`` works.

The model is a ``ReplayChatCompletionClient`` that first calls both tools (in one turn), then
answers from their results, so the example runs offline. When ``OPENAI_BASE_URL`` or
``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is available,
:func:`create_model_client` returns the guide's
``OpenAIChatCompletionClient(model="gpt-4.1-nano")``.

:func:`main` (``python examples/workbench.py``) runs the guide's ``runtime.start()`` ...
``await runtime.stop()`` form on asyncio; :func:`run_structured` runs the same program inside
``async with`` on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Annotated

from _support import configured_openai_client, given_or_created, printed_lines

from cantata import (
    AgentId,
    FunctionCall,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.model_context import BufferedChatCompletionContext, ChatCompletionContext
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
from cantata.tools import FunctionTool, StaticWorkbench, ToolResult, Workbench

# -- The agent (the guide's) -----------------------------------------------------------------


@dataclass
class Message:
    content: str


class WorkbenchAgent(RoutedAgent):
    def __init__(
        self,
        model_client: ChatCompletionClient,
        model_context: ChatCompletionContext,
        workbench: Workbench,
    ) -> None:
        super().__init__("An agent with a workbench")
        self._system_messages: list[LLMMessage] = [
            SystemMessage(content="You are a helpful AI assistant.")
        ]
        self._model_client = model_client
        self._model_context = model_context
        self._workbench = workbench

    @message_handler
    async def handle_user_message(self, message: Message, ctx: MessageContext) -> Message:
        # Add the user message to the model context.
        await self._model_context.add_message(UserMessage(content=message.content, source="user"))
        print("---------User Message-----------")
        print(message.content)

        # Run the chat completion with the tools.
        create_result = await self._model_client.create(
            messages=self._system_messages + (await self._model_context.get_messages()),
            tools=(await self._workbench.list_tools()),
            cancellation_token=ctx.cancellation_token,
        )

        # Run tool call loop.
        while isinstance(create_result.content, list) and all(
            isinstance(call, FunctionCall) for call in create_result.content
        ):
            print("---------Function Calls-----------")
            for call in create_result.content:
                print(call)

            # Add the function calls to the model context.
            await self._model_context.add_message(
                AssistantMessage(content=create_result.content, source="assistant")
            )

            # Call the tools using the workbench.
            print("---------Function Call Results-----------")
            results: list[ToolResult] = []
            for call in create_result.content:
                result = await self._workbench.call_tool(
                    call.name,
                    arguments=json.loads(call.arguments),
                    cancellation_token=ctx.cancellation_token,
                )
                results.append(result)
                print(result)

            # Add the function execution results to the model context.
            await self._model_context.add_message(
                FunctionExecutionResultMessage(
                    content=[
                        FunctionExecutionResult(
                            call_id=call.id,
                            content=result.to_text(),
                            is_error=result.is_error,
                            name=result.name,
                        )
                        for call, result in zip(create_result.content, results, strict=False)
                    ]
                )
            )

            # Run the chat completion again to reflect on the history and function execution
            # results.
            create_result = await self._model_client.create(
                messages=self._system_messages + (await self._model_context.get_messages()),
                tools=(await self._workbench.list_tools()),
                cancellation_token=ctx.cancellation_token,
            )

        # Now we have a single message as the result.
        assert isinstance(create_result.content, str)

        print("---------Final Response-----------")
        print(create_result.content)

        # Add the assistant message to the model context.
        await self._model_context.add_message(
            AssistantMessage(content=create_result.content, source="assistant")
        )

        # Return the result as a message.
        return Message(content=create_result.content)


# -- The workbench: local tools in place of the guide's browser ------------------------------

CAMPUS = {
    "building 99": "14820 NE 36th Street, Redmond, WA 98052, United States",
    "building 92": "15010 NE 36th Street, Redmond, WA 98052, United States",
}


def find_address(building: Annotated[str, "The building's name, e.g. 'Building 99'"]) -> str:
    """Look up the street address of a campus building."""
    address = CAMPUS.get(building.strip().lower())
    if address is None:
        raise ValueError(f"No building called {building!r}")
    return address


def list_buildings() -> list[str]:
    """List the buildings in the campus directory."""
    return sorted(name.title() for name in CAMPUS)


def create_workbench() -> StaticWorkbench:
    return StaticWorkbench(
        [
            FunctionTool(find_address, description="Look up a campus building's address."),
            FunctionTool(list_buildings, description="List the campus buildings."),
        ]
    )


# -- The model -------------------------------------------------------------------------------

QUESTION = "Find out the address of Microsoft Building 99"
ANSWER = (
    "The address of Microsoft Building 99 is 14820 NE 36th Street, Redmond, WA 98052, "
    "United States."
)
SCRIPTED_REPLIES: list[str | CreateResult] = [
    CreateResult(
        finish_reason="function_calls",
        content=[
            FunctionCall(id="call_1", arguments="{}", name="list_buildings"),
            FunctionCall(id="call_2", arguments='{"building": "Building 99"}', name="find_address"),
        ],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    ),
    ANSWER,
]


def create_model_client() -> ChatCompletionClient:
    """Return the OpenAI client if it is configured and available, else the scripted one."""
    return configured_openai_client(model="gpt-4.1-nano") or ReplayChatCompletionClient(
        SCRIPTED_REPLIES
    )


# -- The program -----------------------------------------------------------------------------


async def register(
    runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient, workbench: Workbench
) -> None:
    # Register the agent with the runtime.
    await WorkbenchAgent.register(
        runtime=runtime,
        type="WebAgent",
        factory=lambda: WorkbenchAgent(
            model_client=model_client,
            model_context=BufferedChatCompletionContext(buffer_size=10),
            workbench=workbench,
        ),
    )


async def ask(runtime: SingleThreadedAgentRuntime) -> Message:
    # Send a message to the agent.
    reply: Message = await runtime.send_message(
        Message(content=QUESTION), recipient=AgentId("WebAgent", "default")
    )
    return reply


async def main() -> None:
    model_client = create_model_client()
    # Start the workbench in a context manager.
    async with create_workbench() as workbench:
        # Create a single-threaded agent runtime.
        runtime = SingleThreadedAgentRuntime()
        await register(runtime, model_client, workbench)
        # Start the runtime.
        runtime.start()
        await ask(runtime)
        # Stop the runtime.
        await runtime.stop()
    await model_client.close()


async def structured(model_client: ChatCompletionClient) -> None:
    async with create_workbench() as workbench:
        runtime = SingleThreadedAgentRuntime()
        await register(runtime, model_client, workbench)
        async with runtime:
            await ask(runtime)


async def run_structured(model_client: ChatCompletionClient | None = None) -> list[str]:
    """Run the program with ``async with``; return the lines it printed."""
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(structured, client)


if __name__ == "__main__":
    asyncio.run(main())
