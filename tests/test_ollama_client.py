"""The Ollama client against a real ``/api/chat`` server on 127.0.0.1.

Every test checks the request bodies the server received as well as the results. They
run on asyncio and on Trio: the ``ollama`` SDK's ``httpx`` client runs on AnyIO.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, Literal

import anyio
import ollama
import pytest
from _ollama_server import call, chat, error, stream
from _scripted_server import Reply, ScriptedServer
from pydantic import BaseModel, Field, ValidationError

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
from cantata.models.ollama import OllamaChatCompletionClient
from cantata.tools import FunctionTool, ToolSchema

pytestmark = pytest.mark.anyio

PROMPT: list[LLMMessage] = [UserMessage(content="Hello?", source="user")]
PLAIN_INFO: ModelInfo = {
    "vision": False,
    "function_calling": False,
    "json_output": False,
    "family": "unknown",
    "structured_output": False,
}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as scripted:
        yield scripted


MakeClient = Callable[..., OllamaChatCompletionClient]


@pytest.fixture
async def make_client(server: ScriptedServer) -> AsyncIterator[MakeClient]:
    """A factory of clients of *server*; every client is closed after the test."""
    made: list[OllamaChatCompletionClient] = []

    def make(**kwargs: Any) -> OllamaChatCompletionClient:
        kwargs.setdefault("model", "llama3.2")
        client = OllamaChatCompletionClient(host=server.url, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


WEATHER = FunctionTool(get_weather, description="Get the weather.")


# -- construction ------------------------------------------------------------------------


def test_model_is_required_and_unknown_models_need_info() -> None:
    with pytest.raises(ValueError, match="model is required"):
        OllamaChatCompletionClient(host="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="model_info is required"):
        OllamaChatCompletionClient(model="my-finetune:7b")
    with pytest.raises(TypeError, match="Unexpected arguments"):
        OllamaChatCompletionClient(model="llama3.2", api_key="x")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="max_retries"):
        OllamaChatCompletionClient(model="llama3.2", max_retries=-1)


@pytest.mark.parametrize(
    ("model", "tools", "family"),
    [
        ("llama3.2", True, "unknown"),
        ("llama3.2:1b", True, "unknown"),
        ("library/qwen2.5:7b-instruct", True, "unknown"),
        ("deepseek-r1:8b", False, "r1"),
        ("mistral:latest", True, "mistral"),
    ],
)
def test_known_models(model: str, tools: bool, family: str) -> None:
    client = OllamaChatCompletionClient(model=model)
    assert client.model_info["function_calling"] is tools
    assert client.model_info["family"] == family
    assert client.model_info["structured_output"] is True


def test_model_capabilities_are_accepted() -> None:
    client = OllamaChatCompletionClient(
        model="my-model",
        model_capabilities={"vision": True, "function_calling": True, "json_output": True},
    )
    assert client.model_info["vision"] and client.model_info["family"] == "unknown"


# -- create ------------------------------------------------------------------------------


async def test_create_plain(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(chat("Hi!", usage=(11, 3)), chat("Again"))
    client = make_client(options={"temperature": 0.5, "num_ctx": 4096}, keep_alive="5m")
    result = await client.create(PROMPT)
    assert result == CreateResult(
        finish_reason="stop", content="Hi!", usage=client.actual_usage(), cached=False
    )
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 3)
    await client.create(PROMPT, extra_create_args={"temperature": 0.1, "seed": 7})
    assert client.total_usage().prompt_tokens == 21
    assert client.total_usage().completion_tokens == 8
    first, second = server.bodies
    assert server.requests[0].path == "/api/chat"
    assert first == {
        "model": "llama3.2",
        "stream": False,
        "options": {"temperature": 0.5, "num_ctx": 4096},
        "keep_alive": "5m",
        "messages": [{"role": "user", "content": "Hello?"}],
        "tools": [],  # the SDK always sends the list
    }
    assert second["options"] == {"temperature": 0.1, "num_ctx": 4096, "seed": 7}
    await client.close()
    await client.close()


async def test_message_conversion(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(chat("ok"))
    client = make_client(model="llama4")
    image = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")
    messages: list[LLMMessage] = [
        SystemMessage(content="Be brief."),
        UserMessage(content=["What is this?", image, "Say it."], source="alice"),
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
    assert server.bodies[0]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is this?\nSay it.", "images": [image.to_base64()]},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
        {"role": "assistant", "content": "It is sunny."},
    ]


async def test_images_need_vision(server: ScriptedServer, make_client: MakeClient) -> None:
    client = make_client()
    image = Image.from_base64("iVBORw0KGgo=", mime_type="image/png")
    with pytest.raises(ValueError, match="vision"):
        await client.create([UserMessage(content=["look", image], source="u")])
    assert server.bodies == []


async def test_tools_and_tool_calls(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(
        chat(
            "Checking.",
            tool_calls=[call("get_weather", {"city": "Paris"}), call("lookup", {})],
        ),
        chat("done"),
        chat("done"),
        chat("done"),
    )
    client = make_client()
    schema: ToolSchema = {
        "name": "lookup",
        "description": "Look something up.",
        "parameters": {"type": "object", "properties": {}},
    }
    result = await client.create(PROMPT, tools=[WEATHER, schema])
    assert result.finish_reason == "function_calls"
    assert isinstance(result.content, list)
    first_call, second_call = result.content
    assert (first_call.name, first_call.arguments) == ("get_weather", '{"city": "Paris"}')
    assert (second_call.name, second_call.arguments) == ("lookup", "{}")
    assert first_call.id != second_call.id and first_call.id.startswith("call_")
    assert result.thought == "Checking."
    await client.create(PROMPT, tools=[WEATHER, schema], tool_choice=WEATHER)
    await client.create(PROMPT, tools=[WEATHER, schema], tool_choice="none")
    await client.create(PROMPT, tools=[WEATHER, schema], tool_choice="required")
    first, second, third, fourth = server.bodies
    assert first["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the weather.",
                "parameters": {
                    "type": "object",
                    "required": ["city"],
                    "properties": {"city": {"type": "string", "description": "city"}},
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "description": "Look something up.",
                "parameters": {"type": "object", "required": [], "properties": {}},
            },
        },
    ]
    assert [tool["function"]["name"] for tool in second["tools"]] == ["get_weather"]
    assert not third.get("tools")
    assert fourth["tools"] == first["tools"]  # Ollama cannot force a call


class Address(BaseModel):
    street: str
    zip_code: Annotated[str, Field(pattern=r"^\d{5}$")]


def ship(to: Address, note: str | None = None, count: int = 1) -> str:
    """Ship a parcel."""
    return f"{count} to {to.street}"


async def test_tool_schemas_keep_what_the_sdk_drops(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """The SDK keeps only type/items/description/enum of a parameter: the client resolves
    $refs, turns Optional[X] into a nullable X and describes the rest in the description."""
    server.script(chat("ok"))
    client = make_client()
    await client.create(PROMPT, tools=[FunctionTool(ship, description="Ship.")])
    properties = server.bodies[0]["tools"][0]["function"]["parameters"]["properties"]
    assert properties["note"]["type"] == ["string", "null"]
    assert properties["count"]["type"] == "integer"
    to = properties["to"]
    assert to["type"] == "object"
    assert '"zip_code"' in to["description"] and '"pattern"' in to["description"]
    assert "$ref" not in str(server.bodies[0]["tools"])


async def test_bad_requests_send_nothing(server: ScriptedServer, make_client: MakeClient) -> None:
    client = make_client()
    other = FunctionTool(get_weather, description="Other.", name="other")
    with pytest.raises(ValueError, match="not in tools"):
        await client.create(PROMPT, tools=[WEATHER], tool_choice=other)
    with pytest.raises(ValueError, match="extra_create_args"):
        await client.create(PROMPT, extra_create_args={"stream": True})
    plain = make_client(model="plain", model_info=PLAIN_INFO)
    with pytest.raises(ValueError, match="function calling"):
        await plain.create(PROMPT, tools=[WEATHER])
    with pytest.raises(ValueError, match="structured output"):
        await plain.create(PROMPT, json_output=AgentResponse)
    with pytest.raises(ValueError, match="JSON output"):
        await plain.create(PROMPT, json_output=True)
    with pytest.raises(ValueError, match="structured output"):
        await plain.create(PROMPT, extra_create_args={"format": {"type": "object"}})
    assert server.bodies == []


async def test_json_output(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(chat('{"a": 1}'), chat("plain"))
    client = make_client()
    assert (await client.create(PROMPT, json_output=True)).content == '{"a": 1}'
    await client.create(PROMPT, json_output=False)
    assert server.bodies[0]["format"] == "json"
    assert "format" not in server.bodies[1]


class AgentResponse(BaseModel):
    thoughts: str
    response: Literal["happy", "sad", "neutral"]


async def test_structured_output(server: ScriptedServer, make_client: MakeClient) -> None:
    reply = '{"thoughts": "fine", "response": "happy"}'
    server.script(chat(reply), chat(reply), chat('{"thoughts": 3}'))
    client = make_client()
    result = await client.create(PROMPT, json_output=AgentResponse)
    assert result.content == reply
    assert server.bodies[0]["format"] == AgentResponse.model_json_schema()
    by_default = make_client(response_format=AgentResponse)
    await by_default.create(PROMPT)
    assert server.bodies[1]["format"] == AgentResponse.model_json_schema()
    with pytest.raises(ValidationError):
        await by_default.create(PROMPT)
    assert by_default.total_usage().prompt_tokens == 20  # usage counted before the check


async def test_thinking(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(
        chat("42", thinking="6 times 7."),
        chat("<think>Step by step.</think>\n\n42"),
    )
    client = make_client(think=True)
    result = await client.create(PROMPT)
    assert (result.content, result.thought) == ("42", "6 times 7.")
    assert server.bodies[0]["think"] is True
    r1 = make_client(model="deepseek-r1:8b")
    result = await r1.create(PROMPT)
    assert (result.content, result.thought) == ("42", "Step by step.")


# -- streaming ---------------------------------------------------------------------------


async def test_stream_text_and_usage(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(["Hel", "lo", " world"], usage=(12, 4)))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, extra_create_args={"seed": 3})]
    assert items[:-1] == ["Hel", "lo", " world"]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert (final.content, final.finish_reason) == ("Hello world", "stop")
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (12, 4)
    assert client.total_usage().prompt_tokens == 12
    body = server.bodies[0]
    assert body["stream"] is True and body["options"] == {"seed": 3}


async def test_stream_thinking_and_tool_calls(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(
        stream(
            ["Calling."],
            thinking=("Need ", "weather."),
            tool_calls=[call("get_weather", {"city": "Oslo"})],
        )
    )
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, tools=[WEATHER])]
    assert items[:-1] == ["<think>Need ", "weather.", "</think>Calling."]
    final = items[-1]
    assert isinstance(final, CreateResult) and isinstance(final.content, list)
    assert final.finish_reason == "function_calls"
    assert [(c.name, c.arguments) for c in final.content] == [("get_weather", '{"city": "Oslo"}')]
    assert final.thought == "Need weather.\nCalling."


async def test_stream_of_only_thinking_closes_the_tag(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(stream([], thinking=("hmm",), done_reason="length"))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT)]
    assert items[:-1] == ["<think>hmm", "</think>"]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert (final.content, final.thought, final.finish_reason) == ("", "hmm", "length")


async def test_stream_structured_output(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(['{"thoughts": "x", ', '"response": "sad"}']))
    client = make_client()
    items = [item async for item in client.create_stream(PROMPT, json_output=AgentResponse)]
    final = items[-1]
    assert isinstance(final, CreateResult) and isinstance(final.content, str)
    assert AgentResponse.model_validate_json(final.content).response == "sad"
    assert server.bodies[0]["format"]["title"] == "AgentResponse"


async def test_stream_errors(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(["a", "b", "c"], drop_after=2), stream(["a"], error_after="model died"))
    client = make_client(max_retries=0)
    received: list[str | CreateResult] = []
    with anyio.fail_after(10), pytest.raises(ConnectionError, match="before the reply"):
        async for item in client.create_stream(PROMPT):
            received.append(item)
    assert received == ["a", "b"]
    with anyio.fail_after(10), pytest.raises(ollama.ResponseError, match="model died"):
        async for _ in client.create_stream(PROMPT):
            pass
    assert client.total_usage().prompt_tokens == 0


# -- retries and errors ------------------------------------------------------------------


async def test_large_request(server: ScriptedServer, make_client: MakeClient) -> None:
    big = "x" * 2_000_000
    server.script(chat("read it"))
    client = make_client()
    assert (await client.create([UserMessage(content=big, source="user")])).content == "read it"
    assert server.bodies[0]["messages"][0]["content"] == big


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_retries_then_succeeds(
    server: ScriptedServer, make_client: MakeClient, status: int
) -> None:
    server.script(error(status), chat("recovered"))
    client = make_client(max_retries=2)
    with anyio.fail_after(10):
        result = await client.create(PROMPT)
    assert result.content == "recovered"
    assert len(server.bodies) == 2
    assert server.bodies[0] == server.bodies[1]


async def test_stream_retries_then_succeeds(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.script(error(429), stream(["ok"]))
    client = make_client(max_retries=1)
    with anyio.fail_after(10):
        items = [item async for item in client.create_stream(PROMPT)]
    assert items[0] == "ok"
    assert len(server.bodies) == 2


async def test_errors_after_retries(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(error(500), error(500), error(404, "model 'x' not found"))
    client = make_client(max_retries=1)
    with anyio.fail_after(10), pytest.raises(ollama.ResponseError) as caught:
        await client.create(PROMPT)
    assert caught.value.status_code == 500
    assert len(server.bodies) == 2
    with pytest.raises(ollama.ResponseError, match="not found"):
        await client.create(PROMPT)  # not retried
    assert len(server.bodies) == 3
    assert client.total_usage().prompt_tokens == 0


async def test_no_server_is_a_connection_error() -> None:
    with ScriptedServer() as gone:
        host = gone.url
    client = OllamaChatCompletionClient(model="llama3.2", host=host, max_retries=1)
    with anyio.fail_after(10), pytest.raises(ConnectionError):
        await client.create(PROMPT)
    await client.close()


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


async def test_cancel_during_retry_wait(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(error(503))
    client = make_client(max_retries=5)
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
    with pytest.raises(MessageCancelledError):
        async for _ in make_client().create_stream(PROMPT, cancellation_token=token):
            pass
    assert server.bodies == []


async def test_cancel_with_caller_scope(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(Reply(body={}, delay=30), chat("after"))
    client = make_client()
    with anyio.fail_after(5):
        with anyio.move_on_after(0.3) as scope:
            await client.create(PROMPT, cancellation_token=CancellationToken())
        assert scope.cancelled_caught
        assert (await client.create(PROMPT)).content == "after"


async def test_cancel_stream_with_token(server: ScriptedServer, make_client: MakeClient) -> None:
    server.script(stream(list("abcdefgh"), delay=0.2))
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
    server.script(stream(list("abcdefgh"), delay=0.2), chat("after"))
    client = make_client()
    received: list[str | CreateResult] = []
    with anyio.fail_after(5):
        with anyio.CancelScope() as scope:
            async for item in client.create_stream(PROMPT):
                received.append(item)
                scope.cancel()
        assert (await client.create(PROMPT)).content == "after"
    assert scope.cancelled_caught
    assert received == ["a"]


# -- events, tokens, config --------------------------------------------------------------


async def test_events(
    server: ScriptedServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(chat("one", usage=(5, 2)), stream(["t"]))
    client = make_client()
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        await client.create(PROMPT)
        _ = [item async for item in client.create_stream(PROMPT)]
    events = [r.msg for r in caplog.records if r.name == EVENT_LOGGER_NAME]
    assert [type(e) for e in events] == [LLMCallEvent, LLMStreamStartEvent, LLMStreamEndEvent]
    first = events[0]
    assert isinstance(first, LLMCallEvent)
    assert (first.prompt_tokens, first.completion_tokens) == (5, 2)
    assert first.kwargs["messages"] == server.bodies[0]["messages"]
    assert first.kwargs["response"]["message"]["content"] == "one"
    end = events[2]
    assert isinstance(end, LLMStreamEndEvent)
    assert end.kwargs["response"]["content"] == "t"


def test_count_and_remaining_tokens() -> None:
    client = OllamaChatCompletionClient(model="llama3.2", options={"num_ctx": 8192})
    short = client.count_tokens(PROMPT)
    longer = client.count_tokens([*PROMPT, UserMessage(content="word " * 200, source="u")])
    assert 0 < short < longer
    assert client.count_tokens(PROMPT, tools=[WEATHER]) > short
    assert client.remaining_tokens(PROMPT) == 8192 - short
    assert OllamaChatCompletionClient(model="llama3.2").remaining_tokens(PROMPT) == (
        128_000 - short
    )


@pytest.mark.parametrize(
    "provider",
    [
        "OllamaChatCompletionClient",
        "ollama_chat_completion_client",
        "autogen_ext.models.ollama.OllamaChatCompletionClient",
        "cantata.models.ollama.OllamaChatCompletionClient",
    ],
)
async def test_component_config(server: ScriptedServer, provider: str) -> None:
    config = {
        "provider": provider,
        "config": {
            "model": "llama3.2",
            "host": server.url,
            "options": {"temperature": 0.2},
            "headers": {"Authorization": "Bearer secret-token-123", "X-Team": "a"},
        },
    }
    client = ChatCompletionClient.load_component(config)
    assert isinstance(client, OllamaChatCompletionClient)
    server.script(chat("loaded"))
    assert (await client.create(PROMPT)).content == "loaded"
    assert server.requests[0].headers["authorization"] == "Bearer secret-token-123"
    assert server.bodies[0]["options"] == {"temperature": 0.2}
    dumped = client.dump_component()
    assert dumped.provider == "cantata.models.ollama.OllamaChatCompletionClient"
    assert "secret-token-123" not in dumped.model_dump_json()
    again = ChatCompletionClient.load_component(
        ComponentModel.model_validate_json(dumped.model_dump_json())
    )
    assert isinstance(again, OllamaChatCompletionClient)
    server.script(chat("again"))
    assert (await again.create(PROMPT)).content == "again"
    assert "authorization" not in server.requests[1].headers
    assert server.requests[1].headers["x-team"] == "a"
    await client.close()
    await again.close()


def test_autogen_dumped_config_loads() -> None:
    """A config as autogen's client dumps it (every field written) loads."""
    config = {
        "provider": "autogen_ext.models.ollama.OllamaChatCompletionClient",
        "component_type": "model",
        "version": 1,
        "component_version": 1,
        "description": "Chat completion client for Ollama hosted models.",
        "label": "OllamaChatCompletionClient",
        "config": {
            "model": "qwen2.5:7b",
            "host": "http://127.0.0.1:11434",
            "response_format": None,
            "follow_redirects": True,
            "timeout": None,
            "headers": None,
            "model_capabilities": None,
            "model_info": None,
            "options": {"temperature": 0.7},
        },
    }
    client = ChatCompletionClient.load_component(config)
    assert isinstance(client, OllamaChatCompletionClient)
    assert client.create_args == {"model": "qwen2.5:7b", "options": {"temperature": 0.7}}
    assert client.model_info["function_calling"] is True


