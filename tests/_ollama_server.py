"""Replies of Ollama's ``POST /api/chat`` for the scripted server.

:func:`chat` builds a whole response; :func:`stream` the NDJSON lines Ollama streams: one
chunk per text (or thinking) piece with ``done: false``, tool calls in a chunk of their
own, then the final chunk with ``done: true``, the done reason and the token counts.
"""

from __future__ import annotations

import json
from typing import Any

from _scripted_server import Reply

__all__ = ["call", "chat", "error", "stream"]

MODEL = "llama3.2"


def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool call as Ollama sends it (no id)."""
    return {"function": {"name": name, "arguments": arguments}}


def _chunk(message: dict[str, Any], done: bool, model: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": "2026-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "", **message},
        "done": done,
    }


def _final(
    message: dict[str, Any], done_reason: str, usage: tuple[int, int], model: str
) -> dict[str, Any]:
    final = _chunk(message, True, model)
    final.update(
        done_reason=done_reason,
        total_duration=1000,
        load_duration=10,
        prompt_eval_count=usage[0],
        prompt_eval_duration=100,
        eval_count=usage[1],
        eval_duration=500,
    )
    return final


def chat(
    content: str = "Hello!",
    *,
    thinking: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    done_reason: str = "stop",
    usage: tuple[int, int] = (10, 5),
    model: str = MODEL,
) -> Reply:
    """A whole (not streamed) chat response."""
    message: dict[str, Any] = {"content": content}
    if thinking is not None:
        message["thinking"] = thinking
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return Reply(body=_final(message, done_reason, usage, model))


def error(status: int, message: str = "scripted error") -> Reply:
    """An error response as Ollama sends it."""
    return Reply(status=status, body={"error": message})


def stream(
    pieces: list[str],
    *,
    thinking: tuple[str, ...] = (),
    tool_calls: list[dict[str, Any]] | None = None,
    done_reason: str = "stop",
    usage: tuple[int, int] = (10, 5),
    model: str = MODEL,
    delay: float = 0.0,
    drop_after: int | None = None,
    error_after: str | None = None,
) -> Reply:
    """An NDJSON stream: thinking pieces, text pieces, a tool-call chunk, the final chunk.
    ``error_after`` replaces the final chunk with an ``{"error": ...}`` line."""
    chunks = [_chunk({"thinking": piece}, False, model) for piece in thinking]
    chunks += [_chunk({"content": piece}, False, model) for piece in pieces]
    if tool_calls is not None:
        chunks.append(_chunk({"tool_calls": tool_calls}, False, model))
    if error_after is not None:
        chunks.append({"error": error_after})
    else:
        chunks.append(_final({}, done_reason, usage, model))
    frames = [json.dumps(chunk).encode() + b"\n" for chunk in chunks]
    return Reply(
        frames=frames, content_type="application/x-ndjson", delay=delay, drop_after=drop_after
    )
