"""Exceptions raised by cantata.

The first four names mirror autogen-core's ``exceptions`` module. The rest are more
specific subclasses that cantata raises where autogen-core raised generic errors or
none at all; code catching the base classes keeps working.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cantata._agent_id import AgentId

__all__ = [
    "CantHandleException",
    "HandlerCancelledError",
    "MessageCancelledError",
    "MessageDroppedException",
    "NotAccessibleError",
    "RuntimeStoppedError",
    "UndeliverableException",
    "UnknownAgentTypeError",
]


class CantHandleException(Exception):
    """The receiver cannot handle the message.

    Raised, for example, by a subscription asked to map a topic it does not match,
    or by an agent given a message type it has no handler for.
    """


class UndeliverableException(Exception):
    """The message could not be delivered to its recipient."""


class MessageDroppedException(Exception):
    """The message was dropped by an intervention handler (see ``DropMessage``)."""


class NotAccessibleError(Exception):
    """The requested value is not accessible, e.g. an agent instance that lives in
    another process and so cannot be returned as a local object."""


class UnknownAgentTypeError(UndeliverableException, LookupError, RuntimeError):
    """No agent type with this name is registered with the runtime.

    Raised to the caller of ``send_message`` (and other look-ups) whose recipient
    type is unknown. It is an :class:`UndeliverableException`, a :class:`LookupError`,
    and a :class:`RuntimeError` (what autogen-core raises for an instance-registered type
    with no instance under the key, so ``except RuntimeError`` code keeps working).

    Attributes:
        agent_type: The unknown agent type.
    """

    agent_type: str

    def __init__(self, agent_type: str, message: str | None = None) -> None:
        if message is None:
            message = f"Agent type {agent_type!r} is not registered with the runtime"
        super().__init__(message)
        self.agent_type = agent_type

    def __reduce__(self) -> tuple[type[UnknownAgentTypeError], tuple[str, str]]:
        return (type(self), (self.agent_type, str(self)))


class RuntimeStoppedError(UndeliverableException):
    """The runtime stopped before the message was delivered.

    Raised to the caller of ``send_message`` whose message was still queued (not yet
    handed to the recipient) when the runtime stopped, instead of leaving the caller
    waiting forever.

    Attributes:
        recipient: The intended recipient, if known.
    """

    recipient: AgentId | None

    def __init__(self, recipient: AgentId | None = None, message: str | None = None) -> None:
        if message is None:
            if recipient is None:
                message = "The runtime stopped before the message was delivered"
            else:
                message = f"The runtime stopped before the message to {recipient} was delivered"
        super().__init__(message)
        self.recipient = recipient

    def __reduce__(
        self,
    ) -> tuple[type[RuntimeStoppedError], tuple[AgentId | None, str]]:
        return (type(self), (self.recipient, str(self)))


class MessageCancelledError(asyncio.CancelledError):
    """The message was cancelled through its cancellation token.

    Raised to the caller of ``send_message`` when the ``CancellationToken`` passed
    to it is cancelled before the response arrives.

    It derives from :class:`asyncio.CancelledError`, so on asyncio it *is* a
    ``CancelledError``, exactly what autogen-core raises, and existing
    ``except asyncio.CancelledError`` code keeps working. On Trio, catch
    ``cantata.exceptions.MessageCancelledError``: it is unrelated to Trio's own
    cancellation and never means the surrounding Trio scope was cancelled.

    Like every ``CancelledError`` it derives from :class:`BaseException`, not
    :class:`Exception`.
    """


class HandlerCancelledError(RuntimeError):
    """A handler raised the backend's cancellation exception that nobody asked for.

    For example, a handler that awaits an ``asyncio`` future someone else cancelled gets a
    ``CancelledError`` although neither its caller, its cancellation token nor the runtime
    cancelled it. That is the handler's own error: the runtime reports it as one (to the
    RPC caller, or as an unhandled publish error) and goes on; the original exception is
    the ``__cause__``.

    Attributes:
        recipient: The agent whose handler raised it.
    """

    def __init__(self, recipient: AgentId | None = None, message: str | None = None) -> None:
        if message is None:
            message = (
                f"the handler of {recipient} raised a cancellation that neither its caller, "
                "its cancellation token nor the runtime requested"
            )
        super().__init__(message)
        self.recipient = recipient

    def __reduce__(
        self,
    ) -> tuple[type[HandlerCancelledError], tuple[AgentId | None, str]]:
        return (type(self), (self.recipient, str(self)))
