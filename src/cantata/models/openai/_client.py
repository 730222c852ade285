"""Chat completion clients for OpenAI, Azure OpenAI and OpenAI-compatible servers."""

from __future__ import annotations

import functools
import inspect
import json
import logging
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Literal, NotRequired, TypedDict, TypeVar, cast

import anyio
from openai import AsyncAzureOpenAI, AsyncOpenAI
from openai.resources.chat.completions import AsyncCompletions
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, SecretStr
from typing_extensions import Unpack

from cantata._cancellation_token import CancellationToken
from cantata._constants import EVENT_LOGGER_NAME
from cantata._function_call import FunctionCall
from cantata._image import Image
from cantata.exceptions import MessageCancelledError
from cantata.logging import LLMCallEvent, LLMStreamEndEvent, LLMStreamStartEvent
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    ChatCompletionTokenLogprob,
    CreateResult,
    FinishReasons,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    TopLogprob,
    UserMessage,
    validate_model_info,
)

from . import _model_info
from ._tokens import count_text_tokens

__all__ = [
    "AzureOpenAIChatCompletionClient",
    "AzureOpenAIClientConfiguration",
    "BaseOpenAIChatCompletionClient",
    "CreateArguments",
    "OpenAIChatCompletionClient",
    "OpenAIClientConfiguration",
]

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)
_T = TypeVar("_T")

_CREATE_ARG_KEYS: Final = frozenset(
    {
        "frequency_penalty",
        "logit_bias",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "presence_penalty",
        "response_format",
        "seed",
        "stop",
        "temperature",
        "top_p",
        "user",
        "stream_options",
        "parallel_tool_calls",
        "reasoning_effort",
    }
)
_RESERVED_EXTRA_KEYS: Final = frozenset({"messages", "stream", "tools", "tool_choice"})
_FINISH_REASONS: Final[Mapping[str | None, FinishReasons]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "function_calls",
    "function_call": "function_calls",
    "content_filter": "content_filter",
}


class CreateArguments(TypedDict, total=False):
    """Default arguments of every request (``extra_create_args`` override them)."""

    frequency_penalty: float | None
    logit_bias: dict[str, int] | None
    max_tokens: int | None
    max_completion_tokens: int | None
    n: int | None
    presence_penalty: float | None
    response_format: dict[str, Any] | type[BaseModel]
    seed: int | None
    stop: str | list[str] | None
    temperature: float | None
    top_p: float | None
    user: str
    stream_options: dict[str, Any] | None
    parallel_tool_calls: bool | None
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None


class _ClientArguments(CreateArguments, total=False):
    model: str
    api_key: str | None
    timeout: float | None
    max_retries: int | None
    model_info: ModelInfo
    model_capabilities: dict[str, bool]
    add_name_prefixes: bool
    include_name_in_message: bool
    default_headers: dict[str, str] | None


class OpenAIClientConfiguration(_ClientArguments, total=False):
    """Keyword arguments of :class:`OpenAIChatCompletionClient`."""

    organization: str | None
    base_url: str | None


class AzureOpenAIClientConfiguration(_ClientArguments, total=False):
    """Keyword arguments of :class:`AzureOpenAIChatCompletionClient`."""

    azure_endpoint: str
    azure_deployment: str | None
    api_version: str
    azure_ad_token: str | None
    azure_ad_token_provider: NotRequired[Callable[[], str | Awaitable[str]]]


def _mask(secret: str | None) -> str | None:
    if secret is None:
        return None
    return "****" if len(secret) <= 8 else f"{secret[:3]}****{secret[-2:]}"


