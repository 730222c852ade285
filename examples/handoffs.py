"""Port of the user-guide design-pattern section "Handoffs".

A customer-service chatbot made of event-driven agents: a triage agent, a sales agent and an
issues-and-repairs agent (``AIAgent``, each with a model client, regular tools and *delegate
tools*), a human agent and a user agent. Each agent subscribes to its own topic type. An AI
agent hands the conversation off to another agent by calling a delegate tool, whose result is
the other agent's topic type, and publishing a ``UserTask`` with the whole chat history to that
topic. Regular tools (``look_up_item``, ``execute_refund``, ``execute_order``) run in place and
their results go back to the same model. Every topic is scoped to the user's session id.

What differs from the guide, and why:

* The model. The guide shares one ``OpenAIChatCompletionClient(model="gpt-4o-mini")`` among the
  three AI agents. Offline, each AI agent gets a ``ReplayChatCompletionClient`` of its own,
  scripted with the model replies the guide shows (tool calls included), so the session takes
  the guide's course: triage hands off to issues and repairs, which looks the item up, refunds
  it and hands back to triage, which escalates to the human agent. When ``OPENAI_BASE_URL`` or
  ``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is available,
  :func:`create_model_clients` returns the guide's shared OpenAI client instead.
* The keyboard. The user agent, the human agent and the ``execute_order`` tool read the
  console with ``input()``. Here ``input`` is this module's stand-in, which answers each prompt
  with the next line of a script (:func:`scripted_console`, injectable; by default the lines
  typed in the guide's session, ending with ``exit``). A script that runs out answers
  ``exit``, which ends the user's session, so the program always terminates. Prompts are not
  printed, as in the guide's output.
* The session id. The guide uses ``str(uuid.uuid4())``; here it is the id the guide's output
  shows, so the output is the same on every run.
* The output also shows what the tools print (the guide's shown output leaves that out), and
  the ``FunctionExecutionResult`` lines show all of the result's fields.

:func:`main` (``python examples/handoffs.py``) runs the guide's program between
``runtime.start()`` and ``await runtime.stop_when_idle()``, on asyncio; :func:`run_structured`
runs it inside an ``async with`` block, on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from _support import configured_openai_client, printed_lines, structured_form
from pydantic import BaseModel

from cantata import (
    FunctionCall,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
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

# -- The console stand-in --------------------------------------------------------------------


class ScriptedConsole:
    """Answers ``input()`` prompts with scripted lines, in order; ``"exit"`` once they run out.

    :attr:`transcript` keeps each prompt with the line that answered it.
    """

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = deque(lines)
        self.transcript: list[tuple[str, str]] = []

    def input(self, prompt: str = "") -> str:
        line = self._lines.popleft() if self._lines else "exit"
        self.transcript.append((prompt, line))
        return line


_console = ScriptedConsole(())


def input(prompt: str = "") -> str:  # shadows the built-in input() on purpose
    """What the guide's agents and tools call to read the console: the scripted console's
    next line (see :func:`scripted_console`)."""
    return _console.input(prompt)


@contextmanager
def scripted_console(lines: Iterable[str]) -> Iterator[ScriptedConsole]:
    """Make :func:`input` answer with *lines* inside the ``with`` block."""
    global _console
    previous = _console
    _console = ScriptedConsole(lines)
    try:
        yield _console
    finally:
        _console = previous


CONSOLE_LINES = [
    "I want a refund",
    "A pair of shoes I bought",
    "The shoes are too small",
    "no I want a refund",
    "I want to talk to your manager",
    "Okay",
    "Hello this is manager",  # typed by the human agent
    "Hi! Thanks for your service. I give you 5 stars!",
    "Thanks.",  # typed by the human agent
    "exit",
]
"""What the user and the human agent type in the guide's session."""

SESSION_ID = "7a568cf5-13e7-4e81-8616-8265a01b3f2b"
"""The session id of the guide's output."""

