"""A chat completion client that replays scripted responses, for tests and demos."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME
from cantata._function_call import FunctionCall
from cantata.exceptions import MessageCancelledError
from cantata.logging import LLMCallEvent, LLMStreamEndEvent, LLMStreamStartEvent

from .._model_client import _NO_EXTRA_ARGS, ChatCompletionClient, _Tool
from .._model_info import ModelFamily, ModelInfo, validate_model_info
from .._types import (
    CreateResult,
    FunctionExecutionResult,
    LLMMessage,
    RequestUsage,
)

__all__ = ["ReplayChatCompletionClient", "ReplayChatCompletionClientConfig"]

_logger = logging.getLogger(ROOT_LOGGER_NAME)
_event_logger = logging.getLogger(EVENT_LOGGER_NAME)

_TOKEN_BUDGET = 10000


class ReplayChatCompletionClientConfig(BaseModel):
    """The configuration of a :class:`ReplayChatCompletionClient`."""

    chat_completions: list[str | CreateResult]
    """The responses to replay, in order."""

    model_info: ModelInfo | None = None
    """What the simulated model supports; ``None`` for the default."""


class ReplayChatCompletionClient(ChatCompletionClient, Component[ReplayChatCompletionClientConfig]):
    """A model client that returns scripted responses in order.

    Each call to :meth:`create` or :meth:`create_stream` consumes the next item of
    *chat_completions*; :meth:`reset` starts again from the first. No model is
    contacted and no call suspends the caller's task (a stream yields only to its
    consumer), so tests using it are deterministic on every backend.

    A string item becomes ``CreateResult(finish_reason="stop", content=item,
    usage=..., cached=...)``; ``cached`` is ``True`` unless changed with
    :meth:`set_cached_bool_value`. A :class:`~cantata.models.CreateResult` item is
    returned as it is.

    Tokens are whitespace-separated words (see :meth:`count_tokens`). The usage of
    a call is the prompt's word count and, for a string item, its word count or,
    for a :class:`~cantata.models.CreateResult` item, its own
    ``usage.completion_tokens``.

    When the ``cantata.events`` logger is enabled for INFO, :meth:`create` logs an
    :class:`~cantata.logging.LLMCallEvent` and :meth:`create_stream` logs an
    :class:`~cantata.logging.LLMStreamStartEvent` and an
    :class:`~cantata.logging.LLMStreamEndEvent`.

    Args:
        chat_completions: The responses to replay, in order.
        model_info: What the simulated model supports. Defaults to no capabilities
            and family ``ModelFamily.UNKNOWN``.

    Raises:
        TypeError: An item of *chat_completions* is neither ``str`` nor
            :class:`~cantata.models.CreateResult`.
        ValueError: *model_info* lacks a required key (see
            :func:`~cantata.models.validate_model_info`).

    Example::

        client = ReplayChatCompletionClient(["Hello!", "Goodbye!"])
        result = await client.create([UserMessage(content="Hi", source="user")])
        assert result.content == "Hello!"
    """

    component_type: ClassVar[str] = "replay_chat_completion_client"
    """The component type of this client."""

    component_provider_override: ClassVar[str | None] = (
        "cantata.models.replay.ReplayChatCompletionClient"
    )
    """The provider name under which the client is configured."""

    component_config_schema = ReplayChatCompletionClientConfig
    """The configuration model of the client."""

    chat_completions: list[str | CreateResult]
    """The scripted responses."""

    provided_message_count: int
    """How many responses were scripted."""

    def __init__(
        self,
        chat_completions: Sequence[str | CreateResult],
        model_info: ModelInfo | None = None,
    ) -> None:
        items = list(chat_completions)
        for index, item in enumerate(items):
            if not isinstance(item, (str, CreateResult)):
                raise TypeError(
                    f"chat_completions[{index}] must be a str or CreateResult, "
                    f"got {type(item).__name__}"
                )
        if model_info is None:
            model_info = {
                "vision": False,
                "function_calling": False,
                "json_output": False,
                "family": ModelFamily.UNKNOWN,
                "structured_output": False,
            }
        else:
            validate_model_info(model_info)
            model_info = model_info.copy()
        self.chat_completions = items
        self.provided_message_count = len(items)
        self._model_info: ModelInfo = model_info
        self._cached_bool_value = True
        self._create_calls: list[dict[str, Any]] = []
        self._current_index = 0
        self._cur_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._total_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)

    @property
    def create_calls(self) -> list[dict[str, Any]]:
        """The arguments of each call that consumed a response, oldest first.

        Each entry is a dict with keys ``"messages"``, ``"tools"`` (lists),
        ``"json_output"``, ``"extra_create_args"`` (a dict) and
        ``"cancellation_token"``. Both :meth:`create` and :meth:`create_stream`
        calls are recorded; :meth:`reset` does not clear the list.
        """
        return self._create_calls

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[_Tool] = (),
        tool_choice: _Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Return the next scripted response.

        *tools*, *tool_choice*, *json_output* and *extra_create_args* do not change
        the response; a *tool_choice* other than ``"auto"`` logs a warning on the
        ``cantata`` logger.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* is
                already cancelled. No response is consumed.
            ValueError: All responses have been consumed
                (``"No more mock responses available"``).
        """
        _raise_if_cancelled(cancellation_token)
        _warn_tool_choice(tool_choice)
        prompt_tokens = self.count_tokens(messages)
        item = self._take_next()
        self._record_call(messages, tools, json_output, extra_create_args, cancellation_token)
        result = self._to_result(item, prompt_tokens)
        self._add_usage(prompt_tokens, result)
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                LLMCallEvent(
                    messages=_dump_messages(messages),
                    response=result.model_dump(mode="json"),
                    prompt_tokens=self._cur_usage.prompt_tokens,
                    completion_tokens=self._cur_usage.completion_tokens,
                )
            )
        return result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[_Tool] = (),
        tool_choice: _Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """Stream the next scripted response.

        Nothing happens until the generator is first iterated; the response is
        consumed then. A string item is streamed word by word (words split on
        whitespace, each but the last followed by one space), then its
        :class:`~cantata.models.CreateResult` is yielded. A
        :class:`~cantata.models.CreateResult` item is yielded alone. Usage is
        updated just before the final result is yielded.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* is
                cancelled before the first item or between items; the generator
                ends there and the usage is not updated.
            ValueError: All responses have been consumed
                (``"No more mock responses available"``).
        """
        _raise_if_cancelled(cancellation_token)
        _warn_tool_choice(tool_choice)
        prompt_tokens = self.count_tokens(messages)
        item = self._take_next()
        self._record_call(messages, tools, json_output, extra_create_args, cancellation_token)
        log_events = _event_logger.isEnabledFor(logging.INFO)
        if log_events:
            _event_logger.info(LLMStreamStartEvent(messages=_dump_messages(messages)))
        if isinstance(item, str):
            words = item.split()
            last = len(words) - 1
            for position, word in enumerate(words):
                _raise_if_cancelled(cancellation_token)
                yield word if position == last else word + " "
        result = self._to_result(item, prompt_tokens)
        _raise_if_cancelled(cancellation_token)
        self._add_usage(prompt_tokens, result)
        if log_events:
            _event_logger.info(
                LLMStreamEndEvent(
                    response=result.model_dump(mode="json"),
                    prompt_tokens=self._cur_usage.prompt_tokens,
                    completion_tokens=self._cur_usage.completion_tokens,
                )
            )
        yield result

    async def close(self) -> None:
        """Do nothing: the client holds no resources. The client stays usable."""

    def actual_usage(self) -> RequestUsage:
        """Return the usage of the most recent completed call (zeros before any)."""
        return self._cur_usage

    def total_usage(self) -> RequestUsage:
        """Return the usage summed over all completed calls since creation or
        :meth:`reset`."""
        return self._total_usage

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[_Tool] = ()) -> int:
        """Return the number of whitespace-separated words in *messages*.

        Words are counted in every text part: string content, the text items of a
        list content, the name and arguments of each function call, and the
        content of each function result. Images and *tools* count zero.
        """
        return sum(_count_words(message.content) for message in messages)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[_Tool] = ()
    ) -> int:
        """Return ``10000`` minus the tokens of :meth:`total_usage`, at least zero.

        *messages* and *tools* do not change the result.
        """
        used = self._total_usage.prompt_tokens + self._total_usage.completion_tokens
        return max(0, _TOKEN_BUDGET - used)

    def set_cached_bool_value(self, value: bool) -> None:
        """Set the ``cached`` flag of the results made from string items."""
        self._cached_bool_value = value

    def reset(self) -> None:
        """Start replaying from the first response again and zero the usage.

        :attr:`create_calls` is kept.
        """
        self._current_index = 0
        self._cur_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._total_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)

    @property
    def model_info(self) -> ModelInfo:
        """What the simulated model supports (as given to the constructor)."""
        return self._model_info

    # internals ------------------------------------------------------------------

    def _take_next(self) -> str | CreateResult:
        if self._current_index >= len(self.chat_completions):
            raise ValueError("No more mock responses available")
        item = self.chat_completions[self._current_index]
        self._current_index += 1
        return item

    def _record_call(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[_Tool],
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
        cancellation_token: CancellationToken | None,
    ) -> None:
        self._create_calls.append(
            {
                "messages": list(messages),
                "tools": list(tools),
                "json_output": json_output,
                "extra_create_args": dict(extra_create_args),
                "cancellation_token": cancellation_token,
            }
        )

    def _to_result(self, item: str | CreateResult, prompt_tokens: int) -> CreateResult:
        if isinstance(item, CreateResult):
            return item
        return CreateResult(
            finish_reason="stop",
            content=item,
            usage=RequestUsage(prompt_tokens=prompt_tokens, completion_tokens=len(item.split())),
            cached=self._cached_bool_value,
        )

    def _add_usage(self, prompt_tokens: int, result: CreateResult) -> None:
        completion_tokens = result.usage.completion_tokens
        self._cur_usage = RequestUsage(prompt_tokens, completion_tokens)
        self._total_usage = RequestUsage(
            self._total_usage.prompt_tokens + prompt_tokens,
            self._total_usage.completion_tokens + completion_tokens,
        )

    def _to_config(self) -> ReplayChatCompletionClientConfig:
        """Return the configuration: the scripted responses and the model info."""
        return ReplayChatCompletionClientConfig(
            chat_completions=list(self.chat_completions), model_info=self._model_info
        )

    @classmethod
    def _from_config(cls, config: ReplayChatCompletionClientConfig) -> Self:
        """Create a new client (at the first response) from *config*."""
        return cls(chat_completions=config.chat_completions, model_info=config.model_info)


def _raise_if_cancelled(token: CancellationToken | None) -> None:
    if token is not None and token.is_cancelled():
        raise MessageCancelledError("The model call was cancelled")


def _warn_tool_choice(tool_choice: object) -> None:
    if tool_choice != "auto":
        _logger.warning("tool_choice=%r is ignored by ReplayChatCompletionClient", tool_choice)


def _count_words(content: object) -> int:
    if isinstance(content, str):
        return len(content.split())
    if isinstance(content, FunctionCall):
        return len(content.name.split()) + len(content.arguments.split())
    if isinstance(content, FunctionExecutionResult):
        return len(content.content.split())
    if isinstance(content, list):
        return sum(_count_words(part) for part in content)
    return 0


def _dump_messages(messages: Sequence[LLMMessage]) -> list[dict[str, Any]]:
    return [message.model_dump(mode="json") for message in messages]
