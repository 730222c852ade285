"""Turning cantata's messages and tools into Ollama ``/api/chat`` request parameters."""

from __future__ import annotations

import json
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

__all__ = ["convert_messages", "tool_param"]

# What the ``ollama`` SDK keeps of a parameter's schema; the rest of it is described in
# the parameter's description so the model still sees it.
_KEPT_KEYWORDS: Final = frozenset({"type", "items", "description", "enum"})


def convert_messages(messages: Sequence[LLMMessage], model_info: ModelInfo) -> list[dict[str, Any]]:
    """The request's ``messages``.

    A user message's text parts are joined with new lines and its images sent as base64;
    tool calls go as ``tool_calls`` (arguments as objects), their results as ``tool``
    messages naming the tool.

    Raises:
        ValueError: An image for a model without vision.
        TypeError: Not an LLM message.
    """
    converted: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            converted.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            converted.append(_user(message, model_info))
        elif isinstance(message, AssistantMessage):
            converted.append(_assistant(message))
        elif isinstance(message, FunctionExecutionResultMessage):
            converted.extend(
                {"role": "tool", "content": result.content, "tool_name": result.name}
                for result in message.content
            )
        else:
            raise TypeError(f"Unknown message type {type(message).__name__}")
    return converted


def _user(message: UserMessage, model_info: ModelInfo) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "user", "content": message.content}
    texts: list[str] = []
    images: list[str] = []
    for part in message.content:
        if isinstance(part, Image):
            if not model_info["vision"]:
                raise ValueError("This model does not support images (vision).")
            images.append(part.to_base64())
        else:
            texts.append(part)
    param: dict[str, Any] = {"role": "user", "content": "\n".join(texts)}
    if images:
        param["images"] = images
    return param


def _arguments(arguments: str) -> dict[str, Any]:
    """A call's arguments as an object; text that is not a JSON object (a malformed
    call) is sent as ``{"arguments": <the text>}`` so the conversation can go on."""
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": arguments}


def _assistant(message: AssistantMessage) -> dict[str, Any]:
    if isinstance(message.content, str):
        return {"role": "assistant", "content": message.content}
    return {
        "role": "assistant",
        "content": message.thought or "",
        "tool_calls": [
            {"function": {"name": call.name, "arguments": _arguments(call.arguments)}}
            for call in message.content
        ],
    }


def _resolve(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    """*schema* with local ``$ref``s replaced by their definitions."""
    if depth > 32:
        return {}
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            target = defs.get(ref.rsplit("/", 1)[-1], {})
            rest = {key: value for key, value in schema.items() if key != "$ref"}
            return _resolve({**target, **rest}, defs, depth + 1)
        return {
            key: _resolve(value, defs, depth + 1)
            for key, value in schema.items()
            if key not in ("$defs", "definitions")
        }
    if isinstance(schema, list):
        return [_resolve(item, defs, depth + 1) for item in schema]
    return schema


def _property(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A parameter's schema in the form the SDK keeps (``type`` may be a list)."""
    schema = dict(schema)
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list) and "type" not in schema:
        types = [option.get("type") for option in options if isinstance(option, dict)]
        others = [option for option in options if option.get("type") != "null"]
        if len(others) == 1:
            # Optional[X]: X, nullable.
            merged = {
                **others[0],
                **{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")},
            }
            if "null" in types:
                base = merged.get("type")
                if isinstance(base, str):
                    merged["type"] = [base, "null"]
            schema = merged
    kept = {key: value for key, value in schema.items() if key in _KEPT_KEYWORDS}
    dropped = {
        key: value
        for key, value in schema.items()
        if key not in _KEPT_KEYWORDS and key not in ("title", "default")
    }
    if dropped:
        detail = "JSON schema: " + json.dumps(dropped, sort_keys=True)
        description = kept.get("description")
        kept["description"] = f"{description} ({detail})" if description else detail
    return kept


def tool_param(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A tool schema as an entry of the request's ``tools``.

    The ``ollama`` SDK keeps only ``type``, ``items``, ``description`` and ``enum`` of each
    parameter. So ``$ref``s are resolved, ``Optional[X]`` becomes ``X`` (nullable), and
    what would still be lost (a nested object's properties, ``anyOf``, ``format``,
    bounds) is written into the parameter's description as JSON schema.
    """
    parameters = dict(schema.get("parameters") or {"type": "object", "properties": {}})
    defs = {**parameters.get("definitions", {}), **parameters.get("$defs", {})}
    parameters = _resolve(parameters, defs)
    properties = {
        name: _property(value) for name, value in (parameters.get("properties") or {}).items()
    }
    function: dict[str, Any] = {"name": schema["name"]}
    if schema.get("description"):
        function["description"] = schema["description"]
    function["parameters"] = {
        "type": "object",
        "properties": properties,
        "required": list(parameters.get("required", [])),
    }
    return {"type": "function", "function": function}