# -- Message Protocol ------------------------------------------------------------------------


class UserLogin(BaseModel):
    pass


class UserTask(BaseModel):
    context: list[LLMMessage]


class AgentResponse(BaseModel):
    reply_to_topic_type: str
    context: list[LLMMessage]


# -- AI Agent --------------------------------------------------------------------------------


class AIAgent(RoutedAgent):
    def __init__(
        self,
        description: str,
        system_message: SystemMessage,
        model_client: ChatCompletionClient,
        tools: list[Tool],
        delegate_tools: list[Tool],
        agent_topic_type: str,
        user_topic_type: str,
    ) -> None:
        super().__init__(description)
        self._system_message = system_message
        self._model_client = model_client
        self._tools = dict([(tool.name, tool) for tool in tools])
        self._tool_schema = [tool.schema for tool in tools]
        self._delegate_tools = dict([(tool.name, tool) for tool in delegate_tools])
        self._delegate_tool_schema = [tool.schema for tool in delegate_tools]
        self._agent_topic_type = agent_topic_type
        self._user_topic_type = user_topic_type

    @message_handler
    async def handle_task(self, message: UserTask, ctx: MessageContext) -> None:
        # Send the task to the LLM.
        llm_result = await self._model_client.create(
            messages=[self._system_message] + message.context,  # noqa: RUF005 (the guide's)
            tools=self._tool_schema + self._delegate_tool_schema,
            cancellation_token=ctx.cancellation_token,
        )
        print(f"{'-' * 80}\n{self.id.type}:\n{llm_result.content}", flush=True)
        # Process the LLM result.
        while isinstance(llm_result.content, list) and all(
            isinstance(m, FunctionCall) for m in llm_result.content
        ):
            tool_call_results: list[FunctionExecutionResult] = []
            delegate_targets: list[tuple[str, UserTask]] = []
            # Process each function call.
            for call in llm_result.content:
                arguments = json.loads(call.arguments)
                if call.name in self._tools:
                    # Execute the tool directly.
                    result = await self._tools[call.name].run_json(
                        arguments, ctx.cancellation_token
                    )
                    result_as_str = self._tools[call.name].return_value_as_string(result)
                    tool_call_results.append(
                        FunctionExecutionResult(
                            call_id=call.id, content=result_as_str, is_error=False, name=call.name
                        )
                    )
                elif call.name in self._delegate_tools:
                    # Execute the tool to get the delegate agent's topic type.
                    result = await self._delegate_tools[call.name].run_json(
                        arguments, ctx.cancellation_token
                    )
                    topic_type = self._delegate_tools[call.name].return_value_as_string(result)
                    # Create the context for the delegate agent, including the function call
                    # and the result.
                    delegate_messages = list(message.context) + [  # noqa: RUF005 (the guide's)
                        AssistantMessage(content=[call], source=self.id.type),
                        FunctionExecutionResultMessage(
                            content=[
                                FunctionExecutionResult(
                                    call_id=call.id,
                                    content=f"Transferred to {topic_type}. Adopt persona immediately.",  # noqa: E501 (the guide's)
                                    is_error=False,
                                    name=call.name,
                                )
                            ]
                        ),
                    ]
                    delegate_targets.append((topic_type, UserTask(context=delegate_messages)))
                else:
                    raise ValueError(f"Unknown tool: {call.name}")
            if len(delegate_targets) > 0:
                # Delegate the task to other agents by publishing messages to the corresponding
                # topics.
                for topic_type, task in delegate_targets:
                    print(f"{'-' * 80}\n{self.id.type}:\nDelegating to {topic_type}", flush=True)
                    await self.publish_message(
                        task, topic_id=TopicId(topic_type, source=self.id.key)
                    )
            if len(tool_call_results) > 0:
                print(f"{'-' * 80}\n{self.id.type}:\n{tool_call_results}", flush=True)
                # Make another LLM call with the results.
                message.context.extend(
                    [
                        AssistantMessage(content=llm_result.content, source=self.id.type),
                        FunctionExecutionResultMessage(content=tool_call_results),
                    ]
                )
                llm_result = await self._model_client.create(
                    messages=[self._system_message] + message.context,  # noqa: RUF005 (the guide's)
                    tools=self._tool_schema + self._delegate_tool_schema,
                    cancellation_token=ctx.cancellation_token,
                )
                print(f"{'-' * 80}\n{self.id.type}:\n{llm_result.content}", flush=True)
            else:
                # The task has been delegated, so we are done.
                return
        # The task has been completed, publish the final result.
        assert isinstance(llm_result.content, str)
        message.context.append(AssistantMessage(content=llm_result.content, source=self.id.type))
        await self.publish_message(
            AgentResponse(context=message.context, reply_to_topic_type=self._agent_topic_type),
            topic_id=TopicId(self._user_topic_type, source=self.id.key),
        )


