"""The user guide's cookbook "Tracking LLM usage with a logger", with a scripted model.

The logger is named by its string, as many programs do, and the model package is imported
as a module and used through its dotted path.
"""

import asyncio
import logging

import autogen_ext.models.replay
from autogen_core.logging import LLMCallEvent
from autogen_core.models import UserMessage


class LLMUsageTracker(logging.Handler):
    def __init__(self) -> None:
        """Logging handler that tracks the number of tokens used in the prompt and completion."""
        super().__init__()
        self._prompt_tokens = 0
        self._completion_tokens = 0

    @property
    def prompt_tokens(self) -> int:
        return self._prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self._completion_tokens

    def emit(self, record: logging.LogRecord) -> None:
        """Emit the log record. To be used by the logging module."""
        try:
            if isinstance(record.msg, LLMCallEvent):
                event = record.msg
                self._prompt_tokens += event.prompt_tokens
                self._completion_tokens += event.completion_tokens
        except Exception:
            self.handleError(record)


async def main() -> None:
    logger = logging.getLogger("autogen_core.events")  # autogen_core.EVENT_LOGGER_NAME
    logger.setLevel(logging.INFO)
    llm_usage = LLMUsageTracker()
    logger.handlers = [llm_usage]

    client = autogen_ext.models.replay.ReplayChatCompletionClient(
        ["Paris is the capital of France.", "About two million people."]
    )
    await client.create([UserMessage(content="What is the capital of France?", source="user")])
    await client.create([UserMessage(content="How many people live there?", source="user")])

    print(llm_usage.prompt_tokens)
    print(llm_usage.completion_tokens)


asyncio.run(main())
