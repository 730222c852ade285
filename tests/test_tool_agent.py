"""cantata.tool_agent: ToolAgent and tool_agent_caller_loop in a real runtime."""

from __future__ import annotations

import json
import pickle
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from cantata import (
    AgentId,
    AgentType,
    CancellationToken,
    DefaultInterventionHandler,
    FunctionCall,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.exceptions import MessageCancelledError, UnknownAgentTypeError
from cantata.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tool_agent import (
    InvalidToolArgumentsException,
    ToolAgent,
    ToolException,
    ToolExecutionException,
    ToolNotFoundException,
    tool_agent_caller_loop,
)
from cantata.tools import FunctionTool, Tool

WAIT = 5.0
TOOL_AGENT = AgentId("tool_agent", "default")
USAGE = RequestUsage(prompt_tokens=0, completion_tokens=0)


# -- Tools -------------------------------------------------------------------------------------


def add(a: int, b: int) -> int:
    return a + b


async def get_weather(city: str) -> str:
    return f"Sunny in {city}"


def fails(reason: str) -> None:
    raise LookupError(reason)


TOOLS: list[Tool] = [
    FunctionTool(add, description="Add two numbers."),
    FunctionTool(get_weather, description="Get the weather."),
    FunctionTool(fails, description="Always fails."),
]


def call(name: str, arguments: Any, call_id: str = "call_1") -> FunctionCall:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return FunctionCall(id=call_id, arguments=text, name=name)


def calls_result(*calls: FunctionCall, thought: str | None = None) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=list(calls),
        usage=USAGE,
        cached=False,
        thought=thought,
    )


async def with_tool_agent(
    program: Callable[[SingleThreadedAgentRuntime], Awaitable[None]],
    tools: list[Tool] | None = None,
    runtime: SingleThreadedAgentRuntime | None = None,
) -> None:
    """Run *program* in a started runtime where a ToolAgent is registered."""
    runtime = SingleThreadedAgentRuntime() if runtime is None else runtime
    agent_tools = TOOLS if tools is None else tools
    await ToolAgent.register(
        runtime, TOOL_AGENT.type, lambda: ToolAgent("Runs tools.", agent_tools)
    )
    with anyio.fail_after(WAIT):
        async with runtime:
            await program(runtime)


# -- The exceptions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls",
    [
        ToolException,
        ToolNotFoundException,
        InvalidToolArgumentsException,
        ToolExecutionException,
    ],
)
def test_exceptions_are_ordinary_exceptions(cls: type[ToolException]) -> None:
    exc = cls(call_id="c1", content="Error: no", name="add")
    assert isinstance(exc, Exception)
    assert issubclass(cls, ToolException)
    assert (exc.call_id, exc.content, exc.name) == ("c1", "Error: no", "add")
    assert str(exc) == "Error: no"
    assert exc.args == ("Error: no",)
    assert repr(exc) == f"{cls.__name__}(call_id='c1', content='Error: no', name='add')"
    assert hash(exc) == hash(exc)  # usable in sets, as exceptions usually are
    assert exc != cls(call_id="c1", content="Error: no", name="add")  # compared by identity
    restored = pickle.loads(pickle.dumps(exc))
    assert type(restored) is cls
    assert (restored.call_id, restored.content, restored.name) == ("c1", "Error: no", "add")
    assert isinstance(cls("c", "x", "n"), cls)  # positional arguments work too


# -- ToolAgent ---------------------------------------------------------------------------------


def test_tool_agent_tools() -> None:
    agent = ToolAgent("Runs tools.", TOOLS)
    assert agent.tools == TOOLS
    agent.tools.clear()
    assert len(agent.tools) == 3
    with pytest.raises(ValueError, match="Two tools are named 'add'"):
        ToolAgent("Runs tools.", [TOOLS[0], FunctionTool(add, description="Again.")])


@pytest.mark.anyio
async def test_tool_agent_runs_a_call() -> None:
    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        result = await runtime.send_message(call("add", {"a": 1, "b": 2}), TOOL_AGENT)
        assert result == FunctionExecutionResult(
            content="3", name="add", call_id="call_1", is_error=False
        )
        weather = await runtime.send_message(call("get_weather", {"city": "Oslo"}, "w"), TOOL_AGENT)
        assert weather.content == "Sunny in Oslo"
        assert weather.call_id == "w"

    await with_tool_agent(program)


@pytest.mark.anyio
async def test_tool_agent_accepts_empty_arguments() -> None:
    def ping() -> str:
        return "pong"

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        result = await runtime.send_message(call("ping", ""), TOOL_AGENT)
        assert result.content == "pong"

    await with_tool_agent(program, tools=[FunctionTool(ping, description="Ping.")])


