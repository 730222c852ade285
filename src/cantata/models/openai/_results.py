"""Turning chat-completions responses (whole or streamed) into :class:`CreateResult`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.chat_completion_token_logprob import (
    ChatCompletionTokenLogprob as SDKTokenLogprob,
)
from pydantic import BaseModel

from cantata._function_call import FunctionCall
from cantata.models import (
    ChatCompletionTokenLogprob,
    CreateResult,
    FinishReasons,
    RequestUsage,
    TopLogprob,
)

__all__ = ["StreamAccumulator", "result_from_completion", "split_thought"]

_FINISH_REASONS: Final[Mapping[str | None, FinishReasons]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "function_calls",
    "function_call": "function_calls",
    "content_filter": "content_filter",
}
_THINK_OPEN: Final = "<think>"
_THINK_CLOSE: Final = "</think>"


def split_thought(text: str) -> tuple[str | None, str]:
    """Split a reasoning model's ``<think>...</think>`` preamble off *text*.

    Returns ``(thought, answer)``; ``(None, text)`` when *text* does not start (after
    white space) with a complete ``<think>`` block. Reasoning models served through
    OpenAI-compatible servers (DeepSeek-R1, Qwen3 on Ollama or vLLM) answer this way.
    """
    stripped = text.lstrip()
    if not stripped.startswith(_THINK_OPEN):
        return None, text
    end = stripped.find(_THINK_CLOSE)
    if end < 0:
        return None, text
    thought = stripped[len(_THINK_OPEN) : end].strip()
    return thought or None, stripped[end + len(_THINK_CLOSE) :].lstrip()


def _logprobs(items: Sequence[SDKTokenLogprob]) -> list[ChatCompletionTokenLogprob]:
    return [
        ChatCompletionTokenLogprob(
            token=item.token,
            logprob=item.logprob,
            top_logprobs=[
                TopLogprob(logprob=top.logprob, bytes=top.bytes) for top in item.top_logprobs
            ],
            bytes=item.bytes,
        )
        for item in items
    ]


def _finish(
    reason: str | None,
    text: str,
    calls: list[FunctionCall],
    usage: RequestUsage,
    output_type: type[BaseModel] | None,
    logprobs: list[ChatCompletionTokenLogprob] | None,
) -> CreateResult:
    finish_reason = _FINISH_REASONS.get(reason, "unknown")
    content: str | list[FunctionCall]
    thought, text = split_thought(text)
    if calls:
        content = calls
        thought = "\n".join(part for part in (thought, text) if part) or None
        finish_reason = "function_calls"
    else:
        content = text
        if output_type is not None and content:
            output_type.model_validate_json(content)  # raises if the reply does not fit
    return CreateResult(
        finish_reason=finish_reason,
        content=content,
        usage=usage,
        cached=False,
        logprobs=logprobs,
        thought=thought,
    )


def result_from_completion(
    response: ChatCompletion, output_type: type[BaseModel] | None
) -> CreateResult:
    """The :class:`CreateResult` of a whole (not streamed) response.

    Raises:
        ValueError: The response has no choices.
        pydantic.ValidationError: Structured output that does not match *output_type*.
    """
    if not response.choices:
        raise ValueError("The model returned no choices")
    usage = RequestUsage(
        prompt_tokens=response.usage.prompt_tokens if response.usage else 0,
        completion_tokens=response.usage.completion_tokens if response.usage else 0,
    )
    choice = response.choices[0]
    calls = [
        FunctionCall(id=call.id, arguments=call.function.arguments, name=call.function.name)
        for call in choice.message.tool_calls or []
        if call.type == "function"
    ]
    logprobs = None
    if choice.logprobs is not None and choice.logprobs.content is not None:
        logprobs = _logprobs(choice.logprobs.content)
    return _finish(
        choice.finish_reason, choice.message.content or "", calls, usage, output_type, logprobs
    )


class StreamAccumulator:
    """Collects a streamed response chunk by chunk; :meth:`result` builds the end result."""

    def __init__(self) -> None:
        self._text: list[str] = []
        self._calls: dict[int, dict[str, str]] = {}
        self._finish: str | None = None
        self._usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._logprobs: list[ChatCompletionTokenLogprob] | None = None

    @property
    def usage(self) -> RequestUsage:
        return self._usage

    def add(self, chunk: ChatCompletionChunk) -> str | None:
        """Take in *chunk*; return its text to pass on to the caller, if any."""
        if chunk.usage is not None:
            self._usage = RequestUsage(
                prompt_tokens=chunk.usage.prompt_tokens,
                completion_tokens=chunk.usage.completion_tokens,
            )
        if not chunk.choices:
            return None
        choice = chunk.choices[0]
        if choice.finish_reason is not None:
            self._finish = choice.finish_reason
        if choice.logprobs is not None and choice.logprobs.content:
            self._logprobs = (self._logprobs or []) + _logprobs(choice.logprobs.content)
        delta = choice.delta
        for call in delta.tool_calls or []:
            entry = self._calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            if call.id:
                entry["id"] = call.id
            if call.function is not None:
                entry["name"] += call.function.name or ""
                entry["arguments"] += call.function.arguments or ""
        if delta.content:
            self._text.append(delta.content)
            return delta.content
        return None

    def result(self, output_type: type[BaseModel] | None) -> CreateResult:
        """The :class:`CreateResult` of everything received."""
        calls = [FunctionCall(**self._calls[index]) for index in sorted(self._calls)]
        return _finish(
            self._finish, "".join(self._text), calls, self._usage, output_type, self._logprobs
        )
