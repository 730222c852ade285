"""``examples/tools.py``, the port of the user guide's "Tools" section.

The script (the guide's ``runtime.start()`` form, asyncio) and ``run_structured()`` (the
``async with`` form, asyncio and Trio) print the guide's output; the agent really runs the
tool the scripted model asks for and hands its result back to the model.
"""

from __future__ import annotations

import pprint
import sys
from types import ModuleType
from typing import Any

import pytest
from _examples_harness import load, run_script

from cantata import FunctionCall
from cantata.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResultMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tools import FunctionTool

GUIDE_SCHEMA = {
    "name": "get_stock_price",
    "description": "Get the stock price.",
    "parameters": {
        "type": "object",
        "properties": {
            "ticker": {"description": "ticker", "title": "Ticker", "type": "string"},
            "date": {"description": "Date in YYYY/MM/DD", "title": "Date", "type": "string"},
        },
        "required": ["ticker", "date"],
        "additionalProperties": False,
    },
    "strict": False,
}

EXPECTED = [
    "# Calling Tools with Model Clients",
    *pprint.pformat(GUIDE_SCHEMA, sort_dicts=False).splitlines(),
    "[FunctionCall(id='call_tpJ5J1Xoxi84Sw4v0scH0qBM', "
    """arguments='{"ticker":"AAPL","date":"2021/01/01"}', name='get_stock_price')]""",
    "The stock price of AAPL (Apple Inc.) on January 1, 2021, was approximately $32.38.",
    "# Tool-Equipped Agent",
    "AgentType(type='tool_use_agent')",
    "The stock price of NVIDIA (NVDA) on June 1, 2024, was approximately $140.05.",
]


def example() -> ModuleType:
    """``examples/tools.py``, imported once."""
    return load("tools")


def test_script_prints_guide_output() -> None:
    assert run_script("tools") == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_guide_output() -> None:
    assert await example().run_structured() == EXPECTED


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    assert await example().run_structured() == await example().run_structured()


def test_the_schema_is_the_guides() -> None:
    tool = FunctionTool(example().get_stock_price, description="Get the stock price.")
    assert tool.schema == GUIDE_SCHEMA


@pytest.mark.anyio
async def test_custom_function_tool_returns_a_random_price() -> None:
    price = float(await example().custom_function_tool())
    assert 10 <= price <= 200


def test_scripted_client_without_openai_settings() -> None:
    client = example().create_model_client(["hello"])
    assert isinstance(client, ReplayChatCompletionClient)


def test_falls_back_when_the_openai_client_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    client = example().create_model_client(["hello"])
    assert isinstance(client, ReplayChatCompletionClient)


def _calls(*calls: FunctionCall) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=list(calls),
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


async def _ask_agent(client: ReplayChatCompletionClient) -> list[str]:
    module = example()

    async def program(runtime: Any) -> None:
        await module.tool_equipped_agent(runtime, client)

    printed: list[str] = await module.printed_lines(module.structured_form, program)
    return printed


@pytest.mark.anyio
async def test_the_agent_runs_the_tool_and_reflects_on_its_result() -> None:
    module = example()
    client = ReplayChatCompletionClient(module.AGENT_REPLIES)
    printed = await _ask_agent(client)
    assert printed == EXPECTED[-2:]

    first, second = client.create_calls
    assert [tool.name for tool in first["tools"]] == ["get_stock_price"]
    assert isinstance(first["messages"][0], SystemMessage)
    assert first["messages"][1] == UserMessage(
        content="What is the stock price of NVDA on 2024/06/01?", source="user"
    )
    assert second["tools"] == []
    assistant, results = second["messages"][2:]
    assert isinstance(assistant, AssistantMessage)
    assert isinstance(results, FunctionExecutionResultMessage)
    (result,) = results.content
    assert result.call_id == "call_8gTj3Obh6GJJ6FZhCAobLMoU"
    assert result.name == "get_stock_price"
    assert result.is_error is False
    assert 10 <= float(result.content) <= 200


@pytest.mark.anyio
async def test_the_agent_reports_tool_errors_to_the_model() -> None:
    bad_call = FunctionCall(id="bad", arguments='{"ticker": "NVDA"}', name="get_stock_price")
    client = ReplayChatCompletionClient([_calls(bad_call), "I need a date."])
    assert await _ask_agent(client) == ["AgentType(type='tool_use_agent')", "I need a date."]
    results = client.create_calls[1]["messages"][-1]
    assert isinstance(results, FunctionExecutionResultMessage)
    (result,) = results.content
    assert result.is_error is True
    assert result.content == "Invalid arguments for tool 'get_stock_price': date: Field required"


@pytest.mark.anyio
async def test_the_agent_answers_without_tools_when_the_model_does() -> None:
    client = ReplayChatCompletionClient(["I cannot look prices up."])
    assert await _ask_agent(client) == [
        "AgentType(type='tool_use_agent')",
        "I cannot look prices up.",
    ]
    assert len(client.create_calls) == 1


@pytest.mark.anyio
async def test_the_agent_runs_several_calls_of_one_reply() -> None:
    calls = [
        FunctionCall(
            id=f"c{i}", arguments=f'{{"ticker": "T{i}", "date": "d"}}', name="get_stock_price"
        )
        for i in range(3)
    ]
    client = ReplayChatCompletionClient([_calls(*calls), "Three prices."])
    assert (await _ask_agent(client))[-1] == "Three prices."
    results = client.create_calls[1]["messages"][-1]
    assert [result.call_id for result in results.content] == ["c0", "c1", "c2"]
