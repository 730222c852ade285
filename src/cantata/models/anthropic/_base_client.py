"""The chat completion client over an ``anthropic`` SDK client."""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Final

import anyio
from anthropic import AsyncAnthropic, AsyncAnthropicBedrock
from anthropic.resources.messages import AsyncMessages
from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    RequestUsage,
)
from cantata.models._cancellable import next_cancellable, run_cancellable
from cantata.models._client_info import resolve_model_info
from cantata.models._events import log_call, log_stream_end, log_stream_start
from cantata.models._request_args import check_extra_create_args, route_unknown_to_extra_body
from cantata.models._secrets import mask_secret
from cantata.models._strict_schema import strict_schema
from cantata.models._structured import check_structured
from cantata.models._tool_schema import chosen_tool_name, tool_schema
from cantata.models._usage import UsageCounter

from . import _model_info
from ._messages import BlockMemory, convert_messages, tool_param
from ._results import Reply, StreamAccumulator, reply_from_message

__all__ = ["JSON_INSTRUCTION", "BaseAnthropicChatCompletionClient"]

_RESERVED_EXTRA_KEYS: Final = frozenset({"messages", "system", "stream", "tools", "tool_choice"})
_FENCED: Final = re.compile(r"^\s*```(?:json)?\s*\n(.*)\n\s*```\s*$", re.DOTALL)
JSON_INSTRUCTION: Final = (
    "Respond with one valid JSON object and nothing else: no prose, no code fences."
)
"""Added to the system prompt for JSON mode (``json_output=True``): the API has no JSON
mode of its own."""

_TOOL_CHOICES: Final[Mapping[str, dict[str, str]]] = {
    "auto": {"type": "auto"},
    "required": {"type": "any"},
    "none": {"type": "none"},
}


