"""Turning chat-completions responses (whole or streamed) into :class:`CreateResult`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.chat_completion_token_logprob import (
    ChatCompletionTokenLogprob as SDKTokenLogprob,
)

from cantata._function_call import FunctionCall
from cantata.models import (
    ChatCompletionTokenLogprob,
    CreateResult,
    FinishReasons,
    ModelFamily,
    RequestUsage,
    TopLogprob,
)
from cantata.models._structured import check_structured
from cantata.models._thought import THINK_CLOSE, THINK_OPEN, split_thought

__all__ = ["StreamAccumulator", "check_structured", "result_from_completion", "split_thought"]

_FINISH_REASONS: Final[Mapping[str | None, FinishReasons]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "function_calls",
    "function_call": "function_calls",
    "content_filter": "content_filter",
}


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


def _extra_text(obj: object, key: str) -> str:
    """A provider extension field of an SDK object (``reasoning_content``, ...), or ``""``."""
    extra = getattr(obj, "model_extra", None) or {}
    value = extra.get(key)
    return value if isinstance(value, str) else ""


def _finish(
    reason: str | None,
    text: str,
    reasoning: str,
    calls: list[FunctionCall],
    usage: RequestUsage,
    family: str,
    logprobs: list[ChatCompletionTokenLogprob] | None,
) -> CreateResult:
    finish_reason = _FINISH_REASONS.get(reason, "unknown")
    content: str | list[FunctionCall]
    thought = reasoning or None
    if thought is None and family == ModelFamily.R1:
        thought, text = split_thought(text)
    if calls:
        content = calls
        thought = "\n".join(part for part in (thought, text) if part) or None
        finish_reason = "function_calls"
    else:
        content = text
    return CreateResult(
        finish_reason=finish_reason,
        content=content,
        usage=usage,
        cached=False,
        logprobs=logprobs,
        thought=thought,
    )


def result_from_completion(response: ChatCompletion, family: str) -> CreateResult:
    """The :class:`CreateResult` of a whole (not streamed) response.

    A refusal without content becomes the content. ``reasoning_content`` (DeepSeek, vLLM's
    reasoning parser) becomes the thought; for R1-family models a leading
    ``<think>...</think>`` block does.

    Raises:
        ValueError: The response has no choices.
    """
    if not response.choices:
        raise ValueError("The model returned no choices")
    usage = RequestUsage(
        prompt_tokens=response.usage.prompt_tokens if response.usage else 0,
        completion_tokens=response.usage.completion_tokens if response.usage else 0,
    )
    choice = response.choices[0]
    message = choice.message
    calls = [
        FunctionCall(id=call.id, arguments=call.function.arguments, name=call.function.name)
        for call in message.tool_calls or []
        if call.type == "function"
    ]
    logprobs = None
    if choice.logprobs is not None and choice.logprobs.content is not None:
        logprobs = _logprobs(choice.logprobs.content)
    text = message.content or (message.refusal or "" if not calls else "")
    reasoning = _extra_text(message, "reasoning_content")
    return _finish(choice.finish_reason, text, reasoning, calls, usage, family, logprobs)


class StreamAccumulator:
    """Collects a streamed response chunk by chunk; :meth:`result` builds the end result.

    Streamed ``reasoning_content`` is passed on wrapped in ``<think>`` ... ``</think>`` and
    becomes the result's thought.
    """

    def __init__(self) -> None:
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._thinking = False
        self._calls: dict[int, dict[str, str]] = {}
        self._finish: str | None = None
        self._usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._logprobs: list[ChatCompletionTokenLogprob] | None = None

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
            if self._logprobs is None:
                self._logprobs = []
            self._logprobs.extend(_logprobs(choice.logprobs.content))
        delta = choice.delta
        if delta is None:
            return None
        for call in delta.tool_calls or []:
            entry = self._calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            if call.id:
                entry["id"] = call.id
            if call.function is not None:
                entry["name"] += call.function.name or ""
                entry["arguments"] += call.function.arguments or ""
        out = ""
        reasoning = _extra_text(delta, "reasoning_content")
        if reasoning:
            out = reasoning if self._thinking else THINK_OPEN + reasoning
            self._thinking = True
            self._reasoning.append(reasoning)
        if delta.content:
            if self._thinking:
                out += THINK_CLOSE
                self._thinking = False
            out += delta.content
            self._text.append(delta.content)
        return out or None

    def result(self, family: str) -> CreateResult:
        """The :class:`CreateResult` of everything received."""
        calls = [FunctionCall(**self._calls[index]) for index in sorted(self._calls)]
        text, reasoning = "".join(self._text), "".join(self._reasoning)
        return _finish(self._finish, text, reasoning, calls, self._usage, family, self._logprobs)
