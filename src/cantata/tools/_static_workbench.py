"""The :class:`StaticWorkbench` and :class:`StaticStreamWorkbench` classes."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata._image import Image

from ._protocols import Tool
from ._result import ImageResultContent, ResultContent, TextResultContent, ToolResult
from ._schema import ToolSchema
from ._workbench import StreamWorkbench, Workbench

__all__ = [
    "StaticStreamWorkbench",
    "StaticWorkbench",
    "StaticWorkbenchConfig",
    "ToolOverride",
]

_STATE_TYPE = "StaticWorkbenchState"


class ToolOverride(BaseModel):
    """A new name and/or description under which a workbench shows one of its tools."""

    name: str | None = None
    """The name to show and call the tool by; ``None`` keeps the tool's own."""

    description: str | None = None
    """The description to show; ``None`` keeps the tool's own."""


class StaticWorkbenchConfig(BaseModel):
    """The configuration of a :class:`StaticWorkbench` (or :class:`StaticStreamWorkbench`)."""

    tools: list[Any] = Field(default_factory=list)
    """The tools, each as its component configuration (``tool.dump_component()``)."""

    tool_overrides: dict[str, ToolOverride] = Field(default_factory=dict)
    """The overrides, by the tool's own name."""


class StaticWorkbench(Workbench, Component[StaticWorkbenchConfig]):
    """A workbench over a fixed list of tools.

    Tools can be shown under other names and descriptions with *tool_overrides*,
    keyed by the tool's own name: :meth:`list_tools` shows the new ones and
    :meth:`call_tool` accepts the new name (and, for compatibility, the tool's own
    name when no other tool is shown under it). Every name shown must be unique.

    Starting, stopping and resetting do nothing: the tools hold no resources. The
    state is the tools' own state (:meth:`~cantata.tools.Tool.save_state_json`), by
    the tools' own names.

    Args:
        tools: The tools.
        tool_overrides: New names and descriptions, by the tool's own name.

    Raises:
        ValueError: Two tools have the same name; an override names a tool the
            workbench does not have; or, after the overrides, two tools would be shown
            under one name, or a tool would be shown under another tool's own name.
    """

    component_provider_override: ClassVar[str | None] = "cantata.tools.StaticWorkbench"
    """The provider name of the component."""

    component_config_schema = StaticWorkbenchConfig
    """The configuration model of the component."""

    def __init__(
        self,
        tools: Sequence[Tool],
        tool_overrides: Mapping[str, ToolOverride] | None = None,
    ) -> None:
        self._tools = list(tools)
        self._overrides = dict(tool_overrides or {})
        self._by_own_name: dict[str, Tool] = {}
        for tool in self._tools:
            if tool.name in self._by_own_name:
                raise ValueError(f"Two tools are named {tool.name!r}; tool names must be unique")
            self._by_own_name[tool.name] = tool
        unknown = sorted(set(self._overrides) - set(self._by_own_name))
        if unknown:
            raise ValueError(
                f"tool_overrides name tools the workbench does not have: {unknown}; "
                f"its tools are {sorted(self._by_own_name)}"
            )
        self._by_shown_name: dict[str, Tool] = {}
        for tool in self._tools:
            shown = self._shown_name(tool)
            if shown in self._by_shown_name:
                raise ValueError(
                    f"Tools {self._by_shown_name[shown].name!r} and {tool.name!r} would both "
                    f"be shown as {shown!r}; tool names must stay unique after overrides"
                )
            if shown != tool.name and shown in self._by_own_name:
                raise ValueError(
                    f"Tool {tool.name!r} cannot be renamed to {shown!r}: another tool has that name"
                )
            self._by_shown_name[shown] = tool

    def _shown_name(self, tool: Tool) -> str:
        override = self._overrides.get(tool.name)
        return override.name if override is not None and override.name else tool.name

    def _resolve(self, name: str) -> Tool | None:
        """The tool called *name*: by shown name, else by its own name."""
        tool = self._by_shown_name.get(name)
        return tool if tool is not None else self._by_own_name.get(name)

    def _not_found(self, name: str) -> ToolResult:
        available = ", ".join(repr(shown) for shown in self._by_shown_name) or "none"
        text = f"Tool {name!r} not found. Available tools: {available}."
        return ToolResult(name=name, result=[TextResultContent(content=text)], is_error=True)

    async def list_tools(self) -> list[ToolSchema]:
        """Return the tools' schemas, overrides applied, in the order the tools were given."""
        schemas: list[ToolSchema] = []
        for tool in self._tools:
            schema: ToolSchema = {**tool.schema}
            override = self._overrides.get(tool.name)
            if override is not None:
                if override.name:
                    schema["name"] = override.name
                if override.description is not None:
                    schema["description"] = override.description
            schemas.append(schema)
        return schemas

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Run the tool *name* with *arguments* and return its result.

        The result's ``name`` is the name the tool is shown under. An image returned by
        the tool (or a list of texts and images) becomes image parts; any other value
        becomes one text part, the tool's ``return_value_as_string``.

        Returns:
            ``ToolResult(is_error=True)`` with the reason as text when no tool is called
            *name*, the arguments are invalid, or the tool raised an
            :class:`Exception`.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* was
                cancelled: cancellation is not an error result.
        """
        tool = self._resolve(name)
        if tool is None:
            return self._not_found(name)
        token = CancellationToken() if cancellation_token is None else cancellation_token
        shown = self._shown_name(tool)
        try:
            value = await tool.run_json(dict(arguments or {}), token, call_id=call_id)
        except Exception as exc:
            return _error_result(shown, exc)
        return ToolResult(name=shown, result=_contents(tool, value))

    async def start(self) -> None:
        """Do nothing: the tools hold no resources."""

    async def stop(self) -> None:
        """Do nothing: the tools hold no resources."""

    async def reset(self) -> None:
        """Do nothing: a static workbench has nothing to reset."""

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type": "StaticWorkbenchState", "tools": {name: tool state}}``."""
        tools = {tool.name: dict(await tool.save_state_json()) for tool in self._tools}
        return {"type": _STATE_TYPE, "tools": tools}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Give each tool its state from *state* (as :meth:`save_state` returns it).

        Tools missing from *state* are left as they are; states of tools the workbench
        does not have are ignored.

        Raises:
            ValueError: *state* is not a static workbench state.
        """
        tools = state.get("tools")
        if state.get("type", _STATE_TYPE) != _STATE_TYPE or not isinstance(tools, Mapping):
            raise ValueError(f"Not a {_STATE_TYPE}: {dict(state)!r}")
        for tool in self._tools:
            if tool.name in tools:
                await tool.load_state_json(tools[tool.name])

    def _to_config(self) -> StaticWorkbenchConfig:
        """Return the configuration: each tool's component configuration and the overrides.

        Raises:
            TypeError: A tool cannot dump its configuration
                (it has no ``dump_component``).
        """
        dumped: list[Any] = []
        for tool in self._tools:
            dump = getattr(tool, "dump_component", None)
            if dump is None:
                raise TypeError(
                    f"Tool {tool.name!r} ({type(tool).__name__}) cannot be saved in a "
                    "configuration: it has no dump_component()"
                )
            dumped.append(dump())
        return StaticWorkbenchConfig(tools=dumped, tool_overrides=dict(self._overrides))

    @classmethod
    def _from_config(cls, config: StaticWorkbenchConfig) -> StaticWorkbench:
        """Rebuild a workbench from *config*, loading each tool from its configuration.

        Raises:
            TypeError: Tools cannot be loaded from configurations (no
                ``load_component`` is available).
        """
        from ._base import BaseTool

        load = getattr(BaseTool, "load_component", None)
        if load is None:
            raise TypeError("Loading tools from configurations needs BaseTool.load_component")
        tools: list[Tool] = [load(model) for model in config.tools]
        return cls(tools, tool_overrides=config.tool_overrides)


class StaticStreamWorkbench(StaticWorkbench, StreamWorkbench):
    """A :class:`StaticWorkbench` that can also stream a tool's intermediate results.

    :meth:`call_tool_stream` yields the intermediate results of a
    :class:`~cantata.tools.StreamTool` and then a :class:`~cantata.tools.ToolResult`;
    for any other tool it yields the :class:`~cantata.tools.ToolResult` alone.
    """

    component_provider_override: ClassVar[str | None] = "cantata.tools.StaticStreamWorkbench"
    """The provider name of the component."""

    async def call_tool_stream(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> AsyncGenerator[Any | ToolResult, None]:
        """Run the tool *name*, yielding its intermediate results and then its result.

        The tool's last streamed item is its result: it is not yielded as it is but as
        the final :class:`~cantata.tools.ToolResult`. Errors come back as a final
        ``ToolResult(is_error=True)``, as in :meth:`~StaticWorkbench.call_tool`.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* was
                cancelled.
        """
        tool = self._resolve(name)
        if tool is None:
            yield self._not_found(name)
            return
        token = CancellationToken() if cancellation_token is None else cancellation_token
        shown = self._shown_name(tool)
        args = dict(arguments or {})
        run_json_stream = getattr(tool, "run_json_stream", None)
        if not callable(run_json_stream):  # not a StreamTool
            yield await self.call_tool(name, args, token, call_id)
            return
        stream: AsyncGenerator[Any, None] = run_json_stream(args, token, call_id=call_id)
        pending: Any = _NOTHING
        try:
            while True:
                try:
                    item = await stream.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    if pending is not _NOTHING:  # not the result: the stream went on
                        yield pending
                    yield _error_result(shown, exc)
                    return
                if pending is not _NOTHING:
                    yield pending
                pending = item
        finally:
            await stream.aclose()
        if pending is _NOTHING:
            text = f"Tool {shown!r} streamed no result"
            yield ToolResult(name=shown, result=[TextResultContent(content=text)], is_error=True)
            return
        yield ToolResult(name=shown, result=_contents(tool, pending))


_NOTHING: Any = object()


def _contents(tool: Tool, value: Any) -> list[ResultContent]:
    """The parts of a successful result: images as image parts, anything else as text."""
    if isinstance(value, Image):
        return [ImageResultContent(content=value)]
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(item, (str, Image)) for item in value)
        and any(isinstance(item, Image) for item in value)
    ):
        return [
            ImageResultContent(content=item)
            if isinstance(item, Image)
            else TextResultContent(content=item)
            for item in value
        ]
    return [TextResultContent(content=tool.return_value_as_string(value))]


def _error_result(name: str, exc: BaseException) -> ToolResult:
    return ToolResult(
        name=name, result=[TextResultContent(content=_describe_error(exc))], is_error=True
    )


def _describe_error(exc: BaseException) -> str:
    """The text of an error result: the exception's message (or its type's name); the
    messages of an exception group's members, one per line."""
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(_describe_error(inner) for inner in exc.exceptions)
    return str(exc) or type(exc).__name__
