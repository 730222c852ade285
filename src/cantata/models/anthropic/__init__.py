"""Model clients for Anthropic's Claude models, direct or on AWS Bedrock.

Migrating from autogen: ``autogen_ext.models.anthropic`` -> ``cantata.models.anthropic``.
Install with ``pip install cantata[anthropic]``.

The clients run on the official ``anthropic`` SDK, on asyncio and on Trio (the SDK's HTTP
stack runs on AnyIO). They are components: ``ChatCompletionClient.load_component({"provider":
"AnthropicChatCompletionClient", "config": {"model": "claude-sonnet-4-5"}})`` creates one.
"""

from ._base_client import JSON_INSTRUCTION, BaseAnthropicChatCompletionClient
from ._clients import AnthropicBedrockChatCompletionClient, AnthropicChatCompletionClient
from ._config import (
    AnthropicBedrockClientConfiguration,
    AnthropicBedrockClientConfigurationConfigModel,
    AnthropicClientConfiguration,
    AnthropicClientConfigurationConfigModel,
    BaseAnthropicClientConfiguration,
    BaseAnthropicClientConfigurationConfigModel,
    BedrockInfo,
    CreateArguments,
    CreateArgumentsConfigModel,
    ResponseFormat,
    ThinkingConfig,
    ThinkingConfigModel,
)

__all__ = [
    "JSON_INSTRUCTION",
    "AnthropicBedrockChatCompletionClient",
    "AnthropicBedrockClientConfiguration",
    "AnthropicBedrockClientConfigurationConfigModel",
    "AnthropicChatCompletionClient",
    "AnthropicClientConfiguration",
    "AnthropicClientConfigurationConfigModel",
    "BaseAnthropicChatCompletionClient",
    "BaseAnthropicClientConfiguration",
    "BaseAnthropicClientConfigurationConfigModel",
    "BedrockInfo",
    "CreateArguments",
    "CreateArgumentsConfigModel",
    "ResponseFormat",
    "ThinkingConfig",
    "ThinkingConfigModel",
]
