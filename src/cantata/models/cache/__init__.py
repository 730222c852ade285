"""Caching model responses: :class:`ChatCompletionCache` over a :class:`~cantata.CacheStore`.

Migrating from autogen: ``autogen_ext.models.cache`` -> ``cantata.models.cache``, and
``autogen_ext.cache_store.diskcache.DiskCacheStore`` ->
``cantata.models.cache.DiskCacheStore`` (needs ``pip install 'cantata[diskcache]'``).
The in-memory store is :class:`cantata.InMemoryStore`.
"""

from ._chat_completion_cache import (
    CHAT_CACHE_VALUE_TYPE,
    ChatCompletionCache,
    ChatCompletionCacheConfig,
)
from ._disk_store import DiskCacheStore, DiskCacheStoreConfig

__all__ = [
    "CHAT_CACHE_VALUE_TYPE",
    "ChatCompletionCache",
    "ChatCompletionCacheConfig",
    "DiskCacheStore",
    "DiskCacheStoreConfig",
]