# -- Human Agent -----------------------------------------------------------------------------


class HumanAgent(RoutedAgent):
    def __init__(self, description: str, agent_topic_type: str, user_topic_type: str) -> None:
        super().__init__(description)
        self._agent_topic_type = agent_topic_type
        self._user_topic_type = user_topic_type

    @message_handler
    async def handle_user_task(self, message: UserTask, ctx: MessageContext) -> None:
        human_input = input("Human agent input: ")
        print(f"{'-' * 80}\n{self.id.type}:\n{human_input}", flush=True)
        message.context.append(AssistantMessage(content=human_input, source=self.id.type))
        await self.publish_message(
            AgentResponse(context=message.context, reply_to_topic_type=self._agent_topic_type),
            topic_id=TopicId(self._user_topic_type, source=self.id.key),
        )


# -- User Agent ------------------------------------------------------------------------------


class UserAgent(RoutedAgent):
    def __init__(self, description: str, user_topic_type: str, agent_topic_type: str) -> None:
        super().__init__(description)
        self._user_topic_type = user_topic_type
        self._agent_topic_type = agent_topic_type

    @message_handler
    async def handle_user_login(self, message: UserLogin, ctx: MessageContext) -> None:
        print(f"{'-' * 80}\nUser login, session ID: {self.id.key}.", flush=True)
        # Get the user's initial input after login.
        user_input = input("User: ")
        print(f"{'-' * 80}\n{self.id.type}:\n{user_input}")
        await self.publish_message(
            UserTask(context=[UserMessage(content=user_input, source="User")]),
            topic_id=TopicId(self._agent_topic_type, source=self.id.key),
        )

    @message_handler
    async def handle_task_result(self, message: AgentResponse, ctx: MessageContext) -> None:
        # Get the user's input after receiving a response from an agent.
        user_input = input("User (type 'exit' to close the session): ")
        print(f"{'-' * 80}\n{self.id.type}:\n{user_input}", flush=True)
        if user_input.strip().lower() == "exit":
            print(f"{'-' * 80}\nUser session ended, session ID: {self.id.key}.")
            return
        message.context.append(UserMessage(content=user_input, source="User"))
        await self.publish_message(
            UserTask(context=message.context),
            topic_id=TopicId(message.reply_to_topic_type, source=self.id.key),
        )


# -- Tools for the AI agents -----------------------------------------------------------------


def execute_order(product: str, price: int) -> str:
    print("\n\n=== Order Summary ===")
    print(f"Product: {product}")
    print(f"Price: ${price}")
    print("=================\n")
    confirm = input("Confirm order? y/n: ").strip().lower()
    if confirm == "y":
        print("Order execution successful!")
        return "Success"
    else:
        print("Order cancelled!")
        return "User cancelled order."


def look_up_item(search_query: str) -> str:
    item_id = "item_132612938"
    print("Found item:", item_id)
    return item_id