class BaseAnthropicChatCompletionClient(ChatCompletionClient):
    """A :class:`~cantata.models.ChatCompletionClient` over an ``anthropic`` SDK client.

    Args:
        client: The SDK client (``AsyncAnthropic`` or ``AsyncAnthropicBedrock``). Retries
            of failed requests (429, 5xx, connection errors) are the SDK's, set by its
            ``max_retries`` (it honours ``retry-after``); errors after the last retry are
            the SDK's exceptions (``anthropic.RateLimitError``,
            ``anthropic.InternalServerError``, ...).
        create_args: Default request arguments; must include ``model`` and ``max_tokens``.
        model_info: What the model supports; required unless the model is a known Claude
            model.

    Messages: every :class:`~cantata.models.SystemMessage` goes into the request's
    ``system`` prompt, in order; consecutive messages of one role are sent as one turn;
    images go as base64 image blocks. Tool calls of earlier turns are sent as
    ``tool_use`` blocks (their tools are declared, with ``tool_choice`` none, when a call
    gives no tools). The thinking blocks of the client's recent tool-calling replies are
    remembered and sent back with those calls, as the API requires with extended thinking.

    Results: text blocks make the content; thinking blocks (``thinking`` set in the
    create arguments) make the ``thought``; with tool calls the text before them joins
    the thought. Prompt tokens include cache reads and writes.

    JSON: ``json_output=True`` (or ``response_format={"type": "json_object"}``) asks for
    one JSON object in the system prompt (:data:`JSON_INSTRUCTION`) and removes a code
    fence around the reply. A pydantic class asks for it with the API's JSON-schema
    output format (``output_config``, for models with ``structured_output``) and checks
    the reply against the class: ``ValueError`` if there is none, ``pydantic.ValidationError``
    if it does not fit.

    Request arguments the SDK does not name (``temperature``, ``top_k``, ... on SDK
    versions without them) go in the JSON body unchanged.

    Cancellation: cancelling a call's ``cancellation_token`` (from the event loop's
    thread) stops the request and raises :class:`cantata.exceptions.MessageCancelledError`;
    cancelling the caller's own cancel scope stops it too and propagates as that scope's
    cancellation. A stream's connection is closed either way.
    """

    def __init__(
        self,
        client: AsyncAnthropic | AsyncAnthropicBedrock,
        *,
        create_args: Mapping[str, Any],
        model_info: ModelInfo | None = None,
    ) -> None:
        model = create_args.get("model")
        if not model or not isinstance(model, str):
            raise ValueError("model is required")
        model_info = resolve_model_info(
            model, model_info, _model_info.get_info, "known Claude model"
        )
        self._client = client
        self._create_args: dict[str, Any] = dict(create_args)
        self._model_info: ModelInfo = model_info
        self._memory = BlockMemory()
        self._usage = UsageCounter()
        self._closed = False

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info

    @property
    def create_args(self) -> Mapping[str, Any]:
        """The default request arguments (a copy)."""
        return dict(self._create_args)

    # -- requests ----------------------------------------------------------------------

    def _build_request(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Any],
        tool_choice: Any,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
    ) -> tuple[dict[str, Any], type[BaseModel] | None, bool]:
        """The SDK call's arguments, the structured output class, and whether JSON mode is on."""
        check_extra_create_args(extra_create_args, _RESERVED_EXTRA_KEYS)
        request = {**self._create_args, **extra_create_args}
        output_type, json_mode = self._output_mode(request, json_output)
        converted = convert_messages(messages, self._model_info, self._memory)
        if not converted.messages:
            raise ValueError("The API needs at least one user or assistant message")
        request["messages"] = converted.messages
        system = list(converted.system)
        if json_mode:
            system.append(JSON_INSTRUCTION)
        if system:
            request["system"] = "\n".join(system)
        schemas = [tool_schema(tool) for tool in tools]
        forced = chosen_tool_name(tool_choice, schemas)
        if schemas:
            if not self._model_info["function_calling"]:
                raise ValueError("This model does not support function calling.")
            request["tools"] = [tool_param(schema) for schema in schemas]
            if forced is not None:
                request["tool_choice"] = {"type": "tool", "name": forced}
            elif tool_choice != "auto":
                request["tool_choice"] = dict(_TOOL_CHOICES[tool_choice])
        elif converted.tool_names:
            # Earlier tool calls need their tools declared; none may be called now.
            request["tools"] = [
                {"name": name, "input_schema": {"type": "object"}} for name in converted.tool_names
            ]
            request["tool_choice"] = {"type": "none"}
        route_unknown_to_extra_body(request, AsyncMessages.create)
        return request, output_type, json_mode

    def _output_mode(
        self, request: dict[str, Any], json_output: bool | type[BaseModel] | None
    ) -> tuple[type[BaseModel] | None, bool]:
        response_format = request.pop("response_format", None)
        if json_output is None:
            json_output = isinstance(response_format, Mapping) and (
                response_format.get("type") == "json_object"
            )
        if json_output is True:
            if not self._model_info["json_output"]:
                raise ValueError("This model does not support JSON output.")
            return None, True
        if json_output is False:
            return None, False
        if not (isinstance(json_output, type) and issubclass(json_output, BaseModel)):
            raise TypeError("json_output must be a bool or a pydantic model class")
        if not self._model_info.get("structured_output", False):
            raise ValueError("This model does not support structured output.")
        output_config = dict(request.get("output_config") or {})
        output_config["format"] = {
            "type": "json_schema",
            "schema": strict_schema(json_output.model_json_schema()),
        }
        request["output_config"] = output_config
        return json_output, False

    def _finish(self, reply: Reply, json_mode: bool) -> CreateResult:
        self._memory.remember(reply.call_ids, reply.result.thought, reply.kept_blocks)
        self._usage.add(reply.result.usage)
        result = reply.result
        if json_mode and isinstance(result.content, str):
            match = _FENCED.match(result.content)
            if match is not None:
                result = result.model_copy(update={"content": match.group(1)})
        return result

    # -- create ------------------------------------------------------------------------

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Any] = (),
        tool_choice: Any = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        request, output_type, json_mode = self._build_request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        api = self._client.messages

        async def call() -> Any:
            return await api.create(**request)

        response = await run_cancellable(call, cancellation_token)
        result = self._finish(reply_from_message(response), json_mode)
        log_call(_logged_messages(request), response, result)
        check_structured(result, output_type)
        return result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Any] = (),
        tool_choice: Any = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
        max_consecutive_empty_chunk_tolerance: int = 0,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """Stream the response: text chunks, then one :class:`CreateResult` with the usage.

        Thinking is passed on wrapped in ``<think>`` ... ``</think>``.
        ``max_consecutive_empty_chunk_tolerance`` is accepted for compatibility.

        Raises:
            ValueError: A streamed tool call's input is not JSON.
            ConnectionError: The stream ended (the connection closed) before the reply was
                complete; nothing is counted or logged as a finished call.
        """
        request, output_type, json_mode = self._build_request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        request["stream"] = True
        log_events = log_stream_start(_logged_messages(request))
        api = self._client.messages

        async def open_stream() -> Any:
            return await api.create(**request)

        stream = await run_cancellable(open_stream, cancellation_token)
        iterator = stream.__aiter__()
        accumulator = StreamAccumulator()
        try:
            while (event := await next_cancellable(iterator, cancellation_token)) is not None:
                text = accumulator.add(event)
                if text:
                    yield text
        finally:
            with anyio.CancelScope(shield=True):
                await stream.close()
        if not accumulator.complete:
            raise ConnectionError("The stream ended before the reply was complete")
        closing = accumulator.close_thinking()
        if closing:
            yield closing
        result = self._finish(accumulator.reply(), json_mode)
        log_stream_end(result, log_events)
        check_structured(result, output_type)
        yield result

    # -- usage, tokens, close ----------------------------------------------------------

    def actual_usage(self) -> RequestUsage:
        return self._usage.actual

    def total_usage(self) -> RequestUsage:
        return self._usage.total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """Estimate the prompt tokens of *messages* and *tools*: about one token per four
        characters of text and 1,600 per image (the API's cost of a large image). The
        API's own count needs a request; this is an offline estimate."""
        converted = convert_messages(messages, self._model_info, self._memory)
        characters = sum(len(text) for text in converted.system)
        images = 0
        for message in converted.messages:
            for block in message["content"]:
                if block["type"] == "image":
                    images += 1
                else:
                    characters += len(json.dumps(block))
        for tool in tools:
            characters += len(json.dumps(tool_schema(tool)))
        return math.ceil(characters / 4) + 1600 * images + 4 * len(converted.messages)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        limit = _model_info.get_token_limit(str(self._create_args["model"]))
        return limit - self.count_tokens(messages, tools=tools)

    async def close(self) -> None:
        """Close the SDK client's connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._client.close()

    def __repr__(self) -> str:
        api_key = getattr(self._client, "api_key", None)
        return (
            f"{type(self).__name__}(model={self._create_args['model']!r}, "
            f"base_url={str(self._client.base_url)!r}, "
            f"api_key={mask_secret(api_key if isinstance(api_key, str) else None)!r})"
        )


def _logged_messages(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = list(request["messages"])
    if "system" in request:
        messages.insert(0, {"role": "system", "content": request["system"]})
    return messages
