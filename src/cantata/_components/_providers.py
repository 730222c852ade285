"""Where components may be loaded from: well-known provider aliases and trusted namespaces."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = [
    "ALLOWED_NAMESPACES_ENV",
    "WELL_KNOWN_PROVIDERS",
    "AUTOGEN_ALLOWED_NAMESPACES_ENV",
    "allow_component_namespaces",
    "check_provider",
    "resolve_provider",
    "is_trusted",
    "split_provider",
    "untrusted_error",
]

ALLOWED_NAMESPACES_ENV = "CANTATA_ALLOWED_COMPONENT_NAMESPACES"
"""The environment variable listing extra trusted namespaces, comma-separated."""

AUTOGEN_ALLOWED_NAMESPACES_ENV = "AUTOGEN_ALLOWED_PROVIDER_NAMESPACES"
"""autogen's variable for the same list, read as well so that deployments keep working."""

_AUTOGEN_PACKAGES = ("autogen_core", "autogen_ext")

_TRUSTED_NAMESPACES = ("cantata",)
_allowed_namespaces: list[str] = []

_CONTEXTS = (
    "UnboundedChatCompletionContext",
    "BufferedChatCompletionContext",
    "HeadAndTailChatCompletionContext",
    "TokenLimitedChatCompletionContext",
)
_MCP = (
    "McpWorkbench",
    "McpSessionActor",
    "StdioMcpToolAdapter",
    "SseMcpToolAdapter",
    "StreamableHttpMcpToolAdapter",
)
_REPLAY = "cantata.models.replay.ReplayChatCompletionClient"
_OPENAI = "cantata.models.openai.OpenAIChatCompletionClient"
_AZURE = "cantata.models.openai.AzureOpenAIChatCompletionClient"
_DISKCACHE = "cantata.cache_store.diskcache.DiskCacheStore"
_ANTHROPIC = "cantata.models.anthropic.AnthropicChatCompletionClient"
_BEDROCK = "cantata.models.anthropic.AnthropicBedrockChatCompletionClient"
_OLLAMA = "cantata.models.ollama.OllamaChatCompletionClient"

WELL_KNOWN_PROVIDERS: Mapping[str, str] = {
    "replay_chat_completion_client": _REPLAY,
    "ReplayChatCompletionClient": _REPLAY,
    "autogen_ext.models.replay.ReplayChatCompletionClient": _REPLAY,
    "openai_chat_completion_client": _OPENAI,
    "OpenAIChatCompletionClient": _OPENAI,
    "autogen_ext.models.openai.OpenAIChatCompletionClient": _OPENAI,
    "azure_openai_chat_completion_client": _AZURE,
    "AzureOpenAIChatCompletionClient": _AZURE,
    "autogen_ext.models.openai.AzureOpenAIChatCompletionClient": _AZURE,
    "anthropic_chat_completion_client": _ANTHROPIC,
    "AnthropicChatCompletionClient": _ANTHROPIC,
    "autogen_ext.models.anthropic.AnthropicChatCompletionClient": _ANTHROPIC,
    "anthropic_bedrock_chat_completion_client": _BEDROCK,
    "AnthropicBedrockChatCompletionClient": _BEDROCK,
    "autogen_ext.models.anthropic.AnthropicBedrockChatCompletionClient": _BEDROCK,
    "ollama_chat_completion_client": _OLLAMA,
    "OllamaChatCompletionClient": _OLLAMA,
    "autogen_ext.models.ollama.OllamaChatCompletionClient": _OLLAMA,
    "autogen_core.InMemoryStore": "cantata.InMemoryStore",
    "autogen_core.memory.ListMemory": "cantata.memory.ListMemory",
    "autogen_core.tools.FunctionTool": "cantata.tools.FunctionTool",
    "autogen_core.tools.StaticWorkbench": "cantata.tools.StaticWorkbench",
    "autogen_core.tools.StaticStreamWorkbench": "cantata.tools.StaticStreamWorkbench",
    "autogen_ext.models.cache.ChatCompletionCache": "cantata.models.cache.ChatCompletionCache",
    "autogen_ext.cache_store.diskcache.DiskCacheStore": _DISKCACHE,
    "cantata.models.cache.DiskCacheStore": _DISKCACHE,  # the provider name earlier versions wrote
    "autogen_ext.cache_store.redis.RedisStore": "cantata.cache_store.redis.RedisStore",
    **{f"autogen_core.model_context.{name}": f"cantata.model_context.{name}" for name in _CONTEXTS},
    "autogen_ext.code_executors.local.LocalCommandLineCodeExecutor": (
        "cantata.code_executors.local.LocalCommandLineCodeExecutor"
    ),
    "autogen_ext.code_executors.docker.DockerCommandLineCodeExecutor": (
        "cantata.code_executors.docker.DockerCommandLineCodeExecutor"
    ),
    "autogen_ext.tools.code_execution.PythonCodeExecutionTool": (
        "cantata.tools.code_execution.PythonCodeExecutionTool"
    ),
    **{f"autogen_ext.tools.mcp.{name}": f"cantata.tools.mcp.{name}" for name in _MCP},
}
"""Provider aliases: autogen's names (and short names) -> the cantata class to load."""


