"""The runtime's dispatchers: response interventions and error policy, plus tracing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._dispatch import Dispatcher
from ._records import Delivery
from ._telemetry import RuntimeTracer

if TYPE_CHECKING:
    from ._single_threaded import SingleThreadedAgentRuntime

__all__ = ["RuntimeDispatcher", "TracedDispatcher"]


class RuntimeDispatcher(Dispatcher):
    """The dispatcher with the runtime's response interventions and error policy."""

    def __init__(self, runtime: SingleThreadedAgentRuntime) -> None:
        super().__init__(runtime._directory)
        self._runtime = runtime

    async def _respond(self, delivery: Delivery, result: Any) -> Any:
        return await self._runtime._respond(delivery, result)

    def _handler_failed(self, delivery: Delivery, exc: BaseException) -> None:
        self._runtime._handler_failed(delivery, exc)


class TracedDispatcher(RuntimeDispatcher):
    """A :class:`RuntimeDispatcher` that runs every handler in a ``process`` span."""

    def __init__(self, runtime: SingleThreadedAgentRuntime, tracer: RuntimeTracer) -> None:
        super().__init__(runtime)
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
