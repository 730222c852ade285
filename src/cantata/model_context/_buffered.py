"""The :class:`BufferedChatCompletionContext`: the last *n* messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import BaseModel

from cantata._components import Component
from cantata.models import LLMMessage

from ._chat_completion_context import ChatCompletionContext, drop_leading_results

__all__ = ["BufferedChatCompletionContext", "BufferedChatCompletionContextConfig"]


class BufferedChatCompletionContextConfig(BaseModel):
    """The configuration of a :class:`BufferedChatCompletionContext`."""

    buffer_size: int
    """How many of the most recent messages the view holds."""

    initial_messages: list[LLMMessage] | None = None
    """The messages the context starts with."""


class BufferedChatCompletionContext(
    ChatCompletionContext, Component[BufferedChatCompletionContextConfig]
):
    """A model context whose view is the most recent *buffer_size* messages.

    If the view would start with a
    :class:`~cantata.models.FunctionExecutionResultMessage` (the assistant message
    with its calls fell outside the buffer), that result is left out too, so the
    view can hold fewer than *buffer_size* messages.

    Args:
        buffer_size: The most messages the view holds.
        initial_messages: Messages the context starts with, oldest first.

    Raises:
        ValueError: *buffer_size* is not positive.

    Example::

        context = BufferedChatCompletionContext(buffer_size=2)
        for text in ["one", "two", "three"]:
            await context.add_message(UserMessage(content=text, source="user"))
        assert [m.content for m in await context.get_messages()] == ["two", "three"]
    """

    component_provider_override: ClassVar[str] = (
        "cantata.model_context.BufferedChatCompletionContext"
    )
    """The provider name under which the context is configured."""

    component_config_schema = BufferedChatCompletionContextConfig
    """The configuration model of the context."""

    def __init__(
        self, buffer_size: int, initial_messages: Sequence[LLMMessage] | None = None
    ) -> None:
        if buffer_size <= 0:
            raise ValueError(f"buffer_size must be greater than 0, got {buffer_size}")
        super().__init__(initial_messages)
        self._buffer_size = buffer_size

    @property
    def buffer_size(self) -> int:
        """The most messages the view holds."""
        return self._buffer_size

    async def get_messages(self) -> list[LLMMessage]:
        """Return the last *buffer_size* messages, oldest first, without a leading
        function-result message."""
        return drop_leading_results(self._messages[-self._buffer_size :])

    def _to_config(self) -> BufferedChatCompletionContextConfig:
        """Return the configuration that creates a context like this one.

        It holds the initial messages, not those added since.
        """
        return BufferedChatCompletionContextConfig(
            buffer_size=self._buffer_size, initial_messages=self._initial_messages_config()
        )

    @classmethod
    def _from_config(cls, config: BufferedChatCompletionContextConfig) -> Self:
        """Create a context from *config*.

        Raises:
            ValueError: ``config.buffer_size`` is not positive.
        """
        return cls(buffer_size=config.buffer_size, initial_messages=config.initial_messages)