def _normalise_prefix(prefix: str) -> str:
    stripped = prefix.strip().rstrip(".")
    if not stripped or not all(part.isidentifier() for part in stripped.split(".")):
        raise ValueError(f"Invalid component namespace: {prefix!r}")
    return stripped


def allow_component_namespaces(*prefixes: str) -> None:
    """Trust the modules under *prefixes* as component providers (besides ``cantata``).

    ``allow_component_namespaces("myapp")`` lets configs load classes from ``myapp`` and its
    submodules (``myapp.tools``, ...), not from ``myapplication``. The allow-list lasts for
    the life of the process; ``CANTATA_ALLOWED_COMPONENT_NAMESPACES`` (and autogen's
    ``AUTOGEN_ALLOWED_PROVIDER_NAMESPACES``) add to it.

    Raises:
        ValueError: A prefix is empty or not a dotted module name.
    """
    normalised = [_normalise_prefix(prefix) for prefix in prefixes]
    _allowed_namespaces.extend(p for p in normalised if p not in _allowed_namespaces)


def _trusted_namespaces() -> list[str]:
    from_env = ",".join(
        os.environ.get(name, "")
        for name in (ALLOWED_NAMESPACES_ENV, AUTOGEN_ALLOWED_NAMESPACES_ENV)
    )
    extra = [_normalise_prefix(item) for item in from_env.split(",") if item.strip()]
    return [*_TRUSTED_NAMESPACES, *_allowed_namespaces, *extra]


def resolve_provider(provider: str) -> str:
    """The provider to load for *provider*: a well-known alias's target; for any other name
    under ``autogen_core`` or ``autogen_ext``, the same path under ``cantata`` (the
    migration rule); else *provider* itself."""
    known = WELL_KNOWN_PROVIDERS.get(provider)
    if known is not None:
        return known
    package, dot, rest = provider.partition(".")
    if dot and package in _AUTOGEN_PACKAGES:
        return f"cantata.{rest}"
    return provider


def split_provider(provider: str) -> tuple[str, str]:
    """Split *provider* into module and class name.

    Raises:
        ValueError: *provider* is not a dotted ``module.ClassName``.
    """
    module_path, _, class_name = provider.rpartition(".")
    parts = [*module_path.split("."), class_name]
    if not module_path or not all(part.isidentifier() for part in parts):
        raise ValueError(f"Invalid component provider {provider!r}: expected 'module.ClassName'")
    return module_path, class_name


def is_trusted(module_path: str) -> bool:
    """Whether configs may import *module_path* (it is under a trusted namespace)."""
    return any(
        module_path == ns or module_path.startswith(ns + ".") for ns in _trusted_namespaces()
    )


def untrusted_error(provider: str, module_path: str, reason: str) -> ValueError:
    """The error refusing *provider*, whose module is not trusted (*reason* says more)."""
    return ValueError(
        f"Component provider {provider!r} is not in a trusted namespace "
        f"({', '.join(_trusted_namespaces())}); {reason}. Trust it with "
        f"cantata.allow_component_namespaces({module_path.split('.')[0]!r}) or the "
        f"{ALLOWED_NAMESPACES_ENV} environment variable."
    )


def check_provider(provider: str) -> tuple[str, str]:
    """Split *provider* into module and class name; refuse untrusted modules."""
    module_path, class_name = split_provider(provider)
    if not is_trusted(module_path):
        raise untrusted_error(provider, module_path, "its module was not imported")
    return module_path, class_name
