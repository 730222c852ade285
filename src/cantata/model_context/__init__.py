"""Model contexts: the messages of a conversation, and the view of them sent to a model.

Migrating from autogen-core: ``autogen_core.model_context`` -> ``cantata.model_context``.

* :class:`UnboundedChatCompletionContext`: every message.
* :class:`BufferedChatCompletionContext`: the last *n* messages.
* :class:`HeadAndTailChatCompletionContext`: the first and last messages, with a note of
  how many were skipped.
* :class:`TokenLimitedChatCompletionContext`: the most recent messages within a token
  budget counted by a model client.

Each keeps every message added and limits only the view; :meth:`~ChatCompletionContext.save_state`
returns JSON-serializable state that :meth:`~ChatCompletionContext.load_state` restores.
"""

from ._buffered import BufferedChatCompletionContext, BufferedChatCompletionContextConfig
from ._chat_completion_context import ChatCompletionContext, ChatCompletionContextState
from ._head_and_tail import (
    HeadAndTailChatCompletionContext,
    HeadAndTailChatCompletionContextConfig,
)
from ._token_limited import (
    TokenLimitedChatCompletionContext,
    TokenLimitedChatCompletionContextConfig,
)
from ._unbounded import UnboundedChatCompletionContext, UnboundedChatCompletionContextConfig

__all__ = [
    "BufferedChatCompletionContext",
    "BufferedChatCompletionContextConfig",
    "ChatCompletionContext",
    "ChatCompletionContextState",
    "HeadAndTailChatCompletionContext",
    "HeadAndTailChatCompletionContextConfig",
    "TokenLimitedChatCompletionContext",
    "TokenLimitedChatCompletionContextConfig",
    "UnboundedChatCompletionContext",
    "UnboundedChatCompletionContextConfig",
]
