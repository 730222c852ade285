"""The Anthropic client against a real Messages API server on 127.0.0.1.

Every test checks the request bodies the server received as well as the results. They
run on asyncio and on Trio: the ``anthropic`` SDK's HTTP stack runs on AnyIO.
"""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import anthropic
import anyio
import pytest
from _anthropic_server import error, message, stream, text, thinking, tool_use
from _scripted_server import Reply, ScriptedServer
from pydantic import BaseModel, ValidationError

from cantata import ComponentModel
from cantata._cancellation_token import CancellationToken
from cantata._constants import EVENT_LOGGER_NAME
from cantata._function_call import FunctionCall
from cantata._image import Image
from cantata.exceptions import MessageCancelledError
from cantata.logging import LLMCallEvent, LLMStreamEndEvent, LLMStreamStartEvent
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    SystemMessage,
    UserMessage,
)
from cantata.models.anthropic import (
    JSON_INSTRUCTION,
    AnthropicBedrockChatCompletionClient,
    AnthropicChatCompletionClient,
    BedrockInfo,
)
from cantata.tools import FunctionTool, ToolSchema

pytestmark = pytest.mark.anyio

KEY = "sk-ant-test-secret-0123456789"
PROMPT: list[LLMMessage] = [UserMessage(content="Hello?", source="user")]
OTHER_INFO: ModelInfo = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": "unknown",
    "structured_output": False,
}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as scripted:
        yield scripted


MakeClient = Callable[..., AnthropicChatCompletionClient]


@pytest.fixture
async def make_client(server: ScriptedServer) -> AsyncIterator[MakeClient]:
    """A factory of clients of *server*; every client is closed after the test."""
    made: list[AnthropicChatCompletionClient] = []

    def make(**kwargs: Any) -> AnthropicChatCompletionClient:
        kwargs.setdefault("model", "claude-sonnet-4-5")
        client = AnthropicChatCompletionClient(api_key=KEY, base_url=server.url, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def _sent_key(headers: dict[str, str]) -> str | None:
    """The API key a request carried (``x-api-key``, or a bearer token on newer SDKs)."""
    if "x-api-key" in headers:
        return headers["x-api-key"]
    return headers.get("authorization", "").removeprefix("Bearer ") or None


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


WEATHER = FunctionTool(get_weather, description="Get the weather.")


# -- construction ------------------------------------------------------------------------


def test_model_is_required() -> None:
    with pytest.raises(ValueError, match="model is required"):
        AnthropicChatCompletionClient(api_key=KEY)


def test_unknown_model_needs_model_info() -> None:
    with pytest.raises(ValueError, match="model_info is required"):
        AnthropicChatCompletionClient(model="my-proxy-model", api_key=KEY)
    client = AnthropicChatCompletionClient(
        model="my-proxy-model", api_key=KEY, model_info=OTHER_INFO
    )
    assert client.model_info == OTHER_INFO


@pytest.mark.parametrize(
    ("model", "family", "structured"),
    [
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", False),
        ("claude-3-7-sonnet-latest", "claude-3-7-sonnet", False),
        ("claude-opus-4-20250514", "claude-4-opus", False),
        ("claude-opus-4-1-20250805", "claude-4-1-opus", True),
        ("claude-sonnet-4-5", "claude-4-5-sonnet", True),
        ("claude-haiku-4-5-20251001", "claude-4-5-haiku", True),
    ],
)
def test_known_models(model: str, family: str, structured: bool) -> None:
    client = AnthropicChatCompletionClient(model=model, api_key=KEY)
    assert client.model_info["family"] == family
    assert client.model_info["structured_output"] is structured
    assert client.model_info["vision"] and client.model_info["function_calling"]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="Unexpected arguments"):
        AnthropicChatCompletionClient(model="claude-sonnet-4-5", api_key=KEY, colour=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="pass it to create"):
        AnthropicChatCompletionClient(model="claude-sonnet-4-5", api_key=KEY, tool_choice="any")


def test_api_key_is_masked() -> None:
    client = AnthropicChatCompletionClient(model="claude-sonnet-4-5", api_key=KEY)
    assert KEY not in repr(client)
    dumped = client.dump_component().model_dump_json()
    assert KEY not in dumped and "**********" in dumped


