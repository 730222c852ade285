"""Turning Ollama chat responses (whole or streamed) into :class:`CreateResult`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, Final

from cantata._function_call import FunctionCall
from cantata.models import CreateResult, FinishReasons, ModelFamily, RequestUsage
from cantata.models._thought import THINK_CLOSE, THINK_OPEN, split_thought

__all__ = ["StreamAccumulator", "result_from_response"]

_FINISH_REASONS: Final[Mapping[str | None, FinishReasons]] = {
    "stop": "stop",
    "length": "length",
}


def _calls(tool_calls: Any) -> list[FunctionCall]:
    """Ollama's tool calls carry no id: each gets a new unique one."""
    return [
        FunctionCall(
            id=f"call_{uuid.uuid4().hex[:24]}",
            name=call.function.name,
            arguments=json.dumps(dict(call.function.arguments or {})),
        )
        for call in tool_calls or []
    ]


def _finish(
    done_reason: str | None,
    text: str,
    thinking: str,
    calls: list[FunctionCall],
    usage: RequestUsage,
    family: str,
) -> CreateResult:
    finish_reason = _FINISH_REASONS.get(done_reason, "unknown")
    thought = thinking or None
    if thought is None and family == ModelFamily.R1:
        thought, text = split_thought(text)
    content: str | list[FunctionCall]
    if calls:
        content = calls
        thought = "\n".join(part for part in (thought, text) if part) or None
        finish_reason = "function_calls"
    else:
        content = text
    return CreateResult(
        finish_reason=finish_reason, content=content, usage=usage, cached=False, thought=thought
    )


def _usage(response: Any) -> RequestUsage:
    return RequestUsage(
        prompt_tokens=response.prompt_eval_count or 0,
        completion_tokens=response.eval_count or 0,
    )


def result_from_response(response: Any, family: str) -> CreateResult:
    """The :class:`CreateResult` of a whole (not streamed) ``ChatResponse``.

    ``message.thinking`` becomes the thought; for R1-family models without it, a leading
    ``<think>...</think>`` block does. With tool calls, the text joins the thought.
    """
    message = response.message
    return _finish(
        response.done_reason,
        message.content or "",
        message.thinking or "",
        _calls(message.tool_calls),
        _usage(response),
        family,
    )


class StreamAccumulator:
    """Collects streamed ``ChatResponse`` chunks; :meth:`result` builds the end result.

    Thinking is passed on wrapped in ``<think>`` ... ``</think>``.
    """

    def __init__(self) -> None:
        self._text: list[str] = []
        self._thinking_parts: list[str] = []
        self._calls: list[FunctionCall] = []
        self._thinking = False
        self._done_reason: str | None = None
        self._usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self.complete = False
        """Whether the final chunk (``done``) came."""

    def add(self, chunk: Any) -> str | None:
        """Take in *chunk*; return text to pass on to the caller, if any."""
        message = chunk.message
        out = ""
        if message.thinking:
            out = message.thinking if self._thinking else THINK_OPEN + message.thinking
            self._thinking = True
            self._thinking_parts.append(message.thinking)
        if message.content:
            if self._thinking:
                out += THINK_CLOSE
                self._thinking = False
            out += message.content
            self._text.append(message.content)
        self._calls.extend(_calls(message.tool_calls))
        if chunk.done:
            self.complete = True
            self._done_reason = chunk.done_reason
            self._usage = _usage(chunk)
        return out or None

    def close_thinking(self) -> str | None:
        """``</think>`` if the text passed on ended inside a thought, else ``None``."""
        if not self._thinking:
            return None
        self._thinking = False
        return THINK_CLOSE

    def result(self, family: str) -> CreateResult:
        """The :class:`CreateResult` of everything received."""
        return _finish(
            self._done_reason,
            "".join(self._text),
            "".join(self._thinking_parts),
            self._calls,
            self._usage,
            family,
        )
