"""Structured events logged on the ``cantata.events`` logger.

Each event stores its fields in the ``kwargs`` dictionary, with a ``"type"`` entry
naming the event kind. ``str(event)`` is that dictionary as JSON (values JSON cannot
encode are converted with ``str``), so a plain ``logging`` handler can emit one JSON
object per event, while a custom handler can read ``record.msg.kwargs`` directly.

Agent ids and topic ids are stored as ``"type/key"`` / ``"type/source"`` strings,
enum members by name and exceptions as their ``repr``. The model and tool events
also record ``agent_id``: the id of the agent whose message handler is running, or
``None`` outside a handler.

Extra keyword arguments given to an event are stored in ``kwargs`` too; the named
fields take precedence over extras with the same name.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from cantata._agent_id import AgentId
from cantata._contexts import _current_agent_id
from cantata._topic import TopicId

__all__ = [
    "AgentConstructionExceptionEvent",
    "DeliveryStage",
    "LLMCallEvent",
    "LLMStreamEndEvent",
    "LLMStreamStartEvent",
    "MessageDroppedEvent",
    "MessageEvent",
    "MessageHandlerExceptionEvent",
    "MessageKind",
    "ToolCallEvent",
]


class MessageKind(Enum):
    """How a message travels."""

    DIRECT = 1
    """Sent to one agent with ``send_message``."""
    PUBLISH = 2
    """Published to a topic with ``publish_message``."""
    RESPOND = 3
    """A response to a direct message."""


class DeliveryStage(Enum):
    """Where in its journey a message is."""

    SEND = 1
    """Accepted by the runtime from the sender."""
    DELIVER = 2
    """Handed to the recipient."""


def _id_str(value: AgentId | TopicId | None) -> str | None:
    return None if value is None else str(value)


def _handler_agent_str() -> str | None:
    agent_id = _current_agent_id()
    return None if agent_id is None else str(agent_id)


class _Event:
    """Common base: holds ``kwargs`` and renders it as JSON."""

    kwargs: dict[str, Any]
    """The event's fields, JSON-friendly."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs = kwargs

    def __str__(self) -> str:
        return json.dumps(self.kwargs, default=str)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kwargs!r})"


class LLMCallEvent(_Event):
    """A completed (non-streaming) call to a language model.

    Args:
        messages: The messages sent to the model, as JSON-friendly dictionaries.
        response: The model's response, as a JSON-friendly dictionary.
        prompt_tokens: Tokens used by the prompt.
        completion_tokens: Tokens used by the completion.
    """

    def __init__(
        self,
        *,
        messages: list[dict[str, Any]],
        response: dict[str, Any],
        prompt_tokens: int,
        completion_tokens: int,
        **kwargs: Any,
    ) -> None:
        kwargs["type"] = "LLMCall"
        kwargs["messages"] = messages
        kwargs["response"] = response
        kwargs["prompt_tokens"] = prompt_tokens
        kwargs["completion_tokens"] = completion_tokens
        kwargs["agent_id"] = _handler_agent_str()
        super().__init__(kwargs)

    @property
    def prompt_tokens(self) -> int:
        """Tokens used by the prompt."""
        value: int = self.kwargs["prompt_tokens"]
        return value

    @property
    def completion_tokens(self) -> int:
        """Tokens used by the completion."""
        value: int = self.kwargs["completion_tokens"]
        return value


class LLMStreamStartEvent(_Event):
    """The start of a streaming call to a language model.

    Args:
        messages: The messages sent to the model, as JSON-friendly dictionaries.
    """

    def __init__(self, *, messages: list[dict[str, Any]], **kwargs: Any) -> None:
        kwargs["type"] = "LLMStreamStart"
        kwargs["messages"] = messages
        kwargs["agent_id"] = _handler_agent_str()
        super().__init__(kwargs)