# -- create ------------------------------------------------------------------------------


async def test_create_plain(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(message(text("Hi!"), usage=(11, 3)), message(text("Again")))
    client = make_client(temperature=0.5, top_k=4)
    result = await client.create(PROMPT)
    assert result == CreateResult(
        finish_reason="stop", content="Hi!", usage=client.actual_usage(), cached=False
    )
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 3)
    await client.create(PROMPT, extra_create_args={"temperature": 0.1, "max_tokens": 50})
    assert client.total_usage().prompt_tokens == 21
    assert client.total_usage().completion_tokens == 8
    first, second = server.bodies
    assert first == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "temperature": 0.5,
        "top_k": 4,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello?"}]}],
    }
    assert second["temperature"] == 0.1 and second["max_tokens"] == 50
    request = server.requests[0]
    assert request.path == "/v1/messages"
    assert _sent_key(request.headers) == KEY
    assert "anthropic-version" in request.headers
    await client.close()
    await client.close()


async def test_message_conversion(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(message(text("ok")))
    client = make_client()
    image = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")
    messages: list[LLMMessage] = [
        SystemMessage(content="Be brief."),
        UserMessage(content=["What is this?", image], source="alice"),
        UserMessage(content="", source="bob"),
        AssistantMessage(
            content=[FunctionCall(id="c1", name="get_weather", arguments='{"city": "Paris"}')],
            thought="Let me check.",
            source="bot",
        ),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(content="sunny", name="get_weather", call_id="c1"),
            ]
        ),
        SystemMessage(content="Answer in French."),
        UserMessage(content="And now?", source="alice"),
        AssistantMessage(content="Il fait  ", source="bot"),
    ]
    result = await client.create(messages, tools=[WEATHER])
    assert result.content == "ok"
    body = server.bodies[0]
    assert body["system"] == "Be brief.\nAnswer in French."
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": "image/png",
                        "data": image.to_base64(),
                    },
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"city": "Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "sunny"},
                {"type": "text", "text": "And now?"},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Il fait"}]},
    ]


