"""The cache key of a model request: a SHA-256 of its canonical JSON form."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel

from cantata.models import LLMMessage

__all__ = ["request_key"]


def request_key(
    messages: Sequence[LLMMessage],
    tools: Sequence[Any],
    tool_choice: Any,
    json_output: bool | type[BaseModel] | None,
    extra_create_args: Mapping[str, Any],
) -> str:
    """Return the hex SHA-256 of the request's canonical JSON.

    The JSON holds the messages (as dumped by pydantic, images as base64), the tool
    schemas (a tool object stands for its ``schema``), the tool choice, the JSON
    output setting (a pydantic class stands for its qualified name and JSON schema)
    and the extra arguments, with keys sorted, so equal requests give equal keys in
    every process.

    Raises:
        TypeError: A tool has no schema, or a value in *extra_create_args* has no
            JSON form (JSON types, pydantic models and classes, dataclasses, enums,
            sets and bytes have one).
    """
    data = {
        "messages": [_dump_message(message) for message in messages],
        "tools": [_tool_schema(tool) for tool in tools],
        "tool_choice": tool_choice if isinstance(tool_choice, str) else _tool_schema(tool_choice),
        "json_output": _json_output(json_output),
        "extra_create_args": dict(extra_create_args),
    }
    text = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_to_json
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dump_message(message: object) -> Any:
    if not isinstance(message, BaseModel):
        raise TypeError(f"messages must be LLM messages, got {type(message).__name__}")
    return message.model_dump(mode="json")


def _tool_schema(tool: object) -> Any:
    if isinstance(tool, Mapping):
        return dict(tool)
    schema = getattr(tool, "schema", None)
    if isinstance(schema, Mapping):
        return dict(schema)
    raise TypeError(
        f"A tool must be a tool schema (a mapping) or have a schema, got {type(tool).__name__}"
    )


def _json_output(json_output: object) -> Any:
    if isinstance(json_output, type) and issubclass(json_output, BaseModel):
        return _model_class(json_output)
    return json_output


def _model_class(cls: type[BaseModel]) -> dict[str, Any]:
    return {
        "pydantic_model": f"{cls.__module__}.{cls.__qualname__}",
        "schema": cls.model_json_schema(),
    }


def _to_json(value: object) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, type) and issubclass(value, BaseModel):
        return _model_class(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        items = [json.dumps(item, sort_keys=True, default=_to_json) for item in value]
        return {"set": sorted(items)}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"A value of type {type(value).__name__} cannot be part of a cache key")
