"""Answering an MCP server's sampling requests with a model client."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import mcp_types as types
from mcp.client.session import ClientRequestContext, SamplingFnT

from cantata._function_call import FunctionCall
from cantata._image import Image
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

__all__ = ["sampling_callback_for"]

_logger = logging.getLogger("cantata.tools.mcp")

_STOP_REASONS = {"stop": "endTurn", "length": "maxTokens", "function_calls": "toolUse"}


def sampling_callback_for(model_client: ChatCompletionClient | None) -> SamplingFnT | None:
    """A sampling callback that asks *model_client*, or ``None`` (the SDK then refuses
    sampling requests) when there is no client."""
    if model_client is None:
        return None
    client = model_client

    async def sample(
        context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult | types.ErrorData:
        try:
            messages = _to_llm_messages(params)
        except ValueError as exc:
            return types.ErrorData(code=types.INVALID_PARAMS, message=str(exc))
        try:
            result = await client.create(messages)
        except Exception as exc:
            _logger.warning("Sampling for an MCP server failed: %r", exc)
            return types.ErrorData(
                code=types.INTERNAL_ERROR, message=f"The model call failed: {exc}"
            )
        text = result.content if isinstance(result.content, str) else _calls_text(result.content)
        return types.CreateMessageResult(
            role="assistant",
            content=types.TextContent(type="text", text=text),
            model=str(client.model_info.get("family", "unknown")),
            stop_reason=_STOP_REASONS.get(result.finish_reason, result.finish_reason),
        )

    return sample


def _calls_text(calls: Sequence[FunctionCall]) -> str:
    return json.dumps([{"name": call.name, "arguments": call.arguments} for call in calls])


def _to_llm_messages(params: types.CreateMessageRequestParams) -> list[LLMMessage]:
    messages: list[LLMMessage] = []
    if params.system_prompt:
        messages.append(SystemMessage(content=params.system_prompt))
    for message in params.messages:
        blocks = message.content if isinstance(message.content, list) else [message.content]
        parts: list[str | Image] = []
        for block in blocks:
            if isinstance(block, types.TextContent):
                parts.append(block.text)
            elif isinstance(block, types.ImageContent):
                parts.append(Image.from_base64(block.data, mime_type=block.mime_type))
            else:
                raise ValueError(f"Sampling content of type {block.type!r} is not supported")
        if message.role == "user":
            if len(parts) == 1 and isinstance(parts[0], str):
                messages.append(UserMessage(content=parts[0], source="mcp_server"))
            else:
                messages.append(UserMessage(content=parts, source="mcp_server"))
        else:
            if not all(isinstance(part, str) for part in parts):
                raise ValueError("An assistant message in a sampling request can only hold text")
            text = "\n".join(part for part in parts if isinstance(part, str))
            messages.append(AssistantMessage(content=text, source="mcp_server"))
    return messages
