"""The OpenAI clients as components, pickling, provider presets, ``<think>`` replies and
streamed log-probabilities; the Azure client against the loopback server."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from _openai_server import ChatServer, completion, stream
from pydantic import BaseModel

from cantata import ComponentModel
from cantata.models import ChatCompletionClient, CreateResult, LLMMessage, UserMessage
from cantata.models.openai import (
    AZURE_OPENAI_USER_AGENT,
    AzureOpenAIChatCompletionClient,
    OpenAIChatCompletionClient,
    OpenAIClientConfigurationConfigModel,
)
from cantata.models.openai._results import split_thought
from cantata.models.openai._tokens import count_text_tokens

KEY = "sk-test-secret-key-0123456789"
PROMPT: list[LLMMessage] = [UserMessage(content="Hello?", source="user")]


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat_server:
        yield chat_server


class Answer(BaseModel):
    value: int


# -- component config --------------------------------------------------------------------


@pytest.mark.parametrize(
    "provider",
    [
        "openai_chat_completion_client",
        "OpenAIChatCompletionClient",
        "autogen_ext.models.openai.OpenAIChatCompletionClient",
        "cantata.models.openai.OpenAIChatCompletionClient",
    ],
)
def test_load_by_alias(provider: str) -> None:
    client = ChatCompletionClient.load_component(
        {"provider": provider, "config": {"model": "gpt-4o", "api_key": KEY, "temperature": 0.2}}
    )
    assert isinstance(client, OpenAIChatCompletionClient)
    assert client.create_args == {"model": "gpt-4o", "temperature": 0.2}


def test_dump_masks_the_key_and_round_trips_in_process() -> None:
    client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", api_key=KEY, seed=3, response_format=Answer
    )
    dumped = client.dump_component()
    assert dumped.provider == "cantata.models.openai.OpenAIChatCompletionClient"
    assert dumped.component_type == "model"
    text = dumped.model_dump_json()
    assert KEY not in text
    assert json.loads(text)["config"]["api_key"] == "**********"
    # A pydantic response_format is written as its JSON schema.
    assert dumped.config["response_format"]["type"] == "json_schema"
    loaded = ChatCompletionClient.load_component(dumped)
    assert isinstance(loaded, OpenAIChatCompletionClient)
    assert loaded._client.api_key == KEY
    assert loaded.create_args["seed"] == 3


def test_a_masked_key_read_back_falls_back_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY).dump_component()
    from_json = ComponentModel.model_validate_json(text.model_dump_json())
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-000")
    loaded = ChatCompletionClient.load_component(from_json)
    assert isinstance(loaded, OpenAIChatCompletionClient)
    assert loaded._client.api_key == "sk-from-environment-000"
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ValueError, match="api_key is required"):
        ChatCompletionClient.load_component(from_json)


def test_config_model_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="not_an_argument"):
        ChatCompletionClient.load_component(
            {
                "provider": "openai_chat_completion_client",
                "config": {"model": "gpt-4o", "api_key": KEY, "not_an_argument": 1},
            }
        )
    assert "base_url" in OpenAIClientConfigurationConfigModel.model_fields


def test_azure_component_round_trip() -> None:
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint="https://example.openai.azure.com",
        azure_deployment="gpt-4o",
        api_version="2024-06-01",
        api_key=KEY,
    )
    dumped = client.dump_component()
    assert dumped.provider == "cantata.models.openai.AzureOpenAIChatCompletionClient"
    assert KEY not in dumped.model_dump_json()
    loaded = ChatCompletionClient.load_component(
        {"provider": "azure_openai_chat_completion_client", "config": dumped.config}
    )
    assert isinstance(loaded, AzureOpenAIChatCompletionClient)
    assert loaded.create_args == {"model": "gpt-4o"}


# -- pickling ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_pickled_client_works_after_unpickling(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(
        model="gpt-4o", api_key=KEY, base_url=server.base_url, temperature=0.1
    )
    copy = pickle.loads(pickle.dumps(client))
    assert isinstance(copy, OpenAIChatCompletionClient)
    server.script(completion("from the copy"))
    result = await copy.create(PROMPT)
    assert result.content == "from the copy"
    assert server.bodies[0]["temperature"] == 0.1
    await copy.close()
    await client.close()


# -- presets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "variable", "host"),
    [
        ("gemini-2.0-flash", "GEMINI_API_KEY", "generativelanguage.googleapis.com"),
        ("claude-3-5-sonnet-20241022", "ANTHROPIC_API_KEY", "api.anthropic.com"),
        ("Llama-4-Scout-17B-16E-Instruct-FP8", "LLAMA_API_KEY", "api.llama.com"),
    ],
)
def test_provider_presets(
    model: str, variable: str, host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "provider-key-123456")
    client = OpenAIChatCompletionClient(model=model)
    assert host in str(client._client.base_url)
    assert client._client.api_key == "provider-key-123456"
    assert client.model_info["function_calling"] is True
    # An explicit base_url wins over the preset.
    local = OpenAIChatCompletionClient(model=model, base_url="http://127.0.0.1:1/v1")
    assert "127.0.0.1" in str(local._client.base_url)


def test_preset_without_key_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="api_key"):
        OpenAIChatCompletionClient(model="gemini-2.0-flash")


# -- <think> replies and log-probabilities ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "thought", "answer"),
    [
        ("<think>add them</think>\n4", "add them", "4"),
        ("  <think>\nhmm\n</think>The answer", "hmm", "The answer"),
        ("no thinking", None, "no thinking"),
        ("<think>unfinished", None, "<think>unfinished"),
        ("<think></think>x", None, "x"),
        ("a <think>late</think> b", None, "a <think>late</think> b"),
    ],
)
def test_split_thought(text: str, thought: str | None, answer: str) -> None:
    assert split_thought(text) == (thought, answer)


R1_INFO: Any = {
    "vision": False,
    "function_calling": True,
    "json_output": True,
    "family": "r1",
    "structured_output": False,
}


@pytest.mark.anyio
async def test_think_block_becomes_the_thought(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(
        model="deepseek-r1:8b", base_url=server.base_url, model_info=R1_INFO
    )
    server.script(
        completion("<think>2 plus 2 is 4</think>\n\nIt is 4."),
        stream(["<think>count", " up</think>", "Done."]),
    )
    result = await client.create(PROMPT)
    assert (result.thought, result.content) == ("2 plus 2 is 4", "It is 4.")
    items = [item async for item in client.create_stream(PROMPT)]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert (final.thought, final.content) == ("count up", "Done.")
    assert items[:-1] == ["<think>count", " up</think>", "Done."]
    await client.close()


def _logprob(token: str, value: float) -> dict[str, Any]:
    return {"token": token, "logprob": value, "bytes": None, "top_logprobs": []}


@pytest.mark.anyio
async def test_streamed_logprobs_are_collected(server: ChatServer) -> None:
    reply = stream(["Hi", " there"])
    assert reply.chunks is not None
    reply.chunks[1]["choices"][0]["logprobs"] = {"content": [_logprob("Hi", -0.1)]}
    reply.chunks[2]["choices"][0]["logprobs"] = {"content": [_logprob(" there", -0.5)]}
    server.script(reply)
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY, base_url=server.base_url)
    items = [
        item async for item in client.create_stream(PROMPT, extra_create_args={"logprobs": True})
    ]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert final.logprobs is not None
    assert [(item.token, item.logprob) for item in final.logprobs] == [
        ("Hi", -0.1),
        (" there", -0.5),
    ]
    assert server.bodies[0]["logprobs"] is True
    await client.close()


# -- Azure against the loopback server -----------------------------------------------------


@pytest.mark.anyio
async def test_azure_client_against_the_loopback_server(server: ChatServer) -> None:
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint=server.base_url.removesuffix("/v1"),
        azure_deployment="my-deployment",
        api_version="2024-06-01",
        api_key=KEY,
    )
    server.script(completion('{"value": 4}'))
    result = await client.create(PROMPT, json_output=Answer)
    assert Answer.model_validate_json(str(result.content)) == Answer(value=4)
    request = server.requests[0]
    assert "/openai/deployments/my-deployment/chat/completions" in request.path
    assert "api-version=2024-06-01" in request.path
    assert request.headers.get("api-key") == KEY
    assert request.headers.get("user-agent") == AZURE_OPENAI_USER_AGENT
    assert request.body["response_format"]["json_schema"]["name"] == "Answer"
    await client.close()


# -- token counting without tiktoken's files -------------------------------------------------


def test_token_estimate_without_an_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    from cantata.models.openai import _tokens

    monkeypatch.setattr(_tokens, "_encoding", lambda model: None)
    assert count_text_tokens("abcdefgh", "gpt-4o") == 2
    assert count_text_tokens("abcdefghi", "gpt-4o") == 3
    assert count_text_tokens("", "gpt-4o") == 0


@pytest.mark.anyio
async def test_openai_base_url_from_the_environment_needs_no_key(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    client = OpenAIChatCompletionClient(model="gpt-4o")
    server.script(completion("local"))
    assert (await client.create(PROMPT)).content == "local"
    await client.close()


# -- review follow-ups: schemas, presets vs OPENAI_BASE_URL, structured output ------------------


def test_strict_schema_keeps_a_property_called_default() -> None:
    from cantata.models.openai._messages import strict_schema

    class Setting(BaseModel):
        name: str = "x"
        default: str

    schema = strict_schema(Setting.model_json_schema())
    assert set(schema["properties"]) == {"name", "default"}
    assert schema["required"] == ["name", "default"]
    assert "default" not in schema["properties"]["name"]  # a default value is dropped


def test_a_preset_wins_over_openai_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-123456")
    client = OpenAIChatCompletionClient(model="gemini-2.0-flash")
    assert "generativelanguage.googleapis.com" in str(client._client.base_url)
    assert client._client.api_key == "gemini-key-123456"


@pytest.mark.anyio
@pytest.mark.parametrize("streamed", [False, True])
async def test_structured_output_that_does_not_fit_raises_after_counting_usage(
    server: ChatServer, streamed: bool
) -> None:
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY, base_url=server.base_url)
    refusal = completion(None)
    assert refusal.body is not None
    refusal.body["choices"][0]["message"]["refusal"] = "I can't help with that."
    if streamed:
        server.script(stream(['{"value": "four"}']), stream([]))
    else:
        server.script(completion('{"value": "four"}'), refusal)

    async def call() -> CreateResult:
        if not streamed:
            return await client.create(PROMPT, json_output=Answer)
        items = [item async for item in client.create_stream(PROMPT, json_output=Answer)]
        final = items[-1]
        assert isinstance(final, CreateResult)
        return final

    with pytest.raises(ValueError, match="value"):  # pydantic's ValidationError
        await call()
    assert client.total_usage().prompt_tokens == 10
    with pytest.raises(ValueError, match=r"returned no Answer|refused to give a Answer: I can.t"):
        await call()
    assert client.total_usage().prompt_tokens == 20
    await client.close()


@pytest.mark.anyio
async def test_a_refusal_is_the_content_without_structured_output(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY, base_url=server.base_url)
    reply = completion(None)
    assert reply.body is not None
    reply.body["choices"][0]["message"]["refusal"] = "I can't help with that."
    server.script(reply)
    assert (await client.create(PROMPT)).content == "I can't help with that."
    await client.close()


# -- review follow-ups: reasoning ------------------------------------------------------------


@pytest.mark.anyio
async def test_think_tags_are_left_alone_outside_the_r1_family(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY, base_url=server.base_url)
    server.script(completion("<think>literal markup</think> rest"))
    result = await client.create(PROMPT)
    assert (result.thought, result.content) == (None, "<think>literal markup</think> rest")
    await client.close()


@pytest.mark.anyio
async def test_reasoning_content_is_the_thought(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(
        model="deepseek-reasoner", base_url=server.base_url, model_info=R1_INFO
    )
    whole = completion("It is 4.")
    assert whole.body is not None
    whole.body["choices"][0]["message"]["reasoning_content"] = "2 + 2 = 4"
    streamed = stream(["It is", " 4."])
    assert streamed.chunks is not None
    streamed.chunks[1:1] = [
        {**streamed.chunks[0], "choices": [{"index": 0, "delta": {"reasoning_content": part}}]}
        for part in ("2 + 2", " = 4")
    ]
    server.script(whole, streamed)
    result = await client.create(PROMPT)
    assert (result.thought, result.content) == ("2 + 2 = 4", "It is 4.")
    items = [item async for item in client.create_stream(PROMPT)]
    assert items[:-1] == ["<think>2 + 2", " = 4", "</think>It is", " 4."]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert (final.thought, final.content) == ("2 + 2 = 4", "It is 4.")
    await client.close()


@pytest.mark.anyio
async def test_tool_calls_keep_the_think_block_as_thought(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(
        model="deepseek-r1:8b", base_url=server.base_url, model_info=R1_INFO
    )
    reply = completion("<think>need the weather</think>Let me check.")
    assert reply.body is not None
    message = reply.body["choices"][0]["message"]
    message["tool_calls"] = [
        {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
    ]
    reply.body["choices"][0]["finish_reason"] = "tool_calls"
    server.script(reply)
    result = await client.create(PROMPT)
    assert result.finish_reason == "function_calls"
    assert result.thought == "need the weather\nLet me check."
    await client.close()


# -- review follow-ups: model info and message conversion -------------------------------------


def test_gpt_4_model_info() -> None:
    from cantata.models.openai import _model_info

    assert OpenAIChatCompletionClient(model="gpt-4-0613", api_key=KEY).model_info["vision"] is False
    assert _model_info.get_token_limit("gpt-4-0613") == 8_192
    assert _model_info.get_token_limit("gpt-4-32k") == 32_768
    assert _model_info.get_token_limit("gpt-4-turbo-2024-04-09") == 128_000


@pytest.mark.anyio
async def test_gemini_gets_one_system_message(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cantata.models import AssistantMessage, SystemMessage

    client = OpenAIChatCompletionClient(
        model="gemini-2.0-flash", api_key=KEY, base_url=server.base_url
    )
    server.script(completion("ok"))
    await client.create([SystemMessage(content="a"), SystemMessage(content="b"), *PROMPT])
    assert [m["role"] for m in server.bodies[0]["messages"]] == ["system", "user"]
    assert server.bodies[0]["messages"][0]["content"] == "a\nb"
    with pytest.raises(ValueError, match="not consecutive"):
        await client.create(
            [
                SystemMessage(content="a"),
                *PROMPT,
                AssistantMessage(content="x", source="a"),
                SystemMessage(content="b"),
            ]
        )
    await client.close()


@pytest.mark.anyio
async def test_claude_gets_no_trailing_white_space(server: ChatServer) -> None:
    from cantata.models import AssistantMessage

    client = OpenAIChatCompletionClient(
        model="claude-3-5-sonnet-20241022", api_key=KEY, base_url=server.base_url
    )
    server.script(completion("ok"))
    await client.create([*PROMPT, AssistantMessage(content="Sure, \n", source="claude")])
    assert server.bodies[0]["messages"][-1]["content"] == "Sure,"
    await client.close()


# -- review follow-ups: Azure config -----------------------------------------------------------


def test_azure_from_the_environment_dumps_without_leaking_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://example.openai.azure.com")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-06-01")
    client = AzureOpenAIChatCompletionClient(model="gpt-4o", api_key=KEY)
    dumped = client.dump_component()
    assert dumped.config["azure_endpoint"] == "https://example.openai.azure.com"
    assert dumped.config["api_version"] == "2024-06-01"
    assert KEY not in dumped.model_dump_json()
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT")
    with pytest.raises(ValueError) as caught:  # no endpoint anywhere: the error hides the key
        client.dump_component()
    assert KEY not in str(caught.value)


def test_azure_token_providers_and_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    client = AzureOpenAIChatCompletionClient(
        model="gpt-4o",
        azure_endpoint="https://example.openai.azure.com",
        api_version="2024-06-01",
        azure_ad_token_provider=lambda: "token",
    )
    with pytest.warns(UserWarning, match="azure_ad_token_provider"):
        dumped = client.dump_component()
    assert "azure_ad_token_provider" not in dumped.config
    config = {
        **dumped.config,
        "azure_ad_token_provider": {"provider": "autogen_ext.auth.azure.AzureTokenProvider"},
    }
    with pytest.raises(ValueError, match="azure_ad_token_provider"):
        ChatCompletionClient.load_component(
            {
                "provider": "autogen_ext.models.openai.AzureOpenAIChatCompletionClient",
                "config": config,
            }
        )


@pytest.mark.parametrize(
    "provider",
    [
        "AzureOpenAIChatCompletionClient",
        "autogen_ext.models.openai.AzureOpenAIChatCompletionClient",
    ],
)
def test_azure_aliases(provider: str) -> None:
    client = ChatCompletionClient.load_component(
        {
            "provider": provider,
            "config": {
                "model": "gpt-4o",
                "azure_endpoint": "https://example.openai.azure.com",
                "api_version": "2024-06-01",
                "api_key": KEY,
            },
        }
    )
    assert isinstance(client, AzureOpenAIChatCompletionClient)
    copy = pickle.loads(pickle.dumps(client))
    assert isinstance(copy, AzureOpenAIChatCompletionClient)
    assert copy.dump_component().config == client.dump_component().config


@pytest.mark.anyio
async def test_include_usage_false(server: ChatServer) -> None:
    client = OpenAIChatCompletionClient(model="gpt-4o", api_key=KEY, base_url=server.base_url)
    server.script(stream(["hi"], usage=None))
    items = [item async for item in client.create_stream(PROMPT, include_usage=False)]
    assert server.bodies[0]["stream_options"] == {"include_usage": False}
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert final.usage.prompt_tokens == 0
    await client.close()
