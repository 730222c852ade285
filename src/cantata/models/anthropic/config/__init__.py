"""The Anthropic clients' configuration types (``autogen_ext.models.anthropic.config``)."""

from .._config import (
    AnthropicBedrockClientConfiguration,
    AnthropicBedrockClientConfigurationConfigModel,
    AnthropicClientConfiguration,
    AnthropicClientConfigurationConfigModel,
    BaseAnthropicClientConfiguration,
    BaseAnthropicClientConfigurationConfigModel,
    BedrockInfo,
    BedrockInfoConfigModel,
    CreateArguments,
    CreateArgumentsConfigModel,
    ResponseFormat,
    ThinkingConfig,
    ThinkingConfigModel,
)

__all__ = [
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
    "ThinkingConfig",
    "ThinkingConfigModel",
]
