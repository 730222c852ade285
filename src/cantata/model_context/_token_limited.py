"""The :class:`TokenLimitedChatCompletionContext`: the most recent messages that fit a
token budget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

from pydantic import BaseModel

from cantata._components import Component
from cantata.models import ChatCompletionClient, LLMMessage

from ._chat_completion_context import ChatCompletionContext, drop_leading_results
from ._component_hooks import dump_nested_component, load_nested_component

__all__ = ["TokenLimitedChatCompletionContext", "TokenLimitedChatCompletionContextConfig"]


class TokenLimitedChatCompletionContextConfig(BaseModel):
    """The configuration of a :class:`TokenLimitedChatCompletionContext`."""

    model_client: dict[str, Any]
    """The component configuration of the model client that counts tokens."""

    token_limit: int | None = None
    """The most tokens the view may take, or ``None`` for the model's remaining tokens."""

    tool_schema: list[dict[str, Any]] | None = None
    """The tool schemas counted along with the messages."""

    initial_messages: list[LLMMessage] | None = None
    """The messages the context starts with."""


class TokenLimitedChatCompletionContext(
    ChatCompletionContext, Component[TokenLimitedChatCompletionContextConfig]
):
    """A model context whose view is the most recent messages that fit a token budget.

    Tokens are counted by *model_client* (its ``count_tokens`` and
    ``remaining_tokens``), with *tool_schema* counted along with the messages. The
    view starts from every message and drops the oldest, one at a time, until:

    * ``model_client.count_tokens(view, tools=tool_schema) <= token_limit``, when a
      *token_limit* is given;
    * ``model_client.remaining_tokens(view, tools=tool_schema) >= 0`` otherwise.

    A function-result message left at the start of the view (its call dropped) is
    dropped too. The view is empty if even the newest message alone does not fit.

    Args:
        model_client: The client whose token counting is used. The context does not
            call the model and does not close the client.
        token_limit: The most tokens the view may take, or ``None`` to use what the
            model has left (``remaining_tokens``).
        tool_schema: Tool schemas sent with the messages, counted against the budget.
        initial_messages: Messages the context starts with, oldest first.

    Raises:
        ValueError: *token_limit* is given and not positive.
    """

    component_provider_override: ClassVar[str] = (
        "cantata.model_context.TokenLimitedChatCompletionContext"
    )
    """The provider name under which the context is configured."""

    component_config_schema = TokenLimitedChatCompletionContextConfig
    """The configuration model of the context."""

    def __init__(
        self,
        model_client: ChatCompletionClient,
        *,
        token_limit: int | None = None,
        tool_schema: Sequence[Mapping[str, Any]] | None = None,
        initial_messages: Sequence[LLMMessage] | None = None,
    ) -> None:
        if token_limit is not None and token_limit <= 0:
            raise ValueError(f"token_limit must be greater than 0, got {token_limit}")
        super().__init__(initial_messages)
        self._model_client = model_client
        self._token_limit = token_limit
        self._tool_schema: list[Mapping[str, Any]] = list(tool_schema or ())

    @property
    def model_client(self) -> ChatCompletionClient:
        """The client whose token counting is used."""
        return self._model_client

    @property
    def token_limit(self) -> int | None:
        """The most tokens the view may take, or ``None`` for the model's remaining
        tokens."""
        return self._token_limit

    async def get_messages(self) -> list[LLMMessage]:
        """Return the most recent messages that fit the token budget, oldest first."""
        messages = list(self._messages)
        start = 0
        while start < len(messages) and not self._fits(messages[start:]):
            start += 1
        return drop_leading_results(messages[start:])

    def _fits(self, messages: list[LLMMessage]) -> bool:
        if self._token_limit is None:
            remaining = self._model_client.remaining_tokens(messages, tools=self._tool_schema)
            return remaining >= 0
        used = self._model_client.count_tokens(messages, tools=self._tool_schema)
        return used <= self._token_limit

    def _to_config(self) -> TokenLimitedChatCompletionContextConfig:
        """Return the configuration that creates a context like this one.

        It holds the initial messages, not those added since.

        Raises:
            TypeError: The model client cannot be saved in a configuration
                (it has no ``dump_component()``).
        """
        return TokenLimitedChatCompletionContextConfig(
            model_client=dump_nested_component(self._model_client, "model client"),
            token_limit=self._token_limit,
            tool_schema=[dict(schema) for schema in self._tool_schema] or None,
            initial_messages=self._initial_messages_config(),
        )

    @classmethod
    def _from_config(cls, config: TokenLimitedChatCompletionContextConfig) -> Self:
        """Create a context from *config*, loading its model client.

        Raises:
            TypeError: Model clients cannot be loaded from a configuration
                (``ChatCompletionClient`` has no ``load_component()``).
            TypeError: The loaded object is not a ``ChatCompletionClient``.
            ValueError: ``config.token_limit`` is given and not positive.
        """
        client = load_nested_component(config.model_client, ChatCompletionClient, "model client")
        return cls(
            client,
            token_limit=config.token_limit,
            tool_schema=config.tool_schema,
            initial_messages=config.initial_messages,
        )
