"""Turning cantata's messages and tools into chat-completions request parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel

from cantata._image import Image
from cantata.models import (
    AssistantMessage,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    SystemMessage,
    UserMessage,
)
from cantata.models._strict_schema import strict_schema
from cantata.models._tool_schema import tool_schema

__all__ = [
    "MessageConverter",
    "strict_schema",
    "structured_response_format",
    "tool_param",
    "tool_schema",
]


@dataclass(frozen=True)
class MessageConverter:
    """Converts :data:`~cantata.models.LLMMessage` lists to the API's message dicts.

    ``add_name_prefixes`` prefixes user text with ``"<source> said:\\n"``;
    ``include_name_in_message`` sends a message's ``source`` as ``name``.
    """

    model_info: ModelInfo
    add_name_prefixes: bool = False
    include_name_in_message: bool = True

    def convert(self, messages: Sequence[LLMMessage]) -> list[dict[str, Any]]:
        """The request's ``messages``.

        For a model whose ``model_info["multiple_system_messages"]`` is ``False`` (Gemini),
        consecutive system messages are merged into one. For Claude models, trailing white
        space is removed from a final assistant message (Anthropic refuses it).

        Raises:
            ValueError: An image for a model without vision; system messages that are not
                consecutive for a model that takes only one.
            TypeError: Not an LLM message.
        """
        if self.model_info.get("multiple_system_messages", True) is False:
            messages = _merge_system_messages(messages)
        converted: list[dict[str, Any]] = []
        for message in messages:
            if isinstance(message, SystemMessage):
                converted.append({"role": "system", "content": message.content})
            elif isinstance(message, UserMessage):
                converted.append(self._user(message))
            elif isinstance(message, AssistantMessage):
                converted.append(self._assistant(message))
            elif isinstance(message, FunctionExecutionResultMessage):
                converted.extend(
                    {"role": "tool", "tool_call_id": result.call_id, "content": result.content}
                    for result in message.content
                )
            else:
                raise TypeError(f"Unknown message type {type(message).__name__}")
        if (
            converted
            and converted[-1]["role"] == "assistant"
            and isinstance(converted[-1].get("content"), str)
            and ModelFamily.is_claude(self.model_info["family"])
        ):
            converted[-1]["content"] = converted[-1]["content"].rstrip()
        return converted

    def _user(self, message: UserMessage) -> dict[str, Any]:
        prefix = f"{message.source} said:\n" if self.add_name_prefixes else ""
        param: dict[str, Any] = {"role": "user"}
        if isinstance(message.content, str):
            param["content"] = prefix + message.content
        else:
            parts: list[dict[str, Any]] = []
            for index, part in enumerate(message.content):
                if isinstance(part, Image):
                    if not self.model_info["vision"]:
                        raise ValueError("This model does not support images (vision).")
                    parts.append(part.to_openai_format())
                else:
                    text = prefix + part if index == 0 else part
                    parts.append({"type": "text", "text": text})
            param["content"] = parts
        if self.include_name_in_message:
            param["name"] = message.source
        return param

    def _assistant(self, message: AssistantMessage) -> dict[str, Any]:
        param: dict[str, Any] = {"role": "assistant"}
        if isinstance(message.content, str):
            param["content"] = message.content
        else:
            param["content"] = message.thought
            param["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in message.content
            ]
        if self.include_name_in_message:
            param["name"] = message.source
        return param


def _merge_system_messages(messages: Sequence[LLMMessage]) -> list[LLMMessage]:
    positions = [i for i, message in enumerate(messages) if isinstance(message, SystemMessage)]
    if len(positions) < 2:
        return list(messages)
    if positions[-1] - positions[0] != len(positions) - 1:
        raise ValueError(
            "This model takes one system message; system messages that are not consecutive "
            "cannot be merged into one"
        )
    merged = SystemMessage(
        content="\n".join(cast(SystemMessage, messages[i]).content for i in positions)
    )
    return [*messages[: positions[0]], merged, *messages[positions[-1] + 1 :]]


def tool_param(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A tool schema as an entry of the request's ``tools``."""
    function: dict[str, Any] = {"name": schema["name"]}
    if "description" in schema:
        function["description"] = schema["description"]
    function["parameters"] = dict(schema.get("parameters", {"type": "object", "properties": {}}))
    if "strict" in schema:
        function["strict"] = schema["strict"]
    return {"type": "function", "function": function}


def structured_response_format(output_type: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` asking for JSON that validates as *output_type*."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": output_type.__name__,
            "schema": strict_schema(output_type.model_json_schema()),
            "strict": True,
        },
    }
