"""OpenTelemetry GenAI spans: ``create_agent``, ``invoke_agent`` and ``execute_tool``.

Spans follow the OpenTelemetry semantic conventions for generative AI, with the names and
attributes autogen-core emits, so dashboards built on autogen's spans keep working:

* ``create_agent {agent name}`` (kind ``CLIENT``) and ``invoke_agent {agent name}`` (kind
  ``CLIENT``): ``gen_ai.operation.name``, ``gen_ai.system`` (``"autogen"``),
  ``gen_ai.agent.name`` and, when known, ``gen_ai.agent.id`` and ``gen_ai.agent.description``;
* ``execute_tool {tool name}`` (kind ``INTERNAL``): ``gen_ai.operation.name``,
  ``gen_ai.system``, ``gen_ai.tool.name`` and, when known, ``gen_ai.tool.description`` and
  ``gen_ai.tool.call.id``.

A span whose block raises gets the ``error.type`` attribute (the exception's class name),
the exception as an event and an ``ERROR`` status.

``opentelemetry-api`` is optional (the ``cantata[otel]`` extra). cantata's own spans (tools,
:class:`~cantata.BaseAgent`) are made only when a tracer provider is configured: a provider
can only have been configured by code that imported ``opentelemetry.trace`` already, so when
that module is not loaded nothing is imported and the check is one dictionary look-up; when
the global provider is still the API's default (a proxy or no-op provider), no span is made
either. The public context managers (:func:`trace_tool_span` and the agent ones) behave like
autogen-core's: they always open a span on the given tracer or the global one (a
non-recording span when no provider is configured); without ``opentelemetry-api`` installed
they yield a span that records nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._contexts import _instantiation_var

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "GENAI_SYSTEM",
    "TRACER_NAME",
    "GenAiSpan",
    "configured_tracer_provider",
    "start_agent_span",
    "start_tool_span",
    "trace_create_agent_span",
    "trace_invoke_agent_span",
    "trace_tool_span",
]

TRACER_NAME = "cantata"
"""The instrumentation scope name of cantata's tracer."""

GENAI_SYSTEM = "autogen"
"""The ``gen_ai.system`` attribute: autogen's value, kept for dashboards built on it."""


