"""Memories: ListMemory, MemoryContent and the results of queries and context updates.

(``test_memory.py`` is about the runtime's memory use, not this component.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from cantata import CancellationToken, Image
from cantata.exceptions import MessageCancelledError
from cantata.memory import (
    ListMemory,
    ListMemoryConfig,
    Memory,
    MemoryContent,
    MemoryMimeType,
    MemoryQueryResult,
    UpdateContextResult,
)
from cantata.model_context import BufferedChatCompletionContext, UnboundedChatCompletionContext
from cantata.models import SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def text(value: str, **metadata: Any) -> MemoryContent:
    return MemoryContent(content=value, mime_type=MemoryMimeType.TEXT, metadata=metadata or None)


def cancelled_token() -> CancellationToken:
    token = CancellationToken()
    token.cancel()
    return token


# -- MemoryMimeType and MemoryContent ----------------------------------------------------------


def test_mime_types_are_the_reference_values_and_compare_with_strings() -> None:
    assert {member.name: member.value for member in MemoryMimeType} == {
        "TEXT": "text/plain",
        "JSON": "application/json",
        "MARKDOWN": "text/markdown",
        "IMAGE": "image/*",
        "BINARY": "application/octet-stream",
    }
    as_string: str = MemoryMimeType.TEXT
    assert as_string == "text/plain"
    assert MemoryMimeType("application/json") is MemoryMimeType.JSON


@pytest.mark.parametrize(
    ("content", "mime_type"),
    [
        ("plain text", MemoryMimeType.TEXT),
        ("# Title", "text/markdown"),
        ({"city": "Paris", "count": 3, "nested": {"a": [1, 2]}}, MemoryMimeType.JSON),
        (b"\x00\xffbinary", MemoryMimeType.BINARY),
        (b"\x00\xffbinary", "application/octet-stream"),
        (Image(PNG), MemoryMimeType.IMAGE),
        (Image(PNG), "image/png"),
    ],
)
def test_memory_content_round_trips_through_json(content: Any, mime_type: Any) -> None:
    item = MemoryContent(content=content, mime_type=mime_type, metadata={"source": "test"})
    assert item.content == content
    assert type(item.content) is type(content)

    dumped = item.model_dump(mode="json")
    json.dumps(dumped)
    assert dumped["mime_type"] == str(getattr(mime_type, "value", mime_type))
    assert MemoryContent.model_validate(dumped) == item
    assert MemoryContent.model_validate_json(item.model_dump_json()) == item


def test_memory_content_python_dump_keeps_bytes_and_mime_strings() -> None:
    item = MemoryContent(content=b"\x01", mime_type=MemoryMimeType.BINARY)
    assert item.model_dump() == {
        "content": b"\x01",
        "mime_type": "application/octet-stream",
        "metadata": None,
    }


def test_memory_content_keeps_text_and_dicts_under_other_mime_types() -> None:
    # Only BINARY text is read as base64, and only image types turn dicts into images.
    not_base64 = MemoryContent(content="not base64!", mime_type=MemoryMimeType.BINARY)
    assert not_base64.content == "not base64!"
    as_text = MemoryContent(content="AAEC", mime_type=MemoryMimeType.TEXT)
    assert as_text.content == "AAEC"
    as_dict = MemoryContent(content={"data": "AAEC"}, mime_type=MemoryMimeType.JSON)
    assert as_dict.content == {"data": "AAEC"}
    not_an_image = MemoryContent(content={"data": "AAEC"}, mime_type=MemoryMimeType.IMAGE)
    assert not_an_image.content == {"data": "AAEC"}


def test_memory_content_rejects_other_content() -> None:
    with pytest.raises(ValidationError):
        MemoryContent(content=3.5, mime_type=MemoryMimeType.TEXT)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        MemoryContent(content="x")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        MemoryContent.model_validate("not a mapping")


def test_results_hold_memory_contents() -> None:
    result = UpdateContextResult(memories=MemoryQueryResult(results=[text("a")]))
    assert result.memories.results == [text("a")]
    with pytest.raises(ValidationError):
        MemoryQueryResult(results=["plain string"])  # type: ignore[list-item]


# -- ListMemory ---------------------------------------------------------------------------------


def test_list_memory_name_and_component_attributes() -> None:
    assert ListMemory().name == "default_list_memory"
    assert ListMemory(name="").name == "default_list_memory"
    assert ListMemory(name="notes").name == "notes"
    assert isinstance(ListMemory(), Memory)
    assert ListMemory.component_type == "memory"
    assert ListMemory.component_provider_override == "cantata.memory.ListMemory"
    assert ListMemory.component_config_schema is ListMemoryConfig


@pytest.mark.anyio
async def test_add_and_query_return_every_item_in_order() -> None:
    memory = ListMemory()
    await memory.add(text("first"))
    await memory.add(text("second", source="user"))
    expected = [text("first"), text("second", source="user")]
    assert (await memory.query("anything")).results == expected
    assert (await memory.query(text("other"))).results == expected
    assert (await memory.query()).results == expected
    assert memory.content == expected


@pytest.mark.anyio
async def test_initial_contents_are_copied() -> None:
    initial = [text("a")]
    memory = ListMemory(memory_contents=initial)
    await memory.add(text("b"))
    assert initial == [text("a")]
    assert memory.content == [text("a"), text("b")]


@pytest.mark.anyio
async def test_query_result_is_a_snapshot() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    result = await memory.query("q")
    await memory.add(text("b"))
    assert result.results == [text("a")]


@pytest.mark.anyio
async def test_content_setter_replaces_the_items() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    memory.content = [text("x"), text("y")]
    assert (await memory.query("q")).results == [text("x"), text("y")]


@pytest.mark.anyio
async def test_update_context_appends_one_system_message_in_the_reference_format() -> None:
    memory = ListMemory(
        memory_contents=[
            text("The user likes tea"),
            MemoryContent(content={"diet": "vegan"}, mime_type=MemoryMimeType.JSON),
        ]
    )
    context = UnboundedChatCompletionContext(
        initial_messages=[UserMessage(content="Hi", source="u")]
    )

    result = await memory.update_context(context)

    assert result.memories.results == memory.content
    assert await context.get_messages() == [
        UserMessage(content="Hi", source="u"),
        SystemMessage(
            content=(
                "\nRelevant memory content (in chronological order):\n"
                "1. The user likes tea\n"
                "2. {'diet': 'vegan'}\n"
            )
        ),
    ]


@pytest.mark.anyio
async def test_update_context_of_an_empty_memory_adds_nothing() -> None:
    context = BufferedChatCompletionContext(buffer_size=3)
    result = await ListMemory().update_context(context)
    assert result == UpdateContextResult(memories=MemoryQueryResult(results=[]))
    assert await context.get_messages() == []


@pytest.mark.anyio
async def test_memory_feeds_a_model_through_the_context() -> None:
    memory = ListMemory(memory_contents=[text("Meals must be vegan")])
    context = UnboundedChatCompletionContext()
    await context.add_message(UserMessage(content="Suggest dinner", source="user"))
    await memory.update_context(context)
    client = ReplayChatCompletionClient(["Lentil curry"])

    result = await client.create(await context.get_messages())

    assert result.content == "Lentil curry"
    sent = client.create_calls[0]["messages"]
    assert isinstance(sent[-1], SystemMessage)
    assert "1. Meals must be vegan" in sent[-1].content


@pytest.mark.anyio
async def test_clear_removes_every_item_and_close_keeps_the_memory_usable() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    await memory.clear()
    assert (await memory.query("q")).results == []
    await memory.close()
    await memory.close()
    await memory.add(text("b"))
    assert memory.content == [text("b")]


@pytest.mark.anyio
async def test_add_rejects_what_is_not_memory_content() -> None:
    memory = ListMemory()
    with pytest.raises(TypeError, match="MemoryContent"):
        await memory.add("plain string")  # type: ignore[arg-type]
    assert memory.content == []


@pytest.mark.anyio
async def test_cancelled_token_stops_add_and_query() -> None:
    memory = ListMemory(memory_contents=[text("a")])
    with pytest.raises(MessageCancelledError):
        await memory.add(text("b"), cancellation_token=cancelled_token())
    with pytest.raises(MessageCancelledError):
        await memory.query("q", cancellation_token=cancelled_token())
    assert memory.content == [text("a")]
    assert (await memory.query("q", cancellation_token=CancellationToken())).results == [text("a")]


@pytest.mark.anyio
async def test_config_round_trips_through_json() -> None:
    items = [
        text("note", source="s"),
        MemoryContent(content=b"\x00\x01", mime_type=MemoryMimeType.BINARY),
        MemoryContent(content=Image(PNG), mime_type=MemoryMimeType.IMAGE),
        MemoryContent(content={"k": [1, 2]}, mime_type="application/json"),
    ]
    memory = ListMemory(name="mine", memory_contents=items)
    config = memory._to_config()
    assert config == ListMemoryConfig(name="mine", memory_contents=items)

    loaded = ListMemory._from_config(ListMemoryConfig.model_validate_json(config.model_dump_json()))
    assert loaded.name == "mine"
    assert loaded.content == items
    assert ListMemory._from_config(ListMemoryConfig()).name == "default_list_memory"
