"""The one table of import paths: what autogen-core and autogen-ext paths become in cantata.

Everything the codemod knows about module paths lives here, so the migration guide's table
and the rewriting can never disagree (``tests/test_migrate_paths.py`` checks the guide
against :data:`EXT_PATHS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "CORE_MODULES",
    "ENVIRONMENT_VARIABLES",
    "EXT_PATHS",
    "UNSUPPORTED_PACKAGES",
    "ExtPath",
    "MappedPath",
    "map_dotted",
]


@dataclass(frozen=True)
class ExtPath:
    """One ``autogen_ext`` package and the cantata package that provides it."""

    autogen: str
    """The autogen-ext module, e.g. ``autogen_ext.models.openai``."""
    cantata: str
    """The cantata module with the same public names, e.g. ``cantata.models.openai``."""
    extra: str | None
    """The pip extra that installs what the module needs (``cantata[extra]``), if any."""


EXT_PATHS: Final[tuple[ExtPath, ...]] = (
    ExtPath("autogen_ext.models.openai", "cantata.models.openai", "openai"),
    ExtPath("autogen_ext.models.openai.config", "cantata.models.openai.config", "openai"),
    ExtPath("autogen_ext.models.anthropic", "cantata.models.anthropic", "anthropic"),
    ExtPath("autogen_ext.models.ollama", "cantata.models.ollama", "ollama"),
    ExtPath("autogen_ext.models.replay", "cantata.models.replay", None),
    ExtPath("autogen_ext.models.cache", "cantata.models.cache", None),
    ExtPath("autogen_ext.cache_store.diskcache", "cantata.cache_store.diskcache", "diskcache"),
    ExtPath("autogen_ext.cache_store.redis", "cantata.cache_store.redis", "redis"),
    ExtPath("autogen_ext.tools.mcp", "cantata.tools.mcp", "mcp"),
    ExtPath("autogen_ext.tools.code_execution", "cantata.tools.code_execution", None),
    ExtPath("autogen_ext.tools.http", "cantata.tools.http", "http"),
    ExtPath("autogen_ext.code_executors.local", "cantata.code_executors.local", None),
    ExtPath("autogen_ext.code_executors.docker", "cantata.code_executors.docker", "docker"),
    ExtPath("autogen_ext.runtimes.grpc", "cantata.runtimes.grpc", "grpc"),
)
"""Every ``autogen_ext`` package cantata provides. Anything else under ``autogen_ext`` is
reported as not provided."""

CORE_MODULES: Final[tuple[str, ...]] = (
    "code_executor",
    "exceptions",
    "logging",
    "memory",
    "model_context",
    "models",
    "tool_agent",
    "tools",
    "utils",
)
"""autogen-core's public submodules; ``autogen_core.X`` becomes ``cantata.X``."""

ENVIRONMENT_VARIABLES: Final[dict[str, str]] = {
    "AUTOGEN_ALLOWED_PROVIDER_NAMESPACES": "CANTATA_ALLOWED_COMPONENT_NAMESPACES",
    "AUTOGEN_DISABLE_RUNTIME_TRACING": "CANTATA_DISABLE_RUNTIME_TRACING",
}
"""autogen's environment variables -> cantata's variables with the same meaning."""

UNSUPPORTED_PACKAGES: Final[dict[str, str]] = {
    "autogen_agentchat": "AgentChat is not part of cantata, which provides autogen-core's API",
    "autogen_studio": "AutoGen Studio is not part of cantata",
    "autogenstudio": "AutoGen Studio is not part of cantata",
    "autogen_magentic_one": "Magentic-One is not part of cantata",
    "autogen_test_utils": "autogen's test utilities are not part of cantata",
}
"""Other autogen packages a program may import, and why cantata cannot stand in for them."""

_EXT_BY_PARTS: Final = sorted(
    ((tuple(entry.autogen.split(".")), entry) for entry in EXT_PATHS),
    key=lambda item: -len(item[0]),
)


@dataclass(frozen=True)
class MappedPath:
    """The outcome of mapping a dotted autogen path (a module, or a module and attributes)."""

    target: str | None
    """The cantata path, or None when cantata has nothing to map it to."""
    module: str | None
    """The cantata module part of :attr:`target` (the rest are attributes)."""
    reason: str = ""
    """Why the path could not be mapped (when :attr:`target` is None)."""


def _skip_private(parts: tuple[str, ...], start: int) -> int:
    """Index of the first part at or after *start* that is not a private module name."""
    index = start
    while index < len(parts) and parts[index].startswith("_") and not parts[index].startswith("__"):
        index += 1
    return index


def map_dotted(path: str, *, is_module: bool = False) -> MappedPath | None:
    """Map a dotted autogen path to cantata's; None when the path is not autogen's.

    *path* is a module path, optionally followed by attribute names
    (``autogen_core._default_topic.DefaultTopicId``). Private module names of the reference
    (``_default_topic``, ``_openai_client``, ...) are dropped: cantata re-exports every
    public name from the public package. With *is_module*, every part of *path* names a
    module (as in ``import a.b.c``).
    """
    parts = tuple(path.split("."))
    root = parts[0]
    if root == "autogen_core":
        end = 1
        if len(parts) > 1 and parts[1] in CORE_MODULES:
            end = 2
        module = ".".join(("cantata", *parts[1:end]))
        end = _skip_private(parts, end)
        if is_module and end < len(parts):
            return MappedPath(None, None, f"autogen-core has no public module {path}")
        return MappedPath(".".join((module, *parts[end:])), module)
    if root == "autogen_ext":
        for prefix, entry in _EXT_BY_PARTS:
            if parts[: len(prefix)] == prefix:
                end = _skip_private(parts, len(prefix))
                if is_module and end < len(parts):
                    return MappedPath(None, None, f"cantata does not provide the module {path}")
                return MappedPath(".".join((entry.cantata, *parts[end:])), entry.cantata)
        return MappedPath(None, None, f"cantata does not provide {_ext_package(parts)}")
    if root in UNSUPPORTED_PACKAGES:
        return MappedPath(None, None, UNSUPPORTED_PACKAGES[root])
    return None


def _ext_package(parts: tuple[str, ...]) -> str:
    """The autogen_ext package a path names, for messages (``autogen_ext.agents.web_surfer``)."""
    public = [part for part in parts[:3] if not part.startswith("_")]
    return ".".join(public)