def execute_refund(item_id: str, reason: str = "not provided") -> str:
    print("\n\n=== Refund Summary ===")
    print(f"Item ID: {item_id}")
    print(f"Reason: {reason}")
    print("=================\n")
    print("Refund execution successful!")
    return "success"


execute_order_tool = FunctionTool(execute_order, description="Price should be in USD.")
look_up_item_tool = FunctionTool(
    look_up_item, description="Use to find item ID.\nSearch query can be a description or keywords."
)
execute_refund_tool = FunctionTool(execute_refund, description="")

# -- Topic types for the agents --------------------------------------------------------------

sales_agent_topic_type = "SalesAgent"
issues_and_repairs_agent_topic_type = "IssuesAndRepairsAgent"
triage_agent_topic_type = "TriageAgent"
human_agent_topic_type = "HumanAgent"
user_topic_type = "User"

# -- Delegate tools for the AI agents --------------------------------------------------------


def transfer_to_sales_agent() -> str:
    return sales_agent_topic_type


def transfer_to_issues_and_repairs() -> str:
    return issues_and_repairs_agent_topic_type


def transfer_back_to_triage() -> str:
    return triage_agent_topic_type


def escalate_to_human() -> str:
    return human_agent_topic_type


transfer_to_sales_agent_tool = FunctionTool(
    transfer_to_sales_agent, description="Use for anything sales or buying related."
)
transfer_to_issues_and_repairs_tool = FunctionTool(
    transfer_to_issues_and_repairs, description="Use for issues, repairs, or refunds."
)
transfer_back_to_triage_tool = FunctionTool(
    transfer_back_to_triage,
    description="Call this if the user brings up a topic outside of your purview,\n"
    "including escalating to human.",
)
escalate_to_human_tool = FunctionTool(
    escalate_to_human, description="Only call this if explicitly asked to."
)

# -- The model clients -----------------------------------------------------------------------


