"""The :class:`ChatCompletionContext` base class and its saved state."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from cantata._components import ComponentBase
from cantata.models import FunctionExecutionResultMessage, LLMMessage

__all__ = ["ChatCompletionContext", "ChatCompletionContextState"]


class ChatCompletionContextState(BaseModel):
    """The saved state of a :class:`ChatCompletionContext`: every message it holds."""

    messages: list[LLMMessage] = Field(default_factory=list)
    """The messages, oldest first."""


class ChatCompletionContext(ComponentBase[BaseModel], ABC):
    """A store of the messages of a conversation, and the view of them sent to a model.

    :meth:`add_message` records a message; :meth:`get_messages` returns the messages to
    send to the model, which subclasses may limit (the last *n*, the first and last,
    those within a token budget). The context always keeps every message added; only
    the view is limited, so changing nothing but the view never loses history.

    The state (:meth:`save_state`) is a JSON-serializable dict, and
    :meth:`load_state` restores it exactly: ``load_state(save_state())`` leaves the
    same messages, compared with ``==``.

    Args:
        initial_messages: Messages the context starts with, oldest first. The list
            is copied.
    """

    component_type: ClassVar[str] = "chat_completion_context"
    """The component type of every model context."""

    def __init__(self, initial_messages: Sequence[LLMMessage] | None = None) -> None:
        self._initial_messages: list[LLMMessage] | None = (
            None if initial_messages is None else list(initial_messages)
        )
        self._messages: list[LLMMessage] = list(initial_messages or ())

    async def add_message(self, message: LLMMessage) -> None:
        """Append *message* to the conversation."""
        self._messages.append(message)

    @abstractmethod
    async def get_messages(self) -> list[LLMMessage]:
        """Return the messages to send to the model, oldest first.

        The list is new on every call; changing it does not change the context.
        """

    async def clear(self) -> None:
        """Remove every message, including the initial ones."""
        self._messages = []

    async def save_state(self) -> Mapping[str, Any]:
        """Return the context's state: ``{"messages": [...]}``, JSON-serializable.

        Every message is kept (not just the view); images are base64 text.
        """
        return ChatCompletionContextState(messages=self._messages).model_dump(mode="json")

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Replace the context's messages with those of *state* (from :meth:`save_state`).

        Raises:
            pydantic.ValidationError: *state* is not a valid context state (a
                :class:`ValueError`). The context is left unchanged.
        """
        self._messages = ChatCompletionContextState.model_validate(state).messages

    def _initial_messages_config(self) -> list[LLMMessage] | None:
        """The initial messages, for a configuration (a copy)."""
        return None if self._initial_messages is None else list(self._initial_messages)


def drop_leading_results(messages: list[LLMMessage]) -> list[LLMMessage]:
    """Return *messages* without the function results at its start.

    Results whose assistant call was cut off from the view mean nothing to a model
    (and most providers reject a tool result that follows no tool call).
    """
    start = 0
    while start < len(messages) and isinstance(messages[start], FunctionExecutionResultMessage):
        start += 1
    return messages[start:]
