"""Port of the user-guide section "Local LLMs with LiteLLM & Ollama".

Two agents, Joe and Cathy, tell each other jokes. Each keeps the last five messages in a
``BufferedChatCompletionContext``, asks the model for a reply and publishes it to the other;
a comedian stops after its third message or when told "I need to go".

The guide serves ``llama3.2:1b`` with Ollama behind a LiteLLM proxy, which speaks the OpenAI
chat-completions API, and reaches it with an ``OpenAIChatCompletionClient`` whose ``base_url``
points at the proxy (:func:`get_model_client`). The guide describes the model with the
deprecated ``model_capabilities``; here :data:`LOCAL_MODEL_INFO` is an explicit ``model_info``
(a model the client does not know needs one). The guide's agents pass no tools to the model;
``function_calling`` only states what the model supports.

By default the agents use a ``ReplayChatCompletionClient`` with the replies shown in the guide,
so the example runs offline and prints the guide's output. When ``OPENAI_BASE_URL`` is set
(the address of an OpenAI-compatible server such as the LiteLLM proxy, e.g.
``http://0.0.0.0:4000``) and ``cantata.models.openai`` is available,
:func:`create_model_client` returns :func:`get_model_client` on that address instead. The
warning the guide's output shows comes from the proxy's model mapping and is not reproduced.

:func:`main` (``python examples/local_llms.py``) runs the guide's code between
``runtime.start()`` and ``await runtime.stop_when_idle()``, on asyncio; :func:`run_structured`
runs it inside an ``async with`` block, on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
import importlib
import os
from dataclasses import dataclass

from _support import given_or_created, printed_lines, structured_form

from cantata import (
    AgentId,
    AgentType,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    default_subscription,
    message_handler,
)
from cantata.model_context import BufferedChatCompletionContext
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    ModelFamily,
    ModelInfo,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

# -- The local model client ------------------------------------------------------------------

LOCAL_MODEL_INFO: ModelInfo = {
    "json_output": False,
    "vision": False,
    "function_calling": True,
    "family": ModelFamily.UNKNOWN,
    "structured_output": False,
}
"""What the local model supports (the guide's ``model_capabilities``)."""


def get_model_client(base_url: str = "http://0.0.0.0:4000") -> ChatCompletionClient:
    "Mimic OpenAI API using Local LLM Server."
    openai_models = importlib.import_module("cantata.models.openai")
    client: ChatCompletionClient = openai_models.OpenAIChatCompletionClient(
        model="llama3.2:1b",
        api_key="NotRequiredSinceWeAreLocal",
        base_url=base_url,
        model_info=LOCAL_MODEL_INFO,
    )
    return client


# -- The agents ------------------------------------------------------------------------------


@dataclass
class Message:
    content: str


@default_subscription
class Assistant(RoutedAgent):
    def __init__(self, name: str, model_client: ChatCompletionClient) -> None:
        super().__init__("An assistant agent.")
        self._model_client = model_client
        self.name = name
        self.count = 0
        self._system_messages = [
            SystemMessage(
                content=f"Your name is {name} and you are a part of a duo of comedians."
                "You laugh when you find the joke funny, else reply 'I need to go now'.",
            )
        ]
        self._model_context = BufferedChatCompletionContext(buffer_size=5)

    @message_handler
    async def handle_message(self, message: Message, ctx: MessageContext) -> None:
        self.count += 1
        await self._model_context.add_message(UserMessage(content=message.content, source="user"))
        result = await self._model_client.create(
            self._system_messages + await self._model_context.get_messages()
        )

        print(f"\n{self.name}: {message.content}")

        if "I need to go".lower() in message.content.lower() or self.count > 2:
            return

        assert isinstance(result.content, str)
        await self._model_context.add_message(
            AssistantMessage(content=result.content, source="assistant")
        )
        await self.publish_message(Message(content=result.content), DefaultTopicId())


# -- The scripted model ----------------------------------------------------------------------

SCRIPTED_REPLIES = [
    # Joe, asked for a joke.
    "Here's one:\n\nWhy couldn't the bicycle stand up by itself?\n\n(waiting for your reaction...)",
    # Cathy, hearing the joke.
    "*laughs* It's because it was two-tired! Ahahaha! That's a good one! I love it!",
    # Joe, hearing Cathy laugh.
    "*roars with laughter* HAHAHAHA! Oh man, that's a classic! I'm glad you liked it! The setup "
    "is perfect and the punchline is just... *chuckles* Two-tired! I mean, come on! That's "
    "genius! We should definitely add that one to our act!",
    # Cathy, on her second message.
    "I need to go now.",
    # Joe, on his third message: he stops before passing it on, so it is never shown.
    "See you at the next show!",
]
"""The model's replies in the order the agents ask: the guide's shown output."""


def create_model_client() -> ChatCompletionClient:
    """Return the local server's client if ``OPENAI_BASE_URL`` is set and the OpenAI client is
    available, else the scripted one."""
    base_url = os.environ.get("OPENAI_BASE_URL")
    if base_url:
        try:
            return get_model_client(base_url)
        except ImportError:
            pass
    return ReplayChatCompletionClient(SCRIPTED_REPLIES, model_info=LOCAL_MODEL_INFO)


# -- The program -----------------------------------------------------------------------------


async def register_comedians(
    runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient
) -> tuple[AgentType, AgentType]:
    """Register Cathy and Joe; return their agent types."""
    cathy = await Assistant.register(
        runtime,
        "cathy",
        lambda: Assistant(name="Cathy", model_client=model_client),
    )

    joe = await Assistant.register(
        runtime,
        "joe",
        lambda: Assistant(name="Joe", model_client=model_client),
    )
    return cathy, joe


async def tell_a_joke(
    runtime: SingleThreadedAgentRuntime, cathy: AgentType, joe: AgentType
) -> None:
    """Cathy asks Joe for a joke; the agents take it from there."""
    await runtime.send_message(
        Message("Joe, tell me a joke."),
        recipient=AgentId(joe, "default"),
        sender=AgentId(cathy, "default"),
    )


async def main() -> None:
    """The guide's program: ``runtime.start()``, the joke, ``stop_when_idle()``."""
    runtime = SingleThreadedAgentRuntime()

    model_client = create_model_client()

    cathy, joe = await register_comedians(runtime, model_client)

    runtime.start()
    await tell_a_joke(runtime, cathy, joe)
    await runtime.stop_when_idle()

    # Close the connections to the model clients.
    await model_client.close()


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def structured(model_client: ChatCompletionClient) -> None:
    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        cathy, joe = await register_comedians(runtime, model_client)
        await tell_a_joke(runtime, cathy, joe)

    await structured_form(program)


async def run_structured(model_client: ChatCompletionClient | None = None) -> list[str]:
    """Run the program with ``async with``; return the lines it printed.

    Args:
        model_client: The client both agents use; by default :func:`create_model_client`'s.
            The caller keeps ownership of a client it passes (it is not closed here).
    """
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(structured, client)


if __name__ == "__main__":
    asyncio.run(main())
