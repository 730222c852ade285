"""A model client for Ollama servers.

Migrating from autogen: ``autogen_ext.models.ollama`` -> ``cantata.models.ollama``.
Install with ``pip install cantata[ollama]``.

The client runs on the official ``ollama`` SDK, on asyncio and on Trio (the SDK's
``httpx`` client runs on AnyIO). It is a component: ``ChatCompletionClient.load_component(
{"provider": "OllamaChatCompletionClient", "config": {"model": "llama3.2"}})`` creates one.
"""

from ._client import OllamaChatCompletionClient
from ._config import (
    BaseOllamaClientConfiguration,
    BaseOllamaClientConfigurationConfigModel,
    CreateArguments,
    CreateArgumentsConfigModel,
)

__all__ = [
    "BaseOllamaClientConfiguration",
    "BaseOllamaClientConfigurationConfigModel",
    "CreateArguments",
    "CreateArgumentsConfigModel",
    "OllamaChatCompletionClient",
]
