"""A cache store in a directory, on the ``diskcache`` library (extra ``diskcache``).

Migrating from autogen: ``autogen_ext.cache_store.diskcache`` -> ``cantata.cache_store.diskcache``.
"""

from ._diskcache_store import DiskCacheStore, DiskCacheStoreConfig

__all__ = ["DiskCacheStore", "DiskCacheStoreConfig"]
