"""The Ollama client's arguments: keyword types, component config models, splitting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, cast

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict

from cantata.models import ModelCapabilities, ModelInfo
from cantata.models._client_info import info_from_capabilities

__all__ = [
    "CLIENT_KEYS",
    "REQUEST_KEYS",
    "BaseOllamaClientConfiguration",
    "BaseOllamaClientConfigurationConfigModel",
    "CreateArguments",
    "CreateArgumentsConfigModel",
    "SplitConfig",
    "config_values",
    "kwargs_from_config",
    "split_config",
]


class CreateArguments(TypedDict, total=False):
    """The model, the server and the default output format."""

    model: str
    host: str | None
    response_format: Any
    """A pydantic model class (structured output), a JSON schema dict, or ``"json"``."""


class BaseOllamaClientConfiguration(CreateArguments, total=False):
    """Keyword arguments of :class:`OllamaChatCompletionClient`."""

    follow_redirects: bool
    timeout: Any
    headers: Mapping[str, str] | None
    model_capabilities: ModelCapabilities
    model_info: ModelInfo
    options: Mapping[str, Any] | None
    """Model options (``temperature``, ``num_ctx``, ``seed``, ...) of every request."""
    think: bool | Literal["low", "medium", "high"] | None
    keep_alive: float | str | None
    max_retries: int
    """Retries of a request that failed with 408, 429 or 5xx, or could not connect."""


class CreateArgumentsConfigModel(BaseModel):
    """The model, server and output format in a component config."""

    model: str
    host: str | None = None
    response_format: Any = None


class BaseOllamaClientConfigurationConfigModel(CreateArgumentsConfigModel):
    """The component config of :class:`OllamaChatCompletionClient`. An ``Authorization``
    header is written masked (``"**********"``) and a masked one read back is dropped."""

    model_config = ConfigDict(extra="forbid")

    follow_redirects: bool = True
    timeout: Any = None
    headers: Mapping[str, str] | None = None
    model_capabilities: dict[str, bool] | None = None
    model_info: dict[str, Any] | None = None
    options: Mapping[str, Any] | None = None
    think: bool | Literal["low", "medium", "high"] | None = None
    keep_alive: float | str | None = None
    max_retries: int | None = None


CLIENT_KEYS: Final = frozenset({"host", "follow_redirects", "timeout", "headers"})
"""Arguments of the SDK client."""

REQUEST_KEYS: Final = frozenset({"format", "options", "keep_alive", "think"})
"""Arguments of ``AsyncClient.chat`` a request may set; any other request argument is a
model option."""

_OWN_KEYS: Final = frozenset(
    {"model", "model_info", "model_capabilities", "response_format", "max_retries"}
)
_MASK: Final = "**********"
_SECRET_HEADERS: Final = frozenset({"authorization"})


class SplitConfig(TypedDict):
    client_args: dict[str, Any]
    create_args: dict[str, Any]
    model_info: ModelInfo | None
    max_retries: int


def split_config(kwargs: Mapping[str, Any]) -> SplitConfig:
    """Sort the keyword arguments into SDK-client, request and own arguments.

    Raises:
        TypeError: An argument the client does not take.
        ValueError: No ``model``; a negative ``max_retries``.
    """
    unknown = set(kwargs) - CLIENT_KEYS - _OWN_KEYS - {"options", "think", "keep_alive"}
    if unknown:
        raise TypeError(f"Unexpected arguments: {sorted(unknown)}")
    model = kwargs.get("model")
    if not model or not isinstance(model, str):
        raise ValueError("model is required")
    max_retries = kwargs.get("max_retries")
    max_retries = 2 if max_retries is None else int(max_retries)
    if max_retries < 0:
        raise ValueError("max_retries must be 0 or more")
    client_args = {key: kwargs[key] for key in CLIENT_KEYS if kwargs.get(key) is not None}
    create_args: dict[str, Any] = {"model": model}
    for key in ("think", "keep_alive"):
        if kwargs.get(key) is not None:
            create_args[key] = kwargs[key]
    if kwargs.get("options"):
        create_args["options"] = dict(kwargs["options"])
    if kwargs.get("response_format") is not None:
        create_args["format"] = kwargs["response_format"]
    model_info = info_from_capabilities(
        cast(ModelInfo | None, kwargs.get("model_info")), kwargs.get("model_capabilities")
    )
    return {
        "client_args": client_args,
        "create_args": create_args,
        "model_info": model_info,
        "max_retries": max_retries,
    }


def config_values(raw: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor keywords in *raw* that the config model has, ready to validate.

    A pydantic ``response_format`` is written as its JSON schema; secret headers masked.
    """
    values = {key: value for key, value in raw.items() if key in fields and value is not None}
    response_format = values.get("response_format")
    if isinstance(response_format, type) and issubclass(response_format, BaseModel):
        values["response_format"] = response_format.model_json_schema()
    headers = values.get("headers")
    if headers:
        values["headers"] = {
            key: (_MASK if key.lower() in _SECRET_HEADERS else value)
            for key, value in headers.items()
        }
    options = values.get("options")
    if options is not None and not isinstance(options, dict):
        values["options"] = dict(options)
    return values


def kwargs_from_config(config: BaseOllamaClientConfigurationConfigModel) -> dict[str, Any]:
    """The constructor keywords of a loaded config; masked headers are dropped."""
    kwargs: dict[str, Any] = {}
    for name in type(config).model_fields:
        value = getattr(config, name)
        if value is None:
            continue
        if name == "headers":
            value = {key: item for key, item in value.items() if item != _MASK}
        kwargs[name] = value
    return kwargs
