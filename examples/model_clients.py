"""Port of the user-guide section "Model Clients".

The parts of the section that run with an OpenAI-compatible model client:

* *Log Model Calls*: model calls are logged as ``LLMCall`` events on the logger named
  ``EVENT_LOGGER_NAME`` (``"cantata.events"``); :func:`log_model_calls` is the guide's setup,
  which sends them to stderr.
* *Call Model Client*: ``create()`` and the ``CreateResult`` it returns.
* *Streaming Tokens*: ``create_stream()`` yields text chunks, then the final ``CreateResult``.
* *Structured Output*: a pydantic class as the client's ``response_format``.
* *Caching Model Responses*: ``ChatCompletionCache`` over a ``DiskCacheStore`` in a temporary
  directory; the second, identical request is answered from the cache (``cached=True``).
* *Build an Agent with a Model Client*: the guide's ``SimpleAgent``.
* *API Keys From Environment Variables*: the OpenAI client reads its key from
  ``OPENAI_API_KEY`` (and ``AzureOpenAIChatCompletionClient`` from ``AZURE_OPENAI_API_KEY``),
  so no key appears in the code; this example never prints one.

The section's clients for other providers (Azure OpenAI with AAD, Azure AI, Gemini, Anthropic,
Ollama, the Semantic Kernel adapter) are left out: ``examples/local_llms.py`` shows the
OpenAI client against a local OpenAI-compatible server, which is how those models are reached
here.

By default every part uses a ``ReplayChatCompletionClient`` with scripted replies (the guide's
shown replies where it shows them), so the example runs offline and deterministically. When
``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is available,
:func:`create_model_client` returns the guide's ``OpenAIChatCompletionClient`` for each part
instead (see :data:`OPENAI_ARGUMENTS`). Differences from the guide's output:

* the replay client streams a reply word by word, so the streamed story is printed on one line
  (the complete response keeps its paragraphs), and its usage counts words; the guide's
  usage is zero because OpenAI only reports usage in a stream when asked, which
  ``cantata.models.openai`` does by default;
* the cached response is printed in full, where the guide's output shows only ``True``;
* the parts are introduced by ``# <part>`` lines;
* the disk cache is closed before its temporary directory is removed, and every client is
  closed after its part.

:func:`main` (``python examples/model_clients.py``) runs the agent between ``runtime.start()``
and ``await runtime.stop()`` as the guide does, on asyncio; :func:`run_structured` runs the
same program with the runtime as ``async with``, on asyncio or Trio (see
``examples/README.md``). Only :func:`main` sets up the logging.
"""

# The model replies keep the guide's typography (curly apostrophes).
# ruff: noqa: RUF001
from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from _support import configured_openai_client, printed_lines
from diskcache import Cache  # type: ignore[import-untyped]  # diskcache ships no type hints
from pydantic import BaseModel

