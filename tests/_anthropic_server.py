"""Replies of Anthropic's Messages API (``POST /v1/messages``) for the scripted server.

:func:`message` builds a whole response; :func:`stream` the same response as the SSE
events the API sends (``message_start``, ``content_block_start`` / ``_delta`` / ``_stop``
per block, ``message_delta`` with the stop reason and usage, ``message_stop``), text and
thinking cut into the given pieces and tool input into JSON fragments.
"""

from __future__ import annotations

import json
from typing import Any

from _scripted_server import Reply

__all__ = ["error", "message", "stream", "text", "thinking", "tool_use"]


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def thinking(value: str, signature: str = "sig-1") -> dict[str, Any]:
    return {"type": "thinking", "thinking": value, "signature": signature}


def tool_use(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def _message(
    blocks: list[dict[str, Any]], stop_reason: str, usage: tuple[int, int], model: str
) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
    }


def message(
    *blocks: dict[str, Any],
    stop_reason: str | None = None,
    usage: tuple[int, int] = (10, 5),
    model: str = "claude-sonnet-4-5",
) -> Reply:
    """A whole response; the stop reason is ``tool_use`` when a block is a tool call."""
    if stop_reason is None:
        calls = any(block["type"] == "tool_use" for block in blocks)
        stop_reason = "tool_use" if calls else "end_turn"
    return Reply(body=_message(list(blocks), stop_reason, usage, model))


def error(status: int, kind: str = "api_error", retry_after_ms: int | None = 10) -> Reply:
    """An error response in the API's format (with a short ``retry-after-ms``)."""
    headers = {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
    body = {"type": "error", "error": {"type": kind, "message": f"scripted {status}"}}
    return Reply(status=status, body=body, headers=headers)


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


def _pieces(value: str, size: int) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)] or [""]


def stream(
    *blocks: dict[str, Any],
    stop_reason: str | None = None,
    usage: tuple[int, int] = (10, 5),
    model: str = "claude-sonnet-4-5",
    piece: int = 3,
    delay: float = 0.0,
    drop_after: int | None = None,
) -> Reply:
    """The SSE events of a streamed response with *blocks*, text cut every *piece* characters."""
    if stop_reason is None:
        calls = any(block["type"] == "tool_use" for block in blocks)
        stop_reason = "tool_use" if calls else "end_turn"
    start = _message([], "", (usage[0], 1), model)
    start["stop_reason"] = None
    frames = [_event("message_start", {"message": start}), _event("ping", {})]
    for index, block in enumerate(blocks):
        kind = block["type"]
        if kind == "text":
            empty: dict[str, Any] = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"], piece)]
        elif kind == "thinking":
            empty = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"], piece)
            ]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        else:
            empty = {**block, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": p}
                for p in _pieces(json.dumps(block["input"]), piece)
            ]
        frames.append(_event("content_block_start", {"index": index, "content_block": empty}))
        frames += [_event("content_block_delta", {"index": index, "delta": d}) for d in deltas]
        frames.append(_event("content_block_stop", {"index": index}))
    frames.append(
        _event(
            "message_delta",
            {
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": usage[1]},
            },
        )
    )
    frames.append(_event("message_stop", {}))
    return Reply(
        frames=frames, content_type="text/event-stream", delay=delay, drop_after=drop_after
    )