async def test_images_need_vision_and_a_known_type(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    client = make_client(model="proxy", model_info=OTHER_INFO)
    png = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")
    with pytest.raises(ValueError, match="vision"):
        await client.create([UserMessage(content=["look", png], source="u")])
    bmp = Image.from_base64("Qk0eAAAAAAAAABoAAAAMAAAAAQABAAEAGAAAAP8A", mime_type="image/bmp")
    with pytest.raises(ValueError, match="not image/bmp"):
        await make_client().create([UserMessage(content=["look", bmp], source="u")])
    assert server.bodies == []


async def test_tools_and_tool_calls(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(
        message(
            text("Checking."),
            tool_use("toolu_1", "get_weather", {"city": "Paris"}),
            tool_use("toolu_2", "lookup", {}),
        ),
        message(text("done")),
        message(text("done")),
        message(text("done")),
    )
    client = make_client()
    schema: ToolSchema = {
        "name": "lookup",
        "description": "Look something up.",
        "parameters": {"type": "object", "properties": {}},
    }
    result = await client.create(PROMPT, tools=[WEATHER, schema], tool_choice="required")
    assert result.finish_reason == "function_calls"
    assert result.content == [
        FunctionCall(id="toolu_1", arguments='{"city": "Paris"}', name="get_weather"),
        FunctionCall(id="toolu_2", arguments="{}", name="lookup"),
    ]
    assert result.thought == "Checking."
    await client.create(PROMPT, tools=[WEATHER, schema], tool_choice=WEATHER)
    await client.create(PROMPT, tools=[WEATHER], tool_choice="none")
    await client.create(PROMPT, tools=[WEATHER])
    first, second, third, fourth = server.bodies
    assert first["tool_choice"] == {"type": "any"}
    assert first["tools"] == [
        {
            "name": "get_weather",
            "description": "Get the weather.",
            "input_schema": WEATHER.schema["parameters"],
        },
        {
            "name": "lookup",
            "description": "Look something up.",
            "input_schema": {"type": "object", "properties": {}},
        },
    ]
    assert second["tool_choice"] == {"type": "tool", "name": "get_weather"}
    assert third["tool_choice"] == {"type": "none"}
    assert "tool_choice" not in fourth


async def test_bad_tool_choices_send_nothing(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    client = make_client()
    other = FunctionTool(get_weather, description="Other.", name="other")
    with pytest.raises(ValueError, match="not in tools"):
        await client.create(PROMPT, tools=[WEATHER], tool_choice=other)
    with pytest.raises(ValueError, match="no tools"):
        await client.create(PROMPT, tool_choice=WEATHER)
    with pytest.raises(ValueError, match="Invalid tool_choice"):
        await client.create(PROMPT, tools=[WEATHER], tool_choice="any")
    bad_name: ToolSchema = {
        "name": "get weather",
        "parameters": {"type": "object", "properties": {}},
    }
    with pytest.raises(ValueError, match="Invalid tool name"):
        await client.create(PROMPT, tools=[bad_name])
    with pytest.raises(ValueError, match="extra_create_args"):
        await client.create(PROMPT, extra_create_args={"stream": True})
    with pytest.raises(ValueError, match="at least one user or assistant message"):
        await client.create([SystemMessage(content="only a system prompt")])
    assert server.bodies == []


async def test_earlier_tool_calls_without_tools(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """Reflecting on tool results (a call without tools) declares the tools used, unusable."""
    server.script(message(text("It is sunny.")))
    client = make_client()
    messages: list[LLMMessage] = [
        *PROMPT,
        AssistantMessage(
            content=[FunctionCall(id="c1", name="get_weather", arguments="not json")],
            source="bot",
        ),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(
                    content="bad arguments", name="get_weather", call_id="c1", is_error=True
                )
            ]
        ),
    ]
    assert (await client.create(messages)).content == "It is sunny."
    body = server.bodies[0]
    assert body["tools"] == [{"name": "get_weather", "input_schema": {"type": "object"}}]
    assert body["tool_choice"] == {"type": "none"}
    assert body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "c1", "name": "get_weather", "input": {"arguments": "not json"}}
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "c1", "content": "bad arguments", "is_error": True}
    ]


async def test_json_output(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(
        message(text('```json\n{"a": 1}\n```')),
        message(text('{"b": 2}')),
        message(text("plain")),
    )
    client = make_client()
    result = await client.create([SystemMessage(content="You count."), *PROMPT], json_output=True)
    assert result.content == '{"a": 1}'
    default_json = make_client(response_format={"type": "json_object"})
    assert (await default_json.create(PROMPT)).content == '{"b": 2}'
    await default_json.create(PROMPT, json_output=False)
    first, second, third = server.bodies
    assert first["system"] == f"You count.\n{JSON_INSTRUCTION}"
    assert second["system"] == JSON_INSTRUCTION
    assert "system" not in third and "response_format" not in third


class AgentResponse(BaseModel):
    thoughts: str
    response: Literal["happy", "sad", "neutral"]


async def test_structured_output(server: ScriptedServer, make_client: MakeClient) -> None:
    reply = '{"thoughts": "fine", "response": "happy"}'
    server.script(message(text(reply)), message(text('{"thoughts": 1}')), message())
    client = make_client()
    result = await client.create(PROMPT, json_output=AgentResponse)
    assert result.content == reply
    output_format = server.bodies[0]["output_config"]["format"]
    assert output_format["type"] == "json_schema"
    assert output_format["schema"]["required"] == ["thoughts", "response"]
    assert output_format["schema"]["additionalProperties"] is False
    with pytest.raises(ValidationError):
        await client.create(PROMPT, json_output=AgentResponse)
    with pytest.raises(ValueError, match="returned no AgentResponse"):
        await client.create(PROMPT, json_output=AgentResponse)
    assert client.total_usage().prompt_tokens == 30  # usage counted before the check


async def test_structured_output_needs_support(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    old = make_client(model="claude-3-5-haiku-latest")
    with pytest.raises(ValueError, match="structured output"):
        await old.create(PROMPT, json_output=AgentResponse)
    other = make_client(model="proxy", model_info=OTHER_INFO)
    with pytest.raises(ValueError, match="JSON output"):
        await other.create(PROMPT, json_output=True)
    with pytest.raises(TypeError, match="json_output"):
        await other.create(PROMPT, json_output=dict)  # type: ignore[arg-type]
    assert server.bodies == []


async def test_thinking_becomes_the_thought_and_goes_back(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(
        message(
            thinking("The user wants weather.", signature="sig-A"),
            {"type": "redacted_thinking", "data": "opaque-1"},
            text("Let me look."),
            tool_use("toolu_9", "get_weather", {"city": "Rome"}),
        ),
        message(thinking("Sunny, so say so."), text("Sunny in Rome.")),
    )
    client = make_client(thinking={"type": "enabled", "budget_tokens": 2048})
    first = await client.create(PROMPT, tools=[WEATHER])
    assert first.thought == "The user wants weather.\nLet me look."
    assert isinstance(first.content, list)
    history: list[LLMMessage] = [
        *PROMPT,
        AssistantMessage(content=first.content, thought=first.thought, source="bot"),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(content="sunny", name="get_weather", call_id="toolu_9")
            ]
        ),
    ]
    second = await client.create(history, tools=[WEATHER])
    assert (second.content, second.thought) == ("Sunny in Rome.", "Sunny, so say so.")
    body = server.bodies[1]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "The user wants weather.", "signature": "sig-A"},
        {"type": "redacted_thinking", "data": "opaque-1"},
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Rome"}},
    ]


