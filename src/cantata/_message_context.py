"""The :class:`MessageContext` passed to message handlers."""

from __future__ import annotations

from dataclasses import dataclass

from cantata._agent_id import AgentId
from cantata._cancellation_token import CancellationToken
from cantata._topic import TopicId


@dataclass(slots=True)
class MessageContext:
    """Delivery information that accompanies a message to its handler.

    For a direct message (``send_message``), ``is_rpc`` is ``True`` and ``topic_id``
    is ``None``. For a published message, ``is_rpc`` is ``False`` and ``topic_id`` is
    the topic it was published to.
    """

    sender: AgentId | None
    """The sending agent, or ``None`` when sent from outside any agent."""
    topic_id: TopicId | None
    """The topic a published message was published to; ``None`` for direct messages."""
    is_rpc: bool
    """Whether the sender awaits a response (direct messages)."""
    cancellation_token: CancellationToken
    """The token the sender may cancel; handlers should honour it."""
    message_id: str
    """The unique id of the message."""
