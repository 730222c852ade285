"""Port of the user-guide design-pattern section "Sequential Workflow".

Four agents turn a product description into marketing copy, each publishing its work to the
topic of the next: concept extractor -> writer -> format & proof -> user.

The agents call a model client. By default it is a ``ReplayChatCompletionClient`` that replays
the replies shown in the guide, so the example runs offline and prints exactly the guide's
output. When ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set and
``cantata.models.openai`` is available (``pip install -e '.[openai]'``),
:func:`create_model_client` returns the guide's ``OpenAIChatCompletionClient`` instead, for
the model ``OPENAI_MODEL`` (default ``gpt-4o-mini``) at ``OPENAI_BASE_URL`` (default the
OpenAI API), e.g. a local Ollama server::

    OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.2 \\
        .venv/bin/python examples/sequential_workflow.py

:func:`main` (``python examples/sequential_workflow.py``) runs the workflow between
``runtime.start()`` and ``await runtime.stop_when_idle()`` as the guide does, on asyncio;
:func:`run_structured` runs it inside an ``async with`` block, on asyncio or Trio (see
``examples/README.md``).
"""

# ruff: noqa: RUF001
from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass

from _support import (
    configured_openai_client,
    given_or_created,
    openai_requested,
    printed_lines,
    start_form,
    structured_form,
)

from cantata import (
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    message_handler,
    type_subscription,
)
from cantata.models import ChatCompletionClient, ModelInfo, SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

# -- Message Protocol ------------------------------------------------------------------------


@dataclass
class Message:
    content: str


# -- Topics ----------------------------------------------------------------------------------

concept_extractor_topic_type = "ConceptExtractorAgent"
writer_topic_type = "WriterAgent"
format_proof_topic_type = "FormatProofAgent"
user_topic_type = "User"

# -- Agents ----------------------------------------------------------------------------------
# The concept extractor agent comes up with the initial bullet points for the product
# description.


@type_subscription(topic_type=concept_extractor_topic_type)
class ConceptExtractorAgent(RoutedAgent):
    def __init__(self, model_client: ChatCompletionClient) -> None:
        super().__init__("A concept extractor agent.")
        self._system_message = SystemMessage(
            content=(
                "You are a marketing analyst. Given a product description, identify:\n"
                "- Key features\n"
                "- Target audience\n"
                "- Unique selling points\n\n"
            )
        )
        self._model_client = model_client

    @message_handler
    async def handle_user_description(self, message: Message, ctx: MessageContext) -> None:
        prompt = f"Product description: {message.content}"
        llm_result = await self._model_client.create(
            messages=[self._system_message, UserMessage(content=prompt, source=self.id.key)],
            cancellation_token=ctx.cancellation_token,
        )
        response = llm_result.content
        assert isinstance(response, str)
        print(f"{'-' * 80}\n{self.id.type}:\n{response}")

        await self.publish_message(
            Message(response), topic_id=TopicId(writer_topic_type, source=self.id.key)
        )


# The writer agent performs writing.


@type_subscription(topic_type=writer_topic_type)
class WriterAgent(RoutedAgent):
    def __init__(self, model_client: ChatCompletionClient) -> None:
        super().__init__("A writer agent.")
        self._system_message = SystemMessage(
            content=(
                "You are a marketing copywriter. Given a block of text describing features, "
                "audience, and USPs, compose a compelling marketing copy (like a newsletter "
                "section) that highlights these points. Output should be short (around 150 "
                "words), output just the copy as a single text block."
            )
        )
        self._model_client = model_client

    @message_handler
    async def handle_intermediate_text(self, message: Message, ctx: MessageContext) -> None:
        prompt = f"Below is the info about the product:\n\n{message.content}"

        llm_result = await self._model_client.create(
            messages=[self._system_message, UserMessage(content=prompt, source=self.id.key)],
            cancellation_token=ctx.cancellation_token,
        )
        response = llm_result.content
        assert isinstance(response, str)
        print(f"{'-' * 80}\n{self.id.type}:\n{response}")

        await self.publish_message(
            Message(response), topic_id=TopicId(format_proof_topic_type, source=self.id.key)
        )


