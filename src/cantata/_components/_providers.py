"""Where components may be loaded from: well-known provider aliases and trusted namespaces."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = [
    "ALLOWED_NAMESPACES_ENV",
    "WELL_KNOWN_PROVIDERS",
    "allow_component_namespaces",
    "check_provider",
]

ALLOWED_NAMESPACES_ENV = "CANTATA_ALLOWED_COMPONENT_NAMESPACES"
"""The environment variable listing extra trusted namespaces, comma-separated."""

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
    "autogen_core.InMemoryStore": "cantata.InMemoryStore",
    "autogen_core.memory.ListMemory": "cantata.memory.ListMemory",
    "autogen_core.tools.FunctionTool": "cantata.tools.FunctionTool",
    "autogen_core.tools.StaticWorkbench": "cantata.tools.StaticWorkbench",
    "autogen_core.tools.StaticStreamWorkbench": "cantata.tools.StaticStreamWorkbench",
    "autogen_ext.models.cache.ChatCompletionCache": "cantata.models.cache.ChatCompletionCache",
    "autogen_ext.cache_store.diskcache.DiskCacheStore": "cantata.models.cache.DiskCacheStore",
    **{f"autogen_core.model_context.{name}": f"cantata.model_context.{name}" for name in _CONTEXTS},
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
    the life of the process; ``CANTATA_ALLOWED_COMPONENT_NAMESPACES`` adds to it.

    Raises:
        ValueError: A prefix is empty or not a dotted module name.
    """
    normalised = [_normalise_prefix(prefix) for prefix in prefixes]
    _allowed_namespaces.extend(p for p in normalised if p not in _allowed_namespaces)


def _trusted_namespaces() -> list[str]:
    from_env = os.environ.get(ALLOWED_NAMESPACES_ENV, "")
    extra = [_normalise_prefix(item) for item in from_env.split(",") if item.strip()]
    return [*_TRUSTED_NAMESPACES, *_allowed_namespaces, *extra]


def check_provider(provider: str) -> tuple[str, str]:
    """Split *provider* into module and class name; refuse untrusted modules."""
    module_path, _, class_name = provider.rpartition(".")
    parts = [*module_path.split("."), class_name]
    if not module_path or not all(part.isidentifier() for part in parts):
        raise ValueError(f"Invalid component provider {provider!r}: expected 'module.ClassName'")
    trusted = _trusted_namespaces()
    if not any(module_path == ns or module_path.startswith(ns + ".") for ns in trusted):
        raise ValueError(
            f"Component provider {provider!r} is not in a trusted namespace "
            f"({', '.join(trusted)}); its module was not imported. Trust it with "
            f"cantata.allow_component_namespaces({module_path.split('.')[0]!r}) or the "
            f"{ALLOWED_NAMESPACES_ENV} environment variable."
        )
    return module_path, class_name
