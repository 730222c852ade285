"""The Anthropic clients' arguments: keyword types, component config models, splitting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, Required, cast

from pydantic import BaseModel, ConfigDict, SecretStr
from typing_extensions import TypedDict

from cantata.models import ModelCapabilities, ModelInfo
from cantata.models._client_info import info_from_capabilities

__all__ = [
    "BEDROCK_KEYS",
    "CLIENT_KEYS",
    "CREATE_ARG_KEYS",
    "AnthropicBedrockClientConfiguration",
    "AnthropicBedrockClientConfigurationConfigModel",
    "AnthropicClientConfiguration",
    "AnthropicClientConfigurationConfigModel",
    "BaseAnthropicClientConfiguration",
    "BaseAnthropicClientConfigurationConfigModel",
    "BedrockInfo",
    "BedrockInfoConfigModel",
    "CreateArguments",
    "CreateArgumentsConfigModel",
    "ResponseFormat",
    "SplitConfig",
    "ThinkingConfig",
    "ThinkingConfigModel",
    "config_values",
    "kwargs_from_config",
    "split_config",
]

DEFAULT_MAX_TOKENS: Final = 4096
"""``max_tokens`` of a request when the client is not given one (the API requires it)."""


class ResponseFormat(TypedDict):
    """``{"type": "json_object"}`` asks for JSON (as ``json_output=True`` does)."""

    type: Literal["text", "json_object"]


class ThinkingConfig(TypedDict, total=False):
    """Extended thinking: ``{"type": "enabled", "budget_tokens": 2048}``."""

    type: Required[Literal["enabled", "disabled", "adaptive"]]
    budget_tokens: int | None


class CreateArguments(TypedDict, total=False):
    """Default arguments of every request (``extra_create_args`` override them)."""

    model: str
    max_tokens: int | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    stop_sequences: list[str] | None
    response_format: ResponseFormat | None
    metadata: dict[str, str] | None
    thinking: ThinkingConfig | None


class BaseAnthropicClientConfiguration(CreateArguments, total=False):
    """The keyword arguments both Anthropic clients take."""

    api_key: str
    base_url: str | None
    model_capabilities: ModelCapabilities
    model_info: ModelInfo
    timeout: float | None
    max_retries: int | None
    default_headers: dict[str, str] | None


class AnthropicClientConfiguration(BaseAnthropicClientConfiguration, total=False):
    """Keyword arguments of :class:`AnthropicChatCompletionClient`.

    ``tools`` and ``tool_choice`` are accepted for compatibility with autogen's configs
    and must be ``None``: give tools to each ``create`` call.
    """

    tools: list[dict[str, Any]] | None
    tool_choice: Literal["auto", "any", "none"] | dict[str, Any] | None


class BedrockInfo(TypedDict):
    """The AWS credentials and region of :class:`AnthropicBedrockChatCompletionClient`."""

    aws_access_key: Required[str]
    aws_secret_key: Required[str]
    aws_session_token: Required[str]
    aws_region: Required[str]


class AnthropicBedrockClientConfiguration(AnthropicClientConfiguration, total=False):
    """Keyword arguments of :class:`AnthropicBedrockChatCompletionClient`."""

    bedrock_info: BedrockInfo


# -- Component config models ---------------------------------------------------------------


class ThinkingConfigModel(BaseModel):
    """The ``thinking`` setting of a config."""

    type: Literal["enabled", "disabled", "adaptive"]
    budget_tokens: int | None = None


class CreateArgumentsConfigModel(BaseModel):
    """The request arguments of an Anthropic client's component config."""

    model: str
    max_tokens: int | None = DEFAULT_MAX_TOKENS
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    response_format: ResponseFormat | None = None
    metadata: dict[str, str] | None = None
    thinking: ThinkingConfigModel | None = None


