"""OpenTelemetry ``execute_tool`` spans, emitted only when a tracer provider is configured.

``opentelemetry-api`` is optional (the ``cantata[otel]`` extra) and never imported here:
a tracer provider can only have been configured by code that imported
``opentelemetry.trace`` already, so when that module is not loaded no span is wanted and
a tool run pays one dictionary look-up. When it is loaded but the global provider is
still the API's default (a proxy or no-op provider), no span is made either.

Spans follow the OpenTelemetry semantic conventions for generative AI: the name is
``execute_tool {tool name}``, the kind ``INTERNAL``, and the attributes are
``gen_ai.operation.name`` (``"execute_tool"``), ``gen_ai.tool.name``,
``gen_ai.tool.description`` and, when known, ``gen_ai.tool.call.id``. A failed run sets
the ``error.type`` attribute and an ``ERROR`` status.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

__all__ = ["TRACER_NAME", "ToolSpan", "start_tool_span"]

TRACER_NAME = "cantata"
"""The instrumentation scope name of cantata's tracer."""


class ToolSpan:
    """One ``execute_tool`` span: made current around each step of the tool's work."""

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
        self._span.set_attribute("error.type", type(exc).__qualname__)
        self._span.record_exception(exc)
        self._span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, str(exc)))

    def end(self) -> None:
        """End the span."""
        self._span.end()


def start_tool_span(name: str, description: str, call_id: str | None) -> ToolSpan | None:
    """Start an ``execute_tool`` span for tool *name*, or return ``None`` if not tracing.

    The span's parent is the current span, if any. The caller must :meth:`ToolSpan.end`
    it.
    """
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        return None
    attributes: dict[str, str] = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": name,
        "gen_ai.tool.description": description,
    }
    if call_id is not None:
        attributes["gen_ai.tool.call.id"] = call_id
    tracer = provider.get_tracer(TRACER_NAME)
    span = tracer.start_span(
        f"execute_tool {name}", kind=trace.SpanKind.INTERNAL, attributes=attributes
    )
    return ToolSpan(trace, span)
