"""Memories: information an agent recalls and adds to its model context.

Migrating from autogen-core: ``autogen_core.memory`` -> ``cantata.memory``.
"""

from ._base_memory import (
    ContentType,
    Memory,
    MemoryContent,
    MemoryMimeType,
    MemoryQueryResult,
    UpdateContextResult,
)
from ._list_memory import ListMemory, ListMemoryConfig

__all__ = [
    "ContentType",
    "ListMemory",
    "ListMemoryConfig",
    "Memory",
    "MemoryContent",
    "MemoryMimeType",
    "MemoryQueryResult",
    "UpdateContextResult",
]
