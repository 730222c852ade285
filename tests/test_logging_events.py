"""Structured event classes of cantata.logging."""

from __future__ import annotations

import json
import logging

import pytest

import cantata.logging as events
from cantata._agent_id import AgentId
from cantata._constants import EVENT_LOGGER_NAME
from cantata._contexts import MessageHandlerContext
from cantata._topic import TopicId
from cantata.logging import (
    AgentConstructionExceptionEvent,
    DeliveryStage,
    LLMCallEvent,
    LLMStreamEndEvent,
    LLMStreamStartEvent,
    MessageDroppedEvent,
    MessageEvent,
    MessageHandlerExceptionEvent,
    MessageKind,
    ToolCallEvent,
)


def test_enums() -> None:
    assert [(m.name, m.value) for m in MessageKind] == [
        ("DIRECT", 1),
        ("PUBLISH", 2),
        ("RESPOND", 3),
    ]
    assert [(m.name, m.value) for m in DeliveryStage] == [("SEND", 1), ("DELIVER", 2)]


def test_all_lists_public_names() -> None:
    for name in events.__all__:
        assert getattr(events, name).__doc__


def test_llm_call_event_outside_handler() -> None:
    event = LLMCallEvent(
        messages=[{"role": "user", "content": "hi"}],
        response={"content": "hello"},
        prompt_tokens=3,
        completion_tokens=5,
        model="m1",
    )
    assert event.kwargs == {
        "model": "m1",
        "type": "LLMCall",
        "messages": [{"role": "user", "content": "hi"}],
        "response": {"content": "hello"},
        "prompt_tokens": 3,
        "completion_tokens": 5,
        "agent_id": None,
    }
    assert event.prompt_tokens == 3
    assert event.completion_tokens == 5
    assert json.loads(str(event)) == event.kwargs


def test_llm_events_record_handling_agent() -> None:
    with MessageHandlerContext.populate_context(AgentId("assistant", "s1")):
        call = LLMCallEvent(messages=[], response={}, prompt_tokens=0, completion_tokens=0)
        start = LLMStreamStartEvent(messages=[{"role": "user"}])
        end = LLMStreamEndEvent(response={"r": 1}, prompt_tokens=1, completion_tokens=2)
        tool = ToolCallEvent(tool_name="add", arguments={"a": 1}, result="2")
    for event in (call, start, end, tool):
        assert event.kwargs["agent_id"] == "assistant/s1"
        assert json.loads(str(event))["agent_id"] == "assistant/s1"


def test_llm_stream_events() -> None:
    start = LLMStreamStartEvent(messages=[{"role": "user"}], extra=1)
    assert start.kwargs == {
        "extra": 1,
        "type": "LLMStreamStart",
        "messages": [{"role": "user"}],
        "agent_id": None,
    }
    end = LLMStreamEndEvent(response={"r": 1}, prompt_tokens=1, completion_tokens=2)
    assert end.kwargs == {
        "type": "LLMStreamEnd",
        "response": {"r": 1},
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "agent_id": None,
    }
    assert end.prompt_tokens == 1
    assert end.completion_tokens == 2


def test_tool_call_event() -> None:
    event = ToolCallEvent(tool_name="add", arguments={"a": 1, "b": 2}, result="3")
    assert event.kwargs == {
        "type": "ToolCall",
        "tool_name": "add",
        "arguments": {"a": 1, "b": 2},
        "result": "3",
        "agent_id": None,
    }
    assert json.loads(str(event)) == event.kwargs


@pytest.mark.parametrize(
    ("receiver", "expected"),
    [(AgentId("r", "k"), "r/k"), (TopicId("t", "s"), "t/s"), (None, None)],
)
def test_message_event(receiver: AgentId | TopicId | None, expected: str | None) -> None:
    event = MessageEvent(
        payload='{"x": 1}',
        sender=AgentId("s", "k"),
        receiver=receiver,
        kind=MessageKind.PUBLISH,
        delivery_stage=DeliveryStage.DELIVER,
        message_id="m1",
    )
    assert event.kwargs == {
        "message_id": "m1",
        "type": "Message",
        "payload": '{"x": 1}',
        "sender": "s/k",
        "receiver": expected,
        "kind": "PUBLISH",
        "delivery_stage": "DELIVER",
    }
    assert json.loads(str(event)) == event.kwargs


def test_message_event_without_sender() -> None:
    event = MessageEvent(
        payload="p",
        sender=None,
        receiver=AgentId("r", "k"),
        kind=MessageKind.DIRECT,
        delivery_stage=DeliveryStage.SEND,
    )
    assert event.kwargs["sender"] is None
    assert event.kwargs["kind"] == "DIRECT"
    assert event.kwargs["delivery_stage"] == "SEND"


def test_message_dropped_event() -> None:
    event = MessageDroppedEvent(
        payload="p", sender=None, receiver=TopicId("t", "s"), kind=MessageKind.RESPOND
    )
    assert event.kwargs == {
        "type": "MessageDropped",
        "payload": "p",
        "sender": None,
        "receiver": "t/s",
        "kind": "RESPOND",
    }
    assert json.loads(str(event)) == event.kwargs


def test_message_handler_exception_event() -> None:
    exc = ValueError("bad input")
    event = MessageHandlerExceptionEvent(
        payload="p", handling_agent=AgentId("h", "k"), exception=exc, extra="e"
    )
    assert event.kwargs == {
        "extra": "e",
        "type": "MessageHandlerException",
        "payload": "p",
        "handling_agent": "h/k",
        "exception": repr(exc),
    }
    assert json.loads(str(event))["exception"] == "ValueError('bad input')"


def test_agent_construction_exception_event() -> None:
    exc = RuntimeError("ctor failed")
    event = AgentConstructionExceptionEvent(agent_id=AgentId("a", "k"), exception=exc)
    assert event.kwargs == {
        "type": "AgentConstructionException",
        "agent_id": "a/k",
        "exception": "RuntimeError('ctor failed')",
    }


def test_str_falls_back_to_str_for_unserializable_values() -> None:
    marker = object()
    event = LLMStreamStartEvent(messages=[], extra=marker)
    assert json.loads(str(event))["extra"] == str(marker)


def test_named_fields_win_over_extras() -> None:
    event = MessageDroppedEvent(
        payload="p", sender=None, receiver=None, kind=MessageKind.DIRECT, type="spoofed"
    )
    assert event.kwargs["type"] == "MessageDropped"


def test_repr_names_the_class() -> None:
    event = ToolCallEvent(tool_name="t", arguments={}, result="r")
    assert repr(event).startswith("ToolCallEvent(")


def test_events_render_through_logging(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    event = ToolCallEvent(tool_name="t", arguments={}, result="r")
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        logger.info(event)
    assert caplog.records[-1].msg is event
    assert json.loads(caplog.records[-1].getMessage()) == event.kwargs
