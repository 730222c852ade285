"""The runtime's OpenTelemetry spans: names, kinds, attributes, parentage, errors.

A real SDK ``TracerProvider`` with an in-memory exporter; both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cantata import (
    AgentId,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    default_subscription,
    message_handler,
)
from cantata._runtime._telemetry import runtime_tracer
from cantata.exceptions import RuntimeStoppedError

pytestmark = pytest.mark.anyio


@dataclass
class Ask:
    text: str


@dataclass
class Note:
    text: str


class Boom(Exception):
    pass


@default_subscription
class Relay(RoutedAgent):
    """Answers ``Ask`` by asking ``leaf``; fails on ``fail``; notes are noted."""

    def __init__(self) -> None:
        super().__init__("relay")
        self.notes: list[str] = []

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> str:
        if message.text == "fail":
            raise Boom("no")
        if self.id.type == "leaf":
            return message.text.upper()
        answer = await self.send_message(Ask(message.text), AgentId("leaf", "default"))
        return f"relayed {answer}"

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self.notes.append(message.text)


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield tracer_provider, exporter
    tracer_provider.shutdown()


def _by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, list[ReadableSpan]]:
    named: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        named.setdefault(span.name, []).append(span)
    return named


def _parent(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def _id(span: ReadableSpan) -> int:
    assert span.context is not None
    span_id: int = span.context.span_id
    return span_id


async def _runtime(tracer_provider: Any) -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime(tracer_provider=tracer_provider)
    await Relay.register(runtime, "relay", Relay)
    await Relay.register(runtime, "leaf", Relay)
    return runtime


async def test_rpc_spans_form_one_trace(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    runtime = await _runtime(tracer_provider)
    async with runtime:
        answer = await runtime.send_message(Ask("hi"), AgentId("relay", "default"))
        await runtime.stop_when_idle()
    assert answer == "relayed HI"
    spans = _by_name(exporter.get_finished_spans())
    (create_relay,) = spans["create relay/default"]
    (process_relay,) = spans["process relay/default"]
    (create_leaf,) = spans["create leaf/default"]
    (process_leaf,) = spans["process leaf/default"]
    assert create_relay.kind is trace.SpanKind.PRODUCER
    assert process_relay.kind is trace.SpanKind.CONSUMER
    # runtime -> relay -> leaf: each span a child of the one before.
    assert _parent(create_relay) is None
    assert _parent(process_relay) == _id(create_relay)
    assert _parent(create_leaf) == _id(process_relay)
    assert _parent(process_leaf) == _id(create_leaf)
    trace_ids = {span.context.trace_id for span in exporter.get_finished_spans() if span.context}
    assert len(trace_ids) == 1
    attributes = dict(create_leaf.attributes or {})
    assert attributes["messaging.system"] == "cantata"
    assert attributes["messaging.operation.type"] == "create"
    assert attributes["messaging.destination.name"] == "leaf/default"
    assert attributes["cantata.message.type"] == "Ask"
    assert attributes["cantata.sender"] == "relay/default"
    assert (
        attributes["messaging.message.id"]
        == dict(process_leaf.attributes or {})["messaging.message.id"]
    )


async def test_queued_deliveries_keep_their_parent(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    """Messages that wait in a mailbox are processed under the span that sent them."""
    tracer_provider, exporter = provider
    runtime = await _runtime(tracer_provider)
    async with runtime:
        async with anyio.create_task_group() as tg:
            for text in ("a", "b", "c"):
                tg.start_soon(runtime.send_message, Ask(text), AgentId("leaf", "default"))
        await runtime.publish_message(Note("n1"), DefaultTopicId())
        await runtime.stop_when_idle()
    spans = _by_name(exporter.get_finished_spans())
    creates = spans["create leaf/default"]
    processes = spans["process leaf/default"]
    assert len(creates) == 3
    assert sorted(_parent(span) or 0 for span in processes if _is_ask(span)) == sorted(
        _id(span) for span in creates
    )
    (publish,) = spans["publish default/default"]
    notes = [span for span in processes + spans["process relay/default"] if not _is_ask(span)]
    assert len(notes) == 2  # leaf and relay both subscribe to the default topic
    assert all(_parent(span) == _id(publish) for span in notes)


def _is_ask(span: ReadableSpan) -> bool:
    return dict(span.attributes or {})["cantata.message.type"] == "Ask"


async def test_handler_errors_mark_the_spans(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    runtime = await _runtime(tracer_provider)
    async with runtime:
        with pytest.raises(Boom):
            await runtime.send_message(Ask("fail"), AgentId("leaf", "default"))
    spans = _by_name(exporter.get_finished_spans())
    for name in ("create leaf/default", "process leaf/default"):
        (span,) = spans[name]
        assert span.status.status_code is trace.StatusCode.ERROR
        assert dict(span.attributes or {})["error.type"] == "Boom"


async def test_no_provider_no_spans(
    provider: tuple[TracerProvider, InMemorySpanExporter], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer_provider, exporter = provider
    runtime = await _runtime(None)  # created while no provider is configured
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: tracer_provider)
    async with runtime:
        await runtime.send_message(Ask("hi"), AgentId("relay", "default"))
        await runtime.publish_message(Note("x"), TopicId("default", "default"))
        await runtime.stop_when_idle()
    # No runtime spans. (Agents created after the provider was configured emit their own
    # GenAI create_agent / invoke_agent spans: see tests/test_genai_spans.py.)
    runtime_spans = [
        span.name
        for span in exporter.get_finished_spans()
        if not span.name.startswith(("create_agent ", "invoke_agent "))
    ]
    assert runtime_spans == []


def test_the_global_provider_is_used_when_configured(
    provider: tuple[TracerProvider, InMemorySpanExporter], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer_provider, _ = provider
    assert runtime_tracer(None) is None  # the API's default provider: no spans
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: tracer_provider)
    assert runtime_tracer(None) is not None


@pytest.mark.parametrize(
    "variable", ["CANTATA_DISABLE_RUNTIME_TRACING", "AUTOGEN_DISABLE_RUNTIME_TRACING"]
)
async def test_tracing_can_be_turned_off(
    provider: tuple[TracerProvider, InMemorySpanExporter],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    tracer_provider, exporter = provider
    assert runtime_tracer(trace.NoOpTracerProvider()) is None
    monkeypatch.setenv(variable, "true")
    assert runtime_tracer(tracer_provider) is None
    runtime = await _runtime(tracer_provider)
    async with runtime:
        await runtime.send_message(Ask("hi"), AgentId("relay", "default"))
    assert exporter.get_finished_spans() == ()


async def test_a_runtime_made_under_a_global_provider_traces(
    provider: tuple[TracerProvider, InMemorySpanExporter], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer_provider, exporter = provider
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: tracer_provider)
    runtime = await _runtime(None)
    async with runtime:
        await runtime.send_message(Ask("hi"), AgentId("leaf", "default"))
    names = sorted(span.name for span in exporter.get_finished_spans())
    # The runtime's spans, and the agent's GenAI spans (the provider is the global one).
    assert names == [
        "create leaf/default",
        "create_agent leaf",
        "invoke_agent leaf",
        "process leaf/default",
    ]


@default_subscription
class Sleeper(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("sleeps")

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> str:
        await anyio.sleep(30)
        return "woke"


async def test_cancelled_and_stopped_messages_end_their_spans(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    runtime = SingleThreadedAgentRuntime(tracer_provider=tracer_provider)
    await Sleeper.register(runtime, "sleeper", Sleeper)
    stopped: list[BaseException] = []

    async def queued_rpc() -> None:
        try:
            await runtime.send_message(Ask("c"), AgentId("sleeper", "default"))
        except RuntimeStoppedError as exc:
            stopped.append(exc)

    async with runtime:
        with anyio.move_on_after(0.05):  # the caller gives up: its inline handler is cancelled
            await runtime.send_message(Ask("a"), AgentId("sleeper", "one"))
        await runtime.publish_message(Ask("b"), DefaultTopicId())  # a worker runs this one
        async with anyio.create_task_group() as tg:
            await anyio.sleep(0.05)
            tg.start_soon(queued_rpc)  # queued behind the publish
            await anyio.sleep(0.05)
            with anyio.fail_after(5):
                await runtime.stop(cancel_in_flight=True)
    assert len(stopped) == 1
    spans = _by_name(exporter.get_finished_spans())
    for name in ("create sleeper/one", "process sleeper/one", "process sleeper/default"):
        (span,) = spans[name]
        assert span.status.status_code is trace.StatusCode.ERROR, name
    (create_queued,) = spans["create sleeper/default"]
    assert dict(create_queued.attributes or {})["error.type"] == "RuntimeStoppedError"
    (publish,) = spans["publish default/default"]
    assert publish.status.status_code is trace.StatusCode.UNSET  # publishing itself succeeded
