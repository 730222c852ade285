"""Key-value stores for caches: the :class:`CacheStore` interface and :class:`InMemoryStore`.

Migrating from autogen-core: ``autogen_core.CacheStore`` / ``autogen_core.InMemoryStore``
-> ``cantata.CacheStore`` / ``cantata.InMemoryStore``. Stores on disk and in Redis are in
:mod:`cantata.cache_store`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel

from cantata._components import Component, ComponentBase

__all__ = ["CacheStore", "InMemoryStore", "InMemoryStoreConfig"]

T = TypeVar("T")


class CacheStore(ABC, Generic[T], ComponentBase[BaseModel]):
    """A key-value store holding values of type ``T`` under string keys.

    Subclasses implement :meth:`get` and :meth:`set` and own the lifecycle of the
    storage behind them (files, connections, ...). Stores are used synchronously; an
    implementation whose calls block for long should be used from a worker thread.
    """

    component_type: ClassVar[str] = "cache_store"
    """The component type of every store."""

    @abstractmethod
    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under *key*, or *default* if there is none.

        Args:
            key: The key identifying the item.
            default: What to return when *key* is not in the store.
        """

    @abstractmethod
    def set(self, key: str, value: T) -> None:
        """Store *value* under *key*, replacing any value already there."""


class InMemoryStoreConfig(BaseModel):
    """The configuration of an :class:`InMemoryStore` (it has no settings)."""


class InMemoryStore(CacheStore[T], Component[InMemoryStoreConfig]):
    """A :class:`CacheStore` that keeps its values in a dict, for the life of the object.

    Values are stored as given (not copied), so a mutable value changed after
    :meth:`set` is changed in the store too. Nothing is ever evicted.

    Example::

        store = InMemoryStore[int]()
        store.set("answer", 42)
        assert store.get("answer") == 42
        assert store.get("missing", 0) == 0
    """

    component_provider_override: ClassVar[str] = "cantata.InMemoryStore"
    """The provider name under which the store is configured."""

    component_config_schema = InMemoryStoreConfig
    """The configuration model of the store."""

    def __init__(self) -> None:
        self._store: dict[str, T] = {}

    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under *key*, or *default* if there is none."""
        return self._store.get(key, default)

    def set(self, key: str, value: T) -> None:
        """Store *value* under *key*, replacing any value already there."""
        self._store[key] = value

    def __len__(self) -> int:
        """The number of keys in the store."""
        return len(self._store)

    def _to_config(self) -> InMemoryStoreConfig:
        """Return the configuration of this store (empty: the contents are not part of it)."""
        return InMemoryStoreConfig()

    @classmethod
    def _from_config(cls, config: InMemoryStoreConfig) -> Self:
        """Create a new, empty store from *config*."""
        return cls()