def configured_tracer_provider() -> Any | None:
    """The global tracer provider if one is configured, else ``None`` (nothing imported)."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    return provider


def _record_error(trace: ModuleType, span: Any, exc: BaseException) -> None:
    span.set_attribute("error.type", type(exc).__name__)
    span.record_exception(exc)
    span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))


class GenAiSpan:
    """A started span that is made current only around the steps that belong to it.

    Used where a span must cover work that is interleaved with other code (a streaming
    tool's items are handled by the consumer outside the span).
    """

    __slots__ = ("_span", "_trace")

    def __init__(self, trace: ModuleType, span: Any) -> None:
        self._trace = trace
        self._span = span

    @contextmanager
    def activate(self) -> Iterator[None]:
        """Make the span the current one inside the block (it is not ended on exit)."""
        with self._trace.use_span(
            self._span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        ):
            yield

    def record_error(self, exc: BaseException) -> None:
        """Mark the span as failed with *exc*."""
        _record_error(self._trace, self._span, exc)

    def end(self) -> None:
        """End the span."""
        self._span.end()


def _tool_attributes(name: str, description: str | None, call_id: str | None) -> dict[str, str]:
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.system": GENAI_SYSTEM,
        "gen_ai.tool.name": name,
    }
    if description is not None:
        attributes["gen_ai.tool.description"] = description
    if call_id is not None:
        attributes["gen_ai.tool.call.id"] = call_id
    return attributes


def _agent_attributes(
    operation: str, name: str, agent_id: str | None, description: str | None
) -> dict[str, str]:
    attributes = {
        "gen_ai.operation.name": operation,
        "gen_ai.system": GENAI_SYSTEM,
        "gen_ai.agent.name": name,
    }
    if agent_id is not None:
        attributes["gen_ai.agent.id"] = agent_id
    if description is not None:
        attributes["gen_ai.agent.description"] = description
    return attributes


def start_tool_span(name: str, description: str, call_id: str | None) -> GenAiSpan | None:
    """Start an ``execute_tool`` span for tool *name*, or return ``None`` if not tracing.

    The span's parent is the current span, if any. The caller must :meth:`GenAiSpan.end` it.
    """
    provider = configured_tracer_provider()
    if provider is None:
        return None
    trace = sys.modules["opentelemetry.trace"]
    span = provider.get_tracer(TRACER_NAME).start_span(
        f"execute_tool {name}",
        kind=trace.SpanKind.INTERNAL,
        attributes=_tool_attributes(name, description, call_id),
    )
    return GenAiSpan(trace, span)


@contextmanager
def start_agent_span(
    provider: Any, operation: str, name: str, agent_id: str | None, description: str | None
) -> Iterator[None]:
    """A current ``create_agent`` / ``invoke_agent`` span on *provider*'s cantata tracer."""
    with _agent_span(
        operation, name, agent_id, description, provider.get_tracer(TRACER_NAME), None
    ):
        yield


class _UnrecordedSpan:
    """What the public context managers yield when ``opentelemetry-api`` is not installed."""

    __slots__ = ()

    def is_recording(self) -> bool:
        return False

    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        pass

    def add_event(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
        pass

    def update_name(self, name: str) -> None:
        pass

    def set_status(self, status: Any, description: str | None = None) -> None:
        pass

    def record_exception(self, exception: BaseException, *args: Any, **kwargs: Any) -> None:
        pass

    def end(self, end_time: int | None = None) -> None:
        pass


def _opentelemetry_trace() -> ModuleType | None:
    trace = sys.modules.get("opentelemetry.trace")
    if trace is not None:
        return trace
    try:
        import opentelemetry.trace as trace
    except ImportError:
        return None
    return trace


@contextmanager
def _public_span(
    name: str,
    kind: str,
    attributes: dict[str, str],
    tracer: Tracer | None,
    parent: Span | None,
) -> Iterator[Span]:
    trace = _opentelemetry_trace()
    if trace is None:
        yield _UnrecordedSpan()  # type: ignore[misc]  # a stand-in with the span's methods
        return
    if tracer is None:
        provider = configured_tracer_provider()
        tracer = (trace if provider is None else provider).get_tracer(TRACER_NAME)
    context = trace.set_span_in_context(parent) if parent is not None else None
    with tracer.start_as_current_span(
        name,
        context=context,
        kind=getattr(trace.SpanKind, kind),
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except GeneratorExit:
            raise
        except BaseException as exc:
            _record_error(trace, span, exc)
            raise


def _agent_span(
    operation: str,
    name: str,
    agent_id: str | None,
    description: str | None,
    tracer: Tracer | None,
    parent: Span | None,
) -> AbstractContextManager[Span]:
    """A current ``{operation} {name}`` agent span (kind ``CLIENT``); see :func:`_public_span`."""
    attributes = _agent_attributes(operation, name, agent_id, description)
    return _public_span(f"{operation} {name}", "CLIENT", attributes, tracer, parent)


@contextmanager
def trace_tool_span(
    tool_name: str,
    *,
    tracer: Tracer | None = None,
    parent: Span | None = None,
    tool_description: str | None = None,
    tool_call_id: str | None = None,
) -> Iterator[Span]:
    """A current ``execute_tool {tool_name}`` span (kind ``INTERNAL``) around the block.

    Args:
        tool_name: The tool's name (``gen_ai.tool.name``).
        tracer: The tracer to start the span on; by default cantata's tracer on the global
            provider.
        parent: The parent span; by default the current span.
        tool_description: ``gen_ai.tool.description``, when given.
        tool_call_id: ``gen_ai.tool.call.id`` (the model's function call id), when given.

    Yields:
        The span. An exception leaving the block is recorded on it (``error.type``, an
        ``exception`` event, ``ERROR`` status) and re-raised.
    """
    attributes = _tool_attributes(tool_name, tool_description, tool_call_id)
    with _public_span(f"execute_tool {tool_name}", "INTERNAL", attributes, tracer, parent) as s:
        yield s


@contextmanager
def trace_create_agent_span(
    agent_name: str,
    *,
    tracer: Tracer | None = None,
    parent: Span | None = None,
    agent_id: str | None = None,
    agent_description: str | None = None,
) -> Iterator[Span]:
    """A current ``create_agent {agent_name}`` span (kind ``CLIENT``) around the block.

    Args:
        agent_name: ``gen_ai.agent.name``.
        tracer: The tracer to start the span on; by default cantata's tracer on the global
            provider.
        parent: The parent span; by default the current span.
        agent_id: ``gen_ai.agent.id``; by default the id of the agent being created when
            called inside an agent factory (see :class:`~cantata.AgentInstantiationContext`).
        agent_description: ``gen_ai.agent.description``, when given.

    Yields:
        The span. An exception leaving the block is recorded on it and re-raised.
    """
    if agent_id is None:
        created = _instantiation_var.get(None)
        if created is not None:
            agent_id = str(created[1])
    with _agent_span("create_agent", agent_name, agent_id, agent_description, tracer, parent) as s:
        yield s


@contextmanager
def trace_invoke_agent_span(
    agent_name: str,
    *,
    tracer: Tracer | None = None,
    parent: Span | None = None,
    agent_id: str | None = None,
    agent_description: str | None = None,
) -> Iterator[Span]:
    """A current ``invoke_agent {agent_name}`` span (kind ``CLIENT``) around the block.

    Args:
        agent_name: ``gen_ai.agent.name``.
        tracer: The tracer to start the span on; by default cantata's tracer on the global
            provider.
        parent: The parent span; by default the current span.
        agent_id: ``gen_ai.agent.id``, when given.
        agent_description: ``gen_ai.agent.description``, when given.

    Yields:
        The span. An exception leaving the block is recorded on it and re-raised.
    """
    with _agent_span("invoke_agent", agent_name, agent_id, agent_description, tracer, parent) as s:
        yield s
