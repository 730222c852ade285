"""The OpenAI clients' configuration types, at autogen's path.

Migrating from autogen: ``autogen_ext.models.openai.config`` -> ``cantata.models.openai.config``.
The keyword-argument types (``OpenAIClientConfiguration``, ...) are ``TypedDict`` classes; the
``...ConfigModel`` classes are the pydantic models of the clients' component configs.
"""

from .._config import (
    AzureOpenAIClientConfiguration,
    AzureOpenAIClientConfigurationConfigModel,
    BaseOpenAIClientConfiguration,
    BaseOpenAIClientConfigurationConfigModel,
    CreateArguments,
    CreateArgumentsConfigModel,
    JSONSchema,
    OpenAIClientConfiguration,
    OpenAIClientConfigurationConfigModel,
    ResponseFormat,
    StreamOptions,
)

__all__ = [
    "AzureOpenAIClientConfiguration",
    "AzureOpenAIClientConfigurationConfigModel",
    "BaseOpenAIClientConfiguration",
    "BaseOpenAIClientConfigurationConfigModel",
    "CreateArguments",
    "CreateArgumentsConfigModel",
    "JSONSchema",
    "OpenAIClientConfiguration",
    "OpenAIClientConfigurationConfigModel",
    "ResponseFormat",
    "StreamOptions",
]
