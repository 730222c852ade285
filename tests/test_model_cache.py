"""Caching model responses: CacheStore, InMemoryStore, ChatCompletionCache, DiskCacheStore."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from cantata import CancellationToken, FunctionCall, Image
from cantata._cache_store import CacheStore, InMemoryStore, InMemoryStoreConfig
from cantata.exceptions import MessageCancelledError
from cantata.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelInfo,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.cache import (
    CHAT_CACHE_VALUE_TYPE,
    ChatCompletionCache,
    ChatCompletionCacheConfig,
    DiskCacheStore,
    DiskCacheStoreConfig,
)
from cantata.models.cache._cache_key import request_key
from cantata.models.replay import ReplayChatCompletionClient

PROMPT: list[LLMMessage] = [
    SystemMessage(content="You are helpful."),
    UserMessage(content="Hello, how are you?", source="user"),
]
OTHER_PROMPT: list[LLMMessage] = [UserMessage(content="Something else", source="user")]


def replay(*replies: str | CreateResult) -> ReplayChatCompletionClient:
    client = ReplayChatCompletionClient(list(replies))
    client.set_cached_bool_value(False)  # so a hit is the cache's doing
    return client


def cancelled_token() -> CancellationToken:
    token = CancellationToken()
    token.cancel()
    return token


async def collect(stream: AsyncGenerator[str | CreateResult, None]) -> list[str | CreateResult]:
    return [item async for item in stream]


class Answer(BaseModel):
    text: str


class OtherAnswer(BaseModel):
    text: str
    score: int


# -- CacheStore and InMemoryStore ---------------------------------------------------------------


def test_cache_store_is_abstract() -> None:
    with pytest.raises(TypeError):
        CacheStore()  # type: ignore[abstract]
    assert CacheStore.component_type == "cache_store"


def test_in_memory_store_gets_and_sets() -> None:
    store = InMemoryStore[int]()
    assert store.get("missing") is None
    assert store.get("missing", 7) == 7
    store.set("a", 1)
    store.set("a", 2)
    store.set("b", 3)
    assert store.get("a") == 2
    assert store.get("a", 99) == 2
    assert len(store) == 2


def test_in_memory_store_keeps_values_as_given() -> None:
    store = InMemoryStore[list[int]]()
    value = [1]
    store.set("k", value)
    value.append(2)
    assert store.get("k") == [1, 2]


def test_in_memory_store_component_attributes_and_config() -> None:
    store = InMemoryStore[str]()
    store.set("k", "v")
    assert InMemoryStore.component_type == "cache_store"
    assert InMemoryStore.component_provider_override == "cantata.InMemoryStore"
    assert InMemoryStore.component_config_schema is InMemoryStoreConfig
    assert store._to_config() == InMemoryStoreConfig()
    fresh = InMemoryStore[str]._from_config(InMemoryStoreConfig())
    assert isinstance(fresh, InMemoryStore)
    assert fresh.get("k") is None


# -- ChatCompletionCache: create ----------------------------------------------------------------


def test_cache_rejects_what_is_not_a_client_or_store() -> None:
    with pytest.raises(TypeError, match="ChatCompletionClient"):
        ChatCompletionCache(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="CacheStore"):
        ChatCompletionCache(replay(), {})  # type: ignore[arg-type]


def test_cache_defaults_to_an_in_memory_store() -> None:
    client = replay()
    cache = ChatCompletionCache(client)
    assert cache.client is client
    assert isinstance(cache.store, InMemoryStore)
    assert isinstance(cache, ChatCompletionClient)
    assert cache.component_type == "chat_completion_cache"
    assert cache.component_provider_override == "cantata.models.cache.ChatCompletionCache"


@pytest.mark.anyio
async def test_repeated_create_is_answered_from_the_cache() -> None:
    client = replay("I am fine.", "A second, different reply.")
    cache = ChatCompletionCache(client)

    first = await cache.create(PROMPT)
    usage_after_first = cache.total_usage()
    second = await cache.create(PROMPT)

    assert first.content == "I am fine." and first.cached is False
    assert second.content == "I am fine." and second.cached is True
    assert second.usage == first.usage
    assert len(client.create_calls) == 1
    # A hit adds no usage: the cache reports the wrapped client's accounting.
    assert cache.total_usage() == usage_after_first == client.total_usage()
    assert cache.actual_usage() == client.actual_usage()


@pytest.mark.anyio
async def test_a_hit_is_a_copy_and_the_stored_entry_never_changes() -> None:
    cache = ChatCompletionCache(replay("original"))
    first = await cache.create(PROMPT)
    first.content = "changed by the caller"
    hit = await cache.create(PROMPT)
    hit.content = "changed again"
    assert (await cache.create(PROMPT)).content == "original"
    assert first.cached is False


@pytest.mark.anyio
async def test_different_requests_miss() -> None:
    client = replay(*[f"reply {n}" for n in range(12)])
    cache = ChatCompletionCache(client)
    schema = {"name": "lookup", "description": "Look something up", "parameters": {}}
    variants: list[dict[str, Any]] = [
        {},
        {"tools": [schema]},
        {"tools": [schema], "tool_choice": "required"},
        {"json_output": True},
        {"json_output": False},
        {"json_output": Answer},
        {"json_output": OtherAnswer},
        {"extra_create_args": {"temperature": 0.0}},
        {"extra_create_args": {"temperature": 0.5}},
    ]
    replies = [(await cache.create(PROMPT, **variant)).content for variant in variants]
    assert replies == [f"reply {n}" for n in range(len(variants))]
    assert (await cache.create(OTHER_PROMPT)).content == f"reply {len(variants)}"
    # Each again: all hits.
    again = [(await cache.create(PROMPT, **variant)).content for variant in variants]
    assert again == replies
    assert len(client.create_calls) == len(variants) + 1


@pytest.mark.anyio
async def test_the_key_ignores_argument_order_and_the_cancellation_token() -> None:
    client = replay("only one")
    cache = ChatCompletionCache(client)
    await cache.create(PROMPT, extra_create_args={"a": 1, "b": {"x": 1, "y": 2}})
    hit = await cache.create(
        PROMPT,
        extra_create_args={"b": {"y": 2, "x": 1}, "a": 1},
        cancellation_token=CancellationToken(),
    )
    assert hit.cached is True
    assert len(client.create_calls) == 1


@dataclass
class Settings:
    level: int


class Mode(Enum):
    FAST = "fast"


def test_request_key_is_a_sha256_of_every_part() -> None:
    base = request_key(PROMPT, [], "auto", None, {})
    assert len(base) == 64 and int(base, 16) >= 0
    assert request_key(list(PROMPT), (), "auto", None, {}) == base
    image_prompt: list[LLMMessage] = [UserMessage(content=["see", Image(_PNG)], source="u")]
    assert request_key(image_prompt, [], "auto", None, {}) != base
    extras = {
        "model_args": Answer(text="x"),
        "format": Answer,
        "settings": Settings(level=2),
        "mode": Mode.FAST,
        "stop": {"b", "a"},
        "blob": b"\x00",
        "seq": (1, 2),
    }
    key = request_key(PROMPT, [], "auto", None, extras)
    assert key == request_key(PROMPT, [], "auto", None, dict(reversed(extras.items())))
    assert key != base


class _SchemaTool:
    schema: Mapping[str, Any] = {"name": "tool", "parameters": {}}


def test_request_key_takes_a_tool_object_as_its_schema() -> None:
    by_object = request_key(PROMPT, [_SchemaTool()], _SchemaTool(), None, {})
    by_schema = request_key(PROMPT, [_SchemaTool.schema], dict(_SchemaTool.schema), None, {})
    assert by_object == by_schema


def test_request_key_rejects_what_it_cannot_key() -> None:
    with pytest.raises(TypeError, match="cannot be part of a cache key"):
        request_key(PROMPT, [], "auto", None, {"client": object()})
    with pytest.raises(TypeError, match="tool"):
        request_key(PROMPT, [object()], "auto", None, {})
    with pytest.raises(TypeError, match="LLM messages"):
        request_key(["not a message"], [], "auto", None, {})  # type: ignore[list-item]


def test_request_key_is_the_same_in_another_process() -> None:
    code = (
        "from cantata.models import SystemMessage, UserMessage\n"
        "from cantata.models.cache._cache_key import request_key\n"
        "print(request_key([SystemMessage(content='You are helpful.'), "
        "UserMessage(content='Hello, how are you?', source='user')], "
        "[{'name': 't'}], 'auto', True, {'stop': {'x', 'y'}, 'n': 1}))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    expected = request_key(PROMPT, [{"name": "t"}], "auto", True, {"stop": {"y", "x"}, "n": 1})
    assert completed.stdout.strip() == expected


@pytest.mark.anyio
async def test_unkeyable_requests_raise_before_calling_the_model() -> None:
    client = replay("unused")
    cache = ChatCompletionCache(client)
    with pytest.raises(TypeError):
        await cache.create(PROMPT, extra_create_args={"client": object()})
    with pytest.raises(TypeError):
        await collect(cache.create_stream(PROMPT, extra_create_args={"client": object()}))
    assert client.create_calls == []


@pytest.mark.anyio
async def test_a_failed_call_stores_nothing() -> None:
    client = replay()  # no replies: the call raises
    cache = ChatCompletionCache(client)
    with pytest.raises(ValueError, match="No more mock responses"):
        await cache.create(PROMPT)
    assert cache.store.get(request_key(PROMPT, [], "auto", None, {})) is None


@pytest.mark.anyio
async def test_function_call_results_are_cached() -> None:
    calls = CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id="1", arguments='{"q": "x"}', name="lookup")],
        usage=RequestUsage(prompt_tokens=5, completion_tokens=3),
        cached=False,
    )
    cache = ChatCompletionCache(replay(calls))
    assert (await cache.create(PROMPT)) == calls
    hit = await cache.create(PROMPT)
    assert hit.content == calls.content and hit.cached is True
    assert await collect(cache.create_stream(PROMPT)) == [hit]


@pytest.mark.anyio
async def test_cancelled_token_raises_on_a_hit_and_on_a_miss() -> None:
    client = replay("cached reply")
    cache = ChatCompletionCache(client)
    await cache.create(PROMPT)
    with pytest.raises(MessageCancelledError):
        await cache.create(PROMPT, cancellation_token=cancelled_token())
    with pytest.raises(MessageCancelledError):
        await cache.create(OTHER_PROMPT, cancellation_token=cancelled_token())
    with pytest.raises(MessageCancelledError):
        await collect(cache.create_stream(PROMPT, cancellation_token=cancelled_token()))
    assert len(client.create_calls) == 1


# -- ChatCompletionCache: create_stream ---------------------------------------------------------


@pytest.mark.anyio
async def test_a_stream_is_stored_and_replayed() -> None:
    client = replay("one two three")
    cache = ChatCompletionCache(client)

    first = await collect(cache.create_stream(PROMPT))
    second = await collect(cache.create_stream(PROMPT))

    assert first[:-1] == ["one ", "two ", "three"]
    assert second[:-1] == first[:-1]
    final_first, final_second = first[-1], second[-1]
    assert isinstance(final_first, CreateResult) and isinstance(final_second, CreateResult)
    assert final_first.cached is False and final_second.cached is True
    assert final_second.content == "one two three"
    assert len(client.create_calls) == 1


@pytest.mark.anyio
async def test_create_answers_from_a_stored_stream() -> None:
    client = replay("streamed reply")
    cache = ChatCompletionCache(client)
    await collect(cache.create_stream(PROMPT))
    result = await cache.create(PROMPT)
    assert result.content == "streamed reply" and result.cached is True
    assert len(client.create_calls) == 1


@pytest.mark.anyio
async def test_a_stream_replays_a_stored_create_result() -> None:
    client = replay("created reply")
    cache = ChatCompletionCache(client)
    created = await cache.create(PROMPT)
    items = await collect(cache.create_stream(PROMPT))
    assert items == ["created reply", created.model_copy(update={"cached": True})]
    assert len(client.create_calls) == 1


@pytest.mark.anyio
async def test_an_interrupted_stream_stores_nothing() -> None:
    client = replay("one two three", "one two three")
    cache = ChatCompletionCache(client)
    async with aclosing(cache.create_stream(PROMPT)) as stream:
        async for _ in stream:
            break
    assert cache.store.get(request_key(PROMPT, [], "auto", None, {})) is None
    items = await collect(cache.create_stream(PROMPT))
    assert isinstance(items[-1], CreateResult) and items[-1].cached is False
    assert len(client.create_calls) == 2


@pytest.mark.anyio
async def test_a_failed_stream_stores_nothing() -> None:
    cache = ChatCompletionCache(replay())
    with pytest.raises(ValueError, match="No more mock responses"):
        await collect(cache.create_stream(PROMPT))
    assert cache.store.get(request_key(PROMPT, [], "auto", None, {})) is None


class _TextOnlyStream(ReplayChatCompletionClient):
    """A broken client whose stream never ends with a result."""

    async def create_stream(
        self, *args: Any, **kwargs: Any
    ) -> AsyncGenerator[str | CreateResult, None]:
        yield "just text"


@pytest.mark.anyio
async def test_a_stream_without_a_final_result_is_not_stored() -> None:
    cache = ChatCompletionCache(_TextOnlyStream([]))
    assert await collect(cache.create_stream(PROMPT)) == ["just text"]
    assert cache.store.get(request_key(PROMPT, [], "auto", None, {})) is None


@pytest.mark.anyio
async def test_cancelling_between_replayed_items_stops_the_stream() -> None:
    cache = ChatCompletionCache(replay("one two three"))
    await collect(cache.create_stream(PROMPT))
    token = CancellationToken()
    received: list[str | CreateResult] = []
    with pytest.raises(MessageCancelledError):
        async for item in cache.create_stream(PROMPT, cancellation_token=token):
            received.append(item)
            token.cancel()
    assert received == ["one "]


# -- ChatCompletionCache: entries from other stores ---------------------------------------------


class JsonLikeStore(CacheStore[Any]):
    """A store that keeps values as JSON-like data, as a store over a network would."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        if isinstance(value, list):
            self.data[key] = [v if isinstance(v, str) else v.model_dump(mode="json") for v in value]
        else:
            self.data[key] = value.model_dump(mode="json")


