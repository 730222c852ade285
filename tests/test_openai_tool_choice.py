"""``tool_choice`` given through ``extra_create_args`` (as autogen's Group Chat notebook does)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _openai_server import ChatServer, completion

from cantata.models import LLMMessage, UserMessage
from cantata.models.openai import OpenAIChatCompletionClient
from cantata.tools import FunctionTool

pytestmark = pytest.mark.anyio

PROMPT: list[LLMMessage] = [UserMessage(content="Hello?", source="user")]


def get_weather(city: str) -> str:
    """Get the weather."""
    return f"sunny in {city}"


def get_time(city: str) -> str:
    """Get the time."""
    return f"noon in {city}"


WEATHER = FunctionTool(get_weather, description="Get the weather.")
TIME = FunctionTool(get_time, description="Get the time.")


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat_server:
        yield chat_server


@pytest.fixture
async def client(server: ChatServer) -> AsyncIterator[OpenAIChatCompletionClient]:
    made = OpenAIChatCompletionClient(
        model="gpt-4o", api_key="sk-test-0000000000", base_url=server.base_url
    )
    yield made
    await made.close()


@pytest.mark.parametrize(
    ("extra", "sent"),
    [
        ("required", "required"),
        ("none", "none"),
        (TIME, {"type": "function", "function": {"name": "get_time"}}),
        (
            {"type": "function", "function": {"name": "get_time"}},
            {"type": "function", "function": {"name": "get_time"}},
        ),
    ],
)
async def test_extra_tool_choice_applies_when_the_argument_is_left_default(
    server: ChatServer, client: OpenAIChatCompletionClient, extra: Any, sent: Any
) -> None:
    server.script(completion("ok"), completion("ok"))
    await client.create(PROMPT, tools=[WEATHER, TIME], extra_create_args={"tool_choice": extra})
    chunks = client.create_stream(
        PROMPT, tools=[WEATHER, TIME], extra_create_args={"tool_choice": extra}
    )
    async for _chunk in chunks:
        pass
    assert [body["tool_choice"] for body in server.bodies] == [sent, sent]


async def test_agreeing_values_are_fine(
    server: ChatServer, client: OpenAIChatCompletionClient
) -> None:
    server.script(completion("ok"), completion("ok"))
    await client.create(
        PROMPT,
        tools=[WEATHER],
        tool_choice="required",
        extra_create_args={"tool_choice": "required"},
    )
    await client.create(
        PROMPT,
        tools=[WEATHER],
        tool_choice=WEATHER,
        extra_create_args={
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}}
        },
    )
    assert server.bodies[0]["tool_choice"] == "required"
    assert server.bodies[1]["tool_choice"]["function"]["name"] == "get_weather"


@pytest.mark.parametrize(
    ("argument", "extra", "message"),
    [
        (
            "required",
            "none",
            r"tool_choice \('required'\) and extra_create_args\['tool_choice'\] \('none'\)",
        ),
        (WEATHER, TIME, r"\(the tool 'get_weather'\) .* \(the tool 'get_time'\) disagree"),
        ("none", WEATHER, "disagree"),
    ],
)
async def test_disagreeing_values_are_a_value_error(
    server: ChatServer,
    client: OpenAIChatCompletionClient,
    argument: Any,
    extra: Any,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.create(
            PROMPT,
            tools=[WEATHER, TIME],
            tool_choice=argument,
            extra_create_args={"tool_choice": extra},
        )
    assert server.bodies == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("sometimes", "Invalid tool_choice 'sometimes'"),
        ({"type": "function"}, "expected a function name"),
        (42, "must be 'auto', 'required', 'none' or a tool"),
        ({"type": "function", "function": {"name": "other"}}, "'other', which is not in tools"),
    ],
)
async def test_bad_extra_tool_choice(
    server: ChatServer, client: OpenAIChatCompletionClient, extra: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.create(PROMPT, tools=[WEATHER], extra_create_args={"tool_choice": extra})
    assert server.bodies == []


async def test_without_tools_a_mode_is_not_sent_and_a_tool_is_refused(
    server: ChatServer, client: OpenAIChatCompletionClient
) -> None:
    server.script(completion("ok"))
    await client.create(PROMPT, extra_create_args={"tool_choice": "required"})
    assert "tool_choice" not in server.bodies[0]
    with pytest.raises(ValueError, match="no tools were given"):
        await client.create(PROMPT, extra_create_args={"tool_choice": WEATHER})


async def test_other_reserved_keys_are_still_refused(client: OpenAIChatCompletionClient) -> None:
    with pytest.raises(ValueError, match=r"cannot set \['tools'\]"):
        await client.create(PROMPT, extra_create_args={"tools": []})