# The format proof agent performs the formatting.


@type_subscription(topic_type=format_proof_topic_type)
class FormatProofAgent(RoutedAgent):
    def __init__(self, model_client: ChatCompletionClient) -> None:
        super().__init__("A format & proof agent.")
        self._system_message = SystemMessage(
            content=(
                "You are an editor. Given the draft copy, correct grammar, improve clarity, "
                "ensure consistent tone, give format and make it polished. Output the final "
                "improved copy as a single text block."
            )
        )
        self._model_client = model_client

    @message_handler
    async def handle_intermediate_text(self, message: Message, ctx: MessageContext) -> None:
        prompt = f"Draft copy:\n{message.content}."
        llm_result = await self._model_client.create(
            messages=[self._system_message, UserMessage(content=prompt, source=self.id.key)],
            cancellation_token=ctx.cancellation_token,
        )
        response = llm_result.content
        assert isinstance(response, str)
        print(f"{'-' * 80}\n{self.id.type}:\n{response}")

        await self.publish_message(
            Message(response), topic_id=TopicId(user_topic_type, source=self.id.key)
        )


# In this example, the user agent simply prints the final marketing copy to the console. In a
# real-world application, this could be replaced by storing the result to a database, sending
# an email, or any other desired action.


@type_subscription(topic_type=user_topic_type)
class UserAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("A user agent that outputs the final copy to the user.")

    @message_handler
    async def handle_final_copy(self, message: Message, ctx: MessageContext) -> None:
        print(f"\n{'-' * 80}\n{self.id.type} received final copy:\n{message.content}")


# -- The model client ------------------------------------------------------------------------
# The scripted replies are the model replies shown in the guide, one per agent that calls the
# model, in the order the workflow calls it. (They keep the guide's typographic apostrophes,
# hence the file-level `ruff: noqa: RUF001` at the top.)

CONCEPTS = (
    "**Key Features:**\n"
    "- Made from eco-friendly stainless steel\n"
    "- Can keep drinks cold for up to 24 hours\n"
    "- Durable and reusable design\n"
    "- Lightweight and portable\n"
    "- BPA-free and non-toxic materials\n"
    "- Sleek, modern aesthetic available in various colors\n"
    "\n"
    "**Target Audience:**\n"
    "- Environmentally conscious consumers\n"
    "- Health and fitness enthusiasts\n"
    "- Outdoor adventurers (hikers, campers, etc.)\n"
    "- Urban dwellers looking for sustainable alternatives\n"
    "- Individuals seeking stylish and functional drinkware\n"
    "\n"
    "**Unique Selling Points:**\n"
    "- Eco-friendly design minimizes plastic waste and supports sustainability\n"
    "- Superior insulation technology that maintains cold temperatures for a full day\n"
    "- Durable construction ensures long-lasting use, offering a great return on "
    "investment\n"
    "- Attractive design that caters to fashion-forward individuals \n"
    "- Versatile use for both everyday hydration and outdoor activities"
)

DRAFT = (
    "🌍🌿 Stay Hydrated, Stay Sustainable! 🌿🌍 \n"
    "\n"
    "Introducing our eco-friendly stainless steel drinkware, the perfect companion "
    "for the environmentally conscious and style-savvy individuals. With superior "
    "insulation technology, our bottles keep your beverages cold for an impressive "
    "24 hours—ideal for hiking, camping, or just tackling a busy day in the city. "
    "Made from lightweight, BPA-free materials, this durable and reusable design not "
    "only helps reduce plastic waste but also ensures you’re making a responsible "
    "choice for our planet.\n"
    "\n"
    "Available in a sleek, modern aesthetic with various colors to match your "
    "personality, this drinkware isn't just functional—it’s fashionable! Whether "
    "you’re hitting the trails or navigating urban life, equip yourself with a "
    "stylish hydration solution that supports your active and sustainable lifestyle. "
    "Join the movement today and make a positive impact without compromising on style! 🌟🥤"
)

