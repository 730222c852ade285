"""Port of the user-guide cookbook section "Tracking LLM usage with a logger".

Model clients log an ``LLMCallEvent`` on the ``EVENT_LOGGER_NAME`` (``"cantata.events"``)
logger for every completed ``create`` call, carrying the call's prompt and completion token
counts. The guide's ``LLMUsageTracker``, an ordinary ``logging.Handler``, adds them up.

The guide leaves the model call as ``# client.create(...)``; here the client answers a
two-turn conversation, and the tracker's totals are printed after it. The client is a
``ReplayChatCompletionClient`` with scripted replies; it counts tokens as whitespace-separated
words (the prompt's words and the reply's words), so the totals are exact and the output is
deterministic. When ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set and
``cantata.models.openai`` is available, :func:`create_model_client` returns
``OpenAIChatCompletionClient(model="gpt-4o-mini")`` instead, and the totals are the usage the
server reports. (Streaming calls log ``LLMStreamEndEvent`` instead, which this tracker, like
the guide's, does not count.)

The section has no agents and no runtime: :func:`main` (``python examples/llm_usage_logger.py``)
runs it on asyncio, and :func:`run_structured` runs the same code on asyncio or Trio,
restoring the event logger's handlers and level afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from _support import configured_openai_client, given_or_created, printed_lines

from cantata import EVENT_LOGGER_NAME
from cantata.logging import LLMCallEvent
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

# -- The tracker -----------------------------------------------------------------------------


class LLMUsageTracker(logging.Handler):
    def __init__(self) -> None:
        """Logging handler that tracks the number of tokens used in the prompt and completion."""
        super().__init__()
        self._prompt_tokens = 0
        self._completion_tokens = 0

    @property
    def tokens(self) -> int:
        return self._prompt_tokens + self._completion_tokens

    @property
    def prompt_tokens(self) -> int:
        return self._prompt_tokens

    @property
    def completion_tokens(self) -> int:
        return self._completion_tokens

    def reset(self) -> None:
        self._prompt_tokens = 0
        self._completion_tokens = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Emit the log record. To be used by the logging module."""
        try:
            # Use the StructuredMessage if the message is an instance of it
            if isinstance(record.msg, LLMCallEvent):
                event = record.msg
                self._prompt_tokens += event.prompt_tokens
                self._completion_tokens += event.completion_tokens
        except Exception:
            self.handleError(record)


# -- The model client ------------------------------------------------------------------------

SYSTEM_PROMPT = "You are a helpful assistant."
QUESTIONS = ["What is the capital of France?", "How many people live there?"]
SCRIPTED_REPLIES = [
    "The capital of France is Paris.",
    "About 2.1 million people live in Paris itself.",
]


def create_model_client() -> ChatCompletionClient:
    """Return the OpenAI client if it is configured and available, else the scripted one."""
    return configured_openai_client(model="gpt-4o-mini") or ReplayChatCompletionClient(
        SCRIPTED_REPLIES
    )


# -- The program -----------------------------------------------------------------------------


async def converse(client: ChatCompletionClient) -> None:
    """The model calls the guide leaves as ``client.create(...)``: a two-turn conversation."""
    messages: list[LLMMessage] = [SystemMessage(content=SYSTEM_PROMPT)]
    for question in QUESTIONS:
        messages.append(UserMessage(content=question, source="user"))
        result = await client.create(messages)
        assert isinstance(result.content, str)
        print(f"User: {question}")
        print(f"Assistant: {result.content}")
        messages.append(AssistantMessage(content=result.content, source="assistant"))


async def track_usage(client: ChatCompletionClient) -> LLMUsageTracker:
    """The guide's program; returns the tracker."""
    # Set up the logging configuration to use the custom handler
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    logger.setLevel(logging.INFO)
    llm_usage = LLMUsageTracker()
    logger.handlers = [llm_usage]

    # client.create(...)
    await converse(client)

    print(llm_usage.prompt_tokens)
    print(llm_usage.completion_tokens)
    return llm_usage


async def main() -> None:
    client = create_model_client()
    await track_usage(client)
    await client.close()


# -- The same program, leaving the event logger as it was (asyncio and Trio) -----------------


@contextlib.contextmanager
def event_logger_restored() -> Iterator[None]:
    """Put the event logger's handlers and level back as they were on exit."""
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    handlers, level = list(logger.handlers), logger.level
    try:
        yield
    finally:
        logger.handlers = handlers
        logger.setLevel(level)


async def structured(client: ChatCompletionClient, trackers: list[LLMUsageTracker]) -> None:
    with event_logger_restored():
        trackers.append(await track_usage(client))


async def run_structured(
    model_client: ChatCompletionClient | None = None,
    trackers: list[LLMUsageTracker] | None = None,
) -> list[str]:
    """Run the program; return the lines it printed.

    Args:
        model_client: The client to track; by default :func:`create_model_client`'s. The
            caller keeps ownership of a client it passes (it is not closed here).
        trackers: If given, the run's tracker is appended to it.
    """
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(structured, client, [] if trackers is None else trackers)


if __name__ == "__main__":
    asyncio.run(main())
