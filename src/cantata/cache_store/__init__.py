"""Cache stores beyond the in-memory one: on disk and in Redis.

Migrating from autogen: ``autogen_ext.cache_store.diskcache`` ->
``cantata.cache_store.diskcache`` (extra ``diskcache``) and ``autogen_ext.cache_store.redis``
-> ``cantata.cache_store.redis`` (extra ``redis``). Each store lives in its own module so that
importing one does not need the other's library. :class:`cantata.CacheStore` and
:class:`cantata.InMemoryStore` are re-exported here.
"""

from cantata._cache_store import CacheStore, InMemoryStore

__all__ = ["CacheStore", "InMemoryStore"]
