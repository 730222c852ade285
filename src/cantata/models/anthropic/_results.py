"""Turning Messages API responses (whole or streamed) into :class:`CreateResult`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cantata._function_call import FunctionCall
from cantata.models import CreateResult, FinishReasons, RequestUsage
from cantata.models._thought import THINK_CLOSE, THINK_OPEN

__all__ = ["Reply", "StreamAccumulator", "reply_from_message", "usage_of"]

_FINISH_REASONS: Final[Mapping[str | None, FinishReasons]] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "function_calls",
    "refusal": "content_filter",
}


def usage_of(usage: Any) -> RequestUsage:
    """The :class:`RequestUsage` of an SDK usage object: prompt tokens count the cache
    writes and reads too (the API's ``input_tokens`` leaves them out)."""
    if usage is None:
        return RequestUsage(prompt_tokens=0, completion_tokens=0)
    prompt = (
        (getattr(usage, "input_tokens", None) or 0)
        + (getattr(usage, "cache_creation_input_tokens", None) or 0)
        + (getattr(usage, "cache_read_input_tokens", None) or 0)
    )
    return RequestUsage(prompt_tokens=prompt, completion_tokens=usage.output_tokens or 0)


def _block_dict(block: Any) -> dict[str, Any] | None:
    """A response content block as a request block (``None`` for kinds not kept)."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return {"type": "text", "text": block.text}
    if kind == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    if kind == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return None


@dataclass(frozen=True)
class Reply:
    """A finished reply: its result and the thinking/text blocks to remember with its
    tool calls (see :class:`~._messages.BlockMemory`)."""

    result: CreateResult
    call_ids: list[str]
    kept_blocks: list[dict[str, Any]]


def _reply(blocks: list[dict[str, Any]], stop_reason: str | None, usage: RequestUsage) -> Reply:
    texts = [block["text"] for block in blocks if block["type"] == "text"]
    thinking = [block["thinking"] for block in blocks if block["type"] == "thinking"]
    calls = [
        FunctionCall(id=block["id"], name=block["name"], arguments=json.dumps(block["input"]))
        for block in blocks
        if block["type"] == "tool_use"
    ]
    finish_reason = _FINISH_REASONS.get(stop_reason, "unknown")
    thought = "\n".join(part for part in thinking if part) or None
    content: str | list[FunctionCall]
    kept: list[dict[str, Any]] = []
    if calls:
        content = calls
        thought = "\n".join(part for part in (thought, "".join(texts)) if part) or None
        finish_reason = "function_calls"
        kept = [block for block in blocks if block["type"] != "tool_use"]
    else:
        content = "".join(texts)
    result = CreateResult(
        finish_reason=finish_reason, content=content, usage=usage, cached=False, thought=thought
    )
    return Reply(result=result, call_ids=[call.id for call in calls], kept_blocks=kept)


def reply_from_message(message: Any) -> Reply:
    """The :class:`Reply` of a whole (not streamed) ``Message``.

    Text blocks make the content; thinking blocks the thought. With tool calls the
    content is the calls, and the text before them joins the thought.
    """
    blocks = [block for item in message.content if (block := _block_dict(item)) is not None]
    return _reply(blocks, message.stop_reason, usage_of(message.usage))


class StreamAccumulator:
    """Collects a stream's events; :meth:`reply` builds the end result.

    Thinking deltas are passed on wrapped in ``<think>`` ... ``</think>``, as the OpenAI
    client passes on reasoning, and become the result's thought.
    """

    def __init__(self) -> None:
        self._blocks: dict[int, dict[str, Any]] = {}
        self._json: dict[int, list[str]] = {}
        self._stop_reason: str | None = None
        self._input = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._output_tokens = 0
        self._thinking = False
        self.complete = False
        """Whether the stream's ``message_stop`` event came."""

    def add(self, event: Any) -> str | None:
        """Take in *event*; return text to pass on to the caller, if any."""
        kind = event.type
        if kind == "message_start":
            self._input = usage_of(event.message.usage)
            self._output_tokens = self._input.completion_tokens
        elif kind == "content_block_start":
            block = _block_dict(event.content_block)
            if block is not None:
                if block["type"] == "tool_use":
                    self._json[event.index] = []
                self._blocks[event.index] = block
                return self._pass_on(block)
        elif kind == "content_block_delta":
            return self._delta(event.index, event.delta)
        elif kind == "message_stop":
            self.complete = True
        elif kind == "message_delta":
            if event.delta.stop_reason is not None:
                self._stop_reason = event.delta.stop_reason
            usage = event.usage
            if usage is not None:
                self._output_tokens = usage.output_tokens or self._output_tokens
                if getattr(usage, "input_tokens", None):
                    self._input = usage_of(usage)
        return None

    def _pass_on(self, block: dict[str, Any]) -> str | None:
        if block["type"] == "thinking":
            text: str = block["thinking"]
            if not text:
                return None
            out = text if self._thinking else THINK_OPEN + text
            self._thinking = True
            return out
        if block["type"] == "text":
            out = THINK_CLOSE if self._thinking else ""
            self._thinking = False
            return out + block["text"] or None
        return None

    def _delta(self, index: int, delta: Any) -> str | None:
        block = self._blocks.get(index)
        if block is None:
            return None
        kind = delta.type
        if kind == "text_delta":
            block["text"] += delta.text
            return self._pass_on({"type": "text", "text": delta.text})
        if kind == "thinking_delta":
            block["thinking"] += delta.thinking
            return self._pass_on({"type": "thinking", "thinking": delta.thinking})
        if kind == "signature_delta":
            block["signature"] = (block.get("signature") or "") + delta.signature
        elif kind == "input_json_delta":
            self._json[index].append(delta.partial_json)
        return None

    def close_thinking(self) -> str | None:
        """``</think>`` if the text passed on ended inside a thought, else ``None``."""
        if not self._thinking:
            return None
        self._thinking = False
        return THINK_CLOSE

    def reply(self) -> Reply:
        """The :class:`Reply` of everything received.

        Raises:
            ValueError: A tool call's streamed input is not a JSON object.
        """
        for index, parts in self._json.items():
            text = "".join(parts)
            if text:
                try:
                    self._blocks[index]["input"] = json.loads(text)
                except json.JSONDecodeError as error:
                    raise ValueError(f"Streamed tool input is not JSON: {text!r}") from error
        blocks = [self._blocks[index] for index in sorted(self._blocks)]
        usage = RequestUsage(
            prompt_tokens=self._input.prompt_tokens, completion_tokens=self._output_tokens
        )
        return _reply(blocks, self._stop_reason, usage)