FINAL_COPY = (
    "🌍🌿 Stay Hydrated, Stay Sustainable! 🌿🌍 \n"
    "\n"
    "Introducing our eco-friendly stainless steel drinkware—the perfect companion "
    "for environmentally conscious and style-savvy individuals. With superior "
    "insulation technology, our bottles keep your beverages cold for an impressive "
    "24 hours, making them ideal for hiking, camping, or simply tackling a busy day "
    "in the city. Crafted from lightweight, BPA-free materials, this durable and "
    "reusable design not only helps reduce plastic waste but also ensures that "
    "you’re making a responsible choice for our planet.\n"
    "\n"
    "Our drinkware features a sleek, modern aesthetic available in a variety of "
    "colors to suit your personality. It’s not just functional; it’s also "
    "fashionable! Whether you’re exploring the trails or navigating urban life, "
    "equip yourself with a stylish hydration solution that supports your active and "
    "sustainable lifestyle. Join the movement today and make a positive impact "
    "without compromising on style! 🌟🥤"
)


SCRIPTED_REPLIES = [CONCEPTS, DRAFT, FINAL_COPY]


DEMO_MODEL_INFO: ModelInfo = {
    "vision": False,
    "function_calling": False,
    "json_output": False,
    "family": "unknown",
    "structured_output": False,
}
"""What the demo assumes of a model it does not know (a local model, say): plain text only."""


def create_model_client() -> ChatCompletionClient:
    """Return the OpenAI client if it is configured and available, else the scripted one.

    ``OPENAI_BASE_URL`` (any OpenAI-compatible server: Ollama, vLLM, LiteLLM, ...) or
    ``OPENAI_API_KEY`` selects the OpenAI client; ``OPENAI_MODEL`` names the model
    (default ``gpt-4o-mini``, the guide's).
    """
    model = os.environ.get("OPENAI_MODEL", "gpt-4o-mini")
    try:
        client = configured_openai_client(
            model=model,
            # api_key="YOUR_API_KEY"
        )
    except ValueError:  # not a known model: say what the demo needs of it
        client = configured_openai_client(model=model, model_info=DEMO_MODEL_INFO)
    if client is not None:
        print(f"Using model {model!r} at {client!r}", file=sys.stderr)
        return client
    if openai_requested():
        print(
            "OPENAI_BASE_URL / OPENAI_API_KEY is set but the OpenAI client is not "
            "installed (pip install -e '.[openai]'); using the scripted model.",
            file=sys.stderr,
        )
    return ReplayChatCompletionClient(SCRIPTED_REPLIES)


# -- Workflow --------------------------------------------------------------------------------

PRODUCT_DESCRIPTION = (
    "An eco-friendly stainless steel water bottle that keeps drinks cold for 24 hours"
)


async def workflow(runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient) -> None:
    await ConceptExtractorAgent.register(
        runtime,
        type=concept_extractor_topic_type,
        factory=lambda: ConceptExtractorAgent(model_client=model_client),
    )

    await WriterAgent.register(
        runtime, type=writer_topic_type, factory=lambda: WriterAgent(model_client=model_client)
    )

    await FormatProofAgent.register(
        runtime,
        type=format_proof_topic_type,
        factory=lambda: FormatProofAgent(model_client=model_client),
    )

    await UserAgent.register(runtime, type=user_topic_type, factory=lambda: UserAgent())

    # Run the Workflow
    await runtime.publish_message(
        Message(content=PRODUCT_DESCRIPTION),
        topic_id=TopicId(concept_extractor_topic_type, source="default"),
    )


async def main() -> None:
    model_client = create_model_client()
    await start_form(lambda runtime: workflow(runtime, model_client))
    await model_client.close()


async def run_structured(model_client: ChatCompletionClient | None = None) -> list[str]:
    """Run the workflow with ``async with``; return the lines it printed.

    Args:
        model_client: The client the agents use; by default :func:`create_model_client`'s.
            The caller keeps ownership of a client it passes (it is not closed here).
    """
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(structured_form, lambda runtime: workflow(runtime, client))


if __name__ == "__main__":
    asyncio.run(main())