class BaseOpenAIChatCompletionClient(ChatCompletionClient):
    """A :class:`~cantata.models.ChatCompletionClient` over an ``openai`` SDK client.

    Args:
        client: The SDK client (``AsyncOpenAI`` or ``AsyncAzureOpenAI``). Retries of
            failed requests (429, 5xx, connection errors) are the SDK's, set by its
            ``max_retries``.
        create_args: Default request arguments; must include ``model``.
        model_info: What the model supports; required unless the model is a known
            OpenAI model.
        add_name_prefixes: Prefix user text with ``"<source> said:\\n"``.
        include_name_in_message: Send the message ``source`` as the ``name`` field.

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
        if model_info is None:
            model_info = _model_info.get_info(model)
            if model_info is None:
                raise ValueError(
                    f"model_info is required for model {model!r}: it is not a known OpenAI "
                    "model. Pass model_info={'vision': ..., 'function_calling': ..., "
                    "'json_output': ..., 'family': ..., 'structured_output': ...}."
                )
        validate_model_info(model_info)
        self._client = client
        self._create_args: dict[str, Any] = dict(create_args)
        self._model_info: ModelInfo = model_info
        self._add_name_prefixes = add_name_prefixes
        self._include_name_in_message = include_name_in_message
        self._actual_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._total_usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._closed = False

    # -- properties ------------------------------------------------------------

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
        reserved = _RESERVED_EXTRA_KEYS.intersection(extra_create_args)
        if reserved:
            raise ValueError(f"extra_create_args cannot set {sorted(reserved)}")
        request = dict(self._create_args)
        request.update(extra_create_args)
        output_type: type[BaseModel] | None = None
        if json_output is not None:
            request.pop("response_format", None)
            if json_output is True:
                request["response_format"] = {"type": "json_object"}
            elif json_output is False:
                request["response_format"] = {"type": "text"}
            elif isinstance(json_output, type) and issubclass(json_output, BaseModel):
                output_type = json_output
            else:
                raise TypeError("json_output must be a bool or a pydantic model class")
        response_format = request.get("response_format")
        if isinstance(response_format, type) and issubclass(response_format, BaseModel):
            output_type = response_format
        if output_type is not None:
            if not self._model_info.get("structured_output", False):
                raise ValueError("This model does not support structured output.")
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": output_type.__name__,
                    "schema": _strict_schema(output_type.model_json_schema()),
                    "strict": True,
                },
            }
        elif (
            isinstance(response_format, Mapping)
            and response_format.get("type") == "json_object"
            and not self._model_info["json_output"]
        ):
            raise ValueError("This model does not support JSON output.")

        request["messages"] = self._convert_messages(messages)
        _route_unknown_to_extra_body(request)
        if tools:
            if not self._model_info["function_calling"]:
                raise ValueError("This model does not support function calling.")
            schemas = [_tool_schema(tool) for tool in tools]
            request["tools"] = [_tool_param(schema) for schema in schemas]
            if isinstance(tool_choice, str):
                if tool_choice not in ("auto", "required", "none"):
                    raise ValueError(f"Invalid tool_choice {tool_choice!r}")
                request["tool_choice"] = tool_choice
            else:
                name = _tool_schema(tool_choice)["name"]
                if name not in {schema["name"] for schema in schemas}:
                    raise ValueError(f"tool_choice names {name!r}, which is not in tools")
                request["tool_choice"] = {"type": "function", "function": {"name": name}}
        elif not isinstance(tool_choice, str):
            raise ValueError("tool_choice names a tool but no tools were given")
        return request, output_type

    def _convert_messages(self, messages: Sequence[LLMMessage]) -> list[dict[str, Any]]:
        converted: list[dict[str, Any]] = []
        for message in messages:
            if isinstance(message, SystemMessage):
                converted.append({"role": "system", "content": message.content})
            elif isinstance(message, UserMessage):
                converted.append(self._convert_user(message))
            elif isinstance(message, AssistantMessage):
                converted.append(self._convert_assistant(message))
            elif isinstance(message, FunctionExecutionResultMessage):
                converted.extend(
                    {"role": "tool", "tool_call_id": result.call_id, "content": result.content}
                    for result in message.content
                )
            else:
                raise TypeError(f"Unknown message type {type(message).__name__}")
        return converted

    def _convert_user(self, message: UserMessage) -> dict[str, Any]:
        prefix = f"{message.source} said:\n" if self._add_name_prefixes else ""
        param: dict[str, Any] = {"role": "user"}
        if isinstance(message.content, str):
            param["content"] = prefix + message.content
        else:
            parts: list[dict[str, Any]] = []
            for index, part in enumerate(message.content):
                if isinstance(part, Image):
                    if not self._model_info["vision"]:
                        raise ValueError("This model does not support images (vision).")
                    parts.append(part.to_openai_format())
                else:
                    text = prefix + part if index == 0 else part
                    parts.append({"type": "text", "text": text})
            param["content"] = parts
        if self._include_name_in_message:
            param["name"] = message.source
        return param

    def _convert_assistant(self, message: AssistantMessage) -> dict[str, Any]:
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
        if self._include_name_in_message:
            param["name"] = message.source
        return param

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

        response = await _run_cancellable(call, cancellation_token)
        usage = RequestUsage(
            prompt_tokens=response.usage.prompt_tokens if response.usage else 0,
            completion_tokens=response.usage.completion_tokens if response.usage else 0,
        )
        if not response.choices:
            raise ValueError("The model returned no choices")
        choice = response.choices[0]
        finish_reason = _FINISH_REASONS.get(choice.finish_reason, "unknown")
        content: str | list[FunctionCall]
        thought: str | None = None
        tool_calls = [
            call for call in (choice.message.tool_calls or []) if getattr(call, "function", None)
        ]
        if tool_calls:
            content = [
                FunctionCall(
                    id=call.id,
                    arguments=call.function.arguments,  # type: ignore[union-attr]  # function tool calls only
                    name=call.function.name,  # type: ignore[union-attr]  # function tool calls only
                )
                for call in tool_calls
            ]
            thought = choice.message.content or None
            finish_reason = "function_calls"
        else:
            content = choice.message.content or ""
            if output_type is not None and content:
                content = output_type.model_validate_json(content).model_dump_json()
        logprobs = None
        if choice.logprobs is not None and choice.logprobs.content is not None:
            logprobs = [
                ChatCompletionTokenLogprob(
                    token=item.token,
                    logprob=item.logprob,
                    top_logprobs=[
                        TopLogprob(logprob=top.logprob, bytes=top.bytes)
                        for top in item.top_logprobs
                    ],
                    bytes=item.bytes,
                )
                for item in choice.logprobs.content
            ]
        result = CreateResult(
            finish_reason=finish_reason,
            content=content,
            usage=usage,
            cached=False,
            logprobs=logprobs,
            thought=thought,
        )
        self._add_usage(usage)
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                LLMCallEvent(
                    messages=request["messages"],
                    response=response.model_dump(mode="json"),
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                )
            )
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
        include_usage: bool | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """Stream the response: text chunks, then one :class:`CreateResult`.

        Usage is requested (``stream_options={"include_usage": True}``) unless
        *include_usage* is ``False`` or ``stream_options`` is set explicitly.
        """
        request, output_type = self._build_request(
            messages, tools, tool_choice, json_output, extra_create_args
        )
        request["stream"] = True
        if include_usage is not None:
            request["stream_options"] = {"include_usage": include_usage}
        elif request.get("stream_options") is None:
            request["stream_options"] = {"include_usage": True}
        log_events = _event_logger.isEnabledFor(logging.INFO)
        if log_events:
            _event_logger.info(LLMStreamStartEvent(messages=request["messages"]))
        completions = self._client.chat.completions

        async def open_stream() -> Any:
            return await completions.create(**request)

        stream = await _run_cancellable(open_stream, cancellation_token)
        text_parts: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        finish: str | None = None
        usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        iterator = stream.__aiter__()

        async def next_chunk() -> ChatCompletionChunk | None:
            try:
                chunk: ChatCompletionChunk = await iterator.__anext__()
            except StopAsyncIteration:
                return None
            return chunk

        try:
            while True:
                chunk = await _run_cancellable(next_chunk, cancellation_token)
                if chunk is None:
                    break
                if chunk.usage is not None:
                    usage = RequestUsage(
                        prompt_tokens=chunk.usage.prompt_tokens,
                        completion_tokens=chunk.usage.completion_tokens,
                    )
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.finish_reason is not None:
                    finish = choice.finish_reason
                delta = choice.delta
                if delta.content:
                    text_parts.append(delta.content)
                    yield delta.content
                for call in delta.tool_calls or []:
                    entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                    if call.id:
                        entry["id"] = call.id
                    if call.function is not None:
                        if call.function.name:
                            entry["name"] += call.function.name
                        if call.function.arguments:
                            entry["arguments"] += call.function.arguments
        finally:
            with anyio.CancelScope(shield=True):
                await stream.close()

        text = "".join(text_parts)
        content: str | list[FunctionCall]
        thought: str | None = None
        finish_reason = _FINISH_REASONS.get(finish, "unknown")
        if calls:
            content = [FunctionCall(**calls[index]) for index in sorted(calls)]
            thought = text or None
            finish_reason = "function_calls"
        else:
            content = text
            if output_type is not None and content:
                content = output_type.model_validate_json(content).model_dump_json()
        result = CreateResult(
            finish_reason=finish_reason, content=content, usage=usage, cached=False, thought=thought
        )
        self._add_usage(usage)
        if log_events:
            _event_logger.info(
                LLMStreamEndEvent(
                    response=result.model_dump(mode="json"),
                    prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens,
                )
            )
        yield result

    # -- usage, tokens, close ----------------------------------------------------

    def _add_usage(self, usage: RequestUsage) -> None:
        self._actual_usage = usage
        self._total_usage = RequestUsage(
            prompt_tokens=self._total_usage.prompt_tokens + usage.prompt_tokens,
            completion_tokens=self._total_usage.completion_tokens + usage.completion_tokens,
        )

    def actual_usage(self) -> RequestUsage:
        return self._actual_usage

    def total_usage(self) -> RequestUsage:
        return self._total_usage

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """Count the prompt tokens of *messages* and *tools*.

        Uses ``tiktoken`` when it and the model's encoding are available, otherwise
        an approximation of four characters per token.
        """
        model = str(self._create_args["model"])
        total = 3  # the reply is primed with <|start|>assistant<|message|>
        for param in self._convert_messages(messages):
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
            total += 7 + count_text_tokens(json.dumps(_tool_schema(tool)), model)
        return total

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        limit = _model_info.get_token_limit(str(self._create_args["model"]))
        return limit - self.count_tokens(messages, tools=tools)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._client.close()

    def _to_config(self) -> OpenAIClientConfigurationConfigModel:
        """The client's configuration, API key masked when dumped."""
        api_key = cast(str | None, getattr(self._client, "api_key", None))
        return OpenAIClientConfigurationConfigModel(
            model=str(self._create_args["model"]),
            api_key=None if api_key is None else SecretStr(api_key),
            base_url=str(self._client.base_url),
            model_info=dict(self._model_info),
        )

    def __repr__(self) -> str:
        api_key = cast(str | None, getattr(self._client, "api_key", None))
        base_url = str(self._client.base_url)
        return (
            f"{type(self).__name__}(model={self._create_args['model']!r}, "
            f"base_url={base_url!r}, api_key={_mask(api_key)!r})"
        )


