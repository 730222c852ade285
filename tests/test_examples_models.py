"""The examples of the model layer (``examples/model_context.py``) print the user guide's output.

Like ``tests/test_examples.py``: ``python examples/<name>.py`` (the guide's ``runtime.start()``
form, asyncio) prints the expected lines, and ``run_structured()`` (the ``async with`` form)
returns them on asyncio and Trio, the same each time. The model is the scripted
``ReplayChatCompletionClient``; the OpenAI settings are removed from the environment.
"""

# ruff: noqa: E501
from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from _examples_harness import load, run_script

from cantata import AgentId, SingleThreadedAgentRuntime
from cantata.models import AssistantMessage, ChatCompletionClient, SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

RunStructured = Callable[..., Awaitable[list[str]]]


def run_structured(name: str) -> RunStructured:
    function: RunStructured = load(name).run_structured
    return function


# -- Expected output: the guide's, line for line ------------------------------------------------

# The guide prints the model replies, long lines and all.
MODEL_CONTEXT = """\
Question: Hello, what are some fun things to do in Seattle?
Response: Seattle offers a variety of fun activities and attractions. Here are some highlights:

1. **Pike Place Market**: Visit this iconic market to explore local vendors, fresh produce, artisanal products, and watch the famous fish throwing.

2. **Space Needle**: Take a trip to the observation deck for stunning panoramic views of the city, Puget Sound, and the surrounding mountains.

3. **Chihuly Garden and Glass**: Marvel at the stunning glass art installations created by artist Dale Chihuly, located right next to the Space Needle.

4. **Seattle Waterfront**: Enjoy a stroll along the waterfront, visit the Seattle Aquarium, and take a ferry ride to nearby islands like Bainbridge Island.

5. **Museum of Pop Culture (MoPOP)**: Explore exhibits on music, science fiction, and pop culture in this architecturally striking building.

6. **Seattle Art Museum (SAM)**: Discover an extensive collection of art from around the world, including contemporary and Native American art.

7. **Gas Works Park**: Relax in this unique park that features remnants of an old gasification plant, offering great views of the Seattle skyline and Lake Union.

8. **Discovery Park**: Enjoy nature trails, beaches, and beautiful views of the Puget Sound and the Olympic Mountains in this large urban park.

9. **Ballard Locks**: Watch boats navigate the locks and see fish swimming upstream during the salmon migration season.

10. **Fremont Troll**: Check out this quirky public art installation under a bridge in the Fremont neighborhood.

11. **Underground Tour**: Take an entertaining guided tour through the underground passages of Pioneer Square to learn about Seattle's history.

12. **Brewery Tours**: Seattle is known for its craft beer scene. Visit local breweries for tastings and tours.

13. **Seattle Center**: Explore the cultural complex that includes the Space Needle, MoPOP, and various festivals and events throughout the year.

These are just a few options, and Seattle has something for everyone, whether you're into outdoor activities, culture, history, or food!
-----
Question: What was the first thing you mentioned?
Response: The first thing I mentioned was **Pike Place Market**. It's an iconic market in Seattle known for its local vendors, fresh produce, artisanal products, and the famous fish throwing by the fishmongers. It's a vibrant place full of sights, sounds, and delicious food.
""".splitlines()

EXPECTED = {"model_context": MODEL_CONTEXT}
EXAMPLES = list(EXPECTED)


@pytest.mark.parametrize("name", EXAMPLES)
def test_script_prints_guide_output(name: str) -> None:
    assert run_script(name) == EXPECTED[name]


@pytest.mark.anyio
@pytest.mark.parametrize("name", EXAMPLES)
async def test_run_structured_prints_guide_output(name: str) -> None:
    assert await run_structured(name)() == EXPECTED[name]


@pytest.mark.anyio
@pytest.mark.parametrize("name", EXAMPLES)
async def test_run_structured_is_deterministic(name: str) -> None:
    first = await run_structured(name)()
    second = await run_structured(name)()
    assert first == second


# -- Model Context: what the model is sent -----------------------------------------------------


def test_model_context_uses_scripted_client_without_openai_settings() -> None:
    client = load("model_context").create_model_client()
    assert isinstance(client, ReplayChatCompletionClient)


def test_model_context_falls_back_when_openai_client_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    client = load("model_context").create_model_client()
    assert isinstance(client, ReplayChatCompletionClient)


@pytest.mark.anyio
async def test_model_context_sends_the_earlier_exchange_with_the_follow_up() -> None:
    module = load("model_context")
    client = ReplayChatCompletionClient(["first answer", "second answer"])

    printed = await run_structured("model_context")(client)

    assert printed[-1] == "Response: second answer"
    prompts: list[Any] = [call["messages"] for call in client.create_calls]
    system = SystemMessage(content="You are a helpful AI assistant.")
    first_question = UserMessage(
        content="Hello, what are some fun things to do in Seattle?", source="user"
    )
    assert prompts[0] == [system, first_question]
    assert prompts[1] == [
        system,
        first_question,
        AssistantMessage(content="first answer", source="simple_agent_context"),
        UserMessage(content="What was the first thing you mentioned?", source="user"),
    ]
    assert module.SCRIPTED_REPLIES == [module.SEATTLE_ACTIVITIES, module.FIRST_THING_MENTIONED]


@pytest.mark.anyio
async def test_model_context_agent_sends_only_the_last_five_messages() -> None:
    module = load("model_context")
    client = ReplayChatCompletionClient([f"answer {n}" for n in range(4)])

    async with SingleThreadedAgentRuntime() as runtime:
        await module.register_simple_agent(runtime, client)
        for n in range(4):
            reply = await runtime.send_message(
                module.Message(f"question {n}"), AgentId("simple_agent_context", "default")
            )
            assert reply.content == f"answer {n}"

    last_prompt = client.create_calls[-1]["messages"]
    assert [message.content for message in last_prompt] == [
        "You are a helpful AI assistant.",
        "question 1",
        "answer 1",
        "question 2",
        "answer 2",
        "question 3",
    ]


def test_model_context_passes_a_given_client_unclosed() -> None:
    closed: list[ChatCompletionClient] = []

    class Recording(ReplayChatCompletionClient):
        async def close(self) -> None:
            closed.append(self)

    client = Recording(["a", "b"])
    anyio.run(run_structured("model_context"), client)
    assert closed == []
