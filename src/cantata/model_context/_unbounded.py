"""The :class:`UnboundedChatCompletionContext`: every message, always."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import BaseModel

from cantata._components import Component
from cantata.models import LLMMessage

from ._chat_completion_context import ChatCompletionContext

__all__ = ["UnboundedChatCompletionContext", "UnboundedChatCompletionContextConfig"]


class UnboundedChatCompletionContextConfig(BaseModel):
    """The configuration of an :class:`UnboundedChatCompletionContext`."""

    initial_messages: list[LLMMessage] | None = None
    """The messages the context starts with."""


class UnboundedChatCompletionContext(
    ChatCompletionContext, Component[UnboundedChatCompletionContextConfig]
):
    """A model context whose view is the whole conversation.

    Args:
        initial_messages: Messages the context starts with, oldest first.

    Example::

        context = UnboundedChatCompletionContext()
        await context.add_message(UserMessage(content="Hi", source="user"))
        assert len(await context.get_messages()) == 1
    """

    component_provider_override: ClassVar[str] = (
        "cantata.model_context.UnboundedChatCompletionContext"
    )
    """The provider name under which the context is configured."""

    component_config_schema = UnboundedChatCompletionContextConfig
    """The configuration model of the context."""

    async def get_messages(self) -> list[LLMMessage]:
        """Return every message, oldest first (a new list)."""
        return list(self._messages)

    def _to_config(self) -> UnboundedChatCompletionContextConfig:
        """Return the configuration that creates a context like this one.

        It holds the initial messages, not those added since.
        """
        return UnboundedChatCompletionContextConfig(
            initial_messages=self._initial_messages_config()
        )

    @classmethod
    def _from_config(cls, config: UnboundedChatCompletionContextConfig) -> Self:
        """Create a context from *config*."""
        return cls(initial_messages=config.initial_messages)