from cantata import (
    EVENT_LOGGER_NAME,
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.models import (
    ChatCompletionClient,
    CreateResult,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.cache import CHAT_CACHE_VALUE_TYPE, ChatCompletionCache, DiskCacheStore
from cantata.models.replay import ReplayChatCompletionClient

# -- Log Model Calls -------------------------------------------------------------------------


def log_model_calls() -> None:
    """The guide's logging setup: ``LLMCall`` events go to stderr."""
    logging.basicConfig(level=logging.WARNING)
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    logger.addHandler(logging.StreamHandler())
    logger.setLevel(logging.INFO)


# -- Call Model Client -----------------------------------------------------------------------


async def call_model_client(model_client: ChatCompletionClient) -> None:
    result = await model_client.create(
        [UserMessage(content="What is the capital of France?", source="user")]
    )
    print(result)
    await model_client.close()


# -- Streaming Tokens ------------------------------------------------------------------------


async def streaming_tokens(model_client: ChatCompletionClient) -> None:
    messages = [
        UserMessage(content="Write a very short story about a dragon.", source="user"),
    ]

    # Create a stream.
    stream = model_client.create_stream(messages=messages)

    # Iterate over the stream and print the responses.
    print("Streamed responses:")
    async for chunk in stream:
        if isinstance(chunk, str):
            # The chunk is a string.
            print(chunk, flush=True, end="")
        else:
            # The final chunk is a CreateResult object.
            assert isinstance(chunk, CreateResult) and isinstance(chunk.content, str)
            # The last response is a CreateResult object with the complete message.
            print("\n\n------------\n")
            print("The complete response:", flush=True)
            print(chunk.content, flush=True)
            print("\n\n------------\n")
            print("The token usage was:", flush=True)
            print(chunk.usage, flush=True)
    await model_client.close()


# -- Structured Output -----------------------------------------------------------------------


# The response format for the agent as a Pydantic base model.
class AgentResponse(BaseModel):
    thoughts: str
    response: Literal["happy", "sad", "neutral"]


async def structured_output(model_client: ChatCompletionClient) -> None:
    """The guide's code; ``model_client`` has ``response_format=AgentResponse``."""
    # Send a message list to the model and await the response.
    messages = [
        UserMessage(content="I am happy.", source="user"),
    ]
    response = await model_client.create(messages=messages)
    assert isinstance(response.content, str)
    parsed_response = AgentResponse.model_validate_json(response.content)
    print(parsed_response.thoughts)
    print(parsed_response.response)

    # Close the connection to the model client.
    await model_client.close()


# -- Caching Model Responses -----------------------------------------------------------------


async def caching_model_responses(openai_model_client: ChatCompletionClient) -> None:
    with tempfile.TemporaryDirectory() as tmpdirname:
        # Then initialize the CacheStore, in this case with diskcache.Cache.
        cache_store = DiskCacheStore[CHAT_CACHE_VALUE_TYPE](Cache(tmpdirname))
        cache_client = ChatCompletionCache(openai_model_client, cache_store)

        response = await cache_client.create(
            [UserMessage(content="Hello, how are you?", source="user")]
        )
        print(response)  # Should print response from OpenAI
        response = await cache_client.create(
            [UserMessage(content="Hello, how are you?", source="user")]
        )
        print(response)  # Should print cached response

        await openai_model_client.close()
        await cache_client.close()
        # Close the cache's files before the directory is removed.
        cache_store.close()


# -- Build an Agent with a Model Client ------------------------------------------------------


@dataclass
class Message:
    content: str


class SimpleAgent(RoutedAgent):
    def __init__(self, model_client: ChatCompletionClient) -> None:
        super().__init__("A simple agent")
        self._system_messages = [SystemMessage(content="You are a helpful AI assistant.")]
        self._model_client = model_client

    @message_handler
    async def handle_user_message(self, message: Message, ctx: MessageContext) -> Message:
        # Prepare input to the chat completion model.
        user_message = UserMessage(content=message.content, source="user")
        # The guide's list concatenation, kept as written.
        response = await self._model_client.create(
            self._system_messages + [user_message],  # noqa: RUF005
            cancellation_token=ctx.cancellation_token,
        )
        # Return with the model's response.
        assert isinstance(response.content, str)
        return Message(content=response.content)


async def register_simple_agent(
    runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient
) -> None:
    await SimpleAgent.register(
        runtime,
        "simple_agent",
        lambda: SimpleAgent(model_client=model_client),
    )


async def ask_simple_agent(runtime: SingleThreadedAgentRuntime) -> None:
    # Send a message to the agent and get the response.
    message = Message("Hello, what are some fun things to do in Seattle?")
    response = await runtime.send_message(message, AgentId("simple_agent", "default"))
    print(response.content)


# -- The model clients -----------------------------------------------------------------------

Part = Literal["call", "stream", "structured", "cache", "agent"]
ClientFactory = Callable[[Part], ChatCompletionClient]
"""Makes the model client of one part of the section."""

OPENAI_ARGUMENTS: dict[Part, dict[str, Any]] = {
    "call": {"model": "gpt-4", "temperature": 0.3},
    "stream": {"model": "gpt-4o"},
    "structured": {"model": "gpt-4o", "response_format": AgentResponse},
    "cache": {"model": "gpt-4o"},
    "agent": {"model": "gpt-4o-mini"},
}
"""The guide's ``OpenAIChatCompletionClient`` arguments for each part (the API key comes from
``OPENAI_API_KEY``)."""

CAPITAL_OF_FRANCE = CreateResult(
    finish_reason="stop",
    content="The capital of France is Paris.",
    usage=RequestUsage(prompt_tokens=15, completion_tokens=8),
    cached=False,
)
"""The guide's result of "Call Model Client"."""

DRAGON_STORY = (
    "In the heart of an ancient forest, beneath the shadow of snow-capped peaks, a dragon "
    "named Elara lived secretly for centuries. Elara was unlike any dragon from the old tales; "
    "her scales shimmered with a deep emerald hue, each scale engraved with symbols of lost "
    "wisdom. The villagers in the nearby valley spoke of mysterious lights dancing across the "
    "night sky, but none dared venture close enough to solve the enigma.\n"
    "\n"
    "One cold winter's eve, a young girl named Lira, brimming with curiosity and armed with the "
    "innocence of youth, wandered into Elara’s domain. Instead of fire and fury, she found "
    "warmth and a gentle gaze. The dragon shared stories of a world long forgotten and in "
    "return, Lira gifted her simple stories of human life, rich in laughter and scent of earth."
    "\n"
    "\n"
    "From that night on, the villagers noticed subtle changes—the crops grew taller, and the air "
    "seemed sweeter. Elara had infused the valley with ancient magic, a guardian of balance, "
    "watching quietly as her new friend thrived under the stars. And so, Lira and Elara’s bond "
    "marked the beginning of a timeless friendship that spun tales of hope whispered through "
    "the leaves of the ever-verdant forest."
)
"""The guide's streamed story."""

HAPPY_RESPONSE = AgentResponse(
    thoughts=(
        "I'm glad to hear that you're feeling happy! It's such a great emotion that can "
        "brighten your whole day. Is there anything in particular that's bringing you joy "
        "today? 😊"
    ),
    response="happy",
)
"""The guide's structured output."""

HOW_ARE_YOU = "I'm doing well, thank you! How can I help you today?"
"""The scripted reply to the cached request (the guide does not show one)."""

SEATTLE_ACTIVITIES = (
    "Seattle is a vibrant city with a wide range of activities and attractions. Here are some "
    "fun things to do in Seattle:\n"
    "\n"
    "1. **Space Needle**: Visit this iconic observation tower for stunning views of the city "
    "and surrounding mountains.\n"
    "\n"
    "2. **Pike Place Market**: Explore this historic market where you can see the famous fish "
    "toss, buy local produce, and find unique crafts and eateries.\n"
    "\n"
    "3. **Museum of Pop Culture (MoPOP)**: Dive into the world of contemporary culture, music, "
    "and science fiction at this interactive museum.\n"
    "\n"
    "4. **Chihuly Garden and Glass**: Marvel at the beautiful glass art installations by artist "
    "Dale Chihuly, located right next to the Space Needle.\n"
    "\n"
    "5. **Seattle Aquarium**: Discover the diverse marine life of the Pacific Northwest at this "
    "engaging aquarium.\n"
    "\n"
    "6. **Seattle Art Museum**: Explore a vast collection of art from around the world, "
    "including contemporary and indigenous art.\n"
    "\n"
    "7. **Kerry Park**: For one of the best views of the Seattle skyline, head to this small "
    "park on Queen Anne Hill.\n"
    "\n"
    "8. **Ballard Locks**: Watch boats pass through the locks and observe the salmon ladder to "
    "see salmon migrating.\n"
    "\n"
    "9. **Ferry to Bainbridge Island**: Take a scenic ferry ride across Puget Sound to enjoy "
    "charming shops, restaurants, and beautiful natural scenery.\n"
    "\n"
    "10. **Olympic Sculpture Park**: Stroll through this outdoor park with large-scale "
    "sculptures and stunning views of the waterfront and mountains.\n"
    "\n"
    "11. **Underground Tour**: Discover Seattle's history on this quirky tour of the city's "
    "underground passageways in Pioneer Square.\n"
    "\n"
    "12. **Seattle Waterfront**: Enjoy the shops, restaurants, and attractions along the "
    "waterfront, including the Seattle Great Wheel and the aquarium.\n"
    "\n"
    "13. **Discovery Park**: Explore the largest green space in Seattle, featuring trails, "
    "beaches, and views of Puget Sound.\n"
    "\n"
    "14. **Food Tours**: Try out Seattle’s diverse culinary scene, including fresh seafood, "
    "international cuisines, and coffee culture (don’t miss the original Starbucks!).\n"
    "\n"
    "15. **Attend a Sports Game**: Catch a Seahawks (NFL), Mariners (MLB), or Sounders (MLS) "
    "game for a lively local experience.\n"
    "\n"
    "Whether you're interested in culture, nature, food, or history, Seattle has something for "
    "everyone to enjoy!"
)
"""The guide's reply of the ``SimpleAgent``."""

SCRIPTED_REPLIES: dict[Part, Sequence[str | CreateResult]] = {
    "call": [CAPITAL_OF_FRANCE],
    "stream": [DRAGON_STORY],
    "structured": [HAPPY_RESPONSE.model_dump_json()],
    # One reply only: the second, identical request must be answered by the cache.
    "cache": [HOW_ARE_YOU],
    "agent": [SEATTLE_ACTIVITIES],
}
"""The replies of the scripted model client of each part."""


def create_model_client(part: Part) -> ChatCompletionClient:
    """Return the guide's OpenAI client for *part* if it is configured and available, else a
    scripted one."""
    # The API key is read from OPENAI_API_KEY, so it never appears in the code.
    client = configured_openai_client(**OPENAI_ARGUMENTS[part])
    if client is not None:
        return client
    replay = ReplayChatCompletionClient(SCRIPTED_REPLIES[part])
    replay.set_cached_bool_value(False)  # a model's own answers are not cached
    return replay


# -- The program -----------------------------------------------------------------------------


async def model_client_parts(make_client: ClientFactory) -> None:
    """The parts that use a model client directly, each with a client of its own."""
    print("# Call Model Client")
    await call_model_client(make_client("call"))
    print("# Streaming Tokens")
    await streaming_tokens(make_client("stream"))
    print("# Structured Output")
    await structured_output(make_client("structured"))
    print("# Caching Model Responses")
    await caching_model_responses(make_client("cache"))
    print("# Build an Agent with a Model Client")


async def main() -> None:
    """The guide's program: the parts, then the agent between ``runtime.start()`` and
    ``await runtime.stop()``."""
    log_model_calls()
    await model_client_parts(create_model_client)

    model_client = create_model_client("agent")
    runtime = SingleThreadedAgentRuntime()
    await register_simple_agent(runtime, model_client)
    # Start the runtime processing messages.
    runtime.start()
    await ask_simple_agent(runtime)
    # Stop the runtime processing messages.
    await runtime.stop()
    await model_client.close()


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def structured(make_client: ClientFactory) -> None:
    await model_client_parts(make_client)

    model_client = make_client("agent")
    async with SingleThreadedAgentRuntime() as runtime:
        await register_simple_agent(runtime, model_client)
        await ask_simple_agent(runtime)
    await model_client.close()


async def run_structured(make_client: ClientFactory | None = None) -> list[str]:
    """Run the program with ``async with``; return the lines it printed.

    Args:
        make_client: Makes the model client of each part; :func:`create_model_client` by
            default. Every client it makes is closed after its part.
    """
    return await printed_lines(structured, make_client or create_model_client)


if __name__ == "__main__":
    asyncio.run(main())