@pytest.mark.anyio
async def test_tool_agent_errors() -> None:
    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        with pytest.raises(ToolNotFoundException) as not_found:
            await runtime.send_message(call("search", {}), TOOL_AGENT)
        assert not_found.value.content == "Error: Tool not found: search"
        assert (not_found.value.call_id, not_found.value.name) == ("call_1", "search")

        with pytest.raises(InvalidToolArgumentsException) as not_json:
            await runtime.send_message(call("add", "{'a': 1"), TOOL_AGENT)
        assert not_json.value.content == "Error: Invalid arguments (not JSON): {'a': 1"
        assert isinstance(not_json.value.__cause__, json.JSONDecodeError)

        with pytest.raises(InvalidToolArgumentsException) as not_object:
            await runtime.send_message(call("add", "[1, 2]"), TOOL_AGENT)
        assert not_object.value.content == "Error: Invalid arguments (not a JSON object): [1, 2]"

        with pytest.raises(ToolExecutionException) as invalid:
            await runtime.send_message(call("add", {"a": 1}), TOOL_AGENT)
        assert invalid.value.content == (
            "Error: Invalid arguments for tool 'add': b: Field required"
        )

        with pytest.raises(ToolExecutionException) as failed:
            await runtime.send_message(call("fails", {"reason": "disk full"}, "f"), TOOL_AGENT)
        assert failed.value.content == "Error: disk full"
        assert (failed.value.call_id, failed.value.name) == ("f", "fails")
        assert isinstance(failed.value.__cause__, LookupError)

    await with_tool_agent(program)


@pytest.mark.anyio
async def test_tool_agent_runs_calls_concurrently() -> None:
    arrived = 0
    both_arrived = anyio.Event()

    async def meet() -> str:
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            both_arrived.set()
        await both_arrived.wait()  # deadlocks if the agent ran one call at a time
        return "met"

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        results: list[str] = []

        async def send(call_id: str) -> None:
            result = await runtime.send_message(call("meet", {}, call_id), TOOL_AGENT)
            results.append(result.content)

        async with anyio.create_task_group() as group:
            group.start_soon(send, "1")
            group.start_soon(send, "2")
        assert results == ["met", "met"]

    await with_tool_agent(program, tools=[FunctionTool(meet, description="Meet.")])


@pytest.mark.anyio
async def test_cancelling_the_senders_token_cancels_the_tool() -> None:
    started = anyio.Event()
    outcome: list[str] = []

    async def slow() -> str:
        started.set()
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        return "finished"

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        token = CancellationToken()

        async def cancel_when_started() -> None:
            await started.wait()
            token.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(cancel_when_started)
            with pytest.raises(MessageCancelledError):
                await runtime.send_message(call("slow", {}), TOOL_AGENT, cancellation_token=token)
        assert outcome == ["cancelled"]

    await with_tool_agent(program, tools=[FunctionTool(slow, description="Slow.")])


# -- tool_agent_caller_loop --------------------------------------------------------------------


INPUT: list[LLMMessage] = [
    SystemMessage(content="You are a helpful assistant."),
    UserMessage(content="Add 1 and 2, and tell me the weather in Oslo.", source="user"),
]


@pytest.mark.anyio
async def test_caller_loop_runs_rounds_of_calls_until_text() -> None:
    client = ReplayChatCompletionClient(
        [
            calls_result(
                call("add", {"a": 1, "b": 2}, "c1"),
                call("get_weather", {"city": "Oslo"}, "c2"),
                thought="Two tools are needed.",
            ),
            calls_result(call("add", {"a": 3, "b": 4}, "c3")),
            "1 + 2 = 3, 3 + 4 = 7, and it is sunny in Oslo.",
        ]
    )
    schemas = [tool.schema for tool in TOOLS]

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        messages = await tool_agent_caller_loop(runtime, TOOL_AGENT, client, list(INPUT), schemas)
        assert messages == [
            AssistantMessage(
                content=[
                    call("add", {"a": 1, "b": 2}, "c1"),
                    call("get_weather", {"city": "Oslo"}, "c2"),
                ],
                thought="Two tools are needed.",
                source="assistant",
            ),
            FunctionExecutionResultMessage(
                content=[
                    FunctionExecutionResult(content="3", name="add", call_id="c1", is_error=False),
                    FunctionExecutionResult(
                        content="Sunny in Oslo", name="get_weather", call_id="c2", is_error=False
                    ),
                ]
            ),
            AssistantMessage(content=[call("add", {"a": 3, "b": 4}, "c3")], source="assistant"),
            FunctionExecutionResultMessage(
                content=[
                    FunctionExecutionResult(content="7", name="add", call_id="c3", is_error=False)
                ]
            ),
            AssistantMessage(
                content="1 + 2 = 3, 3 + 4 = 7, and it is sunny in Oslo.", source="assistant"
            ),
        ]
        # Each round sees the input and everything generated before it.
        prompts = [recorded["messages"] for recorded in client.create_calls]
        assert prompts == [INPUT, INPUT + messages[:2], INPUT + messages[:4]]
        assert all(recorded["tools"] == schemas for recorded in client.create_calls)

    await with_tool_agent(program)


