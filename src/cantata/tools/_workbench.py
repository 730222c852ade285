"""The :class:`Workbench` and :class:`StreamWorkbench` interfaces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Any, ClassVar, Self

from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata._components import ComponentBase

from ._result import ToolResult
from ._schema import ToolSchema

__all__ = ["StreamWorkbench", "Workbench"]


class Workbench(ABC, ComponentBase[BaseModel]):
    """A set of tools that share state and resources, called by name.

    Unlike a :class:`~cantata.tools.Tool`, whose result has the tool's own type, a
    workbench returns every result as a :class:`~cantata.tools.ToolResult`, and a
    failed call comes back as ``ToolResult(is_error=True)`` rather than as an
    exception.

    A workbench that holds resources is started before use and stopped afterwards,
    either with :meth:`start` / :meth:`stop` or with ``async with workbench:``.
    """

    component_type: ClassVar[str] = "workbench"
    """The component type of every workbench."""

    @abstractmethod
    async def list_tools(self) -> list[ToolSchema]:
        """Return the schemas of the tools, to pass to a model client."""

    @abstractmethod
    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Call the tool *name* and return its result.

        Args:
            name: The tool's name, as in :meth:`list_tools`.
            arguments: The JSON-decoded arguments; ``None`` for none.
            cancellation_token: Cancels the call when cancelled.
            call_id: The id of the model's function call, for tracing.

        Returns:
            The result; ``is_error`` is true (and the text says why) if the tool is
            unknown, the arguments are invalid or the tool raised.
        """

    @abstractmethod
    async def start(self) -> None:
        """Acquire the workbench's resources."""

    @abstractmethod
    async def stop(self) -> None:
        """Release the workbench's resources."""

    @abstractmethod
    async def reset(self) -> None:
        """Return the workbench and its tools to their initial state."""

    @abstractmethod
    async def save_state(self) -> Mapping[str, Any]:
        """Return the workbench's state as JSON-friendly data."""

    @abstractmethod
    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a state returned by :meth:`save_state`."""

    async def __aenter__(self) -> Self:
        """:meth:`start` the workbench."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """:meth:`stop` the workbench."""
        await self.stop()


class StreamWorkbench(Workbench, ABC):
    """A :class:`Workbench` whose tool calls can stream intermediate results."""

    @abstractmethod
    def call_tool_stream(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any | ToolResult, None]:
        """Call the tool *name*, yielding its intermediate results and then, last, its
        :class:`~cantata.tools.ToolResult`.

        The arguments are as for :meth:`~Workbench.call_tool`, and errors likewise come
        back as a final ``ToolResult(is_error=True)``.
        """