class LLMStreamEndEvent(_Event):
    """The end of a streaming call to a language model.

    Args:
        response: The complete response, as a JSON-friendly dictionary.
        prompt_tokens: Tokens used by the prompt.
        completion_tokens: Tokens used by the completion.
    """

    def __init__(
        self,
        *,
        response: dict[str, Any],
        prompt_tokens: int,
        completion_tokens: int,
        **kwargs: Any,
    ) -> None:
        kwargs["type"] = "LLMStreamEnd"
        kwargs["response"] = response
        kwargs["prompt_tokens"] = prompt_tokens
        kwargs["completion_tokens"] = completion_tokens
        kwargs["agent_id"] = _handler_agent_str()
        super().__init__(kwargs)

    @property
    def prompt_tokens(self) -> int:
        """Tokens used by the prompt."""
        value: int = self.kwargs["prompt_tokens"]
        return value

    @property
    def completion_tokens(self) -> int:
        """Tokens used by the completion."""
        value: int = self.kwargs["completion_tokens"]
        return value


class ToolCallEvent(_Event):
    """A completed tool call.

    Args:
        tool_name: The name of the tool.
        arguments: The arguments the tool was called with.
        result: The tool's result, as a string.
    """

    def __init__(self, *, tool_name: str, arguments: dict[str, Any], result: str) -> None:
        super().__init__(
            {
                "type": "ToolCall",
                "tool_name": tool_name,
                "arguments": arguments,
                "result": result,
                "agent_id": _handler_agent_str(),
            }
        )


class MessageEvent(_Event):
    """A message accepted by the runtime or delivered to an agent.

    Args:
        payload: The serialized message (or a placeholder if it cannot be serialized).
        sender: The sending agent, if any.
        receiver: The receiving agent (direct messages and responses) or topic
            (published messages), if any.
        kind: How the message travels.
        delivery_stage: Whether it was just sent or is being delivered.
    """

    def __init__(
        self,
        *,
        payload: str,
        sender: AgentId | None,
        receiver: AgentId | TopicId | None,
        kind: MessageKind,
        delivery_stage: DeliveryStage,
        **kwargs: Any,
    ) -> None:
        kwargs["type"] = "Message"
        kwargs["payload"] = payload
        kwargs["sender"] = _id_str(sender)
        kwargs["receiver"] = _id_str(receiver)
        kwargs["kind"] = kind.name
        kwargs["delivery_stage"] = delivery_stage.name
        super().__init__(kwargs)


class MessageDroppedEvent(_Event):
    """A message dropped by an intervention handler.

    Args:
        payload: The serialized message (or a placeholder if it cannot be serialized).
        sender: The sending agent, if any.
        receiver: The intended receiving agent or topic, if any.
        kind: How the message was travelling.
    """

    def __init__(
        self,
        *,
        payload: str,
        sender: AgentId | None,
        receiver: AgentId | TopicId | None,
        kind: MessageKind,
        **kwargs: Any,
    ) -> None:
        kwargs["type"] = "MessageDropped"
        kwargs["payload"] = payload
        kwargs["sender"] = _id_str(sender)
        kwargs["receiver"] = _id_str(receiver)
        kwargs["kind"] = kind.name
        super().__init__(kwargs)


class MessageHandlerExceptionEvent(_Event):
    """A message handler raised an exception.

    Args:
        payload: The serialized message being handled.
        handling_agent: The agent whose handler raised.
        exception: The exception raised.
    """

    def __init__(
        self,
        *,
        payload: str,
        handling_agent: AgentId,
        exception: BaseException,
        **kwargs: Any,
    ) -> None:
        kwargs["type"] = "MessageHandlerException"
        kwargs["payload"] = payload
        kwargs["handling_agent"] = str(handling_agent)
        kwargs["exception"] = repr(exception)
        super().__init__(kwargs)


class AgentConstructionExceptionEvent(_Event):
    """An agent factory or constructor raised an exception.

    Args:
        agent_id: The id of the agent being constructed.
        exception: The exception raised.
    """

    def __init__(self, *, agent_id: AgentId, exception: BaseException, **kwargs: Any) -> None:
        kwargs["type"] = "AgentConstructionException"
        kwargs["agent_id"] = str(agent_id)
        kwargs["exception"] = repr(exception)
        super().__init__(kwargs)