async def test_structured_format_in_config(server: ScriptedServer) -> None:
    client = OllamaChatCompletionClient(
        model="llama3.2", host=server.url, response_format=AgentResponse
    )
    dumped = client.dump_component()
    assert dumped.config["response_format"] == AgentResponse.model_json_schema()
    loaded = ChatCompletionClient.load_component(dumped)
    server.script(chat('{"thoughts": "a", "response": "neutral"}'))
    assert isinstance(await loaded.create(PROMPT), CreateResult)
    assert server.bodies[0]["format"] == AgentResponse.model_json_schema()
    await client.close()
    await loaded.close()


async def test_pickle(server: ScriptedServer) -> None:
    client = OllamaChatCompletionClient(model="llama3.2", host=server.url)
    restored = pickle.loads(pickle.dumps(client))
    server.script(chat("pickled"))
    assert (await restored.create(PROMPT)).content == "pickled"
    await restored.close()
    await client.close()


def test_autogen_names() -> None:
    """The public names of autogen_ext.models.ollama (0.7.5) and of its config module."""
    import cantata.models.ollama as package
    import cantata.models.ollama.config as config

    for name in (
        "OllamaChatCompletionClient",
        "BaseOllamaClientConfigurationConfigModel",
        "CreateArgumentsConfigModel",
    ):
        assert name in package.__all__ and getattr(package, name) is not None
    for name in (
        "CreateArguments",
        "BaseOllamaClientConfiguration",
        "CreateArgumentsConfigModel",
        "BaseOllamaClientConfigurationConfigModel",
    ):
        assert name in config.__all__ and getattr(config, name) is not None