async def _run_cancellable(
    func: Callable[[], Awaitable[_T]], token: CancellationToken | None
) -> _T:
    """Await ``func()`` in a cancel scope that the token cancels.

    Raises MessageCancelledError if the token stopped it; a cancellation of an
    enclosing scope propagates unchanged.
    """
    if token is None:
        return await func()
    if token.is_cancelled():
        raise MessageCancelledError("The model call was cancelled")
    with anyio.CancelScope() as scope:
        handle = token._add_cancel_hook(scope.cancel)
        try:
            return await func()
        finally:
            token._remove_cancel_hook(handle)
    raise MessageCancelledError("The model call was cancelled")


@functools.cache
def _sdk_parameters() -> frozenset[str]:
    signature = inspect.signature(AsyncCompletions.create)
    return frozenset(signature.parameters) - {"self"}


def _route_unknown_to_extra_body(request: dict[str, Any]) -> None:
    """Move arguments the SDK does not name (provider extensions such as ``top_k``)
    into ``extra_body``, which the SDK merges into the JSON body."""
    known = _sdk_parameters()
    unknown = [key for key in request if key not in known]
    if unknown:
        extra_body = dict(request.get("extra_body") or {})
        for key in unknown:
            extra_body[key] = request.pop(key)
        request["extra_body"] = extra_body


