"""The clients' arguments: keyword-argument types, component config models, argument splitting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Literal, NotRequired, Required, TypedDict, cast

from pydantic import BaseModel, ConfigDict, SecretStr

from cantata.models import ModelInfo
from cantata.models._client_info import info_from_capabilities

from ._messages import structured_response_format

__all__ = [
    "AZURE_CLIENT_KEYS",
    "AZURE_OPENAI_USER_AGENT",
    "CREATE_ARG_KEYS",
    "OPENAI_CLIENT_KEYS",
    "AzureOpenAIClientConfiguration",
    "AzureOpenAIClientConfigurationConfigModel",
    "BaseOpenAIClientConfiguration",
    "BaseOpenAIClientConfigurationConfigModel",
    "CreateArguments",
    "CreateArgumentsConfigModel",
    "OpenAIClientConfiguration",
    "JSONSchema",
    "OpenAIClientConfigurationConfigModel",
    "ResponseFormat",
    "SplitConfig",
    "StreamOptions",
    "config_values",
    "kwargs_from_config",
    "split_config",
]

AZURE_OPENAI_USER_AGENT: Final = "cantata-python"
"""The ``User-Agent`` the Azure client sends unless ``default_headers`` sets one."""

CREATE_ARG_KEYS: Final = frozenset(
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
"""Request arguments a client applies to every call."""

_OWN_KEYS: Final = frozenset(
    {"model", "model_info", "model_capabilities", "add_name_prefixes", "include_name_in_message"}
)
OPENAI_CLIENT_KEYS: Final = frozenset(
    {"api_key", "organization", "base_url", "timeout", "max_retries", "default_headers"}
)
AZURE_CLIENT_KEYS: Final = frozenset(
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


class JSONSchema(TypedDict, total=False):
    """The ``json_schema`` part of a ``response_format`` of type ``"json_schema"``."""

    name: Required[str]
    description: str
    schema: dict[str, object]
    strict: bool | None


class ResponseFormat(TypedDict):
    """A ``response_format`` request argument."""

    type: Literal["text", "json_object", "json_schema"]
    json_schema: NotRequired[JSONSchema | None]


class StreamOptions(TypedDict):
    """The ``stream_options`` request argument."""

    include_usage: bool


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


class BaseOpenAIClientConfiguration(CreateArguments, total=False):
    """Keyword arguments both clients take."""

    model: str
    api_key: str | None
    timeout: float | None
    max_retries: int | None
    model_info: ModelInfo
    model_capabilities: dict[str, bool]
    add_name_prefixes: bool
    include_name_in_message: bool
    default_headers: dict[str, str] | None


class OpenAIClientConfiguration(BaseOpenAIClientConfiguration, total=False):
    """Keyword arguments of :class:`OpenAIChatCompletionClient`."""

    organization: str | None
    base_url: str | None


class AzureOpenAIClientConfiguration(BaseOpenAIClientConfiguration, total=False):
    """Keyword arguments of :class:`AzureOpenAIChatCompletionClient`."""

    azure_endpoint: str
    azure_deployment: str | None
    api_version: str
    azure_ad_token: str | None
    azure_ad_token_provider: NotRequired[Callable[[], str | Awaitable[str]]]


# -- Component config models: what dump_component writes and load_component reads -----------


class CreateArgumentsConfigModel(BaseModel):
    """The request arguments of a client's component config."""

    model_config = ConfigDict(extra="forbid")

    frequency_penalty: float | None = None
    logit_bias: dict[str, int] | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = None
    presence_penalty: float | None = None
    response_format: dict[str, Any] | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    user: str | None = None
    stream_options: dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None


class BaseOpenAIClientConfigurationConfigModel(CreateArgumentsConfigModel):
    """The settings both clients share. ``api_key`` is a :class:`~pydantic.SecretStr`: it
    dumps to JSON as ``"**********"``, and a masked key read back counts as no key (the
    client then takes it from the environment)."""

    model: str
    api_key: SecretStr | None = None
    timeout: float | None = None
    max_retries: int | None = None
    model_capabilities: dict[str, bool] | None = None
    model_info: dict[str, Any] | None = None
    add_name_prefixes: bool | None = None
    include_name_in_message: bool | None = None
    default_headers: dict[str, str] | None = None