# -- streaming ---------------------------------------------------------------------------


async def test_stream_text_and_usage(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(text("Hello world"), usage=(12, 4), piece=4))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, extra_create_args={"top_p": 0.9})]
    assert items[:-1] == ["Hell", "o wo", "rld"]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert (final.content, final.finish_reason) == ("Hello world", "stop")
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (12, 4)
    assert client.total_usage().completion_tokens == 4
    body = server.bodies[0]
    assert body["stream"] is True and body["top_p"] == 0.9


async def test_stream_tool_calls_and_thinking(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(
        stream(
            thinking("Need weather."),
            text("Calling."),
            tool_use("toolu_3", "get_weather", {"city": "Oslo"}),
            piece=5,
        )
    )
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, tools=[WEATHER])]
    assert "".join(item for item in items if isinstance(item, str)) == (
        "<think>Need weather.</think>Calling."
    )
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert final.finish_reason == "function_calls"
    assert final.content == [
        FunctionCall(id="toolu_3", arguments='{"city": "Oslo"}', name="get_weather")
    ]
    assert final.thought == "Need weather.\nCalling."


async def test_stream_of_only_thinking_closes_the_tag(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(stream(thinking("hmm"), stop_reason="max_tokens", piece=10))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT)]
    assert items[:-1] == ["<think>hmm", "</think>"]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert (final.content, final.thought, final.finish_reason) == ("", "hmm", "length")


async def test_stream_structured_output(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(text('{"thoughts": "x", "response": "sad"}')))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, json_output=AgentResponse)]
    final = items[-1]
    assert isinstance(final, CreateResult) and isinstance(final.content, str)
    assert AgentResponse.model_validate_json(final.content).response == "sad"


async def test_stream_cut_off_is_an_error(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(text("Hello world"), drop_after=4))
    client = make_client()
    received: list[str | CreateResult] = []
    with anyio.fail_after(10), pytest.raises(ConnectionError, match="before the reply"):
        async for item in client.create_stream(PROMPT):
            received.append(item)
    assert received == ["Hel"]
    assert client.total_usage().completion_tokens == 0


# -- retries and errors ------------------------------------------------------------------


async def test_stream_error_event(server: ScriptedServer, make_client: MakeClient) -> None:
    """An ``error`` event in the middle of a stream (the API overloaded) is raised."""
    reply = stream(text("Hello world"))
    assert reply.frames is not None
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    reply.frames[4:] = [f"event: error\ndata: {json.dumps(overloaded)}\n\n".encode()]
    server.script(reply)
    client = make_client()
    with anyio.fail_after(10), pytest.raises(anthropic.APIStatusError, match="Overloaded"):
        async for _ in client.create_stream(PROMPT):
            pass
    assert client.total_usage().completion_tokens == 0


