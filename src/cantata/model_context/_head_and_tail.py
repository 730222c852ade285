"""The :class:`HeadAndTailChatCompletionContext`: the first and the last messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import BaseModel

from cantata._components import Component
from cantata._function_call import FunctionCall
from cantata.models import AssistantMessage, LLMMessage, UserMessage

from ._chat_completion_context import ChatCompletionContext, drop_leading_results

__all__ = ["HeadAndTailChatCompletionContext", "HeadAndTailChatCompletionContextConfig"]


class HeadAndTailChatCompletionContextConfig(BaseModel):
    """The configuration of a :class:`HeadAndTailChatCompletionContext`."""

    head_size: int
    """How many of the first messages the view holds."""

    tail_size: int
    """How many of the last messages the view holds."""

    initial_messages: list[LLMMessage] | None = None
    """The messages the context starts with."""


class HeadAndTailChatCompletionContext(
    ChatCompletionContext, Component[HeadAndTailChatCompletionContextConfig]
):
    """A model context whose view is the first *head_size* and the last *tail_size*
    messages, with a note of how many were skipped between them.

    While the conversation has at most ``head_size + tail_size`` messages, the view
    is all of them. Past that, it is the head, then
    ``UserMessage(content="Skipped N messages.", source="System")``, then the tail,
    where ``N`` is the number of messages left out. A function call cannot be
    separated from its result: an assistant message of function calls ending the
    head, and a function-result message starting the tail, are left out as well
    (and counted in ``N``).

    Args:
        head_size: How many of the first messages the view holds.
        tail_size: How many of the last messages the view holds.
        initial_messages: Messages the context starts with, oldest first.

    Raises:
        ValueError: *head_size* or *tail_size* is not positive.
    """

    component_provider_override: ClassVar[str] = (
        "cantata.model_context.HeadAndTailChatCompletionContext"
    )
    """The provider name under which the context is configured."""

    component_config_schema = HeadAndTailChatCompletionContextConfig
    """The configuration model of the context."""

    def __init__(
        self,
        head_size: int,
        tail_size: int,
        initial_messages: Sequence[LLMMessage] | None = None,
    ) -> None:
        if head_size <= 0:
            raise ValueError(f"head_size must be greater than 0, got {head_size}")
        if tail_size <= 0:
            raise ValueError(f"tail_size must be greater than 0, got {tail_size}")
        super().__init__(initial_messages)
        self._head_size = head_size
        self._tail_size = tail_size

    @property
    def head_size(self) -> int:
        """How many of the first messages the view holds."""
        return self._head_size

    @property
    def tail_size(self) -> int:
        """How many of the last messages the view holds."""
        return self._tail_size

    async def get_messages(self) -> list[LLMMessage]:
        """Return the head, a placeholder naming the number of skipped messages, and
        the tail; or every message while none has to be skipped."""
        messages = self._messages
        if len(messages) <= self._head_size + self._tail_size:
            return list(messages)
        head = messages[: self._head_size]
        if head and _is_function_calls(head[-1]):
            head = head[:-1]
        tail = drop_leading_results(messages[-self._tail_size :])
        skipped = len(messages) - len(head) - len(tail)
        placeholder = UserMessage(content=f"Skipped {skipped} messages.", source="System")
        return [*head, placeholder, *tail]

    def _to_config(self) -> HeadAndTailChatCompletionContextConfig:
        """Return the configuration that creates a context like this one.

        It holds the initial messages, not those added since.
        """
        return HeadAndTailChatCompletionContextConfig(
            head_size=self._head_size,
            tail_size=self._tail_size,
            initial_messages=self._initial_messages_config(),
        )

    @classmethod
    def _from_config(cls, config: HeadAndTailChatCompletionContextConfig) -> Self:
        """Create a context from *config*.

        Raises:
            ValueError: ``config.head_size`` or ``config.tail_size`` is not positive.
        """
        return cls(
            head_size=config.head_size,
            tail_size=config.tail_size,
            initial_messages=config.initial_messages,
        )


def _is_function_calls(message: LLMMessage) -> bool:
    return (
        isinstance(message, AssistantMessage)
        and isinstance(message.content, list)
        and all(isinstance(item, FunctionCall) for item in message.content)
    )
