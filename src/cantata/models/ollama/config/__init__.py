"""The Ollama client's configuration types (``autogen_ext.models.ollama.config``)."""

from .._config import (
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
]
