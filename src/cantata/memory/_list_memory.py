"""The :class:`ListMemory`: memories kept in a list, all recalled every time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata.exceptions import MessageCancelledError
from cantata.model_context import ChatCompletionContext
from cantata.models import SystemMessage

from ._base_memory import Memory, MemoryContent, MemoryQueryResult, UpdateContextResult

__all__ = ["ListMemory", "ListMemoryConfig"]

_DEFAULT_NAME = "default_list_memory"


class ListMemoryConfig(BaseModel):
    """The configuration of a :class:`ListMemory`."""

    name: str | None = None
    """The memory's name; ``None`` for the default name."""

    memory_contents: list[MemoryContent] = Field(default_factory=list)
    """The memories, oldest first."""


class ListMemory(Memory, Component[ListMemoryConfig]):
    """A memory that keeps its items in a list, in the order they were added.

    :meth:`query` returns every item whatever the query, and :meth:`update_context`
    adds them all to the model context as one :class:`~cantata.models.SystemMessage`::

        <empty line>
        Relevant memory content (in chronological order):
        1. <first item>
        2. <second item>
        <empty line>

    where each item is ``str(item.content)``. An empty memory adds nothing.

    Args:
        name: The memory's name; ``"default_list_memory"`` if ``None`` or empty.
        memory_contents: The items it starts with, oldest first (the list is copied).

    Example::

        memory = ListMemory()
        await memory.add(MemoryContent(content="The user likes tea", mime_type=MemoryMimeType.TEXT))
        context = UnboundedChatCompletionContext()
        await memory.update_context(context)
    """

    component_provider_override: ClassVar[str] = "cantata.memory.ListMemory"
    """The provider name under which the memory is configured."""

    component_config_schema = ListMemoryConfig
    """The configuration model of the memory."""

    def __init__(
        self, name: str | None = None, memory_contents: Sequence[MemoryContent] | None = None
    ) -> None:
        self._name = name or _DEFAULT_NAME
        self._contents: list[MemoryContent] = list(memory_contents or ())

    @property
    def name(self) -> str:
        """The memory's name."""
        return self._name

    @property
    def content(self) -> list[MemoryContent]:
        """The items, oldest first (the memory's own list: changing it changes the memory)."""
        return self._contents

    @content.setter
    def content(self, value: Sequence[MemoryContent]) -> None:
        """Replace every item with those of *value* (copied)."""
        self._contents = list(value)

    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Add every item to *model_context* as one system message (see the class).

        Returns:
            Every item; none, and nothing added, if the memory is empty.
        """
        if not self._contents:
            return UpdateContextResult(memories=MemoryQueryResult(results=[]))
        lines = [f"{index}. {item.content!s}" for index, item in enumerate(self._contents, 1)]
        text = "\nRelevant memory content (in chronological order):\n" + "\n".join(lines) + "\n"
        await model_context.add_message(SystemMessage(content=text))
        return UpdateContextResult(memories=MemoryQueryResult(results=list(self._contents)))

    async def query(
        self,
        query: str | MemoryContent = "",
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """Return every item, oldest first; *query* and *kwargs* are ignored.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* is
                already cancelled.
        """
        _raise_if_cancelled(cancellation_token)
        return MemoryQueryResult(results=list(self._contents))

    async def add(
        self, content: MemoryContent, cancellation_token: CancellationToken | None = None
    ) -> None:
        """Append *content* to the items.

        Raises:
            TypeError: *content* is not a :class:`MemoryContent`.
            cantata.exceptions.MessageCancelledError: *cancellation_token* is
                already cancelled; nothing is added.
        """
        if not isinstance(content, MemoryContent):
            raise TypeError(f"content must be a MemoryContent, got {type(content).__name__}")
        _raise_if_cancelled(cancellation_token)
        self._contents.append(content)

    async def clear(self) -> None:
        """Remove every item."""
        self._contents = []

    async def close(self) -> None:
        """Do nothing: the memory holds no resources. It stays usable."""

    def _to_config(self) -> ListMemoryConfig:
        """Return the configuration that creates a memory with the same name and items."""
        return ListMemoryConfig(name=self._name, memory_contents=list(self._contents))

    @classmethod
    def _from_config(cls, config: ListMemoryConfig) -> Self:
        """Create a memory from *config*."""
        return cls(name=config.name, memory_contents=config.memory_contents)


def _raise_if_cancelled(token: CancellationToken | None) -> None:
    if token is not None and token.is_cancelled():
        raise MessageCancelledError("The memory operation was cancelled")
