"""The OpenAI and Azure OpenAI clients: construction from keywords, component config, pickling."""

from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar, Self

from openai import AsyncAzureOpenAI, AsyncOpenAI
from typing_extensions import Unpack

from cantata._components import Component
from cantata.models._pickling import PickledAsKeywords

from ._base_client import BaseOpenAIChatCompletionClient
from ._config import (
    AZURE_CLIENT_KEYS,
    AZURE_OPENAI_USER_AGENT,
    OPENAI_CLIENT_KEYS,
    AzureOpenAIClientConfiguration,
    AzureOpenAIClientConfigurationConfigModel,
    OpenAIClientConfiguration,
    OpenAIClientConfigurationConfigModel,
    config_values,
    kwargs_from_config,
    split_config,
)
from ._presets import apply_preset

__all__ = ["AzureOpenAIChatCompletionClient", "OpenAIChatCompletionClient"]


class OpenAIChatCompletionClient(
    PickledAsKeywords,
    BaseOpenAIChatCompletionClient,
    Component[OpenAIClientConfigurationConfigModel],
):
    """A client of the OpenAI chat-completions API, or of any compatible server
    (Ollama, vLLM, LiteLLM, ...) through ``base_url``.

    ``model`` is required. ``model_info`` is required unless ``model`` is a known model
    (gpt-4o, gpt-4o-mini, gpt-4.1*, o1, o3, o4-mini, gpt-4, gpt-3.5-turbo, the Gemini,
    Claude and Llama models below; also with a version suffix). The API key defaults to
    ``OPENAI_API_KEY`` and ``base_url`` to ``OPENAI_BASE_URL``; a local server (``base_url``
    set) needs no key. Request arguments
    such as ``temperature``, ``seed`` or ``response_format`` (a dict, or a pydantic model
    class for structured output) apply to every call.

    A model named ``gemini-...``, ``claude-...`` or ``Llama-...`` without a ``base_url``
    goes to that provider's OpenAI-compatible endpoint, with the key from
    ``GEMINI_API_KEY``, ``ANTHROPIC_API_KEY`` or ``LLAMA_API_KEY``.

    The client is a component (``dump_component()`` writes the API key masked) and can be
    pickled (the pickle holds the arguments, API key included, and the SDK client is created
    again when unpickled).

    Example::

        client = OpenAIChatCompletionClient(model="gpt-4o-mini")
        result = await client.create([UserMessage(content="Hi", source="user")])

    Raises:
        ValueError: No ``model``; an unknown model without ``model_info``; no API key
            for the hosted API.
        TypeError: An argument the client does not take.
    """

    component_provider_override: ClassVar[str | None] = (
        "cantata.models.openai.OpenAIChatCompletionClient"
    )
    component_config_schema = OpenAIClientConfigurationConfigModel

    def __init__(self, **kwargs: Unpack[OpenAIClientConfiguration]) -> None:
        split = split_config(kwargs, OPENAI_CLIENT_KEYS)
        client_args = split["client_args"]
        preset = apply_preset(kwargs["model"], client_args)
        if preset is not None and client_args.get("api_key") is None:
            raise ValueError(
                f"api_key is required for {kwargs['model']!r} (or set {preset.api_key_env})"
            )
        if client_args.get("base_url") is None and os.environ.get("OPENAI_BASE_URL"):
            client_args["base_url"] = os.environ["OPENAI_BASE_URL"]

        if client_args.get("api_key") is None and not os.environ.get("OPENAI_API_KEY"):
            if client_args.get("base_url") is None:
                raise ValueError("api_key is required (or set OPENAI_API_KEY)")
            # Local OpenAI-compatible servers usually need no key; the SDK needs one.
            client_args["api_key"] = "not-needed"
        self._raw_config: dict[str, Any] = dict(kwargs)
        super().__init__(
            AsyncOpenAI(**client_args),
            create_args=split["create_args"],
            model_info=split["model_info"],
            add_name_prefixes=split["add_name_prefixes"],
            include_name_in_message=split["include_name_in_message"],
        )

    def _to_config(self) -> OpenAIClientConfigurationConfigModel:
        """The client's configuration; the API key is kept as a secret (masked in JSON)."""
        fields = OpenAIClientConfigurationConfigModel.model_fields
        return OpenAIClientConfigurationConfigModel.model_validate(
            config_values(self._raw_config, fields)
        )

    @classmethod
    def _from_config(cls, config: OpenAIClientConfigurationConfigModel) -> Self:
        """A client from *config* (a masked API key counts as none given)."""
        return cls(**kwargs_from_config(config))


class AzureOpenAIChatCompletionClient(
    PickledAsKeywords,
    BaseOpenAIChatCompletionClient,
    Component[AzureOpenAIClientConfigurationConfigModel],
):
    """A client of an Azure OpenAI deployment.

    Takes the arguments of :class:`OpenAIChatCompletionClient` except ``organization``
    and ``base_url``, plus ``azure_endpoint``, ``azure_deployment``, ``api_version`` and
    either ``api_key``, ``azure_ad_token`` or ``azure_ad_token_provider``. Sends the
    ``User-Agent`` :data:`AZURE_OPENAI_USER_AGENT` unless ``default_headers`` sets one.

    A callable ``azure_ad_token_provider`` is left out of ``dump_component()``.

    Raises:
        ValueError: No ``model``; an unknown model without ``model_info``.
        TypeError: An argument the client does not take.
    """

    component_provider_override: ClassVar[str | None] = (
        "cantata.models.openai.AzureOpenAIChatCompletionClient"
    )
    component_config_schema = AzureOpenAIClientConfigurationConfigModel

    def __init__(self, **kwargs: Unpack[AzureOpenAIClientConfiguration]) -> None:
        split = split_config(kwargs, AZURE_CLIENT_KEYS)
        client_args = split["client_args"]
        headers = dict(client_args.get("default_headers") or {})
        headers.setdefault("User-Agent", AZURE_OPENAI_USER_AGENT)
        client_args["default_headers"] = headers
        self._raw_config: dict[str, Any] = dict(kwargs)
        super().__init__(
            AsyncAzureOpenAI(**client_args),
            create_args=split["create_args"],
            model_info=split["model_info"],
            add_name_prefixes=split["add_name_prefixes"],
            include_name_in_message=split["include_name_in_message"],
        )

    def _to_config(self) -> AzureOpenAIClientConfigurationConfigModel:
        """The client's configuration; API key and token kept as secrets (masked in JSON).

        The endpoint and API version come from ``AZURE_OPENAI_ENDPOINT`` and
        ``OPENAI_API_VERSION`` when the client took them from there. A callable
        ``azure_ad_token_provider`` cannot be written out: it is left out, with a warning.
        """
        raw = dict(self._raw_config)
        for key, variable in (
            ("azure_endpoint", "AZURE_OPENAI_ENDPOINT"),
            ("api_version", "OPENAI_API_VERSION"),
        ):
            if raw.get(key) is None and os.environ.get(variable):
                raw[key] = os.environ[variable]
        if raw.pop("azure_ad_token_provider", None) is not None:
            warnings.warn(
                "azure_ad_token_provider is a callable and is left out of the config; give "
                "the loaded client a token provider or key again",
                UserWarning,
                stacklevel=3,
            )
        fields = AzureOpenAIClientConfigurationConfigModel.model_fields
        return AzureOpenAIClientConfigurationConfigModel.model_validate(config_values(raw, fields))

    @classmethod
    def _from_config(cls, config: AzureOpenAIClientConfigurationConfigModel) -> Self:
        """A client from *config* (masked secrets count as none given)."""
        return cls(**kwargs_from_config(config))