async def test_large_request(server: ScriptedServer, make_client: MakeClient) -> None:
    big = "x" * 2_000_000
    server.script(message(text("read it")))
    client = make_client()
    result = await client.create([UserMessage(content=big, source="user")])
    assert result.content == "read it"
    assert server.bodies[0]["messages"][0]["content"][0]["text"] == big


@pytest.mark.parametrize("status", [429, 500, 529])
async def test_retries_then_succeeds(
    server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    server.script(error(status), message(text("recovered")))
    client = make_client(max_retries=2)
    result = await client.create(PROMPT)
    assert result.content == "recovered"
    assert len(server.bodies) == 2
    assert server.bodies[0] == server.bodies[1]


async def test_stream_retries_then_succeeds(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(error(429), stream(text("ok")))
    client = make_client(max_retries=1)
    items = [item async for item in client.create_stream(PROMPT)]
    assert items[0] == "ok"
    assert len(server.bodies) == 2


async def test_no_retries_raises(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(error(429, "rate_limit_error"))
    client = make_client(max_retries=0)
    with pytest.raises(anthropic.RateLimitError):
        await client.create(PROMPT)
    server.script(error(400, "invalid_request_error"))
    with pytest.raises(anthropic.BadRequestError):
        await client.create(PROMPT)
    assert len(server.bodies) == 2
    assert client.total_usage().prompt_tokens == 0


# -- cancellation ------------------------------------------------------------------------


async def _cancel_when_received(server: ScriptedServer, token: CancellationToken) -> None:
    for _ in range(500):  # the server records requests from its own thread
        if server.bodies:
            break
        await anyio.sleep(0.01)
    token.cancel()


async def test_cancel_with_token(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(body={}, delay=30))
    client = make_client()
    token = CancellationToken()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(_cancel_when_received, server, token)
            with pytest.raises(MessageCancelledError):
                await client.create(PROMPT, cancellation_token=token)
    assert len(server.bodies) == 1


async def test_cancelled_token_sends_nothing(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    token = CancellationToken()
    token.cancel()
    with pytest.raises(MessageCancelledError):
        await make_client().create(PROMPT, cancellation_token=token)
    assert server.bodies == []


async def test_cancel_with_caller_scope(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(body={}, delay=30), message(text("after")))
    client = make_client()
    with anyio.fail_after(5):
        with anyio.move_on_after(0.3) as scope:
            await client.create(PROMPT, cancellation_token=CancellationToken())
        assert scope.cancelled_caught
        assert (await client.create(PROMPT)).content == "after"  # the client still works


async def test_cancel_stream_with_token(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(text("abcdefgh"), piece=1, delay=0.2))
    client = make_client()
    token = CancellationToken()
    received: list[str | CreateResult] = []
    with anyio.fail_after(5), pytest.raises(MessageCancelledError):
        async for item in client.create_stream(PROMPT, cancellation_token=token):
            received.append(item)
            token.cancel()
    assert received == ["a"]


async def test_cancel_stream_with_caller_scope(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(stream(text("abcdefgh"), piece=1, delay=0.2))
    client = make_client()
    received: list[str | CreateResult] = []
    with anyio.fail_after(5):
        with anyio.CancelScope() as scope:
            async for item in client.create_stream(PROMPT):
                received.append(item)
                scope.cancel()
    assert scope.cancelled_caught
    assert received == ["a"]


# -- events, tokens, config --------------------------------------------------------------


async def test_events(
    server: ScriptedServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(message(text("one"), usage=(5, 2)), stream(text("t")))
    client = make_client()
    system: list[LLMMessage] = [SystemMessage(content="sys"), *PROMPT]
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        await client.create(system)
        _ = [item async for item in client.create_stream(PROMPT)]
    events = [r.msg for r in caplog.records if r.name == EVENT_LOGGER_NAME]
    assert [type(e) for e in events] == [LLMCallEvent, LLMStreamStartEvent, LLMStreamEndEvent]
    call = events[0]
    assert isinstance(call, LLMCallEvent)
    assert (call.prompt_tokens, call.completion_tokens) == (5, 2)
    assert call.kwargs["messages"][0] == {"role": "system", "content": "sys"}
    assert call.kwargs["messages"][1:] == server.bodies[0]["messages"]
    assert call.kwargs["response"]["content"][0]["text"] == "one"
    end = events[2]
    assert isinstance(end, LLMStreamEndEvent)
    assert end.kwargs["response"]["content"] == "t"


def test_count_and_remaining_tokens() -> None:
    client = AnthropicChatCompletionClient(model="claude-sonnet-4-5", api_key=KEY)
    short = client.count_tokens(PROMPT)
    longer = client.count_tokens([*PROMPT, UserMessage(content="word " * 200, source="u")])
    assert 0 < short < longer
    assert client.count_tokens(PROMPT, tools=[WEATHER]) > short
    image = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")
    assert client.count_tokens([UserMessage(content=[image], source="u")]) >= 1600
    assert client.remaining_tokens(PROMPT) == 200_000 - short


@pytest.mark.parametrize(
    "provider",
    [
        "AnthropicChatCompletionClient",
        "anthropic_chat_completion_client",
        "autogen_ext.models.anthropic.AnthropicChatCompletionClient",
        "cantata.models.anthropic.AnthropicChatCompletionClient",
    ],
)
async def test_component_config(server: ScriptedServer, provider: str) -> None:
    config = {
        "provider": provider,
        "config": {
            "model": "claude-sonnet-4-5",
            "api_key": KEY,
            "base_url": server.url,
            "temperature": 0.2,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "max_retries": 0,
        },
    }
    client = ChatCompletionClient.load_component(config)
    assert isinstance(client, AnthropicChatCompletionClient)
    server.script(message(text("loaded")))
    assert (await client.create(PROMPT)).content == "loaded"
    assert _sent_key(server.requests[0].headers) == KEY
    assert server.bodies[0]["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    dumped = client.dump_component()
    assert dumped.provider == "cantata.models.anthropic.AnthropicChatCompletionClient"
    assert dumped.config["temperature"] == 0.2
    assert KEY not in dumped.model_dump_json()
    # A dumped config loads back; its masked key counts as none given.
    again = ChatCompletionClient.load_component(
        ComponentModel.model_validate_json(dumped.model_dump_json())
    )
    assert isinstance(again, AnthropicChatCompletionClient)
    assert again.create_args["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    await client.close()
    await again.close()


def test_autogen_dumped_config_loads() -> None:
    """A config as autogen's client dumps it (every field written) loads."""
    config = {
        "provider": "autogen_ext.models.anthropic.AnthropicChatCompletionClient",
        "component_type": "model",
        "version": 1,
        "component_version": 1,
        "description": "Chat completion client for Anthropic's Claude models.",
        "label": "AnthropicChatCompletionClient",
        "config": {
            "model": "claude-3-7-sonnet-20250219",
            "max_tokens": 4096,
            "temperature": 1.0,
            "top_p": None,
            "top_k": None,
            "stop_sequences": None,
            "response_format": None,
            "metadata": None,
            "thinking": None,
            "api_key": "**********",
            "base_url": None,
            "model_capabilities": None,
            "model_info": None,
            "timeout": None,
            "max_retries": None,
            "default_headers": None,
            "tools": None,
            "tool_choice": None,
        },
    }
    client = ChatCompletionClient.load_component(config)
    assert isinstance(client, AnthropicChatCompletionClient)
    assert client.create_args == {
        "model": "claude-3-7-sonnet-20250219",
        "max_tokens": 4096,
        "temperature": 1.0,
    }
    assert client.model_info["family"] == "claude-3-7-sonnet"


async def test_pickle(server: ScriptedServer) -> None:
    client = AnthropicChatCompletionClient(
        model="claude-sonnet-4-5", api_key=KEY, base_url=server.url
    )
    restored = pickle.loads(pickle.dumps(client))
    server.script(message(text("pickled")))
    assert (await restored.create(PROMPT)).content == "pickled"
    await restored.close()
    await client.close()


BEDROCK_INFO: BedrockInfo = {
    "aws_access_key": "AKIDEXAMPLE0123",
    "aws_secret_key": "wJalrXUtnFEMI-secret",
    "aws_session_token": "session-token-0123",
    "aws_region": "us-east-1",
}


def test_bedrock_client_config() -> None:
    with pytest.raises(ValueError, match="bedrock_info is required"):
        AnthropicBedrockChatCompletionClient(model="anthropic.claude-x", model_info=OTHER_INFO)
    client = AnthropicBedrockChatCompletionClient(
        model="anthropic.claude-x",
        model_info=OTHER_INFO,
        bedrock_info=BEDROCK_INFO,
    )
    dumped = client.dump_component()
    text_form = dumped.model_dump_json()
    assert dumped.provider == "cantata.models.anthropic.AnthropicBedrockChatCompletionClient"
    for secret in ("AKIDEXAMPLE0123", "wJalrXUtnFEMI-secret", "session-token-0123"):
        assert secret not in text_form
    assert dumped.config["bedrock_info"]["aws_region"] == "us-east-1"
    with pytest.raises(ValueError, match="masked credentials"):
        ChatCompletionClient.load_component(ComponentModel.model_validate_json(text_form))
    loaded = ChatCompletionClient.load_component(dumped)  # in memory: the secrets are intact
    assert isinstance(loaded, AnthropicBedrockChatCompletionClient)


async def test_bedrock_request(server: ScriptedServer) -> None:
    """The Bedrock client sends SigV4-signed requests to the model's invoke path."""
    client = AnthropicBedrockChatCompletionClient(
        model="anthropic.claude-sonnet-4-5-v1:0",
        base_url=server.url,
        model_info=OTHER_INFO,
        bedrock_info=BEDROCK_INFO,
        max_retries=0,
    )
    server.script(message(text("from bedrock"), usage=(7, 3)))
    result = await client.create([SystemMessage(content="sys"), *PROMPT])
    assert result.content == "from bedrock"
    assert client.total_usage().prompt_tokens == 7
    request = server.requests[0]
    assert request.path == "/model/anthropic.claude-sonnet-4-5-v1:0/invoke"
    assert request.headers["authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE0123/"
    )
    assert "/us-east-1/bedrock/" in request.headers["authorization"]
    assert request.headers["x-amz-security-token"] == "session-token-0123"
    assert "model" not in request.body and "anthropic_version" in request.body
    assert request.body["system"] == "sys"
    await client.close()


# The public names of autogen_ext.models.anthropic (0.7.5) and of its config module.
AUTOGEN_NAMES = [
    "AnthropicChatCompletionClient",
    "AnthropicBedrockChatCompletionClient",
    "BaseAnthropicChatCompletionClient",
    "AnthropicClientConfiguration",
    "AnthropicBedrockClientConfiguration",
    "AnthropicClientConfigurationConfigModel",
    "AnthropicBedrockClientConfigurationConfigModel",
    "CreateArgumentsConfigModel",
    "BedrockInfo",
]
AUTOGEN_CONFIG_NAMES = [
    "ResponseFormat",
    "ThinkingConfig",
    "CreateArguments",
    "BedrockInfo",
    "BaseAnthropicClientConfiguration",
    "AnthropicClientConfiguration",
    "AnthropicBedrockClientConfiguration",
    "ThinkingConfigModel",
    "CreateArgumentsConfigModel",
    "BaseAnthropicClientConfigurationConfigModel",
    "AnthropicClientConfigurationConfigModel",
    "BedrockInfoConfigModel",
    "AnthropicBedrockClientConfigurationConfigModel",
]


def test_autogen_names() -> None:
    import cantata.models.anthropic as package
    import cantata.models.anthropic.config as config

    assert [name for name in AUTOGEN_NAMES if name not in package.__all__] == []
    assert [name for name in AUTOGEN_CONFIG_NAMES if name not in config.__all__] == []
    for name in package.__all__:
        assert getattr(package, name) is not None