@pytest.mark.anyio
async def test_entries_stored_as_dicts_are_validated_back() -> None:
    client = replay("dict reply", "streamed dict reply")
    cache = ChatCompletionCache(client, JsonLikeStore())
    await cache.create(PROMPT)
    hit = await cache.create(PROMPT)
    assert isinstance(hit, CreateResult) and hit.cached and hit.content == "dict reply"

    await collect(cache.create_stream(OTHER_PROMPT))
    items = await collect(cache.create_stream(OTHER_PROMPT))
    assert items[:-1] == ["streamed ", "dict ", "reply"]
    assert isinstance(items[-1], CreateResult) and items[-1].cached
    assert len(client.create_calls) == 2


@pytest.mark.anyio
@pytest.mark.parametrize("junk", [{"not": "a result"}, ["text only"], [], 42, [{"bad": 1}]])
async def test_unusable_entries_are_misses_and_get_overwritten(
    junk: object, caplog: pytest.LogCaptureFixture
) -> None:
    store = InMemoryStore[Any]()
    key = request_key(PROMPT, [], "auto", None, {})
    store.set(key, junk)
    client = replay("fresh")
    cache = ChatCompletionCache(client, store)
    with caplog.at_level(logging.WARNING, logger="cantata"):
        result = await cache.create(PROMPT)
    assert result.content == "fresh" and result.cached is False
    assert "Ignoring a cache entry" in caplog.text
    assert isinstance(store.get(key), CreateResult)


