"""OpenTelemetry GenAI spans: the public context managers and the spans agents emit."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import pytest

from cantata import (
    AgentId,
    AgentInstantiationContext,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
    trace_create_agent_span,
    trace_invoke_agent_span,
    trace_tool_span,
)

try:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
except ImportError:  # pragma: no cover - the test extra installs the SDK
    pytest.skip(
        "opentelemetry-sdk is not installed (pip install 'cantata[test]')", allow_module_level=True
    )


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """A real SDK tracer provider, made the configured global one for the test."""
    span_exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    return span_exporter


def _by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {span.name: span for span in exporter.get_finished_spans()}


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_trace_tool_span(exporter: InMemorySpanExporter) -> None:
    with trace_tool_span("search", tool_description="Search the web.", tool_call_id="c1") as span:
        assert span.is_recording()
        span.set_attribute("custom", 1)
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "execute_tool search"
    assert finished.kind is trace.SpanKind.INTERNAL
    assert _attributes(finished) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.system": "autogen",
        "gen_ai.tool.name": "search",
        "gen_ai.tool.description": "Search the web.",
        "gen_ai.tool.call.id": "c1",
        "custom": 1,
    }
    assert finished.instrumentation_scope is not None
    assert finished.instrumentation_scope.name == "cantata"


def test_agent_spans_and_optional_attributes(exporter: InMemorySpanExporter) -> None:
    with trace_create_agent_span("writer", agent_id="writer/1", agent_description="Writes."):
        pass
    with trace_invoke_agent_span("writer"):
        pass
    spans = _by_name(exporter)
    created = spans["create_agent writer"]
    assert created.kind is trace.SpanKind.CLIENT
    assert _attributes(created) == {
        "gen_ai.operation.name": "create_agent",
        "gen_ai.system": "autogen",
        "gen_ai.agent.name": "writer",
        "gen_ai.agent.id": "writer/1",
        "gen_ai.agent.description": "Writes.",
    }
    assert _attributes(spans["invoke_agent writer"]) == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.system": "autogen",
        "gen_ai.agent.name": "writer",
    }


def test_create_agent_span_takes_the_id_from_the_factory_context(
    exporter: InMemorySpanExporter,
) -> None:
    runtime = SingleThreadedAgentRuntime()
    with (
        AgentInstantiationContext.populate_context((runtime, AgentId("w", "k"))),
        trace_create_agent_span("w"),
    ):
        pass
    assert _attributes(_by_name(exporter)["create_agent w"])["gen_ai.agent.id"] == "w/k"


def test_errors_are_recorded_and_reraised(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(KeyError), trace_invoke_agent_span("a"):
        raise KeyError("gone")
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is trace.StatusCode.ERROR
    assert _attributes(span)["error.type"] == "KeyError"
    assert [event.name for event in span.events] == ["exception"]


def test_explicit_tracer_and_parent(exporter: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer_provider().get_tracer("mine")
    with tracer.start_as_current_span("outer") as outer:
        pass
    # Current span is none here; the explicit parent wins.
    with trace_tool_span("t", tracer=tracer, parent=outer):
        pass
    span = _by_name(exporter)["execute_tool t"]
    assert span.parent is not None
    assert span.parent.span_id == outer.get_span_context().span_id
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "mine"


def test_nested_spans_form_a_tree(exporter: InMemorySpanExporter) -> None:
    with trace_invoke_agent_span("a"), trace_tool_span("t"):
        pass
    spans = _by_name(exporter)
    parent = spans["execute_tool t"].parent
    assert parent is not None
    assert parent.span_id == spans["invoke_agent a"].context.span_id


def test_without_a_configured_provider_the_span_records_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", trace.ProxyTracerProvider)
    with trace_tool_span("t") as span:
        assert not span.is_recording()


def test_without_opentelemetry_installed_the_span_records_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.trace", None)  # import fails
    with trace_create_agent_span("a", agent_description="d") as span:
        assert not span.is_recording()
        span.set_attribute("k", "v")
        span.record_exception(ValueError())
    with pytest.raises(ValueError), trace_tool_span("t"):
        raise ValueError("still raised")


# -- spans BaseAgent emits -----------------------------------------------------------------


@dataclass
class Ask:
    text: str


class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Echoes what it is asked.")

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Ask:
        if message.text == "fail":
            raise LookupError("no answer")
        return Ask(message.text.upper())


@pytest.mark.anyio
async def test_agents_emit_create_and_invoke_spans(exporter: InMemorySpanExporter) -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    async with runtime:
        reply = await runtime.send_message(Ask("hi"), AgentId("echo", "k"))
        assert reply == Ask("HI")
        with pytest.raises(LookupError):
            await runtime.send_message(Ask("fail"), AgentId("echo", "k"))
        await runtime.stop_when_idle()
    spans = exporter.get_finished_spans()
    (created,) = [span for span in spans if span.name == "create_agent echo"]
    assert _attributes(created) == {
        "gen_ai.operation.name": "create_agent",
        "gen_ai.system": "autogen",
        "gen_ai.agent.name": "echo",
        "gen_ai.agent.id": "echo/k",
        "gen_ai.agent.description": "Echoes what it is asked.",
    }
    invoked = [span for span in spans if span.name == "invoke_agent echo"]
    assert len(invoked) == 2
    assert _attributes(invoked[0])["gen_ai.agent.id"] == "echo/k"
    assert invoked[0].status.status_code is trace.StatusCode.UNSET
    assert _attributes(invoked[1])["error.type"] == "LookupError"
    assert invoked[1].status.status_code is trace.StatusCode.ERROR
    # The runtime's own process span (same global provider) is the parent of the invocation.
    processes = {span.context.span_id: span for span in spans if span.name == "process echo/k"}
    assert invoked[0].parent is not None
    assert invoked[0].parent.span_id in processes


@pytest.mark.anyio
async def test_agent_registered_as_an_instance_is_named_at_invocation(
    exporter: InMemorySpanExporter,
) -> None:
    runtime = SingleThreadedAgentRuntime()
    agent = Echo()  # built outside a factory: no id yet
    await agent.register_instance(runtime, AgentId("solo", "one"))
    async with runtime:
        await runtime.send_message(Ask("x"), AgentId("solo", "one"))
    spans = _by_name(exporter)
    assert _attributes(spans["create_agent Echo"]).get("gen_ai.agent.id") is None
    assert _attributes(spans["invoke_agent solo"])["gen_ai.agent.id"] == "solo/one"


@pytest.mark.anyio
async def test_agents_cost_nothing_without_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", trace.ProxyTracerProvider)
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "echo", Echo)
    async with runtime:
        assert await runtime.send_message(Ask("a"), AgentId("echo", "k")) == Ask("A")
        agent = await runtime.try_get_underlying_agent_instance(AgentId("echo", "k"), Echo)
    # No wrapper is installed: the class's handler runs directly.
    assert "on_message_impl" not in vars(agent)


@pytest.mark.anyio
async def test_agents_without_opentelemetry_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "opentelemetry.trace")
    agent = Echo()
    assert "on_message_impl" not in vars(agent)
