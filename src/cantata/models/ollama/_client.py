"""The chat completion client over the ``ollama`` SDK's ``AsyncClient``."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, Final, Self, TypeVar

import anyio
from ollama import AsyncClient
from pydantic import BaseModel
from typing_extensions import Unpack

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
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
from cantata.models._pickling import PickledAsKeywords
from cantata.models._request_args import check_extra_create_args
from cantata.models._structured import check_structured
from cantata.models._tool_schema import chosen_tool_name, tool_schema
from cantata.models._usage import UsageCounter

from . import _model_info
from ._config import (
    REQUEST_KEYS,
    BaseOllamaClientConfiguration,
    BaseOllamaClientConfigurationConfigModel,
    config_values,
    kwargs_from_config,
    split_config,
)
from ._messages import convert_messages, tool_param
from ._results import StreamAccumulator, result_from_response
from ._retry import is_retriable, retry_delay

__all__ = ["OllamaChatCompletionClient"]

_RESERVED_EXTRA_KEYS: Final = frozenset({"messages", "stream", "tools"})
_T = TypeVar("_T")


class OllamaChatCompletionClient(
    PickledAsKeywords, ChatCompletionClient, Component[BaseOllamaClientConfigurationConfigModel]
):
    """A client of an Ollama server's ``/api/chat``, on the official ``ollama`` SDK.

    ``model`` is required; ``model_info`` too unless the model is a known one (llama3.x,
    qwen2.5/3, mistral, gemma, phi, deepseek-r1, gpt-oss, ...; any tag, e.g.
    ``llama3.2:1b``). ``host`` defaults to ``OLLAMA_HOST``, else
    ``http://127.0.0.1:11434``. ``options`` (``temperature``, ``num_ctx``, ``seed``, ...)
    apply to every request; so do ``think``, ``keep_alive`` and ``response_format``.
    In ``extra_create_args``, ``format``, ``options``, ``keep_alive`` and ``think`` are
    request fields and any other key is a model option (``{"temperature": 0}``).

    Output: ``json_output=True`` sends ``format="json"``; a pydantic class sends its JSON
    schema as ``format`` and the reply is checked against the class (``ValueError`` if
    there is none, ``pydantic.ValidationError`` if it does not fit). The model's thinking
    (``message.thinking``, or an R1 model's ``<think>`` block) is the result's
    ``thought``; streamed, it is passed on wrapped in ``<think>`` ... ``</think>``.

    Tools: Ollama cannot be made to call a tool. ``tool_choice="none"`` sends no tools,
    a single tool sends only that tool, ``"required"`` sends them all. Tool calls get new
    unique ids (Ollama sends none). See :func:`._messages.tool_param` for how schemas are
    fitted to what the SDK keeps.

    Retries: a request that fails with 408, 429 or 5xx, or cannot connect, is sent again
    up to ``max_retries`` times (default 2), after 0.5 s, 1 s, 2 s, ... A stream is retried
    only before its first chunk. The last error is raised: ``ollama.ResponseError``
    (with ``status_code``), ``ConnectionError``, or an ``httpx`` transport error. A stream
    that ends before its final chunk raises ``ConnectionError``.

    Cancellation: cancelling a call's ``cancellation_token`` (from the event loop's
    thread) stops it and raises :class:`cantata.exceptions.MessageCancelledError`;
    cancelling the caller's own cancel scope stops it too and propagates.

    The client is a component and can be pickled; an ``Authorization`` header is dumped
    masked.

    Raises:
        ValueError: No ``model``; an unknown model without ``model_info``.
        TypeError: An argument the client does not take.
    """

    component_provider_override: ClassVar[str | None] = (
        "cantata.models.ollama.OllamaChatCompletionClient"
    )
    component_config_schema = BaseOllamaClientConfigurationConfigModel

    def __init__(self, **kwargs: Unpack[BaseOllamaClientConfiguration]) -> None:
        split = split_config(kwargs)
        model = str(kwargs["model"])
        model_info = resolve_model_info(model, split["model_info"], _model_info.get_info)
        self._raw_config: dict[str, Any] = dict(kwargs)
        self._client = AsyncClient(**split["client_args"])
        self._create_args: dict[str, Any] = split["create_args"]
        self._model_info: ModelInfo = model_info
        self._max_retries = split["max_retries"]
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
    ) -> tuple[dict[str, Any], type[BaseModel] | None]:
        check_extra_create_args(extra_create_args, _RESERVED_EXTRA_KEYS)
        request = dict(self._create_args)
        options = dict(request.get("options") or {})
        for key, value in extra_create_args.items():
            if key == "options":
                options.update(value or {})
            elif key in REQUEST_KEYS or key == "model":
                request[key] = value
            else:
                options[key] = value
        if options:
            request["options"] = options
        output_type = self._output_format(request, json_output)
        request["messages"] = convert_messages(messages, self._model_info)
        schemas = [tool_schema(tool) for tool in tools]
        forced = chosen_tool_name(tool_choice, schemas)
        if schemas and tool_choice != "none":
            if not self._model_info["function_calling"]:
                raise ValueError("This model does not support function calling.")
            if forced is not None:
                schemas = [schema for schema in schemas if schema["name"] == forced]
            request["tools"] = [tool_param(schema) for schema in schemas]
        return request, output_type

    def _output_format(
        self, request: dict[str, Any], json_output: bool | type[BaseModel] | None
    ) -> type[BaseModel] | None:
        """Set the request's ``format``; return the structured output class."""
        if json_output is True:
            request["format"] = "json"
        elif json_output is False:
            request.pop("format", None)
        elif json_output is not None:
            if not (isinstance(json_output, type) and issubclass(json_output, BaseModel)):
                raise TypeError("json_output must be a bool or a pydantic model class")
            request["format"] = json_output
        fmt = request.get("format")
        if isinstance(fmt, type) and issubclass(fmt, BaseModel):
            if not self._model_info.get("structured_output", False):
                raise ValueError("This model does not support structured output.")
            request["format"] = fmt.model_json_schema()
            return fmt
        if fmt == "json" and not self._model_info["json_output"]:
            raise ValueError("This model does not support JSON output.")
        if isinstance(fmt, Mapping) and not self._model_info.get("structured_output", False):
            raise ValueError("This model does not support structured output.")
        return None

    async def _with_retries(self, func: Callable[[], Awaitable[_T]]) -> _T:
        attempt = 0
        while True:
            try:
                return await func()
            except Exception as error:
                if attempt >= self._max_retries or not is_retriable(error):
                    raise
            await anyio.sleep(retry_delay(attempt))
            attempt += 1

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
        request, output_type = self._build_request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        client = self._client

        async def call() -> Any:
            return await self._with_retries(lambda: client.chat(**request, stream=False))

        response = await run_cancellable(call, cancellation_token)
        result = result_from_response(response, self._model_info["family"])
        self._usage.add(result.usage)
        log_call(request["messages"], response, result)
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
        """Stream the response (NDJSON chunks): text, then one :class:`CreateResult`
        with the usage of the final chunk.

        Raises:
            ConnectionError: The stream ended before its final chunk.
        """
        request, output_type = self._build_request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        log_events = log_stream_start(request["messages"])
        client = self._client
        streams: list[AsyncIterator[Any]] = []

        async def open_stream() -> Any:
            stream: AsyncIterator[Any] = await client.chat(**request, stream=True)
            streams.append(stream)
            try:
                return await stream.__anext__()
            except StopAsyncIteration:
                return None
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await _aclose(stream)
                streams.remove(stream)
                raise

        accumulator = StreamAccumulator()
        try:
            first = await run_cancellable(
                lambda: self._with_retries(open_stream), cancellation_token
            )
            if first is not None:
                text = accumulator.add(first)
                if text:
                    yield text
                iterator = streams[-1]
                while (chunk := await next_cancellable(iterator, cancellation_token)) is not None:
                    text = accumulator.add(chunk)
                    if text:
                        yield text
        finally:
            with anyio.CancelScope(shield=True):
                for stream in streams:
                    await _aclose(stream)
        if not accumulator.complete:
            raise ConnectionError("The stream ended before the reply was complete")
        closing = accumulator.close_thinking()
        if closing:
            yield closing
        result = accumulator.result(self._model_info["family"])
        self._usage.add(result.usage)
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
        characters, and 768 per image."""
        characters = 0
        images = 0
        for message in convert_messages(messages, self._model_info):
            images += len(message.get("images", ()))
            characters += len(json.dumps({k: v for k, v in message.items() if k != "images"}))
        for tool in tools:
            characters += len(json.dumps(tool_param(tool_schema(tool))))
        return math.ceil(characters / 4) + 768 * images

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """The context window (``options["num_ctx"]`` if set, else the model's) minus
        :meth:`count_tokens`."""
        options = self._create_args.get("options") or {}
        limit = options.get("num_ctx") or _model_info.get_token_limit(self._create_args["model"])
        return int(limit) - self.count_tokens(messages, tools=tools)

    async def close(self) -> None:
        """Close the SDK client's connections. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._client.close()  # type: ignore[no-untyped-call]  # untyped in the SDK

    def __repr__(self) -> str:
        host = self._raw_config.get("host")
        return f"{type(self).__name__}(model={self._create_args['model']!r}, host={host!r})"

    # -- component config --------------------------------------------------------------

    def _to_config(self) -> BaseOllamaClientConfigurationConfigModel:
        """The client's configuration (a pydantic ``response_format`` as its schema)."""
        fields = BaseOllamaClientConfigurationConfigModel.model_fields
        return BaseOllamaClientConfigurationConfigModel.model_validate(
            config_values(self._raw_config, fields)
        )

    @classmethod
    def _from_config(cls, config: BaseOllamaClientConfigurationConfigModel) -> Self:
        """A client from *config*."""
        return cls(**kwargs_from_config(config))


async def _aclose(stream: AsyncIterator[Any]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
