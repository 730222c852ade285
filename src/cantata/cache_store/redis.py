"""A cache store in Redis, on redis-py (extra ``redis``).

Migrating from autogen: ``autogen_ext.cache_store.redis`` -> ``cantata.cache_store.redis``.
"""

from ._redis_store import RedisStore, RedisStoreConfig

__all__ = ["RedisStore", "RedisStoreConfig"]
