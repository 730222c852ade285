"""``examples/workbench.py``, the port of the user guide's "Using Workbench".

The script and ``run_structured()`` (both backends) print the guide's kind of transcript; the
workbench's tools really run and their results reach the model, with the scripted client and
with the real OpenAI client against the loopback server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from _examples_harness import load, run_script
from _openai_server import ChatServer, completion, tool_call_completion

from cantata import FunctionCall
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.openai import OpenAIChatCompletionClient
from cantata.models.replay import ReplayChatCompletionClient

EXPECTED = [
    "---------User Message-----------",
    "Find out the address of Microsoft Building 99",
    "---------Function Calls-----------",
    "FunctionCall(id='call_1', arguments='{}', name='list_buildings')",
    """FunctionCall(id='call_2', arguments='{"building": "Building 99"}', name='find_address')""",
    "---------Function Call Results-----------",
    "type='ToolResult' name='list_buildings' result=[TextResultContent("
    """type='TextResultContent', content="['Building 92', 'Building 99']")] is_error=False""",
    "type='ToolResult' name='find_address' result=[TextResultContent("
    "type='TextResultContent', content='14820 NE 36th Street, Redmond, WA 98052, United "
    "States')] is_error=False",
    "---------Final Response-----------",
    "The address of Microsoft Building 99 is 14820 NE 36th Street, Redmond, WA 98052, "
    "United States.",
]


def run_structured() -> Callable[..., Awaitable[list[str]]]:
    function: Callable[..., Awaitable[list[str]]] = load("workbench").run_structured
    return function


def test_script_prints_the_transcript() -> None:
    assert run_script("workbench") == EXPECTED


@pytest.mark.anyio
async def test_structured_form_prints_the_same_twice() -> None:
    assert await run_structured()() == EXPECTED
    assert await run_structured()() == EXPECTED


@pytest.mark.anyio
async def test_tool_results_reach_the_model() -> None:
    module = load("workbench")
    client = ReplayChatCompletionClient(module.SCRIPTED_REPLIES)
    await run_structured()(client)
    first, second = client.create_calls
    assert [tool["name"] for tool in first["tools"]] == ["find_address", "list_buildings"]
    assert isinstance(first["messages"][0], SystemMessage)
    assert first["messages"][1] == UserMessage(content=module.QUESTION, source="user")
    history = second["messages"]
    assert isinstance(history[2], AssistantMessage)
    assert history[3] == FunctionExecutionResultMessage(
        content=[
            FunctionExecutionResult(
                content="['Building 92', 'Building 99']",
                name="list_buildings",
                call_id="call_1",
                is_error=False,
            ),
            FunctionExecutionResult(
                content="14820 NE 36th Street, Redmond, WA 98052, United States",
                name="find_address",
                call_id="call_2",
                is_error=False,
            ),
        ]
    )


@pytest.mark.anyio
async def test_a_failing_tool_call_is_an_error_result_for_the_model() -> None:
    call = FunctionCall(id="c", arguments='{"building": "Building 1"}', name="find_address")
    usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
    client = ReplayChatCompletionClient(
        [
            CreateResult(finish_reason="function_calls", content=[call], usage=usage, cached=False),
            "There is no Building 1.",
        ]
    )
    printed = await run_structured()(client)
    assert printed[-1] == "There is no Building 1."
    (result,) = client.create_calls[1]["messages"][-1].content
    assert result.is_error is True
    assert "No building called 'Building 1'" in result.content


@pytest.mark.anyio
async def test_against_an_openai_compatible_server() -> None:
    with ChatServer() as server:
        server.script(
            tool_call_completion([("call_9", "find_address", '{"building": "building 92"}')]),
            completion("Building 92 is at 15010 NE 36th Street."),
        )
        client: ChatCompletionClient = OpenAIChatCompletionClient(
            model="gpt-4.1-nano", api_key="test", base_url=server.base_url
        )
        printed = await run_structured()(client)
        await client.close()
        bodies: list[dict[str, Any]] = server.bodies
    assert printed[-1] == "Building 92 is at 15010 NE 36th Street."
    assert [body["model"] for body in bodies] == ["gpt-4.1-nano"] * 2
    assert {tool["function"]["name"] for tool in bodies[0]["tools"]} == {
        "find_address",
        "list_buildings",
    }
    tool_message = bodies[1]["messages"][-1]
    assert tool_message == {
        "role": "tool",
        "tool_call_id": "call_9",
        "content": "15010 NE 36th Street, Redmond, WA 98052, United States",
    }