def _tool_schema(tool: Any) -> Mapping[str, Any]:
    if isinstance(tool, Mapping):
        return tool
    schema = getattr(tool, "schema", None)
    if not isinstance(schema, Mapping):
        raise TypeError(f"Not a tool or tool schema: {tool!r}")
    return schema


def _tool_param(schema: Mapping[str, Any]) -> dict[str, Any]:
    function: dict[str, Any] = {"name": schema["name"]}
    if "description" in schema:
        function["description"] = schema["description"]
    function["parameters"] = dict(schema.get("parameters", {"type": "object", "properties": {}}))
    if "strict" in schema:
        function["strict"] = schema["strict"]
    return {"type": "function", "function": function}


def _strict_schema(schema: Any) -> Any:
    """Make a pydantic JSON schema follow OpenAI's strict rules: every object lists
    all its properties as required and allows no others."""
    if isinstance(schema, dict):
        out = {key: _strict_schema(value) for key, value in schema.items()}
        if out.get("type") == "object" and isinstance(out.get("properties"), dict):
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
        out.pop("default", None)
        return out
    if isinstance(schema, list):
        return [_strict_schema(item) for item in schema]
    return schema


def _split_config(
    kwargs: Mapping[str, Any], client_keys: frozenset[str]
) -> tuple[dict[str, Any], dict[str, Any], ModelInfo | None, bool, bool]:
    unknown = set(kwargs) - client_keys - _CREATE_ARG_KEYS - _OWN_KEYS
    if unknown:
        raise TypeError(f"Unexpected arguments: {sorted(unknown)}")
    if not kwargs.get("model"):
        raise ValueError("model is required")
    client_args = {key: kwargs[key] for key in client_keys if key in kwargs}
    if client_args.get("timeout") is None:
        client_args.pop("timeout", None)
    if client_args.get("max_retries") is None:
        client_args.pop("max_retries", None)
    create_args = {key: kwargs[key] for key in _CREATE_ARG_KEYS if key in kwargs}
    create_args["model"] = kwargs["model"]
    model_info = cast(ModelInfo | None, kwargs.get("model_info"))
    capabilities = kwargs.get("model_capabilities")
    if model_info is None and capabilities is not None:
        model_info = {
            "vision": bool(capabilities.get("vision", False)),
            "function_calling": bool(capabilities.get("function_calling", False)),
            "json_output": bool(capabilities.get("json_output", False)),
            "family": ModelFamily.UNKNOWN,
            "structured_output": bool(capabilities.get("structured_output", False)),
        }
    return (
        client_args,
        create_args,
        model_info,
        bool(kwargs.get("add_name_prefixes", False)),
        bool(kwargs.get("include_name_in_message", True)),
    )


