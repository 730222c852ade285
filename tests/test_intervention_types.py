"""DropMessage, InterventionHandler and DefaultInterventionHandler."""

from __future__ import annotations

from typing import Any

import pytest

from cantata._agent_id import AgentId
from cantata._cancellation_token import CancellationToken
from cantata._intervention import (
    DefaultInterventionHandler,
    DropMessage,
    InterventionHandler,
    _is_drop,
)
from cantata._message_context import MessageContext
from cantata._topic import TopicId


def _context(*, is_rpc: bool) -> MessageContext:
    return MessageContext(
        sender=AgentId("s", "k"),
        topic_id=None if is_rpc else TopicId("t", "src"),
        is_rpc=is_rpc,
        cancellation_token=CancellationToken(),
        message_id="m",
    )


def test_is_drop() -> None:
    assert _is_drop(DropMessage)
    assert _is_drop(DropMessage())
    assert not _is_drop(None)
    assert not _is_drop("DropMessage")
    assert not _is_drop(object)
    assert not _is_drop(type)


def test_drop_message_is_final_marker() -> None:
    assert DropMessage.__doc__
    assert getattr(DropMessage, "__final__", False) is True


@pytest.mark.anyio
async def test_default_handler_passes_messages_unchanged() -> None:
    handler = DefaultInterventionHandler()
    message = {"payload": [1, 2, 3]}
    assert (
        await handler.on_send(
            message, message_context=_context(is_rpc=True), recipient=AgentId("r", "k")
        )
        is message
    )
    assert await handler.on_publish(message, message_context=_context(is_rpc=False)) is message
    assert await handler.on_response(message, sender=AgentId("r", "k"), recipient=None) is message
    assert (
        await handler.on_response(message, sender=AgentId("r", "k"), recipient=AgentId("s", "k"))
        is message
    )


class Upper(DefaultInterventionHandler):
    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        return str(message).upper()


class DropPublishes(DefaultInterventionHandler):
    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]:
        return DropMessage


@pytest.mark.anyio
async def test_subclasses_override_selected_hooks() -> None:
    upper = Upper()
    assert (
        await upper.on_send(
            "hi", message_context=_context(is_rpc=True), recipient=AgentId("r", "k")
        )
        == "HI"
    )
    assert await upper.on_publish("hi", message_context=_context(is_rpc=False)) == "hi"
    dropper = DropPublishes()
    result = await dropper.on_publish("hi", message_context=_context(is_rpc=False))
    assert result is DropMessage
    assert _is_drop(result)
    assert await dropper.on_response("hi", sender=AgentId("r", "k"), recipient=None) == "hi"


@pytest.mark.anyio
async def test_structural_handler_satisfies_protocol() -> None:
    class Counting:
        def __init__(self) -> None:
            self.calls = 0

        async def on_send(
            self, message: Any, *, message_context: MessageContext, recipient: AgentId
        ) -> Any | type[DropMessage]:
            self.calls += 1
            return None  # "no change"

        async def on_publish(
            self, message: Any, *, message_context: MessageContext
        ) -> Any | type[DropMessage]:
            self.calls += 1
            return message

        async def on_response(
            self, message: Any, *, sender: AgentId, recipient: AgentId | None
        ) -> Any | type[DropMessage]:
            self.calls += 1
            return message

    counting = Counting()
    handlers: list[InterventionHandler] = [DefaultInterventionHandler(), counting, Upper()]
    # Chain as a runtime does: each handler sees the previous output; None means no change.
    message: Any = "hi"
    for handler in handlers:
        result = await handler.on_send(
            message, message_context=_context(is_rpc=True), recipient=AgentId("r", "k")
        )
        if _is_drop(result):
            pytest.fail("unexpected drop")
        if result is not None:
            message = result
    assert message == "HI"
    assert counting.calls == 1
