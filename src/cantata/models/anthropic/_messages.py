"""Turning cantata's messages and tools into Messages API request parameters."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Final

from cantata._image import Image
from cantata.models import (
    AssistantMessage,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    SystemMessage,
    UserMessage,
)

__all__ = ["BlockMemory", "ConvertedMessages", "convert_messages", "tool_param"]

_TOOL_NAME: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_IMAGE_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


class BlockMemory:
    """The thinking and text blocks of the client's recent tool-calling replies.

    The API wants a tool-calling turn's thinking blocks (with their signatures) back
    when the tool results are sent; an :class:`AssistantMessage` keeps only the thought's
    text. The client remembers the blocks of its last *capacity* tool-calling replies,
    keyed by their tool call ids, and sends them again with a message that carries those
    calls and the same thought.
    """

    def __init__(self, capacity: int = 128) -> None:
        self._capacity = capacity
        self._blocks: OrderedDict[tuple[str, ...], tuple[str | None, list[dict[str, Any]]]] = (
            OrderedDict()
        )

    def remember(
        self, call_ids: Sequence[str], thought: str | None, blocks: list[dict[str, Any]]
    ) -> None:
        """Remember *blocks* (thinking and text) of the reply making the calls *call_ids*."""
        if not call_ids or not any(block["type"] != "text" for block in blocks):
            return
        key = tuple(call_ids)
        self._blocks[key] = (thought, blocks)
        self._blocks.move_to_end(key)
        while len(self._blocks) > self._capacity:
            self._blocks.popitem(last=False)

    def recall(self, call_ids: Sequence[str], thought: str | None) -> list[dict[str, Any]] | None:
        """The blocks remembered for *call_ids* if their thought is *thought*."""
        entry = self._blocks.get(tuple(call_ids))
        if entry is None or entry[0] != thought:
            return None
        return [dict(block) for block in entry[1]]


class ConvertedMessages:
    """The ``system`` prompt and ``messages`` of a request, and the tools they use."""

    def __init__(self) -> None:
        self.system: list[str] = []
        self.messages: list[dict[str, Any]] = []
        self.tool_names: list[str] = []

    def append(self, role: str, blocks: list[dict[str, Any]]) -> None:
        """Add a turn; consecutive turns of one role become one."""
        if self.messages and self.messages[-1]["role"] == role:
            self.messages[-1]["content"].extend(blocks)
        else:
            self.messages.append({"role": role, "content": blocks})


EMPTY_TURN: Final = "(empty)"
"""The text of a turn that has nothing else to send: the API refuses empty turns."""


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _has_content(block: dict[str, Any]) -> bool:
    # The API refuses text blocks that are empty or only white space.
    return block["type"] != "text" or bool(block["text"].strip())


def _image_block(image: Image) -> dict[str, Any]:
    if image.mime_type not in _IMAGE_TYPES:
        raise ValueError(
            f"Anthropic models take JPEG, PNG, GIF and WebP images, not {image.mime_type}"
        )
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": image.mime_type, "data": image.to_base64()},
    }


def _tool_input(arguments: str) -> dict[str, Any]:
    """A tool call's arguments as the object the API wants. Arguments that are not a
    JSON object (a model's malformed call, answered with an error result) are sent as
    ``{"arguments": <the text>}``, so the conversation can go on."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": arguments}


def convert_messages(
    messages: Sequence[LLMMessage], model_info: ModelInfo, memory: BlockMemory
) -> ConvertedMessages:
    """Convert *messages* to a request's ``system`` and ``messages``.

    Every system message goes into the ``system`` prompt, in order. Consecutive messages
    of one role become one turn (tool results first, as the API wants). Empty text is
    left out; a turn with nothing left says :data:`EMPTY_TURN`. A final assistant message
    (a prefill) loses its trailing white space, and is left out if nothing remains.

    Raises:
        ValueError: An image for a model without vision, or of a type the API refuses.
        TypeError: Not an LLM message.
    """
    out = ConvertedMessages()
    for message in messages:
        if isinstance(message, SystemMessage):
            out.system.append(message.content)
        elif isinstance(message, UserMessage):
            out.append("user", _user_blocks(message, model_info))
        elif isinstance(message, AssistantMessage):
            out.append("assistant", _assistant_blocks(message, memory, out.tool_names))
        elif isinstance(message, FunctionExecutionResultMessage):
            blocks: list[dict[str, Any]] = []
            for result in message.content:
                block: dict[str, Any] = {"type": "tool_result", "tool_use_id": result.call_id}
                if result.content:
                    block["content"] = result.content
                if result.is_error:
                    block["is_error"] = True
                blocks.append(block)
            out.append("user", blocks)
        else:
            raise TypeError(f"Unknown message type {type(message).__name__}")
    _finish_turns(out.messages)
    return out


def _finish_turns(turns: list[dict[str, Any]]) -> None:
    """Make *turns* acceptable to the API: no empty text blocks, tool results first in
    their turn, a final assistant turn (a prefill) without trailing white space, and no
    empty turn (an empty prefill is dropped, any other gets :data:`EMPTY_TURN`)."""
    for turn in turns:
        blocks = [block for block in turn["content"] if _has_content(block)]
        if turn["role"] == "user":
            blocks.sort(key=lambda block: block["type"] != "tool_result")  # stable
        turn["content"] = blocks
    if turns and turns[-1]["role"] == "assistant":
        last = turns[-1]["content"]
        if last and last[-1]["type"] == "text":
            last[-1] = {**last[-1], "text": last[-1]["text"].rstrip()}
    if turns and turns[-1]["role"] == "assistant" and not turns[-1]["content"]:
        turns.pop()
    for turn in turns:
        if not turn["content"]:
            turn["content"] = [_text_block(EMPTY_TURN)]


def _user_blocks(message: UserMessage, model_info: ModelInfo) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [_text_block(message.content)]
    blocks: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, Image):
            if not model_info["vision"]:
                raise ValueError("This model does not support images (vision).")
            blocks.append(_image_block(part))
        else:
            blocks.append(_text_block(part))
    return blocks


def _assistant_blocks(
    message: AssistantMessage, memory: BlockMemory, tool_names: list[str]
) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [_text_block(message.content)]
    call_ids = [call.id for call in message.content]
    blocks = memory.recall(call_ids, message.thought)
    if blocks is None:
        blocks = [_text_block(message.thought)] if message.thought else []
    for call in message.content:
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.name,
                "input": _tool_input(call.arguments),
            }
        )
        if call.name not in tool_names:
            tool_names.append(call.name)
    return blocks


def tool_param(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A tool schema as an entry of the request's ``tools``.

    Raises:
        ValueError: A name the API refuses (letters, digits, ``_`` and ``-``; 1 to 64).
    """
    name = str(schema["name"])
    if not _TOOL_NAME.match(name):
        raise ValueError(
            f"Invalid tool name {name!r}: Anthropic tool names are 1 to 64 letters, digits, "
            "'_' or '-'"
        )
    param: dict[str, Any] = {"name": name}
    if schema.get("description"):
        param["description"] = schema["description"]
    param["input_schema"] = dict(schema.get("parameters") or {"type": "object", "properties": {}})
    return param