@pytest.mark.anyio
async def test_caller_loop_returns_plain_text_at_once() -> None:
    client = ReplayChatCompletionClient(["Nothing to do."])

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        messages = await tool_agent_caller_loop(
            runtime, TOOL_AGENT, client, INPUT, TOOLS, caller_source="helper"
        )
        assert messages == [AssistantMessage(content="Nothing to do.", source="helper")]
        assert client.create_calls[0]["tools"] == TOOLS

    await with_tool_agent(program)


@pytest.mark.anyio
async def test_caller_loop_turns_tool_exceptions_into_error_results() -> None:
    client = ReplayChatCompletionClient(
        [
            calls_result(
                call("search", {}, "c1"),
                call("add", "not json", "c2"),
                call("fails", {"reason": "disk full"}, "c3"),
                call("add", {"a": 2, "b": 2}, "c4"),
            ),
            "Some tools failed.",
        ]
    )

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        messages = await tool_agent_caller_loop(runtime, TOOL_AGENT, client, INPUT, TOOLS)
        results = messages[1]
        assert isinstance(results, FunctionExecutionResultMessage)
        assert results.content == [
            FunctionExecutionResult(
                content="Error: Tool not found: search", name="search", call_id="c1", is_error=True
            ),
            FunctionExecutionResult(
                content="Error: Invalid arguments (not JSON): not json",
                name="add",
                call_id="c2",
                is_error=True,
            ),
            FunctionExecutionResult(
                content="Error: disk full", name="fails", call_id="c3", is_error=True
            ),
            FunctionExecutionResult(content="4", name="add", call_id="c4", is_error=False),
        ]
        assert messages[-1] == AssistantMessage(content="Some tools failed.", source="assistant")

    await with_tool_agent(program)


@pytest.mark.anyio
async def test_caller_loop_runs_the_calls_of_a_round_concurrently() -> None:
    arrived: list[str] = []
    all_arrived = anyio.Event()

    async def meet(name: str) -> str:
        arrived.append(name)
        if len(arrived) == 3:
            all_arrived.set()
        await all_arrived.wait()  # deadlocks if the calls ran one after another
        return f"{name} met"

    client = ReplayChatCompletionClient(
        [
            calls_result(*(call("meet", {"name": n}, f"c{n}") for n in "abc")),
            "Everyone met.",
        ]
    )

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        messages = await tool_agent_caller_loop(runtime, TOOL_AGENT, client, INPUT, TOOLS)
        results = messages[1]
        assert isinstance(results, FunctionExecutionResultMessage)
        assert [result.content for result in results.content] == ["a met", "b met", "c met"]

    await with_tool_agent(program, tools=[FunctionTool(meet, description="Meet.")])


@pytest.mark.anyio
async def test_caller_loop_raises_other_exceptions_after_the_round() -> None:
    client = ReplayChatCompletionClient([calls_result(call("add", {"a": 1, "b": 1}))])

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        missing = AgentId("no_such_agent", "default")
        with pytest.raises(UnknownAgentTypeError):
            await tool_agent_caller_loop(runtime, missing, client, INPUT, TOOLS)

    await with_tool_agent(program)


@pytest.mark.anyio
async def test_caller_loop_rejects_answers_that_are_not_results() -> None:
    class WrongAgent(RoutedAgent):
        @message_handler
        async def handle(self, message: FunctionCall, ctx: MessageContext) -> str:
            return "not a result"

    client = ReplayChatCompletionClient([calls_result(call("add", {"a": 1, "b": 1}))])

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        await WrongAgent.register(runtime, "wrong", lambda: WrongAgent("Wrong."))
        with pytest.raises(TypeError, match="not a FunctionExecutionResult"):
            await tool_agent_caller_loop(runtime, AgentId("wrong", "k"), client, INPUT, TOOLS)

    await with_tool_agent(program)


class Deny(DefaultInterventionHandler):
    """Refuses every call of the tool ``fails``, as a user asked for approval would."""

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any:
        if isinstance(message, FunctionCall) and message.name == "fails":
            raise ToolException(
                content="User denied tool execution.", call_id=message.id, name=message.name
            )
        return message


