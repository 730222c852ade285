"""``examples/model_clients.py``, the port of the user guide's "Model Clients" section.

The script (the guide's ``runtime.start()`` form, asyncio) and ``run_structured()`` (the
``async with`` form, asyncio and Trio) print the expected output with the scripted model;
the script logs the model calls on stderr; and the program, run with the real
``OpenAIChatCompletionClient`` against the loopback server of ``tests/_openai_server.py``,
sends the requests the guide's code describes (one request for two identical cached calls).
"""

# ruff: noqa: E501
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from _examples_harness import EXAMPLES_DIR, load, run_python, run_script
from _openai_server import ChatServer, completion, stream

from cantata.models import (
    ChatCompletionClient,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient


def example() -> ModuleType:
    """``examples/model_clients.py``, imported once."""
    return load("model_clients")


def expected_lines(*, streamed: str, usage: str, cached_usage: str) -> list[str]:
    module = example()
    return [
        "# Call Model Client",
        "finish_reason='stop' content='The capital of France is Paris.' usage=RequestUsage(prompt_tokens=15, completion_tokens=8) cached=False logprobs=None thought=None",
        "# Streaming Tokens",
        "Streamed responses:",
        *streamed.splitlines(),
        "",
        "------------",
        "",
        "The complete response:",
        *module.DRAGON_STORY.splitlines(),
        "",
        "",
        "------------",
        "",
        "The token usage was:",
        usage,
        "# Structured Output",
        "I'm glad to hear that you're feeling happy! It's such a great emotion that can brighten your whole day. Is there anything in particular that's bringing you joy today? 😊",
        "happy",
        "# Caching Model Responses",
        f"""finish_reason='stop' content="I'm doing well, thank you! How can I help you today?" usage={cached_usage} cached=False logprobs=None thought=None""",
        f"""finish_reason='stop' content="I'm doing well, thank you! How can I help you today?" usage={cached_usage} cached=True logprobs=None thought=None""",
        "# Build an Agent with a Model Client",
        *module.SEATTLE_ACTIVITIES.splitlines(),
    ]


def expected_offline() -> list[str]:
    """The scripted model streams word by word, so the story streams on one line; usage
    counts words."""
    module = example()
    return expected_lines(
        streamed=" ".join(module.DRAGON_STORY.split()),
        usage="RequestUsage(prompt_tokens=8, completion_tokens=198)",
        cached_usage="RequestUsage(prompt_tokens=4, completion_tokens=11)",
    )


def test_the_scripted_replies_are_the_guides() -> None:
    module = example()
    assert module.DRAGON_STORY.startswith("In the heart of an ancient forest")
    assert module.DRAGON_STORY.endswith("the leaves of the ever-verdant forest.")
    assert module.DRAGON_STORY.count("\n\n") == 2
    assert module.SEATTLE_ACTIVITIES.count("**") == 30  # the guide's 15 items
    assert module.SEATTLE_ACTIVITIES.endswith("Seattle has something for everyone to enjoy!")


# -- Offline: the scripted model -------------------------------------------------------------


def test_script_prints_expected_output() -> None:
    assert run_script("model_clients") == expected_offline()


@pytest.mark.anyio
async def test_run_structured_prints_expected_output() -> None:
    assert await example().run_structured() == expected_offline()


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    assert await example().run_structured() == await example().run_structured()


def test_script_logs_model_calls_on_the_event_logger() -> None:
    completed = run_python(EXAMPLES_DIR / "model_clients.py")
    # The guide's StreamHandler writes each event as its JSON (basicConfig's root handler
    # repeats it with an "INFO:cantata.events:" prefix).
    events = [json.loads(line) for line in completed.stderr.splitlines() if line.startswith("{")]
    model_events = [event for event in events if event["type"].startswith("LLM")]
    assert [event["type"] for event in model_events] == [
        "LLMCall",  # Call Model Client
        "LLMStreamStart",  # Streaming Tokens
        "LLMStreamEnd",
        "LLMCall",  # Structured Output
        "LLMCall",  # Caching: the first call only; the cached one reaches no model
        "LLMCall",  # the agent
    ]
    assert model_events[0]["messages"] == [
        {"content": "What is the capital of France?", "source": "user", "type": "UserMessage"}
    ]
    assert model_events[0]["response"]["content"] == "The capital of France is Paris."
    assert model_events[-1]["agent_id"] == "simple_agent/default"
    assert "INFO:cantata.events:" in completed.stderr


class Recorder:
    """A client factory that keeps the clients it makes, by part."""

    def __init__(self) -> None:
        self.clients: dict[str, ChatCompletionClient] = {}

    def __call__(self, part: str) -> ChatCompletionClient:
        client: ChatCompletionClient = example().create_model_client(part)
        self.clients[part] = client
        return client

    def replay(self, part: str) -> ReplayChatCompletionClient:
        client = self.clients[part]
        assert isinstance(client, ReplayChatCompletionClient)
        return client


@pytest.mark.anyio
async def test_each_part_sends_the_guides_request() -> None:
    recorder = Recorder()
    assert await example().run_structured(recorder) == expected_offline()

    def prompts(part: str) -> list[Any]:
        return [call["messages"] for call in recorder.replay(part).create_calls]

    assert prompts("call") == [
        [UserMessage(content="What is the capital of France?", source="user")]
    ]
    assert prompts("stream") == [
        [UserMessage(content="Write a very short story about a dragon.", source="user")]
    ]
    assert prompts("structured") == [[UserMessage(content="I am happy.", source="user")]]
    assert prompts("agent") == [
        [
            SystemMessage(content="You are a helpful AI assistant."),
            UserMessage(content="Hello, what are some fun things to do in Seattle?", source="user"),
        ]
    ]
    # The agent's handler passes its cancellation token on to the model.
    assert recorder.replay("agent").create_calls[0]["cancellation_token"] is not None


@pytest.mark.anyio
async def test_the_second_identical_request_is_answered_by_the_cache() -> None:
    recorder = Recorder()
    printed = await example().run_structured(recorder)

    cache_client = recorder.replay("cache")
    # One model call for two identical requests; the cache hit added no usage.
    assert [call["messages"] for call in cache_client.create_calls] == [
        [UserMessage(content="Hello, how are you?", source="user")]
    ]
    assert cache_client.total_usage() == RequestUsage(prompt_tokens=4, completion_tokens=11)
    start = printed.index("# Caching Model Responses")
    first, second = printed[start + 1 : start + 3]
    assert "cached=False" in first
    assert second == first.replace("cached=False", "cached=True")


def test_scripted_client_without_openai_settings() -> None:
    for part in example().OPENAI_ARGUMENTS:
        assert isinstance(example().create_model_client(part), ReplayChatCompletionClient)


def test_falls_back_when_the_openai_client_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert isinstance(example().create_model_client("call"), ReplayChatCompletionClient)


def test_uses_the_guides_openai_clients_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    openai_models = pytest.importorskip("cantata.models.openai")
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    client = example().create_model_client("call")
    assert isinstance(client, openai_models.OpenAIChatCompletionClient)
    arguments = example().OPENAI_ARGUMENTS
    assert arguments == {
        "call": {"model": "gpt-4", "temperature": 0.3},
        "stream": {"model": "gpt-4o"},
        "structured": {"model": "gpt-4o", "response_format": example().AgentResponse},
        "cache": {"model": "gpt-4o"},
        "agent": {"model": "gpt-4o-mini"},
    }


# -- Online: the real OpenAI client against the loopback server ------------------------------


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat_server:
        yield chat_server


def _split(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


@pytest.mark.anyio
async def test_against_an_openai_compatible_server(server: ChatServer) -> None:
    openai_models = pytest.importorskip("cantata.models.openai")
    module = example()
    server.script(
        completion(
            "The capital of France is Paris.", model="gpt-4", prompt_tokens=15, completion_tokens=8
        ),
        stream(_split(module.DRAGON_STORY, 40), usage=(16, 250)),
        completion(module.HAPPY_RESPONSE.model_dump_json()),
        completion(module.HOW_ARE_YOU, prompt_tokens=13, completion_tokens=14),
        completion(module.SEATTLE_ACTIVITIES, model="gpt-4o-mini"),
    )
    made: list[Any] = []

    def make_client(part: str) -> ChatCompletionClient:
        client = openai_models.OpenAIChatCompletionClient(
            api_key="test", base_url=server.base_url, **module.OPENAI_ARGUMENTS[part]
        )
        made.append(client)
        assert isinstance(client, ChatCompletionClient)
        return client

    try:
        printed = await module.run_structured(make_client)
    finally:
        for client in made:
            await client.close()

    # The stream arrives in pieces that keep the story's paragraphs; usage is requested.
    assert printed == expected_lines(
        streamed=module.DRAGON_STORY,
        usage="RequestUsage(prompt_tokens=16, completion_tokens=250)",
        cached_usage="RequestUsage(prompt_tokens=13, completion_tokens=14)",
    )
    # Five requests for six model calls: the cached call reached no server.
    assert server.pending() == 0
    bodies = server.bodies
    assert len(bodies) == 5
    assert all(r.headers["authorization"] == "Bearer test" for r in server.requests)

    call, streamed, structured, cached, agent = bodies
    assert call["model"] == "gpt-4"
    assert call["temperature"] == 0.3
    assert call["messages"] == [
        {"role": "user", "content": "What is the capital of France?", "name": "user"}
    ]
    assert "stream" not in call and "tools" not in call

    assert streamed["model"] == "gpt-4o"
    assert streamed["stream"] is True
    assert streamed["stream_options"] == {"include_usage": True}
    assert streamed["messages"] == [
        {"role": "user", "content": "Write a very short story about a dragon.", "name": "user"}
    ]

    assert structured["model"] == "gpt-4o"
    response_format = structured["response_format"]
    assert response_format["type"] == "json_schema"
    schema = response_format["json_schema"]
    assert schema["name"] == "AgentResponse"
    assert schema["strict"] is True
    assert schema["schema"]["properties"]["response"]["enum"] == ["happy", "sad", "neutral"]
    assert set(schema["schema"]["required"]) == {"thoughts", "response"}

    assert cached["model"] == "gpt-4o"
    assert cached["messages"] == [
        {"role": "user", "content": "Hello, how are you?", "name": "user"}
    ]

    assert agent["model"] == "gpt-4o-mini"
    assert agent["messages"] == [
        {"role": "system", "content": "You are a helpful AI assistant."},
        {
            "role": "user",
            "content": "Hello, what are some fun things to do in Seattle?",
            "name": "user",
        },
    ]