def function_calls(call_id: str, name: str, **arguments: Any) -> CreateResult:
    """A model reply that asks for one call of the tool *name* with *arguments*."""
    return CreateResult(
        finish_reason="function_calls",
        content=[
            FunctionCall(
                id=call_id, arguments=json.dumps(arguments, separators=(",", ":")), name=name
            )
        ],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


SCRIPTED_REPLIES: dict[str, list[str | CreateResult]] = {
    triage_agent_topic_type: [
        "I can help with that! Could I ask what item you're seeking a refund for?",
        function_calls("call_qPx1DXDL2NLcHs8QNo47egsJ", "transfer_to_issues_and_repairs"),
        function_calls("call_jSL6IBm5537Dr74UbJSxaj6I", "escalate_to_human"),
    ],
    # The guide's session never reaches the sales agent.
    sales_agent_topic_type: [],
    issues_and_repairs_agent_topic_type: [
        "I see you're looking for a refund on a pair of shoes. "
        "Can you tell me what the issue is with the shoes?",
        "I recommend trying a size up as a fix; would that work for you?",
        function_calls("call_Ytp8VUQRyKFNEU36mLE6Dkrp", "look_up_item", search_query="shoes"),
        function_calls(
            "call_bPm6EKKBy5GJ65s9OKt9b1uE",
            "execute_refund",
            item_id="item_132612938",
            reason="not provided",
        ),
        "Your refund has been successfully processed! "
        "If you have any other questions, feel free to ask.",
        "I can help with that, let me transfer you to a supervisor.",
        function_calls("call_PpmLZvwNoiDPUH8Tva3eAwHX", "transfer_back_to_triage"),
    ],
}
"""The model replies of the guide's session, per AI agent type, in the order each is asked."""


def create_model_clients(
    replies: Mapping[str, Sequence[str | CreateResult]] = SCRIPTED_REPLIES,
) -> dict[str, ChatCompletionClient]:
    """Return a model client per AI agent type: the guide's OpenAI client (one, shared) if it
    is configured and available, else a client replaying ``replies[agent_type]`` for each."""
    model_client = configured_openai_client(
        model="gpt-4o-mini",
        # api_key="YOUR_API_KEY",
    )
    if model_client is not None:
        return {agent_type: model_client for agent_type in replies}
    return {
        agent_type: ReplayChatCompletionClient(agent_replies)
        for agent_type, agent_replies in replies.items()
    }


async def close_model_clients(model_clients: Mapping[str, ChatCompletionClient]) -> None:
    for model_client in dict.fromkeys(model_clients.values()):
        await model_client.close()


# -- Creating the team -----------------------------------------------------------------------


async def create_team(
    runtime: SingleThreadedAgentRuntime, model_clients: Mapping[str, ChatCompletionClient]
) -> None:
    """Register the guide's five agents and their subscriptions; each AI agent uses
    ``model_clients[<its type>]``."""
    # Register the triage agent.
    triage_agent_type = await AIAgent.register(
        runtime,
        type=triage_agent_topic_type,  # Using the topic type as the agent type.
        factory=lambda: AIAgent(
            description="A triage agent.",
            system_message=SystemMessage(
                content="You are a customer service bot for ACME Inc. "
                "Introduce yourself. Always be very brief. "
                "Gather information to direct the customer to the right department. "
                "But make your questions subtle and natural."
            ),
            model_client=model_clients[triage_agent_topic_type],
            tools=[],
            delegate_tools=[
                transfer_to_issues_and_repairs_tool,
                transfer_to_sales_agent_tool,
                escalate_to_human_tool,
            ],
            agent_topic_type=triage_agent_topic_type,
            user_topic_type=user_topic_type,
        ),
    )
    # Add subscriptions for the triage agent: it will receive messages published to its own
    # topic only.
    await runtime.add_subscription(
        TypeSubscription(topic_type=triage_agent_topic_type, agent_type=triage_agent_type.type)
    )

    # Register the sales agent.
    sales_agent_type = await AIAgent.register(
        runtime,
        type=sales_agent_topic_type,  # Using the topic type as the agent type.
        factory=lambda: AIAgent(
            description="A sales agent.",
            system_message=SystemMessage(
                content="You are a sales agent for ACME Inc."
                "Always answer in a sentence or less."
                "Follow the following routine with the user:"
                "1. Ask them about any problems in their life related to catching roadrunners.\n"
                "2. Casually mention one of ACME's crazy made-up products can help.\n"
                " - Don't mention price.\n"
                "3. Once the user is bought in, drop a ridiculous price.\n"
                "4. Only after everything, and if the user says yes, "
                "tell them a crazy caveat and execute their order.\n"
                ""
            ),
            model_client=model_clients[sales_agent_topic_type],
            tools=[execute_order_tool],
            delegate_tools=[transfer_back_to_triage_tool],
            agent_topic_type=sales_agent_topic_type,
            user_topic_type=user_topic_type,
        ),
    )
    # Add subscriptions for the sales agent: it will receive messages published to its own
    # topic only.
    await runtime.add_subscription(
        TypeSubscription(topic_type=sales_agent_topic_type, agent_type=sales_agent_type.type)
    )

    # Register the issues and repairs agent.
    issues_and_repairs_agent_type = await AIAgent.register(
        runtime,
        type=issues_and_repairs_agent_topic_type,  # Using the topic type as the agent type.
        factory=lambda: AIAgent(
            description="An issues and repairs agent.",
            system_message=SystemMessage(
                content="You are a customer support agent for ACME Inc."
                "Always answer in a sentence or less."
                "Follow the following routine with the user:"
                "1. First, ask probing questions and understand the user's problem deeper.\n"
                " - unless the user has already provided a reason.\n"
                "2. Propose a fix (make one up).\n"
                "3. ONLY if not satisfied, offer a refund.\n"
                "4. If accepted, search for the ID and then execute refund."
            ),
            model_client=model_clients[issues_and_repairs_agent_topic_type],
            tools=[
                execute_refund_tool,
                look_up_item_tool,
            ],
            delegate_tools=[transfer_back_to_triage_tool],
            agent_topic_type=issues_and_repairs_agent_topic_type,
            user_topic_type=user_topic_type,
        ),
    )
    # Add subscriptions for the issues and repairs agent: it will receive messages published to
    # its own topic only.
    await runtime.add_subscription(
        TypeSubscription(
            topic_type=issues_and_repairs_agent_topic_type,
            agent_type=issues_and_repairs_agent_type.type,
        )
    )

    # Register the human agent.
    human_agent_type = await HumanAgent.register(
        runtime,
        type=human_agent_topic_type,  # Using the topic type as the agent type.
        factory=lambda: HumanAgent(
            description="A human agent.",
            agent_topic_type=human_agent_topic_type,
            user_topic_type=user_topic_type,
        ),
    )
    # Add subscriptions for the human agent: it will receive messages published to its own
    # topic only.
    await runtime.add_subscription(
        TypeSubscription(topic_type=human_agent_topic_type, agent_type=human_agent_type.type)
    )

    # Register the user agent.
    user_agent_type = await UserAgent.register(
        runtime,
        type=user_topic_type,
        factory=lambda: UserAgent(
            description="A user agent.",
            user_topic_type=user_topic_type,
            agent_topic_type=triage_agent_topic_type,  # Start with the triage agent.
        ),
    )
    # Add subscriptions for the user agent: it will receive messages published to its own
    # topic only.
    await runtime.add_subscription(
        TypeSubscription(topic_type=user_topic_type, agent_type=user_agent_type.type)
    )


async def log_in(runtime: SingleThreadedAgentRuntime, session_id: str) -> None:
    """Start the user's session: publish ``UserLogin`` to the user topic of ``session_id``."""
    await runtime.publish_message(UserLogin(), topic_id=TopicId(user_topic_type, source=session_id))


# -- Running the team: the guide's form (asyncio) --------------------------------------------


async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    model_clients = create_model_clients()
    await create_team(runtime, model_clients)

    with scripted_console(CONSOLE_LINES):
        # Start the runtime.
        runtime.start()

        # Create a new session for the user (the guide: session_id = str(uuid.uuid4())).
        session_id = SESSION_ID
        await runtime.publish_message(
            UserLogin(), topic_id=TopicId(user_topic_type, source=session_id)
        )

        # Run until completion.
        await runtime.stop_when_idle()
    await close_model_clients(model_clients)


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def handoff_session(
    runtime: SingleThreadedAgentRuntime,
    model_clients: Mapping[str, ChatCompletionClient],
    session_id: str = SESSION_ID,
) -> None:
    """Create the team on ``runtime`` and log the user in."""
    await create_team(runtime, model_clients)
    await log_in(runtime, session_id)


async def run_structured(
    model_clients: Mapping[str, ChatCompletionClient] | None = None,
    console_lines: Iterable[str] = CONSOLE_LINES,
    session_id: str = SESSION_ID,
) -> list[str]:
    """Run the session with ``async with`` until the runtime is idle; return the printed lines.

    Args:
        model_clients: A client per AI agent type; by default :func:`create_model_clients`'s.
            The caller keeps ownership of clients it passes (they are not closed here).
        console_lines: What the user and the human agent type, in order.
        session_id: The user's session id.
    """
    clients = create_model_clients() if model_clients is None else model_clients
    with scripted_console(console_lines):
        printed = await printed_lines(
            structured_form, lambda runtime: handoff_session(runtime, clients, session_id)
        )
    if model_clients is None:
        await close_model_clients(clients)
    return printed


if __name__ == "__main__":
    asyncio.run(main())