class OpenAIClientConfigurationConfigModel(BaseOpenAIClientConfigurationConfigModel):
    """The component config of :class:`OpenAIChatCompletionClient`."""

    organization: str | None = None
    base_url: str | None = None


class AzureOpenAIClientConfigurationConfigModel(BaseOpenAIClientConfigurationConfigModel):
    """The component config of :class:`AzureOpenAIChatCompletionClient`.

    A callable ``azure_ad_token_provider`` cannot be written to a config; a client that
    uses one dumps without it and must be given one again when loaded.
    """

    azure_endpoint: str
    azure_deployment: str | None = None
    api_version: str
    azure_ad_token: SecretStr | None = None
    azure_ad_token_provider: dict[str, Any] | None = None
    """Accepted so that autogen's configs validate; loading one with a token provider
    component raises ``ValueError`` (pass ``azure_ad_token_provider=`` in code instead)."""


_MASK = "**********"
_SECRETS = frozenset({"api_key", "azure_ad_token"})


def kwargs_from_config(config: BaseOpenAIClientConfigurationConfigModel) -> dict[str, Any]:
    """The constructor keywords of a loaded config: secrets revealed, masked ones dropped.

    Raises:
        ValueError: The config names an Azure AD token provider component.
    """
    if getattr(config, "azure_ad_token_provider", None) is not None:
        raise ValueError(
            "Loading an azure_ad_token_provider from a config is not supported; create the "
            "client in code with azure_ad_token_provider=... (or give api_key / azure_ad_token)"
        )
    kwargs: dict[str, Any] = {}
    for name in type(config).model_fields:
        value = getattr(config, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
            if value == _MASK:
                continue
        kwargs[name] = value
    return kwargs


def config_values(raw: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor keywords in *raw* that the config model has, ready to validate."""
    values = {key: value for key, value in raw.items() if key in fields and value is not None}
    for key in _SECRETS.intersection(values):
        values[key] = SecretStr(values[key])  # never in clear, not even in a ValidationError
    response_format = values.get("response_format")
    if isinstance(response_format, type):
        # A pydantic class cannot be written out; its strict schema can.
        values["response_format"] = structured_response_format(response_format)
    return values


# -- Splitting the keyword arguments --------------------------------------------------------


class SplitConfig(TypedDict):
    client_args: dict[str, Any]
    create_args: dict[str, Any]
    model_info: ModelInfo | None
    add_name_prefixes: bool
    include_name_in_message: bool


def split_config(kwargs: Mapping[str, Any], client_keys: frozenset[str]) -> SplitConfig:
    """Sort a client's keyword arguments into SDK-client, request and own arguments.

    Raises:
        TypeError: An argument the client does not take.
        ValueError: ``model`` is missing.
    """
    unknown = set(kwargs) - client_keys - CREATE_ARG_KEYS - _OWN_KEYS
    if unknown:
        raise TypeError(f"Unexpected arguments: {sorted(unknown)}")
    if not kwargs.get("model"):
        raise ValueError("model is required")
    client_args = {key: kwargs[key] for key in client_keys if kwargs.get(key) is not None}
    create_args = {key: kwargs[key] for key in CREATE_ARG_KEYS if key in kwargs}
    create_args["model"] = kwargs["model"]
    model_info = info_from_capabilities(
        cast(ModelInfo | None, kwargs.get("model_info")), kwargs.get("model_capabilities")
    )
    return {
        "client_args": client_args,
        "create_args": create_args,
        "model_info": model_info,
        "add_name_prefixes": bool(kwargs.get("add_name_prefixes", False)),
        "include_name_in_message": bool(kwargs.get("include_name_in_message", True)),
    }
