"""Structured message events on the event logger, built only when someone listens."""

from __future__ import annotations

import logging
from typing import Any

from .._agent_id import AgentId
from .._constants import EVENT_LOGGER_NAME
from .._serialization import _payload_text
from .._topic import TopicId
from ..logging import DeliveryStage, MessageEvent, MessageKind

event_logger = logging.getLogger(EVENT_LOGGER_NAME)
"""The logger of ``cantata.events``."""

INFO = logging.INFO


def log_message(
    message: Any,
    sender: AgentId | None,
    receiver: AgentId | TopicId | None,
    kind: MessageKind,
    stage: DeliveryStage,
) -> None:
    """Emit a :class:`MessageEvent` (call only after ``event_logger.isEnabledFor(INFO)``)."""
    event_logger.info(
        MessageEvent(
            payload=_payload_text(message),
            sender=sender,
            receiver=receiver,
            kind=kind,
            delivery_stage=stage,
        )
    )