# -- ChatCompletionCache: the rest of the client interface --------------------------------------


class ClosingReplay(ReplayChatCompletionClient):
    closed = 0

    async def close(self) -> None:
        self.closed += 1


@pytest.mark.anyio
async def test_close_closes_the_wrapped_client() -> None:
    client = ClosingReplay([])
    cache = ChatCompletionCache(client)
    await cache.close()
    assert client.closed == 1


def test_token_counting_and_model_info_are_the_wrapped_clients() -> None:
    info: ModelInfo = {
        "vision": True,
        "function_calling": True,
        "json_output": False,
        "family": "test-family",
        "structured_output": False,
    }
    client = ReplayChatCompletionClient([], model_info=info)
    cache = ChatCompletionCache(client)
    assert cache.count_tokens(PROMPT) == client.count_tokens(PROMPT) == 7
    assert cache.remaining_tokens(PROMPT) == client.remaining_tokens(PROMPT)
    assert cache.model_info == info
    with pytest.warns(DeprecationWarning):
        assert cache.capabilities["vision"] is True


# -- ChatCompletionCache: configuration ---------------------------------------------------------


class DumpableReplay(ReplayChatCompletionClient):
    def dump_component(self) -> dict[str, Any]:  # type: ignore[override]
        return {"provider": "test.DumpableReplay", "config": {}}


