"""The :class:`RedisStore`: a :class:`~cantata.CacheStore` in Redis, on redis-py."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, SecretStr

from cantata._cache_store import CacheStore
from cantata._components import Component

if TYPE_CHECKING:
    import redis

__all__ = ["RedisStore", "RedisStoreConfig"]

T = TypeVar("T")

_logger = logging.getLogger("cantata.cache_store.redis")

_REDIS_HINT = "RedisStore needs the redis package; install it with: pip install 'cantata[redis]'"


class RedisStoreConfig(BaseModel):
    """The configuration of a :class:`RedisStore`: how to reach the server."""

    host: str = "localhost"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: SecretStr | None = None
    """Dumped masked, like API keys: give it again (or set it in the config) when loading."""
    ssl: bool = False
    socket_timeout: float | None = None
    key_prefix: str = ""
    """Prepended to every key, so several caches can share one database."""
    ttl: float | None = None
    """Seconds after which a stored value expires; ``None`` keeps values until evicted."""


def _to_json(value: Any) -> Any:
    """*value* with pydantic models (at any depth in lists, tuples and dicts) as JSON data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _to_json(item) for key, item in value.items()}
    return value


class RedisStore(CacheStore[T], Component[RedisStoreConfig]):
    """A :class:`~cantata.CacheStore` kept in Redis by a ``redis.Redis`` client.

    Values are stored as JSON text, never pickled, so a store can be shared with untrusted
    writers and with autogen's ``RedisStore`` (which writes the same JSON). Pydantic models
    are stored as their JSON data and come back as dicts (``ChatCompletionCache`` turns them
    back into ``CreateResult`` objects); strings, numbers, booleans, ``None``, lists and
    dicts come back as they went in (tuples as lists). A stored entry that is not JSON (one
    written by other code) comes back as the decoded text.

    A cache must not break the program that uses it: when Redis cannot be reached,
    :meth:`get` logs a warning on the ``cantata.cache_store.redis`` logger and returns the
    default (a miss), and :meth:`set` logs a warning and stores nothing. A value that
    cannot be written as JSON raises :class:`TypeError`.

    Calls block while they talk to Redis (redis-py's synchronous client, as the
    :class:`~cantata.CacheStore` interface is synchronous); set ``socket_timeout`` to bound
    them. Needs the ``redis`` package (``pip install 'cantata[redis]'``).

    Args:
        redis_instance: The client to use. The store does not own it: :meth:`close` closes
            it, nothing else does.
        key_prefix: Prepended to every key.
        ttl: Seconds after which a stored value expires (``None``: never).

    Raises:
        ValueError: *ttl* is not positive.

    Example::

        import redis

        store = RedisStore[CHAT_CACHE_VALUE_TYPE](redis.Redis(host="localhost"))
    """

    component_provider_override: ClassVar[str] = "cantata.cache_store.redis.RedisStore"
    """The provider name under which the store is configured."""

    component_config_schema = RedisStoreConfig
    """The configuration model of the store."""

    def __init__(
        self, redis_instance: redis.Redis, *, key_prefix: str = "", ttl: float | None = None
    ) -> None:
        if ttl is not None and not ttl > 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self.cache = redis_instance
        self._prefix = key_prefix
        self._ttl = ttl
        self._errors = _import_redis().RedisError

    @property
    def key_prefix(self) -> str:
        """The prefix of every key this store writes."""
        return self._prefix

    @property
    def ttl(self) -> float | None:
        """Seconds after which stored values expire, or ``None``."""
        return self._ttl

    def get(self, key: str, default: T | None = None) -> T | None:
        """Return the value stored under *key*, or *default* if there is none (or Redis
        cannot be reached)."""
        try:
            raw = self.cache.get(self._prefix + key)
        except (self._errors, OSError) as exc:
            _logger.warning("Redis get failed for key %r: %s; treated as a miss", key, exc)
            return default
        if raw is None:
            return default
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        try:
            value: T = json.loads(text)
        except json.JSONDecodeError:
            return text  # type: ignore[return-value]  # written by other code: the raw text
        return value

    def set(self, key: str, value: T) -> None:
        """Store *value* under *key*, replacing any value already there.

        Raises:
            TypeError: *value* (after turning pydantic models into their data) cannot be
                written as JSON.
        """
        try:
            text = json.dumps(_to_json(value), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"RedisStore stores JSON data and pydantic models; cannot store {value!r}: {exc}"
            ) from exc
        try:
            if self._ttl is None:
                self.cache.set(self._prefix + key, text.encode("utf-8"))
            else:
                self.cache.set(self._prefix + key, text.encode("utf-8"), px=int(self._ttl * 1000))
        except (self._errors, OSError) as exc:
            _logger.warning("Redis set failed for key %r: %s; the value is not cached", key, exc)

    def close(self) -> None:
        """Close the client's connections."""
        self.cache.close()

    def _to_config(self) -> RedisStoreConfig:
        """Return the connection settings of the client (the password masked on dump)."""
        kwargs: Mapping[str, Any] = self.cache.connection_pool.connection_kwargs
        password = kwargs.get("password")
        timeout = kwargs.get("socket_timeout")
        ssl_class = _import_redis().SSLConnection
        uses_ssl = issubclass(self.cache.connection_pool.connection_class, ssl_class)
        return RedisStoreConfig(
            host=str(kwargs.get("host", "localhost")),
            port=int(kwargs.get("port", 6379)),
            db=int(kwargs.get("db", 0)),
            username=kwargs.get("username"),
            password=None if password is None else SecretStr(str(password)),
            ssl=uses_ssl,
            socket_timeout=None if timeout is None else float(timeout),
            key_prefix=self._prefix,
            ttl=self._ttl,
        )

    @classmethod
    def _from_config(cls, config: RedisStoreConfig) -> Self:
        """Create a client for the configured server and a store on it.

        Raises:
            ImportError: redis-py is not installed; the message names the ``cantata[redis]``
                extra.
        """
        redis = _import_redis()
        client = redis.Redis(
            host=config.host,
            port=config.port,
            db=config.db,
            username=config.username,
            password=None if config.password is None else config.password.get_secret_value(),
            ssl=config.ssl,
            socket_timeout=config.socket_timeout,
        )
        return cls(client, key_prefix=config.key_prefix, ttl=config.ttl)


def _import_redis() -> ModuleType:
    try:
        return importlib.import_module("redis")
    except ImportError as exc:
        raise ImportError(_REDIS_HINT) from exc
