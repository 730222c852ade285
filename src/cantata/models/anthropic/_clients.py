"""The Anthropic and Anthropic-on-Bedrock clients: keyword construction, component config."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from anthropic import AsyncAnthropic, AsyncAnthropicBedrock
from typing_extensions import Unpack

from cantata._components import Component
from cantata.models._pickling import PickledAsKeywords

from ._base_client import BaseAnthropicChatCompletionClient
from ._config import (
    BEDROCK_KEYS,
    AnthropicBedrockClientConfiguration,
    AnthropicBedrockClientConfigurationConfigModel,
    AnthropicClientConfiguration,
    AnthropicClientConfigurationConfigModel,
    config_values,
    kwargs_from_config,
    split_config,
)

__all__ = ["AnthropicBedrockChatCompletionClient", "AnthropicChatCompletionClient"]


class AnthropicChatCompletionClient(
    PickledAsKeywords,
    BaseAnthropicChatCompletionClient,
    Component[AnthropicClientConfigurationConfigModel],
):
    """A client of Anthropic's Messages API (Claude models).

    ``model`` is required; ``model_info`` too unless ``model`` is a known Claude model
    (claude-3-*, claude-3-5-*, claude-3-7-sonnet, claude-sonnet-4, claude-opus-4,
    claude-opus-4-1, the 4.5 models; also with a date or ``-latest`` suffix). The API key
    defaults to ``ANTHROPIC_API_KEY`` and ``base_url`` to ``ANTHROPIC_BASE_URL`` (both
    read by the SDK). ``max_tokens`` defaults to 4096. Request arguments (``temperature``,
    ``top_p``, ``top_k``, ``stop_sequences``, ``metadata``, ``thinking``, ...) apply to
    every call; ``thinking={"type": "enabled", "budget_tokens": 2048}`` turns on extended
    thinking, which lands in ``CreateResult.thought``.

    The client is a component (``dump_component()`` writes the API key masked) and can be
    pickled (the pickle holds the arguments, API key included).

    Example::

        client = AnthropicChatCompletionClient(model="claude-sonnet-4-5", api_key="sk-ant-...")
        print(client.model_info["family"])  # claude-4-5-sonnet
        # result = await client.create([UserMessage(content="Hi", source="user")])

    Raises:
        ValueError: No ``model``; an unknown model without ``model_info``; ``tools`` or
            ``tool_choice`` given to the constructor (give them to ``create``).
        TypeError: An argument the client does not take.
    """

    component_provider_override: ClassVar[str | None] = (
        "cantata.models.anthropic.AnthropicChatCompletionClient"
    )
    component_config_schema = AnthropicClientConfigurationConfigModel

    def __init__(self, **kwargs: Unpack[AnthropicClientConfiguration]) -> None:
        split = split_config(kwargs)
        self._raw_config: dict[str, Any] = dict(kwargs)
        super().__init__(
            AsyncAnthropic(**split["client_args"]),
            create_args=split["create_args"],
            model_info=split["model_info"],
        )

    def _to_config(self) -> AnthropicClientConfigurationConfigModel:
        """The client's configuration; the API key is kept as a secret (masked in JSON)."""
        fields = AnthropicClientConfigurationConfigModel.model_fields
        return AnthropicClientConfigurationConfigModel.model_validate(
            config_values(self._raw_config, fields)
        )

    @classmethod
    def _from_config(cls, config: AnthropicClientConfigurationConfigModel) -> Self:
        """A client from *config* (a masked API key counts as none given)."""
        return cls(**kwargs_from_config(config))


class AnthropicBedrockChatCompletionClient(
    PickledAsKeywords,
    BaseAnthropicChatCompletionClient,
    Component[AnthropicBedrockClientConfigurationConfigModel],
):
    """A client of Claude models on AWS Bedrock.

    Takes the arguments of :class:`AnthropicChatCompletionClient` (``api_key`` is not
    used) plus ``bedrock_info``: the AWS access key, secret key, session token and
    region. ``model`` is the Bedrock model id (``anthropic.claude-...``); give
    ``model_info``. The SDK signs requests with AWS SigV4 through ``boto3`` and
    ``botocore``: ``pip install "anthropic[bedrock]"``.

    ``dump_component()`` writes the AWS credentials masked; a dumped config loads only
    with the credentials given again.

    Raises:
        ValueError: No ``bedrock_info``; see :class:`AnthropicChatCompletionClient`.
        TypeError: An argument the client does not take.
    """

    component_provider_override: ClassVar[str | None] = (
        "cantata.models.anthropic.AnthropicBedrockChatCompletionClient"
    )
    component_config_schema = AnthropicBedrockClientConfigurationConfigModel

    def __init__(self, **kwargs: Unpack[AnthropicBedrockClientConfiguration]) -> None:
        split = split_config(kwargs, BEDROCK_KEYS)
        info = kwargs.get("bedrock_info")
        if not info:
            raise ValueError("bedrock_info is required")
        client_args = dict(split["client_args"])
        client_args.pop("api_key", None)
        self._raw_config: dict[str, Any] = dict(kwargs)
        super().__init__(
            AsyncAnthropicBedrock(
                aws_access_key=info["aws_access_key"],
                aws_secret_key=info["aws_secret_key"],
                aws_session_token=info["aws_session_token"],
                aws_region=info["aws_region"],
                **client_args,
            ),
            create_args=split["create_args"],
            model_info=split["model_info"],
        )

    def _to_config(self) -> AnthropicBedrockClientConfigurationConfigModel:
        """The client's configuration; the key and AWS credentials are masked in JSON."""
        fields = AnthropicBedrockClientConfigurationConfigModel.model_fields
        return AnthropicBedrockClientConfigurationConfigModel.model_validate(
            config_values(self._raw_config, fields)
        )

    @classmethod
    def _from_config(cls, config: AnthropicBedrockClientConfigurationConfigModel) -> Self:
        """A client from *config*.

        Raises:
            ValueError: The AWS credentials are masked (a dumped config).
        """
        return cls(**kwargs_from_config(config))
