"""Turning cantata's messages and tools into chat-completions request parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from cantata._image import Image
from cantata.models import (
    AssistantMessage,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelInfo,
    SystemMessage,
    UserMessage,
)

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

        Raises:
            ValueError: An image for a model without vision.
            TypeError: Not an LLM message.
        """
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


def tool_schema(tool: Any) -> Mapping[str, Any]:
    """The schema of a :class:`~cantata.tools.Tool`, or *tool* itself if it is a schema.

    Raises:
        TypeError: Neither a tool nor a schema.
    """
    if isinstance(tool, Mapping):
        return tool
    schema = getattr(tool, "schema", None)
    if not isinstance(schema, Mapping):
        raise TypeError(f"Not a tool or tool schema: {tool!r}")
    return schema


def tool_param(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A tool schema as an entry of the request's ``tools``."""
    function: dict[str, Any] = {"name": schema["name"]}
    if "description" in schema:
        function["description"] = schema["description"]
    function["parameters"] = dict(schema.get("parameters", {"type": "object", "properties": {}}))
    if "strict" in schema:
        function["strict"] = schema["strict"]
    return {"type": "function", "function": function}


def strict_schema(schema: Any) -> Any:
    """Make a pydantic JSON schema follow OpenAI's strict rules: every object lists
    all its properties as required and allows no others."""
    if isinstance(schema, dict):
        out = {key: strict_schema(value) for key, value in schema.items()}
        if out.get("type") == "object" and isinstance(out.get("properties"), dict):
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
        out.pop("default", None)
        return out
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    return schema


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
