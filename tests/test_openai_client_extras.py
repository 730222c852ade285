"""What the OpenAI clients make of replies: ``<think>`` blocks and ``reasoning_content``,
streamed log-probabilities, structured output checks, refusals; model info and message
conversion per provider; the Azure client against the loopback server. (Configuration,
pickling and presets: ``tests/test_openai_config.py``.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _openai_server import ChatServer, completion, stream
from pydantic import BaseModel

from cantata.models import CreateResult, LLMMessage, UserMessage
from cantata.models.openai import (
    AZURE_OPENAI_USER_AGENT,
    AzureOpenAIChatCompletionClient,
    OpenAIChatCompletionClient,
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


# -- structured output -----------------------------------------------------------------------


def test_strict_schema_keeps_a_property_called_default() -> None:
    from cantata.models.openai._messages import strict_schema

    class Setting(BaseModel):
        name: str = "x"
        default: str

    schema = strict_schema(Setting.model_json_schema())
    assert set(schema["properties"]) == {"name", "default"}
    assert schema["required"] == ["name", "default"]
    assert "default" not in schema["properties"]["name"]  # a default value is dropped


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


# -- reasoning -------------------------------------------------------------------------------


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


# -- model info and message conversion --------------------------------------------------------


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


# -- streaming options ---------------------------------------------------------------------


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
