"""The OpenAI clients against a real chat-completions server on 127.0.0.1.

Every test checks the request bodies the server received as well as the results.
They run on asyncio and on Trio: the ``openai`` SDK's HTTP stack runs on AnyIO.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal

import anyio
import openai
import pytest
from _openai_server import ChatServer, Reply, completion, error, stream, tool_call_completion
from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata._constants import EVENT_LOGGER_NAME
from cantata._function_call import FunctionCall
from cantata._image import Image
from cantata.exceptions import MessageCancelledError
from cantata.logging import LLMCallEvent, LLMStreamEndEvent, LLMStreamStartEvent
from cantata.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    SystemMessage,
    UserMessage,
    _events,
)
from cantata.models.openai import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient
from cantata.tools import FunctionTool, ToolSchema

pytestmark = pytest.mark.anyio

KEY = "sk-test-secret-key-0123456789"
PROMPT: list[LLMMessage] = [UserMessage(content="Hello?", source="user")]
LOCAL_INFO: ModelInfo = {
    "vision": False,
    "function_calling": True,
    "json_output": False,
    "family": "unknown",
    "structured_output": False,
}
# Let the SDK retry at once: it honours the retry-after-ms header.
FAST_RETRY = {"retry-after-ms": "10"}


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat_server:
        yield chat_server


MakeClient = Callable[..., OpenAIChatCompletionClient]


@pytest.fixture
async def make_client(server: ChatServer) -> AsyncIterator[MakeClient]:
    """A factory of clients of *server*; every client is closed after the test (an
    unclosed SDK client would close its connections from a later event loop)."""
    made: list[OpenAIChatCompletionClient] = []

    def make(**kwargs: Any) -> OpenAIChatCompletionClient:
        kwargs.setdefault("model", "gpt-4o")
        client = OpenAIChatCompletionClient(api_key=KEY, base_url=server.base_url, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


# -- construction ---------------------------------------------------------------


def test_model_is_required() -> None:
    with pytest.raises(ValueError, match="model is required"):
        OpenAIChatCompletionClient(api_key=KEY)


def test_model_info_required_for_unknown_models() -> None:
    with pytest.raises(ValueError, match="model_info is required"):
        OpenAIChatCompletionClient(model="llama3.2:1b", base_url="http://127.0.0.1:1/v1")
    client = OpenAIChatCompletionClient(
        model="llama3.2:1b", base_url="http://127.0.0.1:1/v1", model_info=LOCAL_INFO
    )
    assert client.model_info == LOCAL_INFO


@pytest.mark.parametrize(
    ("model", "family", "vision"),
    [
        ("gpt-4o", "gpt-4o", True),
        ("gpt-4o-mini-2024-07-18", "gpt-4o", True),
        ("gpt-4.1-nano", "gpt-41", True),
        ("o1", "o1", True),
        ("o3-mini", "o3", False),
        ("o4-mini", "o4", True),
        ("gpt-3.5-turbo-0125", "gpt-35", False),
    ],
)
def test_known_models(model: str, family: str, vision: bool) -> None:
    client = OpenAIChatCompletionClient(model=model, api_key=KEY)
    assert client.model_info["family"] == family
    assert client.model_info["vision"] is vision


def test_api_key_is_masked() -> None:
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY)
    assert KEY not in repr(client)
    config = client._to_config()
    assert KEY not in repr(config)
    assert KEY not in config.model_dump_json()
    assert config.api_key is not None and config.api_key.get_secret_value() == KEY


def test_model_capabilities_are_accepted() -> None:
    client = OpenAIChatCompletionClient(
        model="llama3.2:1b",
        api_key="NotRequiredSinceWeAreLocal",
        base_url="http://127.0.0.1:1/v1",
        model_capabilities={"json_output": False, "vision": False, "function_calling": True},
    )
    assert client.model_info["function_calling"] is True
    assert client.model_info["family"] == "unknown"


# -- create -----------------------------------------------------------------------


async def test_create_plain(server: ChatServer, make_client: MakeClient) -> None:
    server.script(completion("Hi!", prompt_tokens=11, completion_tokens=3), completion("Again"))
    client = make_client(temperature=0.5, seed=7)
    result = await client.create(PROMPT)
    assert result == CreateResult(
        finish_reason="stop",
        content="Hi!",
        usage=client.actual_usage(),
        cached=False,
    )
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 3)
    await client.create(PROMPT, extra_create_args={"temperature": 0.1, "top_k": 4})
    assert client.actual_usage().prompt_tokens == 10
    assert client.total_usage().prompt_tokens == 21
    assert client.total_usage().completion_tokens == 8
    first, second = server.bodies
    assert first == {
        "model": "gpt-4o",
        "temperature": 0.5,
        "seed": 7,
        "messages": [{"role": "user", "content": "Hello?", "name": "user"}],
    }
    assert second["temperature"] == 0.1 and second["top_k"] == 4 and second["seed"] == 7
    assert "stream" not in second and "tools" not in second
    headers = server.requests[0].headers
    assert headers["authorization"] == f"Bearer {KEY}"
    await client.close()
    await client.close()


async def test_message_conversion(server: ChatServer, make_client: MakeClient) -> None:
    server.script(completion("ok"))
    client = make_client()
    image = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")
    messages: list[LLMMessage] = [
        SystemMessage(content="Be brief."),
        UserMessage(content=["What is this?", image], source="alice"),
        AssistantMessage(
            content=[FunctionCall(id="c1", name="get_weather", arguments='{"city": "Paris"}')],
            thought="Let me check.",
            source="bot",
        ),
        FunctionExecutionResultMessage(
            content=[FunctionExecutionResult(content="sunny", name="get_weather", call_id="c1")]
        ),
        AssistantMessage(content="It is sunny.", source="bot"),
    ]
    await client.create(messages)
    sent = server.bodies[0]["messages"]
    assert sent == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "name": "alice",
            "content": [
                {"type": "text", "text": "What is this?"},
                {
                    "type": "image_url",
                    "image_url": {"url": image.data_uri, "detail": "auto"},
                },
            ],
        },
        {
            "role": "assistant",
            "name": "bot",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        {"role": "assistant", "name": "bot", "content": "It is sunny."},
    ]


async def test_images_need_a_vision_model(server: ChatServer, make_client: MakeClient) -> None:
    client = make_client(model="local", model_info=LOCAL_INFO)
    image = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")
    with pytest.raises(ValueError, match="vision"):
        await client.create([UserMessage(content=["look", image], source="u")])
    assert server.bodies == []


async def test_tools_and_tool_calls(server: ChatServer, make_client: MakeClient) -> None:
    server.script(
        tool_call_completion(
            [("call_1", "get_weather", '{"city": "Paris"}'), ("call_2", "lookup", "{}")],
            content="Checking.",
        ),
        completion("done"),
    )
    client = make_client()
    tool = FunctionTool(get_weather, description="Get the weather.")
    schema: ToolSchema = {
        "name": "lookup",
        "description": "Look something up.",
        "parameters": {"type": "object", "properties": {}},
    }
    result = await client.create(PROMPT, tools=[tool, schema], tool_choice="required")
    assert result.finish_reason == "function_calls"
    assert result.content == [
        FunctionCall(id="call_1", arguments='{"city": "Paris"}', name="get_weather"),
        FunctionCall(id="call_2", arguments="{}", name="lookup"),
    ]
    assert result.thought == "Checking."
    await client.create(PROMPT, tools=[tool, schema], tool_choice=tool)
    first, second = server.bodies
    assert first["tool_choice"] == "required"
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "lookup"]
    assert first["tools"][0]["type"] == "function"
    assert first["tools"][0]["function"]["parameters"] == tool.schema["parameters"]
    assert first["tools"][1]["function"]["description"] == "Look something up."
    assert second["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


async def test_tool_choice_must_name_a_given_tool(
    server: ChatServer, make_client: MakeClient
) -> None:
    client = make_client()
    tool = FunctionTool(get_weather, description="Get the weather.")
    other = FunctionTool(get_weather, description="Other.", name="other")
    with pytest.raises(ValueError, match="not in tools"):
        await client.create(PROMPT, tools=[tool], tool_choice=other)
    assert server.bodies == []


async def test_json_output(server: ChatServer, make_client: MakeClient) -> None:
    server.script(completion('{"a": 1}'), completion("plain"))
    client = make_client()
    result = await client.create(PROMPT, json_output=True)
    assert result.content == '{"a": 1}'
    await client.create(PROMPT, json_output=False)
    assert server.bodies[0]["response_format"] == {"type": "json_object"}
    assert server.bodies[1]["response_format"] == {"type": "text"}


class AgentResponse(BaseModel):
    thoughts: str
    response: Literal["happy", "sad", "neutral"]


async def test_structured_output(server: ChatServer, make_client: MakeClient) -> None:
    reply = '{ "thoughts": "fine",  "response": "happy" }'
    server.script(completion(reply), completion(reply))
    client = make_client()
    result = await client.create(PROMPT, json_output=AgentResponse)
    assert isinstance(result.content, str)
    assert AgentResponse.model_validate_json(result.content).response == "happy"
    assert result.content == reply  # validated, returned as the server sent it
    fmt = server.bodies[0]["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "AgentResponse"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["required"] == ["thoughts", "response"]
    assert schema["additionalProperties"] is False
    # The user guide's form: response_format given to the constructor.
    by_default = make_client(response_format=AgentResponse)
    result = await by_default.create(PROMPT)
    assert server.bodies[1]["response_format"] == fmt


async def test_structured_output_needs_support(server: ChatServer, make_client: MakeClient) -> None:
    client = make_client(model="local", model_info=LOCAL_INFO)
    with pytest.raises(ValueError, match="structured output"):
        await client.create(PROMPT, json_output=AgentResponse)
    with pytest.raises(ValueError, match="JSON output"):
        await client.create(PROMPT, json_output=True)
    with pytest.raises(ValueError, match="extra_create_args"):
        await client.create(PROMPT, extra_create_args={"stream": True})
    assert server.bodies == []


# -- streaming ------------------------------------------------------------------


async def test_stream_text_and_usage(server: ChatServer, make_client: MakeClient) -> None:
    server.script(stream(["Hel", "lo", " world"], usage=(12, 4)))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, extra_create_args={"seed": 3})]
    assert items[:-1] == ["Hel", "lo", " world"]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert final.content == "Hello world"
    assert final.finish_reason == "stop"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (12, 4)
    assert client.total_usage().prompt_tokens == 12
    body = server.bodies[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["seed"] == 3


async def test_stream_tool_calls(server: ChatServer, make_client: MakeClient) -> None:
    server.script(
        stream(
            [],
            finish_reason="tool_calls",
            tool_calls=[("c9", "get_weather", ['{"ci', 'ty": "Rome"}'])],
        )
    )
    client = make_client()
    tool = FunctionTool(get_weather, description="Get the weather.")
    items = [item async for item in client.create_stream(PROMPT, tools=[tool])]
    assert len(items) == 1
    final = items[0]
    assert isinstance(final, CreateResult)
    assert final.finish_reason == "function_calls"
    assert final.content == [
        FunctionCall(id="c9", arguments='{"city": "Rome"}', name="get_weather")
    ]
    assert server.bodies[0]["tools"][0]["function"]["name"] == "get_weather"


async def test_stream_structured_output(server: ChatServer, make_client: MakeClient) -> None:
    server.script(stream(['{"thoughts": "x", ', '"response": "sad"}']))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, json_output=AgentResponse)]
    final = items[-1]
    assert isinstance(final, CreateResult) and isinstance(final.content, str)
    assert AgentResponse.model_validate_json(final.content).response == "sad"
    assert server.bodies[0]["response_format"]["type"] == "json_schema"


# -- retries and errors ---------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
async def test_retries_then_succeeds(
    server: ChatServer, make_client: MakeClient, status: int
) -> None:
    failure = error(status)
    failure.headers.update(FAST_RETRY)
    server.script(failure, completion("recovered"))
    client = make_client(max_retries=2)
    result = await client.create(PROMPT)
    assert result.content == "recovered"
    assert len(server.bodies) == 2
    assert server.bodies[0] == server.bodies[1]


async def test_no_retries_raises(server: ChatServer, make_client: MakeClient) -> None:
    server.script(error(429))
    client = make_client(max_retries=0)
    with pytest.raises(openai.RateLimitError):
        await client.create(PROMPT)
    assert len(server.bodies) == 1
    assert client.total_usage().prompt_tokens == 0


# -- cancellation ---------------------------------------------------------------


async def test_cancel_with_token(server: ChatServer, make_client: MakeClient) -> None:
    server.script(Reply(body={}, delay=30))
    client = make_client()
    token = CancellationToken()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(_cancel_when_received, server, token)
            with pytest.raises(MessageCancelledError):
                await client.create(PROMPT, cancellation_token=token)
    assert len(server.bodies) == 1


async def test_cancelled_token_sends_nothing(server: ChatServer, make_client: MakeClient) -> None:
    client = make_client()
    token = CancellationToken()
    token.cancel()
    with pytest.raises(MessageCancelledError):
        await client.create(PROMPT, cancellation_token=token)
    assert server.bodies == []


async def test_cancel_with_caller_scope(server: ChatServer, make_client: MakeClient) -> None:
    server.script(Reply(body={}, delay=30))
    client = make_client()
    with anyio.fail_after(5):
        with anyio.move_on_after(0.3) as scope:
            await client.create(PROMPT, cancellation_token=CancellationToken())
    assert scope.cancelled_caught


async def test_cancel_stream_with_token(server: ChatServer, make_client: MakeClient) -> None:
    server.script(stream(["a", "b", "c", "d"], delay=0.3))
    client = make_client()
    token = CancellationToken()
    received: list[str | CreateResult] = []
    with anyio.fail_after(5), pytest.raises(MessageCancelledError):
        async for item in client.create_stream(PROMPT, cancellation_token=token):
            received.append(item)
            token.cancel()
    assert received == ["a"]


async def _cancel_when_received(server: ChatServer, token: CancellationToken) -> None:
    for _ in range(500):  # the server records requests from its own thread
        if server.bodies:
            break
        await anyio.sleep(0.01)
    token.cancel()


# -- events, tokens, Azure ------------------------------------------------------


async def test_events(
    server: ChatServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(completion("one", prompt_tokens=5, completion_tokens=2), stream(["t"]))
    client = make_client()
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        await client.create(PROMPT)
        _ = [item async for item in client.create_stream(PROMPT)]
    events = [r.msg for r in caplog.records if r.name == EVENT_LOGGER_NAME]
    assert [type(e) for e in events] == [LLMCallEvent, LLMStreamStartEvent, LLMStreamEndEvent]
    call = events[0]
    assert isinstance(call, LLMCallEvent)
    assert (call.prompt_tokens, call.completion_tokens) == (5, 2)
    assert call.kwargs["messages"] == server.bodies[0]["messages"]
    end = events[2]
    assert isinstance(end, LLMStreamEndEvent)
    assert end.kwargs["response"]["content"] == "t"


async def test_events_not_built_when_disabled(
    server: ChatServer, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(**kwargs: Any) -> None:
        raise AssertionError("event built while the logger is disabled")

    monkeypatch.setattr(_events, "LLMCallEvent", explode)
    monkeypatch.setattr(_events, "LLMStreamStartEvent", explode)
    monkeypatch.setattr(_events, "LLMStreamEndEvent", explode)
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    monkeypatch.setattr(logger, "level", logging.WARNING)
    monkeypatch.setattr(logger, "disabled", False)
    logger.manager._clear_cache()  # type: ignore[attr-defined]
    server.script(completion("x"), stream(["y"]))
    client = make_client()
    await client.create(PROMPT)
    _ = [item async for item in client.create_stream(PROMPT)]
    logger.manager._clear_cache()  # type: ignore[attr-defined]


def test_count_and_remaining_tokens() -> None:
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY)
    short = client.count_tokens(PROMPT)
    longer = client.count_tokens([*PROMPT, UserMessage(content="word " * 200, source="u")])
    assert 0 < short < longer
    tool = FunctionTool(get_weather, description="Get the weather.")
    assert client.count_tokens(PROMPT, tools=[tool]) > short
    assert client.remaining_tokens(PROMPT) == 128_000 - short


async def test_azure_client(server: ChatServer, make_client: MakeClient) -> None:
    server.script(completion("from azure"))
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint=server.base_url.removesuffix("/v1"),
        azure_deployment="my-deployment",
        api_version="2024-06-01",
        api_key=KEY,
    )
    assert KEY not in repr(client)
    result = await client.create(PROMPT)
    assert result.content == "from azure"
    request = server.requests[0]
    assert request.path == (
        "/openai/deployments/my-deployment/chat/completions?api-version=2024-06-01"
    )
    assert request.headers["api-key"] == KEY
    assert request.body["messages"] == [{"role": "user", "content": "Hello?", "name": "user"}]
    await client.close()
