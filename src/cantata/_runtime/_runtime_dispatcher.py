"""The runtime's dispatchers: response interventions and error policy, plus tracing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .._constants import ROOT_LOGGER_NAME
from .._serialization import _payload_text
from ..exceptions import MessageCancelledError
from ..logging import DeliveryStage, MessageHandlerExceptionEvent, MessageKind
from ._dispatch import Dispatcher
from ._events import INFO, event_logger, log_message
from ._interventions import intervene_response
from ._records import Delivery
from ._telemetry import RuntimeTracer

if TYPE_CHECKING:
    from ._scheduling import DeliveryScheduler
    from ._single_threaded import SingleThreadedAgentRuntime

__all__ = ["RuntimeDispatcher", "TracedDispatcher"]

_logger = logging.getLogger(ROOT_LOGGER_NAME)


class RuntimeDispatcher(Dispatcher):
    """The dispatcher with the runtime's response interventions and error policy."""

    def __init__(
        self, runtime: SingleThreadedAgentRuntime, scheduler: DeliveryScheduler | None = None
    ) -> None:
        super().__init__(runtime._directory, scheduler)
        self._runtime = runtime

    async def _respond(self, delivery: Delivery, result: Any) -> Any:
        """Apply response interventions to an RPC result and log the response."""
        interventions = self._runtime._interventions
        if interventions:
            result = await intervene_response(interventions, delivery, result)
        if event_logger.isEnabledFor(INFO):
            log_message(
                result, delivery.recipient, delivery.sender, MessageKind.RESPOND, DeliveryStage.SEND
            )
        return result

    def _handler_failed(self, delivery: Delivery, exc: BaseException) -> None:
        """Log a handler's error; keep a publish handler's error for the stop if asked to."""
        if isinstance(exc, MessageCancelledError) or not isinstance(exc, Exception):
            return
        if event_logger.isEnabledFor(INFO):
            event_logger.info(
                MessageHandlerExceptionEvent(
                    payload=_payload_text(delivery.message),
                    handling_agent=delivery.recipient,
                    exception=exc,
                )
            )
        if delivery.reply is None and delivery.topic_id is not None:
            _logger.error(
                "Error processing publish message for %s", delivery.recipient, exc_info=exc
            )
            if not self._runtime._ignore_unhandled:
                self._runtime._unhandled.append(exc)


class TracedDispatcher(RuntimeDispatcher):
    """A :class:`RuntimeDispatcher` that runs every handler in a ``process`` span."""

    def __init__(
        self,
        runtime: SingleThreadedAgentRuntime,
        tracer: RuntimeTracer,
        scheduler: DeliveryScheduler | None = None,
    ) -> None:
        super().__init__(runtime, scheduler)
        self._tracer = tracer

    async def invoke(self, delivery: Delivery, is_rpc: bool) -> Any:
        with self._tracer.span(
            "process",
            str(delivery.recipient),
            delivery.message,
            delivery.sender,
            delivery.message_id,
        ):
            return await super().invoke(delivery, is_rpc)