class DumpableStore(InMemoryStore[CHAT_CACHE_VALUE_TYPE]):
    pass


class DumpableDiskLikeStore(JsonLikeStore):
    def dump_component(self) -> dict[str, Any]:  # type: ignore[override]
        return {"provider": "test.Store", "config": {}}


def test_config_records_the_client_and_store() -> None:
    cache = ChatCompletionCache(DumpableReplay([]))
    assert cache._to_config() == ChatCompletionCacheConfig(
        client={"provider": "test.DumpableReplay", "config": {}}, store=None
    )
    with_store = ChatCompletionCache(DumpableReplay([]), DumpableDiskLikeStore())
    assert with_store._to_config().store == {"provider": "test.Store", "config": {}}


def test_config_needs_dumpable_components() -> None:
    config = ChatCompletionCache(replay("hi"))._to_config()
    assert config.client["provider"] == "cantata.models.replay.ReplayChatCompletionClient"
    assert config.client["config"]["chat_completions"] == ["hi"]
    with pytest.raises(TypeError, match="cache store"):
        ChatCompletionCache(DumpableReplay([]), JsonLikeStore())._to_config()


def test_from_config_refuses_a_malformed_provider() -> None:
    config = ChatCompletionCacheConfig(client={"provider": "x", "config": {}})
    with pytest.raises(ValueError, match="Invalid component provider"):
        ChatCompletionCache._from_config(config)


