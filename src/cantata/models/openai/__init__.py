"""Model clients for OpenAI, Azure OpenAI and OpenAI-compatible servers.

Migrating from autogen-core: ``autogen_ext.models.openai`` -> ``cantata.models.openai``.
Install with ``pip install cantata[openai]``.

The clients run on asyncio and on Trio (the ``openai`` SDK's HTTP stack runs on AnyIO).
They are components: ``ChatCompletionClient.load_component({"provider":
"openai_chat_completion_client", "config": {"model": "gpt-4o"}})`` creates one.
"""

from ._base_client import BaseOpenAIChatCompletionClient
from ._clients import AzureOpenAIChatCompletionClient, OpenAIChatCompletionClient
from ._config import (
    AZURE_OPENAI_USER_AGENT,
    AzureOpenAIClientConfiguration,
    AzureOpenAIClientConfigurationConfigModel,
    BaseOpenAIClientConfigurationConfigModel,
    CreateArguments,
    CreateArgumentsConfigModel,
    OpenAIClientConfiguration,
    OpenAIClientConfigurationConfigModel,
)

__all__ = [
    "AZURE_OPENAI_USER_AGENT",
    "AzureOpenAIChatCompletionClient",
    "AzureOpenAIClientConfiguration",
    "AzureOpenAIClientConfigurationConfigModel",
    "BaseOpenAIChatCompletionClient",
    "BaseOpenAIClientConfigurationConfigModel",
    "CreateArguments",
    "CreateArgumentsConfigModel",
    "OpenAIChatCompletionClient",
    "OpenAIClientConfiguration",
    "OpenAIClientConfigurationConfigModel",
]
