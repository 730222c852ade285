"""The call events a model client logs on cantata's event logger."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from cantata._constants import EVENT_LOGGER_NAME
from cantata.logging import LLMCallEvent, LLMStreamEndEvent, LLMStreamStartEvent

from ._types import CreateResult

__all__ = ["log_call", "log_stream_end", "log_stream_start"]

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)


def log_call(messages: list[dict[str, Any]], response: BaseModel, result: CreateResult) -> None:
    """Log an :class:`~cantata.logging.LLMCallEvent` for a finished call, if the event
    logger takes ``INFO`` records (the response is dumped only then)."""
    if _event_logger.isEnabledFor(logging.INFO):
        _event_logger.info(
            LLMCallEvent(
                messages=messages,
                response=response.model_dump(mode="json"),
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
            )
        )


def log_stream_start(messages: list[dict[str, Any]]) -> bool:
    """Log an :class:`~cantata.logging.LLMStreamStartEvent` if the event logger takes
    ``INFO`` records; return whether it did (the stream's end is logged then)."""
    if not _event_logger.isEnabledFor(logging.INFO):
        return False
    _event_logger.info(LLMStreamStartEvent(messages=messages))
    return True


def log_stream_end(result: CreateResult, started: bool) -> None:
    """Log an :class:`~cantata.logging.LLMStreamEndEvent` if the start was logged
    (*started*, from :func:`log_stream_start`)."""
    if started:
        _event_logger.info(
            LLMStreamEndEvent(
                response=result.model_dump(mode="json"),
                prompt_tokens=result.usage.prompt_tokens,
                completion_tokens=result.usage.completion_tokens,
            )
        )