class BaseAnthropicClientConfigurationConfigModel(CreateArgumentsConfigModel):
    """The settings both clients share. ``api_key`` is a :class:`~pydantic.SecretStr`:
    it dumps to JSON as ``"**********"``, and a masked key read back counts as no key
    (the client then takes it from ``ANTHROPIC_API_KEY``)."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr | None = None
    base_url: str | None = None
    model_capabilities: dict[str, bool] | None = None
    model_info: dict[str, Any] | None = None
    timeout: float | None = None
    max_retries: int | None = None
    default_headers: dict[str, str] | None = None


class AnthropicClientConfigurationConfigModel(BaseAnthropicClientConfigurationConfigModel):
    """The component config of :class:`AnthropicChatCompletionClient`."""

    tools: list[dict[str, Any]] | None = None
    tool_choice: Literal["auto", "any", "none"] | dict[str, Any] | None = None


class BedrockInfoConfigModel(BaseModel):
    """AWS credentials in a config: the keys are secrets (masked in JSON)."""

    aws_access_key: SecretStr
    aws_secret_key: SecretStr
    aws_session_token: SecretStr
    aws_region: str


class AnthropicBedrockClientConfigurationConfigModel(AnthropicClientConfigurationConfigModel):
    """The component config of :class:`AnthropicBedrockChatCompletionClient`."""

    bedrock_info: BedrockInfoConfigModel | None = None


# -- Splitting keyword arguments -----------------------------------------------------------

CREATE_ARG_KEYS: Final = frozenset(
    {
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "response_format",
        "metadata",
        "thinking",
    }
)
"""Request arguments a client applies to every call."""

CLIENT_KEYS: Final = frozenset({"api_key", "base_url", "timeout", "max_retries", "default_headers"})
"""Arguments of the SDK client."""

BEDROCK_KEYS: Final = frozenset({"bedrock_info"})
_OWN_KEYS: Final = frozenset({"model", "model_info", "model_capabilities", "tools", "tool_choice"})
_MASK: Final = "**********"


class SplitConfig(TypedDict):
    client_args: dict[str, Any]
    create_args: dict[str, Any]
    model_info: ModelInfo | None


def split_config(
    kwargs: Mapping[str, Any], extra_keys: frozenset[str] = frozenset()
) -> SplitConfig:
    """Sort a client's keyword arguments into SDK-client, request and own arguments.

    Raises:
        TypeError: An argument the client does not take.
        ValueError: No ``model``; ``tools`` or ``tool_choice`` set.
    """
    unknown = set(kwargs) - CLIENT_KEYS - CREATE_ARG_KEYS - _OWN_KEYS - extra_keys
    if unknown:
        raise TypeError(f"Unexpected arguments: {sorted(unknown)}")
    model = kwargs.get("model")
    if not model or not isinstance(model, str):
        raise ValueError("model is required")
    for key in ("tools", "tool_choice"):
        if kwargs.get(key) is not None:
            raise ValueError(f"{key} cannot be set on the client; pass it to create()")
    client_args = {key: kwargs[key] for key in CLIENT_KEYS if kwargs.get(key) is not None}
    create_args = {key: kwargs[key] for key in CREATE_ARG_KEYS if kwargs.get(key) is not None}
    create_args["model"] = model
    create_args.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
    model_info = info_from_capabilities(
        cast(ModelInfo | None, kwargs.get("model_info")), kwargs.get("model_capabilities")
    )
    return {"client_args": client_args, "create_args": create_args, "model_info": model_info}


def _reveal(value: Any) -> Any:
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        return None if secret == _MASK else secret
    if isinstance(value, BaseModel):
        return {key: _reveal(item) for key, item in value}
    return value


def kwargs_from_config(config: BaseModel) -> dict[str, Any]:
    """The constructor keywords of a loaded config: secrets revealed, masked ones dropped.

    Raises:
        ValueError: ``bedrock_info`` with a masked (dumped) credential.
    """
    kwargs: dict[str, Any] = {}
    for name in type(config).model_fields:
        value = _reveal(getattr(config, name))
        if value is None:
            continue
        if name == "bedrock_info" and None in value.values():
            raise ValueError(
                "bedrock_info holds masked credentials (a dumped config); give the AWS "
                "credentials again"
            )
        kwargs[name] = value
    return kwargs


def config_values(raw: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor keywords in *raw* that the config model has, ready to validate;
    secrets are wrapped so that they never show in clear (not even in a ValidationError)."""
    values = {key: value for key, value in raw.items() if key in fields and value is not None}
    if "api_key" in values:
        values["api_key"] = SecretStr(values["api_key"])
    info = values.get("bedrock_info")
    if isinstance(info, Mapping):
        values["bedrock_info"] = {
            key: (SecretStr(value) if key != "aws_region" else value) for key, value in info.items()
        }
    return values
