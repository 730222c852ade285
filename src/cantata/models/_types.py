"""Messages exchanged with a chat completion model, and the model's results.

The message classes are pydantic models with a ``type`` field naming the class, so
a list of :data:`LLMMessage` round-trips through JSON (``TypeAdapter(LLMMessage)``
picks the class from ``type``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, Field

from cantata._function_call import FunctionCall
from cantata._image import Image

__all__ = [
    "AssistantMessage",
    "ChatCompletionTokenLogprob",
    "CreateResult",
    "FinishReasons",
    "FunctionExecutionResult",
    "FunctionExecutionResultMessage",
    "LLMMessage",
    "RequestUsage",
    "SystemMessage",
    "TopLogprob",
    "UserMessage",
]


class SystemMessage(BaseModel):
    """Instructions for the model from the developer (the ``system`` role).

    Providers that prefer a ``developer`` role accept it in its place.
    """

    content: str
    """The instructions."""

    type: Literal["SystemMessage"] = "SystemMessage"
    """Discriminator of :data:`LLMMessage`; always ``"SystemMessage"``."""


class UserMessage(BaseModel):
    """Input from an end user, or any other data given to the model (the ``user``
    role)."""

    content: str | list[str | Image]
    """The text, or a list of text and :class:`~cantata.Image` parts."""

    source: str
    """The name of the agent (or user) that sent the message."""

    type: Literal["UserMessage"] = "UserMessage"
    """Discriminator of :data:`LLMMessage`; always ``"UserMessage"``."""


class AssistantMessage(BaseModel):
    """A message produced by the model (the ``assistant`` role)."""

    content: str | list[FunctionCall]
    """The text, or the function calls the model requested."""

    thought: str | None = None
    """The model's reasoning text, or extra text sent with function calls, if any."""

    source: str
    """The name of the agent that sent the message."""

    type: Literal["AssistantMessage"] = "AssistantMessage"
    """Discriminator of :data:`LLMMessage`; always ``"AssistantMessage"``."""


class FunctionExecutionResult(BaseModel):
    """The output of one function call."""

    content: str
    """The function's output as text."""

    name: str
    """The name of the function that was called."""

    call_id: str
    """The :attr:`~cantata.FunctionCall.id` of the call; may be empty for models
    that give none."""

    is_error: bool | None = None
    """Whether the call failed (``content`` then describes the error); ``None`` if
    unknown."""


class FunctionExecutionResultMessage(BaseModel):
    """The results of the function calls of one assistant turn (the ``tool`` role)."""

    content: list[FunctionExecutionResult]
    """One result per function call."""

    type: Literal["FunctionExecutionResultMessage"] = "FunctionExecutionResultMessage"
    """Discriminator of :data:`LLMMessage`; always ``"FunctionExecutionResultMessage"``."""


LLMMessage: TypeAlias = Annotated[
    SystemMessage | UserMessage | AssistantMessage | FunctionExecutionResultMessage,
    Field(discriminator="type"),
]
"""Any message sent to a model; pydantic selects the class from the ``type`` field."""


@dataclass
class RequestUsage:
    """Tokens used by one or more model calls."""

    prompt_tokens: int
    """Tokens in the prompt (the messages and tools sent)."""

    completion_tokens: int
    """Tokens in the model's completion."""


FinishReasons: TypeAlias = Literal["stop", "length", "function_calls", "content_filter", "unknown"]
"""Why the model stopped generating."""


@dataclass
class TopLogprob:
    """One of the most likely tokens at a position, with its log probability."""

    logprob: float
    """The log probability of the token."""

    bytes: list[int] | None = None
    """The UTF-8 bytes of the token, if the provider gives them."""


class ChatCompletionTokenLogprob(BaseModel):
    """The log probability of one generated token."""

    token: str
    """The token."""

    logprob: float
    """Its log probability."""

    top_logprobs: list[TopLogprob] | None = None
    """The most likely tokens at this position, if requested."""

    bytes: list[int] | None = None
    """The UTF-8 bytes of the token, if the provider gives them."""


class CreateResult(BaseModel):
    """The result of a model call (``create``, or the last item of ``create_stream``)."""

    finish_reason: FinishReasons
    """Why the model stopped generating."""

    content: str | list[FunctionCall]
    """The generated text, or the function calls the model requested."""

    usage: RequestUsage
    """Tokens used by this call."""

    cached: bool
    """Whether the result came from a cache rather than from the model."""

    logprobs: list[ChatCompletionTokenLogprob] | None = None
    """Log probabilities of the generated tokens, if requested."""

    thought: str | None = None
    """The model's reasoning text, or extra text sent with function calls, if any."""
