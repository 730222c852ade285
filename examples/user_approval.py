"""Port of the user-guide cookbook section "User Approval for Tool Execution using
Intervention Handler".

A tool-using agent does not run tools itself: ``tool_agent_caller_loop`` sends each function
call the model asks for to a ``ToolAgent``. Those calls travel through the runtime, so an
intervention handler sees them in ``on_send``. This one asks the user before a call goes
through; if the user says no it raises ``ToolException("User denied tool execution.")``,
which reaches the sending agent instead of a result, and ``tool_agent_caller_loop`` hands it
to the model as an error result (``is_error=True``). The tool never runs.

What differs from the guide, and why:

* The guide asks with ``input()``. Here the handler takes an injectable ``approve``
  coroutine (prompt in, answer out). The default, :class:`ScriptedApprover`, answers from a
  script, by default ``y`` for the first call and ``n`` for any later one, and echoes the
  prompt and the answer as a terminal would. With a hosted model (see below) :func:`main`
  asks on the console instead (:func:`console_approver`, ``input()`` in a worker thread so
  the event loop keeps running).
* The guide's ``PythonCodeExecutionTool`` runs code in a Docker container
  (``DockerCommandLineCodeExecutor``). Here the same tool runs it with
  ``LocalCommandLineCodeExecutor``, in a temporary working directory that ``stop()`` removes.
  That runs the code as you, on this machine (no sandbox), which is why every call needs
  approval. With the ``docker`` extra and a Docker engine the guide's executor drops in.
* The model is a ``ReplayChatCompletionClient`` that asks to run the guide's
  ``print('Hello, World!')`` and then gives the guide's answer. When ``OPENAI_BASE_URL`` or
  ``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is available,
  :func:`create_model_client` returns the guide's
  ``OpenAIChatCompletionClient(model="gpt-4o-mini")`` instead.

:func:`main` (``python examples/user_approval.py``) runs the guide's program between
``runtime.start()`` and ``await runtime.stop()``, on asyncio; :func:`run_structured` runs it
inside an ``async with`` block, on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from _support import configured_openai_client, given_or_created, printed_lines

from cantata import (
    AgentId,
    AgentType,
    DefaultInterventionHandler,
    DropMessage,
    FunctionCall,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.code_executor import CodeExecutor
from cantata.code_executors.local import LocalCommandLineCodeExecutor
from cantata.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tool_agent import ToolAgent, ToolException, tool_agent_caller_loop
from cantata.tools import ToolSchema
from cantata.tools.code_execution import PythonCodeExecutionTool

# -- The agent -------------------------------------------------------------------------------


@dataclass
class Message:
    content: str


class ToolUseAgent(RoutedAgent):
    """An agent that uses tools to perform tasks. It executes the tools
    by itself by sending the tool execution task to a ToolAgent."""

    def __init__(
        self,
        description: str,
        system_messages: list[SystemMessage],
        model_client: ChatCompletionClient,
        tool_schema: list[ToolSchema],
        tool_agent_type: AgentType,
    ) -> None:
        super().__init__(description)
        self._model_client = model_client
        self._system_messages = system_messages
        self._tool_schema = tool_schema
        self._tool_agent_id = AgentId(type=tool_agent_type, key=self.id.key)

    @message_handler
    async def handle_user_message(self, message: Message, ctx: MessageContext) -> Message:
        """Handle a user message, execute the model and tools, and returns the response."""
        session: list[LLMMessage] = [UserMessage(content=message.content, source="User")]
        # Use the tool agent to execute the tools, and get the output messages.
        output_messages = await tool_agent_caller_loop(
            self,
            tool_agent_id=self._tool_agent_id,
            model_client=self._model_client,
            input_messages=session,
            tool_schema=self._tool_schema,
            cancellation_token=ctx.cancellation_token,
        )
        # Extract the final response from the output messages.
        final_response = output_messages[-1].content
        assert isinstance(final_response, str)
        return Message(content=final_response)


# -- Asking the user -------------------------------------------------------------------------

Approver = Callable[[str], Awaitable[str]]
"""Asks the user a question (the prompt) and returns the answer, like ``input(prompt)``."""


class ScriptedApprover:
    """Answers approval prompts from a script, instead of a user at a terminal.

    Each answer is printed after its prompt, as a terminal shows what the user typed. Once
    the script is used up every further call is denied (``"n"``).

    Args:
        answers: The answers, in order; by default ``"y"``: approve the first call only.
    """

    def __init__(self, answers: Sequence[str] = ("y",)) -> None:
        self._answers = deque(answers)
        self.prompts: list[str] = []
        """The prompts asked so far."""

    async def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        answer = self._answers.popleft() if self._answers else "n"
        print(prompt + answer)
        return answer


async def console_approver(prompt: str) -> str:
    """Ask on the console, like the guide's ``input()``, without blocking the event loop."""
    answer: str = await anyio.to_thread.run_sync(input, prompt)
    return answer


