"""cantata.cache_store: the diskcache and Redis stores at autogen's paths.

The Redis tests run against a real ``redis-server`` started on a free loopback port (skipped,
with the reason, when the binary is not installed).
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from cantata import CacheStore, ComponentModel
from cantata.models import CreateResult, RequestUsage, UserMessage
from cantata.models.cache import CHAT_CACHE_VALUE_TYPE, ChatCompletionCache
from cantata.models.replay import ReplayChatCompletionClient

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError:  # pragma: no cover - the test extra installs redis-py
    pytest.skip("redis-py is not installed (pip install 'cantata[redis]')", allow_module_level=True)

from cantata.cache_store.redis import RedisStore, RedisStoreConfig

REDIS_SERVER = shutil.which("redis-server")


def test_diskcache_store_at_autogens_path_and_the_old_one(tmp_path: Path) -> None:
    from cantata.cache_store.diskcache import DiskCacheStore
    from cantata.models.cache import DiskCacheStore as OldPath

    assert OldPath is DiskCacheStore
    store = DiskCacheStore[str].from_directory(tmp_path / "c")
    store.set("k", "v")
    dumped = store.dump_component()
    assert dumped.provider == "cantata.cache_store.diskcache.DiskCacheStore"
    store.close()
    for provider in (
        "autogen_ext.cache_store.diskcache.DiskCacheStore",
        "cantata.models.cache.DiskCacheStore",
        dumped.provider,
    ):
        loaded: object = CacheStore.load_component(
            ComponentModel(provider=provider, config=dumped.config)
        )
        assert isinstance(loaded, DiskCacheStore)
        assert loaded.get("k") == "v"
        loaded.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A redis-server of its own on 127.0.0.1, stopped (and waited for) afterwards."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    workdir = tmp_path_factory.mktemp("redis")
    for _attempt in range(5):
        port = _free_port()
        process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if client.ping():
                        break
                except redis.ConnectionError:
                    time.sleep(0.02)
            else:
                process.kill()
                process.wait()
                continue  # the port was taken meanwhile: try another
            try:
                yield port
            finally:
                process.terminate()
                process.wait(timeout=10)
            return
        finally:
            client.close()
    pytest.fail("redis-server did not start")


@pytest.fixture
def client(redis_port: int) -> Iterator[redis.Redis]:
    connection = redis.Redis(port=redis_port)
    connection.flushdb()
    yield connection
    connection.close()


class Point(BaseModel):
    x: int
    y: int


def test_values_round_trip_as_json(client: redis.Redis) -> None:
    store = RedisStore[object](client)
    for key, value in {
        "s": "123",
        "i": 7,
        "f": 1.5,
        "b": False,
        "d": {"a": [1, {"b": None}]},
        "l": ["x", 2],
        "u": "naïve ✓",
    }.items():
        store.set(key, value)
        assert store.get(key) == value
    store.set("m", Point(x=1, y=2))
    assert store.get("m") == {"x": 1, "y": 2}
    store.set("ml", [Point(x=1, y=2), "tail"])
    assert store.get("ml") == [{"x": 1, "y": 2}, "tail"]
    assert store.get("missing") is None
    assert store.get("missing", "fallback") == "fallback"
    # Nothing is pickled: what is in Redis is JSON text.
    assert client.get("m") == b'{"x":1,"y":2}' or client.get("m") == b'{"x": 1, "y": 2}'


def test_unstorable_values_raise_type_error(client: redis.Redis) -> None:
    store = RedisStore[object](client)
    with pytest.raises(TypeError, match="cannot store"):
        store.set("k", object())
    with pytest.raises(TypeError, match="cannot store"):
        store.set("k", float("nan"))
    assert client.get("k") is None


def test_entries_written_by_other_code(client: redis.Redis) -> None:
    client.set("raw", b"plain text")
    client.set("binary", b"\xff\xfe")
    store = RedisStore[str](client)
    assert store.get("raw") == "plain text"
    assert store.get("binary") == "\ufffd\ufffd"


def test_prefix_and_ttl(client: redis.Redis) -> None:
    store = RedisStore[int](client, key_prefix="app:", ttl=30)
    store.set("n", 1)
    assert client.get("app:n") == b"1"
    assert 0 < client.pttl("app:n") <= 30_000
    assert RedisStore[int](client).get("n") is None
    with pytest.raises(ValueError, match="ttl"):
        RedisStore[int](client, ttl=0)


@pytest.mark.anyio
async def test_chat_completion_cache_on_redis(anyio_backend: str, client: redis.Redis) -> None:
    store = RedisStore[CHAT_CACHE_VALUE_TYPE](client)
    replay = ReplayChatCompletionClient(["Paris.", "streamed reply"])
    replay.set_cached_bool_value(False)
    cache = ChatCompletionCache(replay, store)
    question = [UserMessage(content="Capital of France?", source="user")]
    first = await cache.create(question)
    second = await cache.create(question)
    assert (first.content, first.cached) == ("Paris.", False)
    assert isinstance(second, CreateResult)
    assert (second.content, second.cached) == ("Paris.", True)
    stream = [item async for item in cache.create_stream([UserMessage(content="s", source="u")])]
    again = [item async for item in cache.create_stream([UserMessage(content="s", source="u")])]
    assert [i for i in again if isinstance(i, str)] == [i for i in stream if isinstance(i, str)]
    final = again[-1]
    assert isinstance(final, CreateResult)
    assert final.cached


@pytest.mark.anyio
async def test_reads_entries_autogen_wrote(anyio_backend: str, client: redis.Redis) -> None:
    result = CreateResult(
        finish_reason="stop", content="from autogen", usage=RequestUsage(1, 2), cached=False
    )
    question = [UserMessage(content="q", source="user")]

    store = RedisStore[CHAT_CACHE_VALUE_TYPE](client)
    empty = ChatCompletionCache(ReplayChatCompletionClient(["x"]), store)
    await empty.create(question)  # learn the key by caching once
    (key,) = [k.decode() if isinstance(k, bytes) else k for k in client.keys("*")]
    client.set(key, result.model_dump_json().encode())  # as autogen's RedisStore writes
    cache = ChatCompletionCache(ReplayChatCompletionClient([]), store)
    hit = await cache.create(question)
    assert (hit.content, hit.cached) == ("from autogen", True)


def test_component_config(client: redis.Redis, redis_port: int) -> None:
    store = RedisStore[str](
        redis.Redis(port=redis_port, db=2, password=None, socket_timeout=3),
        key_prefix="p:",
        ttl=5,
    )
    dumped = store.dump_component()
    assert dumped.provider == "cantata.cache_store.redis.RedisStore"
    assert dumped.config == {
        "host": "localhost",
        "port": redis_port,
        "db": 2,
        "ssl": False,
        "socket_timeout": 3.0,
        "key_prefix": "p:",
        "ttl": 5.0,
    }
    store.set("k", "v")
    for provider in (dumped.provider, "autogen_ext.cache_store.redis.RedisStore"):
        loaded: object = CacheStore.load_component({"provider": provider, "config": dumped.config})
        assert isinstance(loaded, RedisStore)
        assert loaded.get("k") == "v"
        loaded.close()
    store.close()


def test_password_is_masked_when_dumped() -> None:
    store = RedisStore[str](redis.Redis(password="s3cret", username="me"))
    config = store.dump_component().config
    assert config["username"] == "me"
    assert "s3cret" not in str(config)
    assert RedisStoreConfig.model_validate({"password": "s3cret"}).password is not None


def test_unreachable_server_is_a_logged_miss(caplog: pytest.LogCaptureFixture) -> None:
    port = _free_port()  # nothing listens there
    no_retries = Retry(NoBackoff(), 0)
    store = RedisStore[str](redis.Redis(port=port, socket_connect_timeout=0.5, retry=no_retries))
    with caplog.at_level(logging.WARNING, logger="cantata.cache_store.redis"):
        assert store.get("k", "default") == "default"
        store.set("k", "v")  # does not raise
    messages = [record.getMessage() for record in caplog.records]
    assert any("get failed" in message for message in messages)
    assert any("set failed" in message for message in messages)
    store.close()


def test_missing_redis_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ImportError, match=r"cantata\[redis\]"):
        RedisStore._from_config(RedisStoreConfig())
