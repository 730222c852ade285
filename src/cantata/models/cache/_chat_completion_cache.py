"""The :class:`ChatCompletionCache`: a model client that answers repeated requests from a
:class:`~cantata.CacheStore`."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from typing import Any, ClassVar, Literal, Self, TypeAlias

from pydantic import BaseModel, ValidationError

from cantata._cache_store import CacheStore, InMemoryStore
from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata._constants import ROOT_LOGGER_NAME
from cantata.exceptions import MessageCancelledError
from cantata.model_context._component_hooks import (
    dump_nested_component,
    load_nested_component,
)
from cantata.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    RequestUsage,
)

from ._cache_key import request_key

__all__ = ["CHAT_CACHE_VALUE_TYPE", "ChatCompletionCache", "ChatCompletionCacheConfig"]

_logger = logging.getLogger(ROOT_LOGGER_NAME)

CHAT_CACHE_VALUE_TYPE: TypeAlias = CreateResult | list[str | CreateResult]
"""What a :class:`ChatCompletionCache` stores under a key: the result of ``create``, or
the items of a completed ``create_stream`` (text chunks, then the final result)."""

_NO_EXTRA_ARGS: Mapping[str, Any] = {}


class ChatCompletionCacheConfig(BaseModel):
    """The configuration of a :class:`ChatCompletionCache`."""

    client: dict[str, Any]
    """The component configuration of the wrapped client."""

    store: dict[str, Any] | None = None
    """The component configuration of the store, or ``None`` for a new in-memory store."""


class ChatCompletionCache(ChatCompletionClient, Component[ChatCompletionCacheConfig]):
    """A model client that wraps another and answers repeated requests from a cache.

    A request is identified by a SHA-256 key of its messages, tools, tool choice,
    ``json_output`` and ``extra_create_args`` (the cancellation token is not part of
    it). On a hit the wrapped client is not called; on a miss it is, and its result
    is stored:

    * :meth:`create` stores its :class:`~cantata.models.CreateResult`;
    * :meth:`create_stream` stores every item it streamed, once the stream has ended
      with its final result (an interrupted or failed stream stores nothing).

    Either kind of entry answers either method: :meth:`create` returns the final
    result of a stored stream, and :meth:`create_stream` replays a stored stream
    item by item, or streams a stored ``create`` result as its text (one chunk)
    followed by the result. Results served from the cache are copies with
    ``cached=True``; the stored entries are never changed.

    Usage accounting (:meth:`actual_usage`, :meth:`total_usage`), token counting
    and :attr:`model_info` are the wrapped client's, so a hit adds no usage. The
    store is shared by whoever holds it: keep one store per underlying model, since
    the key does not name the model.

    An entry the store returns in another form (a dict, as from a store that keeps
    JSON) is validated back into results; one that cannot be is treated as a miss
    and overwritten.

    Args:
        client: The client to call on a miss.
        store: Where results are kept; a new :class:`~cantata.InMemoryStore` if
            ``None``.

    Raises:
        TypeError: *client* is not a ``ChatCompletionClient`` or *store* not a
            ``CacheStore``.

    Example::

        cached_client = ChatCompletionCache(model_client)
        first = await cached_client.create([UserMessage(content="Hi", source="user")])
        again = await cached_client.create([UserMessage(content="Hi", source="user")])
        assert again.cached and again.content == first.content
    """

    component_type: ClassVar[str] = "chat_completion_cache"
    """The component type of the cache."""

    component_provider_override: ClassVar[str] = "cantata.models.cache.ChatCompletionCache"
    """The provider name under which the cache is configured."""

    component_config_schema = ChatCompletionCacheConfig
    """The configuration model of the cache."""

    client: ChatCompletionClient
    """The wrapped client."""

    store: CacheStore[CHAT_CACHE_VALUE_TYPE]
    """The store holding the cached results."""

    def __init__(
        self,
        client: ChatCompletionClient,
        store: CacheStore[CHAT_CACHE_VALUE_TYPE] | None = None,
    ) -> None:
        if not isinstance(client, ChatCompletionClient):
            raise TypeError(f"client must be a ChatCompletionClient, got {type(client).__name__}")
        if store is not None and not isinstance(store, CacheStore):
            raise TypeError(f"store must be a CacheStore, got {type(store).__name__}")
        self.client = client
        self.store = store if store is not None else InMemoryStore[CHAT_CACHE_VALUE_TYPE]()

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Any] = (),
        tool_choice: Any | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """Return the cached result of this request, or the wrapped client's.

        Raises:
            TypeError: The request cannot be keyed (see the class).
            cantata.exceptions.MessageCancelledError: *cancellation_token* is
                already cancelled (also on a hit).
            Exception: Whatever the wrapped client raises on a miss; nothing is
                stored then.
        """
        key = request_key(messages, tools, tool_choice, json_output, extra_create_args)
        _raise_if_cancelled(cancellation_token)
        entry = self._lookup(key)
        if entry is not None:
            final = entry if isinstance(entry, CreateResult) else entry[-1]
            assert isinstance(final, CreateResult)
            return _as_cached(final)
        result = await self.client.create(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )
        self.store.set(key, result.model_copy(deep=True))
        return result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Any] = (),
        tool_choice: Any | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_EXTRA_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """Replay the cached stream of this request, or stream the wrapped client's.

        Nothing happens until the generator is first iterated. On a hit the stored
        items are yielded (results as copies with ``cached=True``); on a miss the
        wrapped client's items are yielded as they come and stored once its stream
        has ended with a :class:`~cantata.models.CreateResult`.

        Raises:
            TypeError: The request cannot be keyed (see the class).
            cantata.exceptions.MessageCancelledError: *cancellation_token* is
                cancelled before the first item or, on a hit, between items.
            Exception: Whatever the wrapped client's stream raises on a miss;
                nothing is stored then.
        """
        key = request_key(messages, tools, tool_choice, json_output, extra_create_args)
        _raise_if_cancelled(cancellation_token)
        entry = self._lookup(key)
        if entry is not None:
            for item in _stream_items(entry):
                _raise_if_cancelled(cancellation_token)
                yield item if isinstance(item, str) else _as_cached(item)
            return
        collected: list[str | CreateResult] = []
        stream = self.client.create_stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            json_output=json_output,
            extra_create_args=extra_create_args,
            cancellation_token=cancellation_token,
        )
        async with aclosing(stream):
            async for item in stream:
                collected.append(item if isinstance(item, str) else item.model_copy(deep=True))
                yield item
        if collected and isinstance(collected[-1], CreateResult):
            self.store.set(key, collected)

    async def close(self) -> None:
        """Close the wrapped client. The store is left as it is."""
        await self.client.close()

    def actual_usage(self) -> RequestUsage:
        """Return the wrapped client's usage of its most recent call."""
        return self.client.actual_usage()

    def total_usage(self) -> RequestUsage:
        """Return the wrapped client's usage of all its calls (hits add nothing)."""
        return self.client.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """Return the wrapped client's count of the tokens of *messages* and *tools*."""
        return self.client.count_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """Return the wrapped client's count of the tokens left after *messages* and
        *tools*."""
        return self.client.remaining_tokens(messages, tools=tools)

    @property
    def model_info(self) -> ModelInfo:
        """The wrapped client's model info."""
        return self.client.model_info

    def _lookup(self, key: str) -> CHAT_CACHE_VALUE_TYPE | None:
        """Return the usable entry under *key*, or ``None``."""
        value: Any = self.store.get(key)
        if value is None:
            return None
        entry = _normalize(value)
        if entry is None:
            _logger.warning(
                "Ignoring a cache entry that is not a model result (key %s); "
                "the request goes to the model",
                key,
            )
        return entry

    def _to_config(self) -> ChatCompletionCacheConfig:
        """Return the configuration of the cache: the client's and the store's.

        An :class:`~cantata.InMemoryStore` is recorded as ``None`` (its configuration
        holds nothing; a loaded cache gets a new empty one).

        Raises:
            TypeError: The client or the store cannot be saved in a
                configuration (it has no ``dump_component()``).
        """
        store = (
            None
            if isinstance(self.store, InMemoryStore)
            else dump_nested_component(self.store, "cache store")
        )
        return ChatCompletionCacheConfig(
            client=dump_nested_component(self.client, "model client"), store=store
        )

    @classmethod
    def _from_config(cls, config: ChatCompletionCacheConfig) -> Self:
        """Create a cache from *config*, loading its client and store.

        Raises:
            TypeError: Components cannot be loaded from a configuration
                (the class has no ``load_component()``).
            TypeError: A loaded object is not of the expected kind.
        """
        client = load_nested_component(config.client, ChatCompletionClient, "model client")
        store = (
            None
            if config.store is None
            else load_nested_component(config.store, CacheStore, "cache store")
        )
        return cls(client, store)


def _normalize(value: object) -> CHAT_CACHE_VALUE_TYPE | None:
    """Return *value* as a cache entry, validating dicts; ``None`` if it is not one."""
    try:
        if isinstance(value, (CreateResult, Mapping)):
            return CreateResult.model_validate(value)
        if isinstance(value, list) and value:
            items: list[str | CreateResult] = [
                item if isinstance(item, str) else CreateResult.model_validate(item)
                for item in value
            ]
            if isinstance(items[-1], CreateResult):
                return items
    except ValidationError:
        return None
    return None


def _stream_items(entry: CHAT_CACHE_VALUE_TYPE) -> list[str | CreateResult]:
    """The items of a stream replaying *entry*."""
    if isinstance(entry, list):
        return entry
    if isinstance(entry.content, str) and entry.content:
        return [entry.content, entry]
    return [entry]


def _as_cached(result: CreateResult) -> CreateResult:
    return result.model_copy(update={"cached": True}, deep=True)


def _raise_if_cancelled(token: CancellationToken | None) -> None:
    if token is not None and token.is_cancelled():
        raise MessageCancelledError("The model call was cancelled")