_OWN_KEYS: Final = frozenset(
    {"model", "model_info", "model_capabilities", "add_name_prefixes", "include_name_in_message"}
)
_OPENAI_CLIENT_KEYS: Final = frozenset(
    {"api_key", "organization", "base_url", "timeout", "max_retries", "default_headers"}
)
_AZURE_CLIENT_KEYS: Final = frozenset(
    {
        "api_key",
        "azure_endpoint",
        "azure_deployment",
        "api_version",
        "azure_ad_token",
        "azure_ad_token_provider",
        "timeout",
        "max_retries",
        "default_headers",
    }
)


class OpenAIChatCompletionClient(BaseOpenAIChatCompletionClient):
    """A client of the OpenAI chat-completions API, or of any compatible server
    (Ollama, vLLM, LiteLLM, ...) through ``base_url``.

    ``model`` is required. ``model_info`` is required unless ``model`` is a known
    OpenAI model (gpt-4o, gpt-4o-mini, gpt-4.1*, o1, o3, o4-mini, gpt-3.5-turbo,
    also with a version suffix). The API key defaults to ``OPENAI_API_KEY``.
    Request arguments such as ``temperature``, ``seed`` or ``response_format``
    (a dict, or a pydantic model class for structured output) apply to every call.

    Example::

        client = OpenAIChatCompletionClient(model="gpt-4o-mini")
        result = await client.create([UserMessage(content="Hi", source="user")])
    """

    def __init__(self, **kwargs: Unpack[OpenAIClientConfiguration]) -> None:
        client_args, create_args, model_info, prefixes, names = _split_config(
            kwargs, _OPENAI_CLIENT_KEYS
        )
        if client_args.get("api_key") is None and not os.environ.get("OPENAI_API_KEY"):
            if client_args.get("base_url") is None:
                raise ValueError("api_key is required (or set OPENAI_API_KEY)")
            # Local OpenAI-compatible servers usually need no key; the SDK needs one.
            client_args["api_key"] = "not-needed"
        super().__init__(
            AsyncOpenAI(**client_args),
            create_args=create_args,
            model_info=model_info,
            add_name_prefixes=prefixes,
            include_name_in_message=names,
        )


class AzureOpenAIChatCompletionClient(BaseOpenAIChatCompletionClient):
    """A client of an Azure OpenAI deployment.

    Takes the arguments of :class:`OpenAIChatCompletionClient` except
    ``organization`` and ``base_url``, plus ``azure_endpoint``,
    ``azure_deployment``, ``api_version`` and either ``api_key``,
    ``azure_ad_token`` or ``azure_ad_token_provider``.
    """

    def __init__(self, **kwargs: Unpack[AzureOpenAIClientConfiguration]) -> None:
        client_args, create_args, model_info, prefixes, names = _split_config(
            kwargs, _AZURE_CLIENT_KEYS
        )
        super().__init__(
            AsyncAzureOpenAI(**client_args),
            create_args=create_args,
            model_info=model_info,
            add_name_prefixes=prefixes,
            include_name_in_message=names,
        )


class OpenAIClientConfigurationConfigModel(BaseModel):
    """The serializable configuration of a client; the API key is a
    :class:`~pydantic.SecretStr`, dumped as ``"**********"``."""

    model: str
    api_key: SecretStr | None = None
    base_url: str | None = None
    model_info: dict[str, Any] | None = None
