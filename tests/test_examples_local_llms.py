"""``examples/local_llms.py``, the port of the user guide's "Local LLMs with LiteLLM & Ollama".

The script (the guide's ``runtime.start()`` form, asyncio) and ``run_structured()`` (the
``async with`` form, asyncio and Trio) print the guide's output; each comedian sends the model
its system prompt and its last five messages; and the guide's ``OpenAIChatCompletionClient``,
pointed at the loopback OpenAI-compatible server of ``tests/_openai_server.py`` in place of
the LiteLLM proxy, sends the requests the agents describe.
"""

# ruff: noqa: E501
from __future__ import annotations

import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from _examples_harness import load, run_script
from _openai_server import ChatServer, completion

from cantata.models import AssistantMessage, LLMMessage, SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

EXPECTED = """\

Joe: Joe, tell me a joke.

Cathy: Here's one:

Why couldn't the bicycle stand up by itself?

(waiting for your reaction...)

Joe: *laughs* It's because it was two-tired! Ahahaha! That's a good one! I love it!

Cathy: *roars with laughter* HAHAHAHA! Oh man, that's a classic! I'm glad you liked it! The setup is perfect and the punchline is just... *chuckles* Two-tired! I mean, come on! That's genius! We should definitely add that one to our act!

Joe: I need to go now.
""".splitlines()

JOKE_REQUEST = "Joe, tell me a joke."


def example() -> ModuleType:
    """``examples/local_llms.py``, imported once."""
    return load("local_llms")


def system_prompt(name: str) -> str:
    return (
        f"Your name is {name} and you are a part of a duo of comedians.You laugh when you "
        "find the joke funny, else reply 'I need to go now'."
    )


def expected_prompts() -> list[list[LLMMessage]]:
    """What Joe, Cathy, Joe, Cathy and Joe send the model, in that order."""
    r1, r2, r3, r4, _ = example().SCRIPTED_REPLIES

    def user(text: str) -> UserMessage:
        return UserMessage(content=text, source="user")

    def assistant(text: str) -> AssistantMessage:
        return AssistantMessage(content=text, source="assistant")

    joe = SystemMessage(content=system_prompt("Joe"))
    cathy = SystemMessage(content=system_prompt("Cathy"))
    return [
        [joe, user(JOKE_REQUEST)],
        [cathy, user(r1)],
        [joe, user(JOKE_REQUEST), assistant(r1), user(r2)],
        [cathy, user(r1), assistant(r2), user(r3)],
        # Joe's buffer holds five messages; his third reply is never added.
        [joe, user(JOKE_REQUEST), assistant(r1), user(r2), assistant(r3), user(r4)],
    ]


# -- Offline: the scripted model -------------------------------------------------------------


def test_script_prints_guide_output() -> None:
    assert run_script("local_llms") == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_guide_output() -> None:
    assert await example().run_structured() == EXPECTED


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    assert await example().run_structured() == await example().run_structured()


@pytest.mark.anyio
async def test_the_comedians_send_their_prompt_and_last_five_messages() -> None:
    module = example()
    client = ReplayChatCompletionClient(module.SCRIPTED_REPLIES, model_info=module.LOCAL_MODEL_INFO)

    assert await module.run_structured(client) == EXPECTED

    calls = client.create_calls
    assert [call["messages"] for call in calls] == expected_prompts()
    assert all(call["tools"] == [] for call in calls)  # the guide's agents pass no tools


@pytest.mark.anyio
async def test_a_comedian_leaves_when_told_to_go() -> None:
    module = example()
    client = ReplayChatCompletionClient(
        ["Knock knock.", "I need to go now.", "never passed on"],
        model_info=module.LOCAL_MODEL_INFO,
    )

    printed = await module.run_structured(client)

    assert printed == [
        "",
        "Joe: Joe, tell me a joke.",
        "",
        "Cathy: Knock knock.",
        "",
        "Joe: I need to go now.",
    ]
    assert len(client.create_calls) == 3


def test_scripted_client_without_a_local_server() -> None:
    client = example().create_model_client()
    assert isinstance(client, ReplayChatCompletionClient)
    assert client.model_info == example().LOCAL_MODEL_INFO


def test_falls_back_when_the_openai_client_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert isinstance(example().create_model_client(), ReplayChatCompletionClient)


@pytest.mark.anyio
async def test_uses_the_local_server_named_by_openai_base_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    openai_models = pytest.importorskip("cantata.models.openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    client = example().create_model_client()
    try:
        assert isinstance(client, openai_models.OpenAIChatCompletionClient)
        assert client.model_info == example().LOCAL_MODEL_INFO
    finally:
        await client.close()


# -- Online: the guide's client against the loopback server ----------------------------------


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer() as chat_server:
        yield chat_server


@pytest.mark.anyio
async def test_the_guides_client_against_a_local_openai_compatible_server(
    server: ChatServer,
) -> None:
    module = example()
    pytest.importorskip("cantata.models.openai")
    server.script(*(completion(reply, model="llama3.2:1b") for reply in module.SCRIPTED_REPLIES))
    client = module.get_model_client(server.base_url)
    try:
        printed = await module.run_structured(client)
    finally:
        await client.close()

    assert printed == EXPECTED
    assert server.pending() == 0
    assert [request.path for request in server.requests] == ["/v1/chat/completions"] * 5
    assert all(
        request.headers["authorization"] == "Bearer NotRequiredSinceWeAreLocal"
        for request in server.requests
    )
    bodies = server.bodies
    assert all(body["model"] == "llama3.2:1b" for body in bodies)
    assert all("tools" not in body and "stream" not in body for body in bodies)

    def wire(message: LLMMessage) -> dict[str, Any]:
        if isinstance(message, SystemMessage):
            return {"role": "system", "content": message.content}
        assert isinstance(message, UserMessage | AssistantMessage)
        role = "user" if isinstance(message, UserMessage) else "assistant"
        return {"role": role, "content": message.content, "name": message.source}

    assert [body["messages"] for body in bodies] == [
        [wire(message) for message in prompt] for prompt in expected_prompts()
    ]
