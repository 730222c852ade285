"""ReplayChatCompletionClient: scripted responses, streaming, usage, events, cancellation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from pydantic import BaseModel

import cantata.models.replay as replay
from cantata._cancellation_token import CancellationToken
from cantata._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME
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
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

PROMPT: list[LLMMessage] = [UserMessage(content="What can you do?", source="user")]  # 4 words


def _scripted(content: str = "scripted", completion_tokens: int = 7) -> CreateResult:
    return CreateResult(
        finish_reason="length",
        content=content,
        usage=RequestUsage(prompt_tokens=99, completion_tokens=completion_tokens),
        cached=False,
    )


async def _collect(stream: AsyncGenerator[str | CreateResult, None]) -> list[str | CreateResult]:
    return [item async for item in stream]


def test_module_surface() -> None:
    assert replay.__all__ == ["ReplayChatCompletionClient", "ReplayChatCompletionClientConfig"]
    assert issubclass(ReplayChatCompletionClient, ChatCompletionClient)
    assert ReplayChatCompletionClient.component_type == "replay_chat_completion_client"
    assert ReplayChatCompletionClient.__doc__


# --- create -----------------------------------------------------------------------


@pytest.mark.anyio
async def test_create_returns_responses_in_order() -> None:
    client = ReplayChatCompletionClient(["Hello, how can I help?", "Goodbye now"])
    first = await client.create(PROMPT)
    assert first == CreateResult(
        finish_reason="stop",
        content="Hello, how can I help?",
        usage=RequestUsage(prompt_tokens=4, completion_tokens=5),
        cached=True,
    )
    second = await client.create(PROMPT)
    assert second.content == "Goodbye now"
    assert second.usage == RequestUsage(prompt_tokens=4, completion_tokens=2)
    assert client.provided_message_count == 2
    assert client.chat_completions == ["Hello, how can I help?", "Goodbye now"]


@pytest.mark.anyio
async def test_create_exhausted_raises_value_error() -> None:
    client = ReplayChatCompletionClient(["only one"])
    await client.create(PROMPT)
    with pytest.raises(ValueError, match=r"^No more mock responses available$"):
        await client.create(PROMPT)
    assert len(client.create_calls) == 1
    with pytest.raises(ValueError, match="No more mock responses available"):
        await ReplayChatCompletionClient([]).create(PROMPT)


@pytest.mark.anyio
async def test_create_returns_scripted_create_result_as_is() -> None:
    scripted = _scripted()
    client = ReplayChatCompletionClient([scripted])
    result = await client.create(PROMPT)
    assert result is scripted
    assert result.usage == RequestUsage(prompt_tokens=99, completion_tokens=7)
    # The call's usage counts the real prompt and the scripted completion.
    assert client.actual_usage() == RequestUsage(prompt_tokens=4, completion_tokens=7)


@pytest.mark.anyio
async def test_create_with_function_call_result() -> None:
    calls = [FunctionCall(id="1", arguments='{"x": 1}', name="f")]
    scripted = CreateResult(
        finish_reason="function_calls", content=calls, usage=RequestUsage(0, 3), cached=False
    )
    client = ReplayChatCompletionClient([scripted, "done"])
    assert (await client.create(PROMPT)).content == calls
    assert (await client.create(PROMPT)).content == "done"


@pytest.mark.anyio
async def test_set_cached_bool_value() -> None:
    client = ReplayChatCompletionClient(["a", "b", "c", _scripted()])
    assert (await client.create(PROMPT)).cached is True
    client.set_cached_bool_value(False)
    assert (await client.create(PROMPT)).cached is False
    stream = await _collect(client.create_stream(PROMPT))
    final = stream[-1]
    assert isinstance(final, CreateResult) and final.cached is False
    # Scripted results keep their own flag.
    client.set_cached_bool_value(True)
    assert (await client.create(PROMPT)).cached is False


@pytest.mark.anyio
async def test_create_ignores_options_but_records_them() -> None:
    class Answer(BaseModel):
        value: int

    token = CancellationToken()
    tools: list[Any] = [{"name": "t"}]
    client = ReplayChatCompletionClient(["x", "y"])
    await client.create(
        PROMPT,
        tools=tools,
        json_output=Answer,
        extra_create_args={"temperature": 0},
        cancellation_token=token,
    )
    await client.create(PROMPT)
    assert client.create_calls == [
        {
            "messages": PROMPT,
            "tools": tools,
            "json_output": Answer,
            "extra_create_args": {"temperature": 0},
            "cancellation_token": token,
        },
        {
            "messages": PROMPT,
            "tools": [],
            "json_output": None,
            "extra_create_args": {},
            "cancellation_token": None,
        },
    ]
    # Recorded arguments are snapshots.
    tools.append("later")
    assert client.create_calls[0]["tools"] == [{"name": "t"}]


@pytest.mark.anyio
async def test_tool_choice_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    client = ReplayChatCompletionClient(["a", "b", "c"])
    with caplog.at_level(logging.WARNING, logger=ROOT_LOGGER_NAME):
        await client.create(PROMPT, tool_choice="auto")
        assert not caplog.records
        assert (await client.create(PROMPT, tool_choice="required")).content == "b"
        await _collect(client.create_stream(PROMPT, tool_choice="none"))
    messages = [r.getMessage() for r in caplog.records if r.name == ROOT_LOGGER_NAME]
    assert len(messages) == 2
    assert "tool_choice='required' is ignored" in messages[0]


def test_constructor_rejects_bad_items() -> None:
    with pytest.raises(TypeError, match=r"chat_completions\[1\]"):
        ReplayChatCompletionClient(["ok", 42])  # type: ignore[list-item]


# --- create_stream ----------------------------------------------------------------


@pytest.mark.anyio
async def test_create_stream_yields_words_then_result() -> None:
    client = ReplayChatCompletionClient(["Hello,  how can\nI help?"])
    items = await _collect(client.create_stream(PROMPT))
    assert items[:-1] == ["Hello, ", "how ", "can ", "I ", "help?"]
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert final.content == "Hello,  how can\nI help?"
    assert final.finish_reason == "stop"
    assert final.usage == RequestUsage(prompt_tokens=4, completion_tokens=5)
    assert "".join(str(i) for i in items[:-1]) == "Hello, how can I help?"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("text", "chunks"),
    [("one", ["one"]), ("", []), ("   ", []), (" two words ", ["two ", "words"])],
)
async def test_create_stream_edge_texts(text: str, chunks: list[str]) -> None:
    client = ReplayChatCompletionClient([text])
    items = await _collect(client.create_stream(PROMPT))
    assert items[:-1] == chunks
    final = items[-1]
    assert isinstance(final, CreateResult)
    assert final.content == text
    assert final.usage.completion_tokens == len(chunks)


@pytest.mark.anyio
async def test_create_stream_yields_scripted_result_alone() -> None:
    scripted = _scripted("several words here")
    client = ReplayChatCompletionClient([scripted])
    assert await _collect(client.create_stream(PROMPT)) == [scripted]
    assert client.total_usage() == RequestUsage(prompt_tokens=4, completion_tokens=7)


@pytest.mark.anyio
async def test_create_stream_exhausted_and_lazy() -> None:
    client = ReplayChatCompletionClient(["a"])
    unused = client.create_stream(PROMPT)  # not iterated: consumes nothing
    await unused.aclose()
    assert (await client.create(PROMPT)).content == "a"
    stream = client.create_stream(PROMPT)
    with pytest.raises(ValueError, match="No more mock responses available"):
        await stream.__anext__()
    assert len(client.create_calls) == 1


@pytest.mark.anyio
async def test_usage_is_updated_before_final_result_is_yielded() -> None:
    client = ReplayChatCompletionClient(["a b c"])
    async for item in client.create_stream(PROMPT):
        if isinstance(item, str):
            assert client.total_usage() == RequestUsage(0, 0)
        else:
            assert client.total_usage() == RequestUsage(prompt_tokens=4, completion_tokens=3)
            assert client.actual_usage() == RequestUsage(prompt_tokens=4, completion_tokens=3)


@pytest.mark.anyio
async def test_interleaved_streams_get_distinct_responses() -> None:
    client = ReplayChatCompletionClient(["first response", "second response"])
    one = client.create_stream(PROMPT)
    two = client.create_stream(PROMPT)
    assert await one.__anext__() == "first "
    assert await two.__anext__() == "second "
    rest_one = [item async for item in one]
    rest_two = [item async for item in two]
    assert rest_one[0] == "response" and rest_two[0] == "response"
    final_one, final_two = rest_one[-1], rest_two[-1]
    assert isinstance(final_one, CreateResult) and final_one.content == "first response"
    assert isinstance(final_two, CreateResult) and final_two.content == "second response"
    assert len(client.create_calls) == 2


# --- usage and token counting -----------------------------------------------------


@pytest.mark.anyio
async def test_usage_accounting_and_reset() -> None:
    client = ReplayChatCompletionClient(["one two", "three", _scripted(completion_tokens=10)])
    assert client.actual_usage() == RequestUsage(0, 0)
    assert client.total_usage() == RequestUsage(0, 0)
    await client.create(PROMPT)
    held = client.total_usage()
    await _collect(client.create_stream(PROMPT))
    await client.create([SystemMessage(content="a b")])
    assert client.actual_usage() == RequestUsage(prompt_tokens=2, completion_tokens=10)
    assert client.total_usage() == RequestUsage(prompt_tokens=10, completion_tokens=13)
    assert held == RequestUsage(prompt_tokens=4, completion_tokens=2)  # not mutated later
    assert client.remaining_tokens(PROMPT) == 10000 - 23

    client.reset()
    assert client.actual_usage() == RequestUsage(0, 0)
    assert client.total_usage() == RequestUsage(0, 0)
    assert client.remaining_tokens(PROMPT) == 10000
    assert (await client.create(PROMPT)).content == "one two"
    assert len(client.create_calls) == 4  # reset keeps the record


@pytest.mark.anyio
async def test_remaining_tokens_never_negative() -> None:
    client = ReplayChatCompletionClient([_scripted(completion_tokens=20000)])
    await client.create(PROMPT)
    assert client.remaining_tokens(PROMPT) == 0


def test_count_tokens_counts_words_of_text_parts() -> None:
    client = ReplayChatCompletionClient([])
    png = Image(b"\x89PNG\r\n\x1a\nrest")
    messages: list[LLMMessage] = [
        SystemMessage(content="You are  helpful."),  # 3
        UserMessage(content=["look at", png, "this"], source="u"),  # 3
        AssistantMessage(content="Sure thing", source="a"),  # 2
        AssistantMessage(
            content=[FunctionCall(id="1", arguments='{"a": 1}', name="add")], source="a"
        ),  # 1 + 2
        FunctionExecutionResultMessage(
            content=[FunctionExecutionResult(content="result is 2", name="add", call_id="1")]
        ),  # 3
    ]
    assert client.count_tokens(messages) == 14
    assert client.count_tokens(messages, tools=[{"name": "t"}]) == 14
    assert client.count_tokens([]) == 0
    assert client.remaining_tokens(messages) == 10000


# --- model info -------------------------------------------------------------------


def test_default_model_info_and_capabilities() -> None:
    client = ReplayChatCompletionClient(["x"])
    assert client.model_info == {
        "vision": False,
        "function_calling": False,
        "json_output": False,
        "family": ModelFamily.UNKNOWN,
        "structured_output": False,
    }
    with pytest.warns(DeprecationWarning, match="model_info"):
        caps = client.capabilities
    assert caps == {"vision": False, "function_calling": False, "json_output": False}


def test_custom_model_info_is_validated_and_copied() -> None:
    info: ModelInfo = {
        "vision": True,
        "function_calling": True,
        "json_output": True,
        "family": ModelFamily.GPT_4O,
        "structured_output": True,
    }
    client = ReplayChatCompletionClient(["x"], model_info=info)
    assert client.model_info == info
    info["vision"] = False
    assert client.model_info["vision"] is True
    no_family: Any = {"vision": True, "function_calling": True, "json_output": True}
    with pytest.raises(ValueError, match="family"):
        ReplayChatCompletionClient(["x"], model_info=no_family)
    old_style: Any = {**no_family, "family": "x"}
    with pytest.warns(UserWarning, match="structured_output"):
        ReplayChatCompletionClient(["x"], model_info=old_style)


@pytest.mark.anyio
async def test_close_is_harmless() -> None:
    client = ReplayChatCompletionClient(["a"])
    await client.close()
    await client.close()
    assert (await client.create(PROMPT)).content == "a"


# --- cancellation -----------------------------------------------------------------


@pytest.mark.anyio
async def test_cancelled_token_fails_create_without_consuming() -> None:
    client = ReplayChatCompletionClient(["a"])
    token = CancellationToken()
    token.cancel()
    with pytest.raises(MessageCancelledError) as info:
        await client.create(PROMPT, cancellation_token=token)
    assert isinstance(info.value, asyncio.CancelledError)
    assert client.create_calls == []
    assert client.total_usage() == RequestUsage(0, 0)
    assert (await client.create(PROMPT, cancellation_token=CancellationToken())).content == "a"


@pytest.mark.anyio
async def test_cancelled_token_fails_stream_before_first_item() -> None:
    client = ReplayChatCompletionClient(["a b"])
    token = CancellationToken()
    token.cancel()
    with pytest.raises(MessageCancelledError):
        await _collect(client.create_stream(PROMPT, cancellation_token=token))
    assert client.create_calls == []
    assert len(await _collect(client.create_stream(PROMPT))) == 3


@pytest.mark.anyio
async def test_cancelling_mid_stream_stops_it() -> None:
    client = ReplayChatCompletionClient(["one two three", "next"])
    token = CancellationToken()
    stream = client.create_stream(PROMPT, cancellation_token=token)
    assert await stream.__anext__() == "one "
    token.cancel()
    with pytest.raises(MessageCancelledError):
        await stream.__anext__()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert client.total_usage() == RequestUsage(0, 0)
    # The cancelled response was consumed; the next call gets the next one.
    assert (await client.create(PROMPT)).content == "next"


@pytest.mark.anyio
async def test_cancelling_before_final_result() -> None:
    client = ReplayChatCompletionClient([_scripted()])
    token = CancellationToken()
    stream = client.create_stream(PROMPT, cancellation_token=token)
    token.cancel()
    with pytest.raises(MessageCancelledError):
        await stream.__anext__()


# --- events -----------------------------------------------------------------------


class _EventCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.events: list[object] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(record.msg)


@pytest.fixture
def events() -> Any:
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    handler = _EventCollector()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.events
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.mark.anyio
async def test_create_logs_llm_call_event(events: list[object]) -> None:
    client = ReplayChatCompletionClient(["hi there"])
    messages: list[LLMMessage] = [
        SystemMessage(content="be brief"),
        UserMessage(content=["look", Image(b"GIF89a")], source="user"),
    ]
    await client.create(messages)
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, LLMCallEvent)
    assert event.prompt_tokens == 3
    assert event.completion_tokens == 2
    assert event.kwargs["messages"] == [
        {"content": "be brief", "type": "SystemMessage"},
        {
            "content": ["look", {"data": "R0lGODlh", "mime_type": "image/gif"}],
            "source": "user",
            "type": "UserMessage",
        },
    ]
    assert event.kwargs["response"]["content"] == "hi there"
    assert event.kwargs["response"]["usage"] == {"prompt_tokens": 3, "completion_tokens": 2}
    assert event.kwargs["agent_id"] is None
    str(event)  # JSON-encodable


@pytest.mark.anyio
async def test_create_stream_logs_start_and_end_events(events: list[object]) -> None:
    client = ReplayChatCompletionClient(["a b c"])
    stream = client.create_stream(PROMPT)
    assert await stream.__anext__() == "a "
    assert len(events) == 1
    start = events[0]
    assert isinstance(start, LLMStreamStartEvent)
    assert start.kwargs["messages"] == [
        {"content": "What can you do?", "source": "user", "type": "UserMessage"}
    ]
    rest = [item async for item in stream]
    assert isinstance(rest[-1], CreateResult)
    assert len(events) == 2
    end = events[1]
    assert isinstance(end, LLMStreamEndEvent)
    assert (end.prompt_tokens, end.completion_tokens) == (4, 3)
    assert end.kwargs["response"]["content"] == "a b c"


@pytest.mark.anyio
async def test_no_events_when_logger_not_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    from cantata.models.replay import _replay_client

    def fail(**kwargs: Any) -> Any:
        raise AssertionError("event built although the logger is disabled")

    monkeypatch.setattr(_replay_client, "LLMCallEvent", fail)
    monkeypatch.setattr(_replay_client, "LLMStreamStartEvent", fail)
    monkeypatch.setattr(_replay_client, "LLMStreamEndEvent", fail)
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    old_level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        client = ReplayChatCompletionClient(["a", "b"])
        await client.create(PROMPT)
        await _collect(client.create_stream(PROMPT))
    finally:
        logger.setLevel(old_level)
