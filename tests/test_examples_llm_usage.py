"""``examples/llm_usage_logger.py``, the port of the cookbook section "Tracking LLM usage with
a logger".

The script (asyncio) and ``run_structured()`` (asyncio and Trio) print the conversation and
the tracker's totals. The totals are checked against the usage the client itself reports,
and, with the real ``OpenAIChatCompletionClient`` against the loopback server, against the
usage the server sent.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from _examples_harness import load, run_script
from _openai_server import ChatServer, completion

from cantata import EVENT_LOGGER_NAME
from cantata.logging import LLMCallEvent, ToolCallEvent
from cantata.models import AssistantMessage, SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

EXPECTED = [
    "User: What is the capital of France?",
    "Assistant: The capital of France is Paris.",
    "User: How many people live there?",
    "Assistant: About 2.1 million people live in Paris itself.",
    # Prompt words: (5 + 6) for the first call, (5 + 6 + 6 + 5) for the second.
    "33",
    # Reply words: 6 + 8.
    "14",
]

SYSTEM = SystemMessage(content="You are a helpful assistant.")
FIRST = UserMessage(content="What is the capital of France?", source="user")
SECOND = UserMessage(content="How many people live there?", source="user")


def example() -> ModuleType:
    """``examples/llm_usage_logger.py``, imported once."""
    return load("llm_usage_logger")


@pytest.fixture
def event_logger() -> Iterator[logging.Logger]:
    """The event logger, with its handlers and level put back after the test."""
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers = handlers
    logger.setLevel(level)


def test_script_prints_the_conversation_and_the_totals() -> None:
    assert run_script("llm_usage_logger") == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_the_same() -> None:
    assert await example().run_structured() == EXPECTED


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    assert await example().run_structured() == await example().run_structured()


@pytest.mark.anyio
async def test_the_totals_are_the_usage_the_replay_client_reports() -> None:
    module = example()
    client = ReplayChatCompletionClient(module.SCRIPTED_REPLIES)
    trackers: list[Any] = []

    printed = await module.run_structured(client, trackers)

    (tracker,) = trackers
    usage = client.total_usage()
    assert (tracker.prompt_tokens, tracker.completion_tokens) == (33, 14)
    assert (tracker.prompt_tokens, tracker.completion_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    assert tracker.tokens == 47
    assert printed[-2:] == ["33", "14"]
    first, second = client.create_calls
    assert first["messages"] == [SYSTEM, FIRST]
    assert second["messages"] == [
        SYSTEM,
        FIRST,
        AssistantMessage(content="The capital of France is Paris.", source="assistant"),
        SECOND,
    ]


@pytest.mark.anyio
async def test_run_structured_leaves_the_event_logger_as_it_was(
    event_logger: logging.Logger,
) -> None:
    other = logging.NullHandler()
    event_logger.handlers = [other]
    event_logger.setLevel(logging.WARNING)

    await example().run_structured()

    assert event_logger.handlers == [other]
    assert event_logger.level == logging.WARNING


def test_the_tracker_counts_only_llm_call_events(event_logger: logging.Logger) -> None:
    tracker = example().LLMUsageTracker()
    event_logger.handlers = [tracker]
    event_logger.setLevel(logging.INFO)

    event_logger.info(LLMCallEvent(messages=[], response={}, prompt_tokens=3, completion_tokens=4))
    event_logger.info(ToolCallEvent(tool_name="t", arguments={}, result="r"))
    event_logger.info("plain text")
    event_logger.info(LLMCallEvent(messages=[], response={}, prompt_tokens=10, completion_tokens=1))

    assert (tracker.prompt_tokens, tracker.completion_tokens, tracker.tokens) == (13, 5, 18)
    tracker.reset()
    assert (tracker.prompt_tokens, tracker.completion_tokens, tracker.tokens) == (0, 0, 0)


@pytest.mark.anyio
async def test_the_totals_are_the_usage_the_openai_server_reported() -> None:
    openai_models = pytest.importorskip("cantata.models.openai")
    module = example()
    reported = [(17, 7), (41, 9)]
    with ChatServer() as server:
        server.script(
            *(
                completion(reply, model="gpt-4o-mini", prompt_tokens=p, completion_tokens=c)
                for reply, (p, c) in zip(module.SCRIPTED_REPLIES, reported, strict=True)
            )
        )
        client = openai_models.OpenAIChatCompletionClient(
            model="gpt-4o-mini", base_url=server.base_url, api_key="test"
        )
        trackers: list[Any] = []
        try:
            printed = await module.run_structured(client, trackers)
        finally:
            await client.close()
        bodies = server.bodies

    (tracker,) = trackers
    assert tracker.prompt_tokens == sum(p for p, _ in reported) == 58
    assert tracker.completion_tokens == sum(c for _, c in reported) == 16
    assert printed == [*EXPECTED[:4], "58", "16"]
    assert [body["model"] for body in bodies] == ["gpt-4o-mini", "gpt-4o-mini"]
    assert [[m["role"] for m in body["messages"]] for body in bodies] == [
        ["system", "user"],
        ["system", "user", "assistant", "user"],
    ]
    assert bodies[1]["messages"][2]["content"] == "The capital of France is Paris."
    assert bodies[1]["messages"][3]["content"] == "How many people live there?"


def test_scripted_client_without_openai_settings() -> None:
    assert isinstance(example().create_model_client(), ReplayChatCompletionClient)


def test_falls_back_when_the_openai_client_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert isinstance(example().create_model_client(), ReplayChatCompletionClient)
