"""OpenTelemetry spans of the runtime: ``create``, ``publish`` and ``process``.

Made only when the runtime has a tracer provider (see
:class:`~cantata.SingleThreadedAgentRuntime`); without one, with the API's
``NoOpTracerProvider``, or with ``CANTATA_DISABLE_RUNTIME_TRACING`` (or autogen's
``AUTOGEN_DISABLE_RUNTIME_TRACING``) set to ``true``, the runtime never touches OpenTelemetry
and the dispatch path pays one attribute check per send or publish.

Spans follow the OpenTelemetry messaging conventions:

* ``create {recipient}`` (kind ``PRODUCER``) around a ``send_message``, until its reply;
* ``publish {topic}`` (kind ``PRODUCER``) around a ``publish_message``;
* ``process {recipient}`` (kind ``CONSUMER``) around each handler run.

A handler runs with the context of the code that sent its message, so its ``process``
span is a child of the ``create`` or ``publish`` span, and whatever the handler sends is
a child of its ``process`` span: one trace follows a conversation across agents. Every span
has ``messaging.system`` (``"cantata"``), ``messaging.operation.type``,
``messaging.destination.name``, ``messaging.message.id`` and ``cantata.message.type``; a
sender, when known, is ``cantata.sender``. A handler error (or a cancelled message) sets
``error.type`` and an ``ERROR`` status on the spans it passes through.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._agent_id import AgentId

__all__ = ["RuntimeTracer", "runtime_tracer"]

TRACER_NAME = "cantata"


class RuntimeTracer:
    """Starts the runtime's spans on one tracer."""

    __slots__ = ("_consumer", "_producer", "_trace", "_tracer")

    def __init__(self, provider: Any) -> None:
        import opentelemetry.trace as trace

        self._trace = trace
        self._tracer = provider.get_tracer(TRACER_NAME)
        self._producer = trace.SpanKind.PRODUCER
        self._consumer = trace.SpanKind.CONSUMER

    @contextmanager
    def span(
        self,
        operation: str,
        destination: str,
        message: Any,
        sender: AgentId | None,
        message_id: str,
    ) -> Iterator[None]:
        """A current span for *operation* (``create``, ``publish`` or ``process``)."""
        attributes = {
            "messaging.system": "cantata",
            "messaging.operation.type": operation,
            "messaging.destination.name": destination,
            "messaging.message.id": message_id,
            "cantata.message.type": type(message).__qualname__,
        }
        if sender is not None:
            attributes["cantata.sender"] = str(sender)
        kind = self._consumer if operation == "process" else self._producer
        with self._tracer.start_as_current_span(
            f"{operation} {destination}",
            kind=kind,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.record_exception(exc)
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, str(exc)))
                raise


DISABLE_ENV = ("CANTATA_DISABLE_RUNTIME_TRACING", "AUTOGEN_DISABLE_RUNTIME_TRACING")
"""Environment variables that turn the runtime's spans off when set to ``true`` or ``1``."""


def runtime_tracer(provider: Any) -> RuntimeTracer | None:
    """The tracer for *provider*; for ``None``, the global provider if one is configured.

    Returns ``None`` (no spans, the untraced dispatcher) when tracing is turned off by one of
    :data:`DISABLE_ENV`, when *provider* is the API's ``NoOpTracerProvider``, or when no
    provider is given and OpenTelemetry is not loaded or its global provider is the API's
    default no-op or proxy provider.

    Raises:
        ImportError: A provider is given but ``opentelemetry-api`` is not installed.
    """
    if any(os.environ.get(name, "").strip().lower() in ("1", "true") for name in DISABLE_ENV):
        return None
    trace = sys.modules.get("opentelemetry.trace")
    if provider is None:
        if trace is None:
            return None
        provider = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider):
            return None
    if trace is not None and isinstance(provider, trace.NoOpTracerProvider):
        return None
    return RuntimeTracer(provider)
