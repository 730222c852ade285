"""Applying intervention handlers: a chain where each handler gets the previous output.

A handler returning ``None`` leaves the message unchanged; returning :class:`DropMessage`
(the class or an instance) drops it. A dropped RPC or response raises
:class:`MessageDroppedException` in the caller; a dropped publish is logged as a
:class:`MessageDroppedEvent` and delivered to nobody. An exception raised by a handler
propagates to the sender (nothing is queued, so nothing can wait for it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from .._agent_id import AgentId
from .._cancellation_token import CancellationToken
from .._constants import EVENT_LOGGER_NAME
from .._intervention import DropMessage, InterventionHandler
from .._message_context import MessageContext
from .._serialization import _payload_text
from ..exceptions import MessageDroppedException
from ..logging import MessageDroppedEvent, MessageKind
from ._records import Delivery

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)

DROPPED: Any = object()
"""Returned by :func:`intervene_publish` for a dropped publish."""


def _is_drop(value: Any) -> bool:
    return value is DropMessage or isinstance(value, DropMessage)


def _log_dropped(message: Any, sender: Any, receiver: Any, kind: MessageKind) -> None:
    if _event_logger.isEnabledFor(logging.INFO):
        _event_logger.info(
            MessageDroppedEvent(
                payload=_payload_text(message), sender=sender, receiver=receiver, kind=kind
            )
        )


async def intervene_send(
    handlers: Sequence[InterventionHandler],
    message: Any,
    recipient: AgentId,
    sender: AgentId | None,
    token: CancellationToken,
    message_id: str,
) -> Any:
    """Run ``on_send`` of every handler; return the final message or raise if dropped."""
    ctx = MessageContext(sender, None, True, token, message_id)
    for handler in handlers:
        out = await handler.on_send(message, message_context=ctx, recipient=recipient)
        if _is_drop(out):
            _log_dropped(message, sender, recipient, MessageKind.DIRECT)
            raise MessageDroppedException(
                f"message to {recipient} dropped by {type(handler).__name__}"
            )
        if out is not None:
            message = out
    return message


async def intervene_publish(
    handlers: Sequence[InterventionHandler], message: Any, ctx: MessageContext
) -> Any:
    """Run ``on_publish`` of every handler; return the final message or :data:`DROPPED`."""
    for handler in handlers:
        out = await handler.on_publish(message, message_context=ctx)
        if _is_drop(out):
            _log_dropped(message, ctx.sender, ctx.topic_id, MessageKind.PUBLISH)
            return DROPPED
        if out is not None:
            message = out
    return message


async def intervene_response(
    handlers: Sequence[InterventionHandler], delivery: Delivery, result: Any
) -> Any:
    """Run ``on_response`` of every handler; return the final result or raise if dropped."""
    for handler in handlers:
        out = await handler.on_response(
            result, sender=delivery.recipient, recipient=delivery.sender
        )
        if _is_drop(out):
            _log_dropped(result, delivery.recipient, delivery.sender, MessageKind.RESPOND)
            raise MessageDroppedException(f"response from {delivery.recipient} dropped")
        if out is not None:
            result = out
    return result