class ToolInterventionHandler(DefaultInterventionHandler):
    def __init__(self, approve: Approver | None = None) -> None:
        # The guide calls input(); the question goes to an injectable approver instead.
        self._approve: Approver = ScriptedApprover() if approve is None else approve

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        if isinstance(message, FunctionCall):
            # Request user prompt for tool execution.
            user_input = await self._approve(
                f"Function call: {message.name}\nArguments: {message.arguments}\n"
                "Do you want to execute the tool? (y/n): "
            )
            if user_input.strip().lower() != "y":
                raise ToolException(
                    content="User denied tool execution.", call_id=message.id, name=message.name
                )
        return message


# -- The model client ------------------------------------------------------------------------

HELLO_WORLD_CALL = FunctionCall(
    id="call_5UfMb9qZ2ZFbGsmqVuE7qBsp",
    arguments=json.dumps({"code": "print('Hello, World!')"}),
    name="CodeExecutor",
)

SCRIPTED_REPLIES: list[str | CreateResult] = [
    CreateResult(
        finish_reason="function_calls",
        content=[HELLO_WORLD_CALL],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    ),
    "The output of the code is: **Hello, World!**",
]
"""The model asks to run the guide's code, then answers with the guide's output."""


def create_model_client(
    replies: Sequence[str | CreateResult] = SCRIPTED_REPLIES,
) -> ChatCompletionClient:
    """Return the OpenAI client if it is configured and available, else one replaying
    *replies*."""
    return configured_openai_client(model="gpt-4o-mini") or ReplayChatCompletionClient(replies)


def create_approver(model_client: ChatCompletionClient) -> Approver:
    """The console for a real model (it may ask to run any code), else the scripted one."""
    if isinstance(model_client, ReplayChatCompletionClient):
        return ScriptedApprover()
    return console_approver


# -- The program -----------------------------------------------------------------------------


async def register_agents(
    runtime: SingleThreadedAgentRuntime,
    model_client: ChatCompletionClient,
    python_tool: PythonCodeExecutionTool,
) -> None:
    # Register agents.
    tool_agent_type = await ToolAgent.register(
        runtime,
        "tool_executor_agent",
        lambda: ToolAgent(
            description="Tool Executor Agent",
            tools=[python_tool],
        ),
    )
    print(
        await ToolUseAgent.register(
            runtime,
            "tool_enabled_agent",
            lambda: ToolUseAgent(
                description="Tool Use Agent",
                system_messages=[
                    SystemMessage(
                        content="You are a helpful AI Assistant. Use your tools to solve problems."
                    )
                ],
                model_client=model_client,
                tool_schema=[python_tool.schema],
                tool_agent_type=tool_agent_type,
            ),
        )
    )


async def send_task(runtime: SingleThreadedAgentRuntime) -> None:
    # Send a task to the tool user.
    response = await runtime.send_message(
        Message("Run the following Python code: print('Hello, World!')"),
        AgentId("tool_enabled_agent", "default"),
    )
    print(response.content)


async def main() -> None:
    """The guide's program: register, ``runtime.start()``, the task, ``runtime.stop()``."""
    model_client = create_model_client()

    # Create the runtime with the intervention handler.
    runtime = SingleThreadedAgentRuntime(
        intervention_handlers=[ToolInterventionHandler(create_approver(model_client))]
    )

    # Create the local executor for the Python code execution tool.
    executor = LocalCommandLineCodeExecutor()

    # Create the Python code execution tool.
    python_tool = PythonCodeExecutionTool(executor=executor)

    await register_agents(runtime, model_client, python_tool)

    # Start the runtime and the executor.
    await executor.start()
    runtime.start()

    await send_task(runtime)

    # Stop the runtime and the executor.
    await runtime.stop()
    await executor.stop()

    # Close the connection to the model client.
    await model_client.close()


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def structured(
    model_client: ChatCompletionClient, approve: Approver, executor: CodeExecutor
) -> None:
    python_tool = PythonCodeExecutionTool(executor=executor)
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[ToolInterventionHandler(approve)])
    await executor.start()
    try:
        async with runtime:
            await register_agents(runtime, model_client, python_tool)
            await send_task(runtime)
    finally:
        await executor.stop()


async def run_structured(
    model_client: ChatCompletionClient | None = None,
    approve: Approver | None = None,
    executor: CodeExecutor | None = None,
) -> list[str]:
    """Run the program with ``async with``; return the lines it printed.

    Args:
        model_client: The client the agent uses; by default :func:`create_model_client`'s.
            The caller keeps ownership of a client it passes (it is not closed here).
        approve: Answers the approval prompts; by default :func:`create_approver`'s.
        executor: Runs the approved code; by default a new ``LocalCommandLineCodeExecutor``.
    """
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(
            structured,
            client,
            create_approver(client) if approve is None else approve,
            LocalCommandLineCodeExecutor() if executor is None else executor,
        )


if __name__ == "__main__":
    asyncio.run(main())
