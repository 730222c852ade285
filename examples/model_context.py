"""Port of the user-guide section "Model Context".

An agent keeps its conversation in a ``BufferedChatCompletionContext`` (the five most recent
messages) and sends it to the model with every question, so it can answer a follow-up
question about its own earlier answer.

The agent calls a model client. By default it is a ``ReplayChatCompletionClient`` that replays
the replies shown in the guide, so the example runs offline and prints exactly the guide's
output. When ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is
available, :func:`create_model_client` returns the guide's
``OpenAIChatCompletionClient(model="gpt-4o-mini")`` instead.

:func:`main` (``python examples/model_context.py``) runs the guide's code between
``runtime.start()`` and ``await runtime.stop()``, on asyncio; :func:`run_structured` runs it
inside an ``async with`` block, on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from _support import configured_openai_client, given_or_created, printed_lines

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.model_context import BufferedChatCompletionContext
from cantata.models import AssistantMessage, ChatCompletionClient, SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

# -- The agent -------------------------------------------------------------------------------


@dataclass
class Message:
    content: str


class SimpleAgentWithContext(RoutedAgent):
    def __init__(self, model_client: ChatCompletionClient) -> None:
        super().__init__("A simple agent")
        self._system_messages = [SystemMessage(content="You are a helpful AI assistant.")]
        self._model_client = model_client
        self._model_context = BufferedChatCompletionContext(buffer_size=5)

    @message_handler
    async def handle_user_message(self, message: Message, ctx: MessageContext) -> Message:
        # Prepare input to the chat completion model.
        user_message = UserMessage(content=message.content, source="user")
        # Add message to model context.
        await self._model_context.add_message(user_message)
        # Generate a response.
        response = await self._model_client.create(
            self._system_messages + (await self._model_context.get_messages()),
            cancellation_token=ctx.cancellation_token,
        )
        # Return with the model's response.
        assert isinstance(response.content, str)
        # Add message to model context.
        await self._model_context.add_message(
            AssistantMessage(content=response.content, source=self.metadata["type"])
        )
        return Message(content=response.content)


# -- The model client ------------------------------------------------------------------------
# The scripted replies are the model replies shown in the guide, in the order the agent asks.

SEATTLE_ACTIVITIES = (
    "Seattle offers a variety of fun activities and attractions. Here are some highlights:\n"
    "\n"
    "1. **Pike Place Market**: Visit this iconic market to explore local vendors, fresh "
    "produce, artisanal products, and watch the famous fish throwing.\n"
    "\n"
    "2. **Space Needle**: Take a trip to the observation deck for stunning panoramic views of "
    "the city, Puget Sound, and the surrounding mountains.\n"
    "\n"
    "3. **Chihuly Garden and Glass**: Marvel at the stunning glass art installations created "
    "by artist Dale Chihuly, located right next to the Space Needle.\n"
    "\n"
    "4. **Seattle Waterfront**: Enjoy a stroll along the waterfront, visit the Seattle "
    "Aquarium, and take a ferry ride to nearby islands like Bainbridge Island.\n"
    "\n"
    "5. **Museum of Pop Culture (MoPOP)**: Explore exhibits on music, science fiction, and pop "
    "culture in this architecturally striking building.\n"
    "\n"
    "6. **Seattle Art Museum (SAM)**: Discover an extensive collection of art from around the "
    "world, including contemporary and Native American art.\n"
    "\n"
    "7. **Gas Works Park**: Relax in this unique park that features remnants of an old "
    "gasification plant, offering great views of the Seattle skyline and Lake Union.\n"
    "\n"
    "8. **Discovery Park**: Enjoy nature trails, beaches, and beautiful views of the Puget "
    "Sound and the Olympic Mountains in this large urban park.\n"
    "\n"
    "9. **Ballard Locks**: Watch boats navigate the locks and see fish swimming upstream "
    "during the salmon migration season.\n"
    "\n"
    "10. **Fremont Troll**: Check out this quirky public art installation under a bridge in "
    "the Fremont neighborhood.\n"
    "\n"
    "11. **Underground Tour**: Take an entertaining guided tour through the underground "
    "passages of Pioneer Square to learn about Seattle's history.\n"
    "\n"
    "12. **Brewery Tours**: Seattle is known for its craft beer scene. Visit local breweries "
    "for tastings and tours.\n"
    "\n"
    "13. **Seattle Center**: Explore the cultural complex that includes the Space Needle, "
    "MoPOP, and various festivals and events throughout the year.\n"
    "\n"
    "These are just a few options, and Seattle has something for everyone, whether you're "
    "into outdoor activities, culture, history, or food!"
)

FIRST_THING_MENTIONED = (
    "The first thing I mentioned was **Pike Place Market**. It's an iconic market in Seattle "
    "known for its local vendors, fresh produce, artisanal products, and the famous fish "
    "throwing by the fishmongers. It's a vibrant place full of sights, sounds, and delicious "
    "food."
)

SCRIPTED_REPLIES = [SEATTLE_ACTIVITIES, FIRST_THING_MENTIONED]


def create_model_client() -> ChatCompletionClient:
    """Return the OpenAI client if it is configured and available, else the scripted one."""
    return configured_openai_client(
        model="gpt-4o-mini",
        # api_key="sk-...", # Optional if you have an OPENAI_API_KEY set in the environment.
    ) or ReplayChatCompletionClient(SCRIPTED_REPLIES)


# -- The conversation ------------------------------------------------------------------------


async def register_simple_agent(
    runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient
) -> None:
    await SimpleAgentWithContext.register(
        runtime,
        "simple_agent_context",
        lambda: SimpleAgentWithContext(model_client=model_client),
    )


async def ask_questions(runtime: SingleThreadedAgentRuntime) -> None:
    """Ask the guide's question and its follow-up, printing both answers."""
    agent_id = AgentId("simple_agent_context", "default")

    # First question.
    message = Message("Hello, what are some fun things to do in Seattle?")
    print(f"Question: {message.content}")
    response = await runtime.send_message(message, agent_id)
    print(f"Response: {response.content}")
    print("-----")

    # Second question.
    message = Message("What was the first thing you mentioned?")
    print(f"Question: {message.content}")
    response = await runtime.send_message(message, agent_id)
    print(f"Response: {response.content}")


async def main() -> None:
    """The guide's program: ``runtime.start()``, the questions, ``await runtime.stop()``."""
    model_client = create_model_client()

    runtime = SingleThreadedAgentRuntime()
    await register_simple_agent(runtime, model_client)
    # Start the runtime processing messages.
    runtime.start()
    await ask_questions(runtime)

    # Stop the runtime processing messages.
    await runtime.stop()
    await model_client.close()


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def structured(model_client: ChatCompletionClient) -> None:
    async with SingleThreadedAgentRuntime() as runtime:
        await register_simple_agent(runtime, model_client)
        await ask_questions(runtime)


async def run_structured(model_client: ChatCompletionClient | None = None) -> list[str]:
    """Run the program with ``async with``; return the lines it printed.

    Args:
        model_client: The client the agent uses; by default :func:`create_model_client`'s.
            The caller keeps ownership of a client it passes (it is not closed here).
    """
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(structured, client)


if __name__ == "__main__":
    asyncio.run(main())
