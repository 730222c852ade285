"""The chat completion client over an ``openai`` SDK client."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import Any, Final, cast

import anyio
from openai import AsyncAzureOpenAI, AsyncOpenAI
from openai.resources.chat.completions import AsyncCompletions
from openai.types.chat import ChatCompletion, ChatCompletionChunk
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
from cantata.models._secrets import mask_secret as _mask
from cantata.models._usage import UsageCounter

from . import _model_info
from ._messages import MessageConverter, structured_response_format, tool_param, tool_schema
from ._results import StreamAccumulator, check_structured, result_from_completion
from ._tokens import count_text_tokens

__all__ = ["BaseOpenAIChatCompletionClient"]

_RESERVED_EXTRA_KEYS: Final = frozenset({"messages", "stream", "tools"})


class BaseOpenAIChatCompletionClient(ChatCompletionClient):
    """A :class:`~cantata.models.ChatCompletionClient` over an ``openai`` SDK client.

    Args:
        client: The SDK client (``AsyncOpenAI`` or ``AsyncAzureOpenAI``). Retries of
            failed requests (429, 5xx, connection errors) are the SDK's, set by its
            ``max_retries``; errors after the last retry are the SDK's exceptions
            (``openai.RateLimitError``, ``openai.InternalServerError``, ...).
        create_args: Default request arguments; must include ``model``.
        model_info: What the model supports; required unless the model is a known model.
        add_name_prefixes: Prefix user text with ``"<source> said:\\n"``.
        include_name_in_message: Send the message ``source`` as the ``name`` field.

    Results: a reasoning model's ``reasoning_content`` (DeepSeek, vLLM's reasoning parser)
    is the result's ``thought``; so is the leading ``<think>...</think>`` block of an
    R1-family model's reply (``model_info["family"] == "r1"``). With structured output
    (``json_output`` or ``response_format`` set to a pydantic class) the reply's text is
    checked against the class after the usage is counted: ``ValueError`` if there is none
    (a refusal), ``pydantic.ValidationError`` if it does not fit; the text is returned as
    the server sent it.

    Cancellation: cancelling the ``cancellation_token`` of a call (from the event
    loop's thread) stops the request and raises
    :class:`cantata.exceptions.MessageCancelledError`; cancelling the caller's own
    cancel scope stops it too and propagates as that scope's cancellation.
    """

    def __init__(
        self,
        client: AsyncOpenAI | AsyncAzureOpenAI,
        *,
        create_args: Mapping[str, Any],
        model_info: ModelInfo | None = None,
        add_name_prefixes: bool = False,
        include_name_in_message: bool = True,
    ) -> None:
        model = create_args.get("model")
        if not model or not isinstance(model, str):
            raise ValueError("model is required")
        model_info = resolve_model_info(model, model_info, _model_info.get_info)
        self._client = client
        self._create_args: dict[str, Any] = dict(create_args)
        self._model_info: ModelInfo = model_info
        self._converter = MessageConverter(model_info, add_name_prefixes, include_name_in_message)
        self._usage = UsageCounter()
        self._closed = False

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info

    @property
    def create_args(self) -> Mapping[str, Any]:
        """The default request arguments (a copy)."""
        return dict(self._create_args)

    # -- requests ----------------------------------------------------------------

    def _build_request(
        self,
        messages: Sequence[LLMMessage],
        tools: Sequence[Any],
        tool_choice: Any,
        json_output: bool | type[BaseModel] | None,
        extra_create_args: Mapping[str, Any],
    ) -> tuple[dict[str, Any], type[BaseModel] | None]:
        check_extra_create_args(extra_create_args, _RESERVED_EXTRA_KEYS)
        extra = dict(extra_create_args)
        choice = _tool_choice_request(tool_choice)
        if "tool_choice" in extra:
            from_extra = _tool_choice_request(extra.pop("tool_choice"))
            if choice == "auto":  # the argument was left at its default
                choice = from_extra
            elif from_extra != choice:
                raise ValueError(
                    f"tool_choice ({_describe(choice)}) and extra_create_args['tool_choice'] "
                    f"({_describe(from_extra)}) disagree; give one of them"
                )
        request = {**self._create_args, **extra}
        output_type = self._output_type(request, json_output)
        request["messages"] = self._converter.convert(messages)
        route_unknown_to_extra_body(request, AsyncCompletions.create)
        if tools:
            if not self._model_info["function_calling"]:
                raise ValueError("This model does not support function calling.")
            schemas = [tool_schema(tool) for tool in tools]
            request["tools"] = [tool_param(schema) for schema in schemas]
            if not isinstance(choice, str):
                name = choice["function"]["name"]
                if name not in {schema["name"] for schema in schemas}:
                    raise ValueError(f"tool_choice names {name!r}, which is not in tools")
            request["tool_choice"] = choice
        elif not isinstance(choice, str):
            raise ValueError("tool_choice names a tool but no tools were given")
        return request, output_type

    def _output_type(
        self, request: dict[str, Any], json_output: bool | type[BaseModel] | None
    ) -> type[BaseModel] | None:
        """Set the request's ``response_format``; return the structured output class."""
        if json_output is not None:
            request.pop("response_format", None)
            if json_output is True:
                request["response_format"] = {"type": "json_object"}
            elif json_output is False:
                request["response_format"] = {"type": "text"}
            elif not (isinstance(json_output, type) and issubclass(json_output, BaseModel)):
                raise TypeError("json_output must be a bool or a pydantic model class")
            else:
                request["response_format"] = json_output
        response_format = request.get("response_format")
        if isinstance(response_format, type) and issubclass(response_format, BaseModel):
            if not self._model_info.get("structured_output", False):
                raise ValueError("This model does not support structured output.")
            request["response_format"] = structured_response_format(response_format)
            return response_format
        if (
            isinstance(response_format, Mapping)
            and response_format.get("type") == "json_object"
            and not self._model_info["json_output"]
        ):
            raise ValueError("This model does not support JSON output.")
        return None

    # -- create ------------------------------------------------------------------

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
        request, output_type = self._build_request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        completions = self._client.chat.completions

        async def call() -> ChatCompletion:
            response: ChatCompletion = await completions.create(**request)
            return response

        response = await run_cancellable(call, cancellation_token)
        result = result_from_completion(response, self._model_info["family"])
        self._usage.add(result.usage)
        log_call(request["messages"], response, result)
        refusal = response.choices[0].message.refusal if response.choices else None
        check_structured(result, output_type, refusal)
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
        include_usage: bool | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """Stream the response: text chunks, then one :class:`CreateResult`.

        Usage is requested (``stream_options={"include_usage": True}``) unless
        *include_usage* is ``False`` or ``stream_options`` is set explicitly. Token
        log-probabilities sent with the chunks end up in the result's ``logprobs``.
        ``max_consecutive_empty_chunk_tolerance`` is accepted for compatibility: empty
        chunks are always tolerated.
        """
        request, output_type = self._build_request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        request["stream"] = True
        if include_usage is not None:
            request["stream_options"] = {"include_usage": include_usage}
        elif request.get("stream_options") is None:
            request["stream_options"] = {"include_usage": True}
        log_events = log_stream_start(request["messages"])
        completions = self._client.chat.completions

        async def open_stream() -> Any:
            return await completions.create(**request)

        stream = await run_cancellable(open_stream, cancellation_token)
        iterator: AsyncIterator[ChatCompletionChunk] = stream.__aiter__()
        accumulator = StreamAccumulator()
        try:
            while (chunk := await next_cancellable(iterator, cancellation_token)) is not None:
                text = accumulator.add(chunk)
                if text:
                    yield text
        finally:
            with anyio.CancelScope(shield=True):
                await stream.close()
        result = accumulator.result(self._model_info["family"])
        self._usage.add(result.usage)
        log_stream_end(result, log_events)
        check_structured(result, output_type)
        yield result

    # -- usage, tokens, close ----------------------------------------------------

    def actual_usage(self) -> RequestUsage:
        return self._usage.actual

    def total_usage(self) -> RequestUsage:
        return self._usage.total

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """Count the prompt tokens of *messages* and *tools*.

        Uses ``tiktoken`` when it and the model's encoding are available (install the
        ``openai`` extra), otherwise an estimate of four characters per token.
        """
        model = str(self._create_args["model"])
        total = 3  # the reply is primed with <|start|>assistant<|message|>
        for param in self._converter.convert(messages):
            total += 3
            for key, value in param.items():
                if isinstance(value, str):
                    total += count_text_tokens(value, model)
                    total += 1 if key == "name" else 0
                elif isinstance(value, list):
                    for part in value:
                        if part.get("type") == "image_url":
                            total += 85 if part["image_url"].get("detail") == "low" else 765
                        else:
                            total += count_text_tokens(json.dumps(part), model)
        for tool in tools:
            total += 7 + count_text_tokens(json.dumps(tool_schema(tool)), model)
        return total

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
        api_key = cast(str | None, getattr(self._client, "api_key", None))
        base_url = str(self._client.base_url)
        return (
            f"{type(self).__name__}(model={self._create_args['model']!r}, "
            f"base_url={base_url!r}, api_key={_mask(api_key)!r})"
        )


def _tool_choice_request(value: Any) -> str | dict[str, Any]:
    """*value* (``"auto"``, ``"required"``, ``"none"``, a tool, a tool schema or OpenAI's
    ``{"type": "function", "function": {"name": ...}}``) as the request's ``tool_choice``.

    Raises:
        ValueError: *value* is none of those.
    """
    if isinstance(value, str):
        if value not in ("auto", "required", "none"):
            raise ValueError(f"Invalid tool_choice {value!r}")
        return value
    if isinstance(value, Mapping) and value.get("type") == "function":
        function = value.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return {"type": "function", "function": {"name": function["name"]}}
        raise ValueError(f"Invalid tool_choice {value!r}: expected a function name")
    try:
        name = tool_schema(value)["name"]
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(
            f"tool_choice must be 'auto', 'required', 'none' or a tool, got {type(value).__name__}"
        ) from exc
    return {"type": "function", "function": {"name": name}}


def _describe(choice: str | dict[str, Any]) -> str:
    return repr(choice) if isinstance(choice, str) else f"the tool {choice['function']['name']!r}"
