"""A program that imports autogen-core's packages under aliases and uses dotted names."""

import asyncio

import autogen_core as core
import autogen_core.models as core_models
import autogen_core.tools
from autogen_core import model_context


def word_count(text: str) -> int:
    """Count the words in a text."""
    return len(text.split())


async def main() -> None:
    tool = autogen_core.tools.FunctionTool(word_count, description="Count words.")
    print(await tool.run_json({"text": "one two three"}, core.CancellationToken()))
    context = model_context.BufferedChatCompletionContext(buffer_size=1)
    await context.add_message(core_models.UserMessage(content="first", source="user"))
    await context.add_message(core_models.UserMessage(content="second", source="user"))
    print([message.content for message in await context.get_messages()])
    print(core.AgentId("counter", "default"), autogen_core.TopicId("news", "today"))
    print(core.__name__)


asyncio.run(main())
