"""Intervention handlers: hooks that see, rewrite or drop messages in transit."""

from __future__ import annotations

from typing import Any, Protocol, final

from cantata._agent_id import AgentId
from cantata._message_context import MessageContext

__all__ = ["DefaultInterventionHandler", "DropMessage", "InterventionHandler"]


@final
class DropMessage:
    """Marker an intervention handler returns to drop a message.

    Return the class itself (``return DropMessage``); an instance is accepted too.
    A dropped direct message or response makes the waiting ``send_message`` caller
    raise ``MessageDroppedException``; a dropped published message is not delivered
    to anyone.
    """


def _is_drop(value: object) -> bool:
    """Return whether *value* asks to drop the message (the class or an instance)."""
    return value is DropMessage or isinstance(value, DropMessage)


class InterventionHandler(Protocol):
    """Hooks the runtime calls for every message before it is processed.

    A runtime may have several intervention handlers. They are chained in the order
    they were given: each receives the message returned by the previous one, and the
    last one's result is what gets delivered. A handler:

    * returns the message (possibly a different object) to pass it on;
    * returns ``None`` to mean "no change": the message it received is passed on;
    * returns :class:`DropMessage` to drop the message; later handlers are not
      called;
    * raises to reject the message: for a direct message or a response the waiting
      ``send_message`` caller receives the exception.
    """

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        """Called for a message sent directly to *recipient* with ``send_message``."""
        ...

    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]:
        """Called for a message published to ``message_context.topic_id``."""
        ...

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]:
        """Called for the response of a direct message.

        *sender* is the agent that responds; *recipient* is the agent that sent the
        original message (``None`` if it was sent from outside any agent).
        """
        ...


class DefaultInterventionHandler(InterventionHandler):
    """An intervention handler that passes every message on unchanged.

    Subclass it and override only the hooks you need.
    """

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        """Return *message* unchanged."""
        return message

    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]:
        """Return *message* unchanged."""
        return message

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]:
        """Return *message* unchanged."""
        return message
