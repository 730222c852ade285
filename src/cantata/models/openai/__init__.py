"""Model clients for OpenAI, Azure OpenAI and OpenAI-compatible servers.

Migrating from autogen-core: ``autogen_ext.models.openai`` ->
``cantata.models.openai``. Install with ``pip install cantata[openai]``.

The clients run on asyncio and on Trio (the ``openai`` SDK's HTTP stack runs on
AnyIO).
"""

from ._client import (
    AzureOpenAIChatCompletionClient,
    AzureOpenAIClientConfiguration,
    BaseOpenAIChatCompletionClient,
    CreateArguments,
    OpenAIChatCompletionClient,
    OpenAIClientConfiguration,
    OpenAIClientConfigurationConfigModel,
)

__all__ = [
    "AzureOpenAIChatCompletionClient",
    "AzureOpenAIClientConfiguration",
    "BaseOpenAIChatCompletionClient",
    "CreateArguments",
    "OpenAIChatCompletionClient",
    "OpenAIClientConfiguration",
    "OpenAIClientConfigurationConfigModel",
]