@pytest.mark.anyio
async def test_intervention_handler_can_refuse_a_call() -> None:
    client = ReplayChatCompletionClient(
        [
            calls_result(call("fails", {"reason": "x"}, "c1"), call("add", {"a": 1, "b": 1}, "c2")),
            "The user refused.",
        ]
    )

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        messages = await tool_agent_caller_loop(runtime, TOOL_AGENT, client, INPUT, TOOLS)
        results = messages[1]
        assert isinstance(results, FunctionExecutionResultMessage)
        assert results.content == [
            FunctionExecutionResult(
                content="User denied tool execution.", name="fails", call_id="c1", is_error=True
            ),
            FunctionExecutionResult(content="2", name="add", call_id="c2", is_error=False),
        ]

    await with_tool_agent(
        program, runtime=SingleThreadedAgentRuntime(intervention_handlers=[Deny()])
    )


@dataclass
class Message:
    content: str


class ToolUseAgent(RoutedAgent):
    """Uses a ToolAgent through tool_agent_caller_loop, as the user guide's agent does."""

    def __init__(
        self,
        model_client: ReplayChatCompletionClient,
        tools: list[Tool],
        tool_agent_type: AgentType,
    ) -> None:
        super().__init__("Uses tools.")
        self._model_client = model_client
        self._tools = tools
        self._tool_agent_id = AgentId(tool_agent_type, self.id.key)

    @message_handler
    async def handle_user_message(self, message: Message, ctx: MessageContext) -> Message:
        output = await tool_agent_caller_loop(
            self,
            tool_agent_id=self._tool_agent_id,
            model_client=self._model_client,
            input_messages=[UserMessage(content=message.content, source="User")],
            tool_schema=self._tools,
            cancellation_token=ctx.cancellation_token,
        )
        final = output[-1].content
        assert isinstance(final, str)
        return Message(content=final)


@pytest.mark.anyio
async def test_caller_loop_from_an_agents_handler() -> None:
    client = ReplayChatCompletionClient(
        [calls_result(call("get_weather", {"city": "Lima"})), "It is sunny in Lima."]
    )

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        await ToolUseAgent.register(
            runtime,
            "tool_use_agent",
            lambda: ToolUseAgent(client, TOOLS, AgentType(TOOL_AGENT.type)),
        )
        reply = await runtime.send_message(
            Message("What is the weather in Lima?"), AgentId("tool_use_agent", "default")
        )
        assert reply == Message(content="It is sunny in Lima.")
        second_prompt = client.create_calls[1]["messages"]
        assert second_prompt[-1] == FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(
                    content="Sunny in Lima", name="get_weather", call_id="call_1", is_error=False
                )
            ]
        )

    await with_tool_agent(program)


def _slow_tool(started: anyio.Event, outcome: list[str]) -> Tool:
    async def slow() -> str:
        started.set()
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        return "finished"

    return FunctionTool(slow, description="Slow.")


@pytest.mark.anyio
async def test_caller_loop_cancelled_through_the_token() -> None:
    started = anyio.Event()
    outcome: list[str] = []
    client = ReplayChatCompletionClient([calls_result(call("slow", {})), "unused"])
    token = CancellationToken()

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        async def cancel_when_started() -> None:
            await started.wait()
            token.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(cancel_when_started)
            with pytest.raises(MessageCancelledError):
                await tool_agent_caller_loop(
                    runtime, TOOL_AGENT, client, INPUT, TOOLS, cancellation_token=token
                )
        assert outcome == ["cancelled"]
        assert len(client.create_calls) == 1

    await with_tool_agent(program, tools=[_slow_tool(started, outcome)])


@pytest.mark.anyio
async def test_caller_loop_cancelled_through_the_callers_scope() -> None:
    started = anyio.Event()
    outcome: list[str] = []
    client = ReplayChatCompletionClient([calls_result(call("slow", {})), "unused"])

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as group:

                async def cancel_when_started() -> None:
                    await started.wait()
                    scope.cancel()

                group.start_soon(cancel_when_started)
                await tool_agent_caller_loop(runtime, TOOL_AGENT, client, INPUT, TOOLS)
        assert scope.cancelled_caught
        assert outcome == ["cancelled"]

    await with_tool_agent(program, tools=[_slow_tool(started, outcome)])


@pytest.mark.anyio
async def test_caller_loop_with_a_cancelled_token_calls_no_model() -> None:
    client = ReplayChatCompletionClient(["unused"])
    token = CancellationToken()
    token.cancel()

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        with pytest.raises(MessageCancelledError):
            await tool_agent_caller_loop(
                runtime, TOOL_AGENT, client, INPUT, TOOLS, cancellation_token=token
            )
        assert client.create_calls == []

    await with_tool_agent(program)
