"""Caching model responses: :class:`ChatCompletionCache` over a :class:`~cantata.CacheStore`.

Migrating from autogen: ``autogen_ext.models.cache`` -> ``cantata.models.cache``. The stores
are in :mod:`cantata.cache_store` (``cantata.cache_store.diskcache.DiskCacheStore``,
``cantata.cache_store.redis.RedisStore``) and :class:`cantata.InMemoryStore`;
``DiskCacheStore`` is also importable from here, where earlier versions had it.
"""

from cantata.cache_store._diskcache_store import DiskCacheStore, DiskCacheStoreConfig

from ._chat_completion_cache import (
    CHAT_CACHE_VALUE_TYPE,
    ChatCompletionCache,
    ChatCompletionCacheConfig,
)

__all__ = [
    "CHAT_CACHE_VALUE_TYPE",
    "ChatCompletionCache",
    "ChatCompletionCacheConfig",
    "DiskCacheStore",
    "DiskCacheStoreConfig",
]
