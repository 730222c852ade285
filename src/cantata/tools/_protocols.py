"""The :class:`Tool` and :class:`StreamTool` protocols."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, Protocol, runtime_checkable

from cantata._cancellation_token import CancellationToken

from ._schema import ToolSchema

__all__ = ["StreamTool", "Tool"]


@runtime_checkable
class Tool(Protocol):
    """Something a model can call: a name, a description, a JSON schema and a way to run.

    :class:`~cantata.tools.BaseTool` (and so :class:`~cantata.tools.FunctionTool`)
    implements it; agents and workbenches accept any object that does.
    """

    @property
    def name(self) -> str:
        """The name the model uses to call the tool."""
        ...

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        ...

    @property
    def schema(self) -> ToolSchema:
        """The tool's JSON schema, as sent to a model."""
        ...

    def args_type(self) -> type[Any]:
        """The type the JSON arguments are validated into."""
        ...

    def return_type(self) -> type[Any]:
        """The type of the value :meth:`run_json` returns."""
        ...

    def state_type(self) -> type[Any] | None:
        """The type of the tool's state, or ``None`` for a stateless tool."""
        ...

    def return_value_as_string(self, value: Any) -> str:
        """Render a value returned by :meth:`run_json` as text for a model."""
        ...

    async def run_json(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> Any:
        """Run the tool with JSON-decoded arguments and return its result.

        Args:
            args: The arguments, e.g. ``json.loads(function_call.arguments)``.
            cancellation_token: Cancels the run when cancelled.
            call_id: The id of the model's function call, for tracing.
        """
        ...

    async def save_state_json(self) -> Mapping[str, Any]:
        """Return the tool's state as JSON-friendly data."""
        ...

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """Restore the tool's state from what :meth:`save_state_json` returned."""
        ...


@runtime_checkable
class StreamTool(Tool, Protocol):
    """A :class:`Tool` that can also stream intermediate results."""

    def run_json_stream(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any, None]:
        """Run the tool, yielding intermediate results and then the final result last.

        Args:
            args: The arguments, e.g. ``json.loads(function_call.arguments)``.
            cancellation_token: Cancels the run when cancelled.
            call_id: The id of the model's function call, for tracing.
        """
        ...
