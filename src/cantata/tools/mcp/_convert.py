"""MCP's types to cantata's: tool schemas and tool results."""

from __future__ import annotations

import binascii
import json
from typing import Any, cast

import mcp_types as types

from cantata._image import Image

from .._json_schema import inline_refs
from .._result import ImageResultContent, ResultContent, TextResultContent
from .._schema import ParametersSchema, ToolSchema

__all__ = ["content_as_text", "result_parts", "tool_schema"]


def tool_schema(
    tool: types.Tool, name: str | None = None, description: str | None = None
) -> ToolSchema:
    """The :class:`~cantata.tools.ToolSchema` of an MCP tool, optionally renamed or
    redescribed. Local ``$ref``\\ s in its input schema are inlined (a recursive schema
    keeps its ``$defs``)."""
    schema = inline_refs(dict(tool.input_schema))
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": schema.get("properties", {}),
        "required": list(schema.get("required", [])),
        "additionalProperties": schema.get("additionalProperties", False),
    }
    if "$defs" in schema:
        parameters["$defs"] = schema["$defs"]
    return {
        "name": name if name else tool.name,
        "description": description if description is not None else (tool.description or ""),
        "parameters": cast(ParametersSchema, parameters),
    }


def result_parts(result: types.CallToolResult) -> list[ResultContent]:
    """The parts of a tool result: text and images as they are, any other content (audio,
    resources, resource links) as its JSON. A result with only structured content gives
    that content's JSON."""
    parts: list[ResultContent] = []
    for block in result.content:
        if isinstance(block, types.ImageContent):
            image = _image(block)
            if image is not None:
                parts.append(ImageResultContent(content=image))
                continue
        parts.append(TextResultContent(content=content_as_text(block)))
    if not parts and result.structured_content is not None:
        parts.append(TextResultContent(content=json.dumps(result.structured_content)))
    return parts


def content_as_text(block: types.ContentBlock) -> str:
    """One content block as text: a text block's text, an embedded text resource's text,
    anything else its JSON."""
    if isinstance(block, types.TextContent):
        return block.text
    if isinstance(block, types.EmbeddedResource) and isinstance(
        block.resource, types.TextResourceContents
    ):
        return block.resource.text
    return block.model_dump_json(by_alias=True, exclude_none=True)


def _image(block: types.ImageContent) -> Image | None:
    try:
        return Image.from_base64(block.data, mime_type=block.mime_type)
    except (ValueError, binascii.Error):
        return None  # not an image cantata can hold: shown as JSON
