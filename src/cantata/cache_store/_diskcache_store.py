"""The :class:`DiskCacheStore`: a :class:`~cantata.CacheStore` in a directory on disk,
on the ``diskcache`` library (the ``cantata[diskcache]`` extra)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any, ClassVar, Protocol, Self, TypeVar

from pydantic import BaseModel

from cantata._cache_store import CacheStore
from cantata._components import Component

__all__ = ["DiskCacheStore", "DiskCacheStoreConfig"]

T = TypeVar("T")

_DISKCACHE_HINT = (
    "DiskCacheStore needs the diskcache package; install it with: pip install 'cantata[diskcache]'"
)


class DiskCache(Protocol):
    """What :class:`DiskCacheStore` uses of a ``diskcache.Cache``."""

    @property
    def directory(self) -> str:
        """The directory holding the cache."""
        ...

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value under *key*, or *default*."""
        ...

    def set(self, key: str, value: Any) -> Any:
        """Store *value* under *key*."""
        ...

    def close(self) -> None:
        """Close the cache's files."""
        ...


class DiskCacheStoreConfig(BaseModel):
    """The configuration of a :class:`DiskCacheStore`."""

    directory: str
    """The directory holding the cache."""


class DiskCacheStore(CacheStore[T], Component[DiskCacheStoreConfig]):
    """A :class:`~cantata.CacheStore` kept in a directory by a ``diskcache.Cache``.

    Values are pickled, so they outlive the process and can be read by any process
    that opens the same directory; they must be picklable. Needs the ``diskcache``
    package (``pip install 'cantata[diskcache]'``).

    Args:
        cache_instance: The ``diskcache.Cache`` to store values in. The store uses it
            but does not own it: :meth:`close` closes it, nothing else does.

    Raises:
        TypeError: *cache_instance* has no ``get`` and ``set`` methods.

    Example::

        from diskcache import Cache

        store = DiskCacheStore[CHAT_CACHE_VALUE_TYPE](Cache(directory))
        # or, without importing diskcache:
        store = DiskCacheStore[CHAT_CACHE_VALUE_TYPE].from_directory(directory)
    """

    component_provider_override: ClassVar[str] = "cantata.cache_store.diskcache.DiskCacheStore"
    """The provider name under which the store is configured."""

    component_config_schema = DiskCacheStoreConfig
    """The configuration model of the store."""

    def __init__(self, cache_instance: DiskCache) -> None:
        if not (
            callable(getattr(cache_instance, "get", None))
            and callable(getattr(cache_instance, "set", None))
        ):
            raise TypeError(
                "cache_instance must be a diskcache.Cache (an object with get and set), "
                f"got {type(cache_instance).__name__}"
            )
        self.cache = cache_instance

    @classmethod
    def from_directory(cls, directory: str | os.PathLike[str], **settings: Any) -> Self:
        """Open (creating if needed) the cache in *directory* and return a store on it.

        Args:
            directory: The cache's directory.
            **settings: Settings passed to ``diskcache.Cache`` (``size_limit``, ...).

        Raises:
            ImportError: diskcache is not installed; the message names the
                ``cantata[diskcache]`` extra.
        """
        diskcache = _import_diskcache()
        return cls(diskcache.Cache(os.fspath(directory), **settings))

    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under *key*, or *default* if there is none."""
        value: T | None = self.cache.get(key, default)
        return value

    def set(self, key: str, value: T) -> None:
        """Store *value* under *key*, replacing any value already there.

        Raises:
            pickle.PicklingError: *value* cannot be pickled (or another error from
                pickling it).
        """
        self.cache.set(key, value)

    def close(self) -> None:
        """Close the cache's files. The cache reopens them if used again."""
        self.cache.close()

    def _to_config(self) -> DiskCacheStoreConfig:
        """Return the configuration naming the cache's directory."""
        return DiskCacheStoreConfig(directory=str(self.cache.directory))

    @classmethod
    def _from_config(cls, config: DiskCacheStoreConfig) -> Self:
        """Open the cache in ``config.directory``.

        Raises:
            ImportError: diskcache is not installed (see :meth:`from_directory`).
        """
        return cls.from_directory(config.directory)


def _import_diskcache() -> ModuleType:
    try:
        return importlib.import_module("diskcache")
    except ImportError as exc:
        raise ImportError(_DISKCACHE_HINT) from exc