def test_from_config_loads_the_client_and_store(monkeypatch: pytest.MonkeyPatch) -> None:
    client = replay()
    store = InMemoryStore[CHAT_CACHE_VALUE_TYPE]()
    monkeypatch.setattr(
        ChatCompletionClient, "load_component", classmethod(lambda cls, m: client), raising=False
    )
    monkeypatch.setattr(
        CacheStore, "load_component", classmethod(lambda cls, m: store), raising=False
    )
    loaded = ChatCompletionCache._from_config(
        ChatCompletionCacheConfig(client={"provider": "c", "config": {}})
    )
    assert loaded.client is client and isinstance(loaded.store, InMemoryStore)
    assert loaded.store is not store
    with_store = ChatCompletionCache._from_config(
        ChatCompletionCacheConfig(
            client={"provider": "c", "config": {}}, store={"provider": "s", "config": {}}
        )
    )
    assert with_store.store is store


# -- DiskCacheStore -----------------------------------------------------------------------------


def test_disk_store_names_the_extra_when_diskcache_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "diskcache", None)  # import fails
    with pytest.raises(ImportError, match=r"pip install 'cantata\[diskcache\]'"):
        DiskCacheStore[str].from_directory(tmp_path)
    with pytest.raises(ImportError, match=r"cantata\[diskcache\]"):
        DiskCacheStore[str]._from_config(DiskCacheStoreConfig(directory=str(tmp_path)))


def test_importing_the_cache_package_does_not_need_diskcache() -> None:
    code = (
        "import sys; sys.modules['diskcache'] = None\n"
        "import cantata.models.cache as c; print(c.ChatCompletionCache.__name__)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "ChatCompletionCache"


def test_disk_store_rejects_what_is_not_a_cache() -> None:
    with pytest.raises(TypeError, match=r"diskcache\.Cache"):
        DiskCacheStore(object())  # type: ignore[arg-type]


def test_disk_store_persists_across_instances(tmp_path: Path) -> None:
    pytest.importorskip("diskcache")
    store = DiskCacheStore[dict[str, int]].from_directory(tmp_path / "cache")
    assert store.component_type == "cache_store"
    assert store.get("k") is None
    assert store.get("k", {"d": 0}) == {"d": 0}
    store.set("k", {"v": 1})
    store.set("k", {"v": 2})
    assert store.get("k") == {"v": 2}
    config = store._to_config()
    assert config == DiskCacheStoreConfig(directory=str(tmp_path / "cache"))
    store.close()

    reopened = DiskCacheStore[dict[str, int]]._from_config(config)
    assert reopened.get("k") == {"v": 2}
    reopened.close()


def test_disk_store_wraps_a_given_cache(tmp_path: Path) -> None:
    diskcache = pytest.importorskip("diskcache")
    cache = diskcache.Cache(str(tmp_path))
    store = DiskCacheStore[str](cache)
    store.set("k", "v")
    assert store.cache is cache and cache.get("k") == "v"
    store.close()


@pytest.mark.anyio
async def test_chat_completion_cache_on_disk_survives_a_restart(tmp_path: Path) -> None:
    pytest.importorskip("diskcache")
    store = DiskCacheStore[CHAT_CACHE_VALUE_TYPE].from_directory(tmp_path)
    client = replay("from the model", "streamed from the model")
    cache = ChatCompletionCache(client, store)
    created = await cache.create(PROMPT)
    streamed = await collect(cache.create_stream(OTHER_PROMPT))
    store.close()

    # A new process would open the same directory with a new client.
    new_client = replay()
    restarted = ChatCompletionCache(
        new_client, DiskCacheStore[CHAT_CACHE_VALUE_TYPE].from_directory(tmp_path)
    )
    hit = await restarted.create(PROMPT)
    assert hit.content == created.content and hit.cached is True
    replayed = await collect(restarted.create_stream(OTHER_PROMPT))
    assert replayed[:-1] == streamed[:-1]
    assert new_client.create_calls == []
    assert isinstance(restarted.store, DiskCacheStore)
    restarted.store.close()


_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
