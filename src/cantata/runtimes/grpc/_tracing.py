"""W3C trace context across the wire (``traceparent``/``tracestate``).

The sender writes the current span's context into ``RpcRequest.metadata`` or the
CloudEvent's attributes; the receiver makes it current while the local runtime delivers
the message, so the local runtime's spans (and the handler's) join the sender's trace.
OpenTelemetry is used only when it is installed and either a tracer provider was given
or OpenTelemetry is already in use in the process; otherwise this costs nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from ._constants import TRACEPARENT, TRACESTATE

_KEYS = (TRACEPARENT, TRACESTATE)


class TraceContext:
    def __init__(self, tracer_provider: Any) -> None:
        self._wanted = tracer_provider is not None
        self._propagator: Any = None

    def _get(self) -> Any:
        if self._propagator is None:
            if not (self._wanted or "opentelemetry.trace" in sys.modules):
                return None
            try:
                from opentelemetry.trace.propagation.tracecontext import (
                    TraceContextTextMapPropagator,
                )
            except ImportError:  # pragma: no cover - the otel extra is not installed
                self._wanted = False
                return None
            self._propagator = TraceContextTextMapPropagator()
        return self._propagator

    def inject(self, metadata: MutableMapping[str, str]) -> None:
        """Write the current trace context into ``metadata`` (if there is one)."""
        propagator = self._get()
        if propagator is not None:
            carrier: dict[str, str] = {}
            propagator.inject(carrier)
            for key in _KEYS:
                if key in carrier:
                    metadata[key] = carrier[key]

    def inject_attributes(self, attributes: Any) -> None:
        """Write the current trace context into CloudEvent ``attributes``."""
        propagator = self._get()
        if propagator is not None:
            carrier: dict[str, str] = {}
            propagator.inject(carrier)
            for key in _KEYS:
                if key in carrier:
                    attributes[key].ce_string = carrier[key]

    @contextmanager
    def handling(self, metadata: Any) -> Iterator[None]:
        """Make the trace context in ``metadata`` current (no-op without one)."""
        if TRACEPARENT not in metadata:
            yield
            return
        carrier = {key: metadata[key] for key in _KEYS if key in metadata}
        with self._attached(carrier):
            yield

    @contextmanager
    def handling_attributes(self, attributes: Any) -> Iterator[None]:
        """Make the trace context in CloudEvent ``attributes`` current."""
        if TRACEPARENT not in attributes:
            yield
            return
        carrier = {key: attributes[key].ce_string for key in _KEYS if key in attributes}
        with self._attached(carrier):
            yield

    @contextmanager
    def _attached(self, carrier: dict[str, str]) -> Iterator[None]:
        try:
            from opentelemetry import context
            from opentelemetry.trace.propagation.tracecontext import (
                TraceContextTextMapPropagator,
            )
        except ImportError:  # pragma: no cover
            yield
            return
        token = context.attach(TraceContextTextMapPropagator().extract(carrier))
        try:
            yield
        finally:
            context.detach(token)
