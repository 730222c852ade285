"""The :class:`McpWorkbench`: the tools, prompts and resources of one MCP server."""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Literal, Protocol, TypeVar

import anyio
import anyio.lowlevel
import mcp_types as types
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, Field

from cantata._cancellation_token import CancellationToken
from cantata._components import Component, ComponentModel
from cantata._constants import EVENT_LOGGER_NAME
from cantata.logging import ToolCallEvent
from cantata.models import ChatCompletionClient

from ..._genai_spans import start_tool_span
from .._cancellation import token_cancel_scope
from .._result import TextResultContent, ToolResult
from .._schema import ToolSchema
from .._static_workbench import ToolOverride
from .._workbench import Workbench
from ._actor import McpSessionActor
from ._config import McpServerParams
from ._convert import result_parts, tool_schema
from ._errors import McpConnectionError, describe_error

__all__ = ["McpWorkbench", "McpWorkbenchConfig", "McpWorkbenchState"]

T = TypeVar("T")

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)

MAX_LIST_PAGES = 1000
"""The most pages :meth:`McpWorkbench.list_tools` (and the other listings) follow: a
server whose cursors never end cannot hang a listing."""


class McpWorkbenchConfig(BaseModel):
    """The configuration of a :class:`McpWorkbench`."""

    server_params: McpServerParams
    """Where the server is and how to reach it."""

    tool_overrides: dict[str, ToolOverride] = Field(default_factory=dict)
    """New names and descriptions, by the tool's own name."""

    model_client: ComponentModel | dict[str, Any] | None = None
    """The model client that answers the server's sampling requests, as its component
    configuration."""


class McpWorkbenchState(BaseModel):
    """The state of a :class:`McpWorkbench`: nothing but its type (the server keeps its
    own state)."""

    type: Literal["McpWorkBenchState"] = "McpWorkBenchState"


class McpWorkbench(Workbench, Component[McpWorkbenchConfig]):
    """A workbench over the tools of an MCP server; also lists and reads its prompts,
    resources and resource templates.

    The session starts on :meth:`start` (or ``async with workbench:``), or lazily on first
    use, and runs in a task of its own (:class:`McpSessionActor`) until :meth:`stop`, so
    it can be started in one task and used from others (agents' handlers, concurrently).
    The SDK is AnyIO-based: this runs on asyncio and on Trio.

    Guarantees:

    * A failed call is a ``ToolResult(is_error=True)`` whose text is the server's (a tool
      that raised, an unknown tool, invalid arguments), or says what went wrong (a timeout,
      a lost connection). Listing, prompts and resources raise instead.
    * Cancellation (the *cancellation_token*, or the caller's cancel scope) cancels the
      call in flight: the server is told (``notifications/cancelled``) and the session stays
      usable. A cancelled token raises :class:`~cantata.exceptions.MessageCancelledError`.
    * If the server dies (its process exits, the connection breaks), calls in flight end at
      once with an error that says so, the session is closed (a stdio server's process is
      reaped), and the next use starts a new session.
    * :meth:`stop` and leaving ``async with`` wait until the session has ended and a stdio
      server's process is gone, even if the caller is being cancelled (at most
      15 seconds: a stdio server gets two seconds to exit, then is terminated, then killed).
      A session never stopped ends with the event loop (its task is cancelled then, and a
      stdio server is still shut down); the next event loop starts a new one.

    Args:
        server_params: Where the server is and how to reach it.
        tool_overrides: New names and/or descriptions, by the tool's own name: the tool is
            listed and called under the new name.
        model_client: Answers the server's sampling requests; without one they are refused.

    Raises:
        ValueError: Two tools would be shown under the same overriding name.
    """

    component_provider_override: ClassVar[str | None] = "cantata.tools.mcp.McpWorkbench"
    """The provider name of the component."""

    component_config_schema = McpWorkbenchConfig
    """The configuration model."""

    def __init__(
        self,
        server_params: McpServerParams,
        tool_overrides: Mapping[str, ToolOverride] | None = None,
        model_client: ChatCompletionClient | None = None,
    ) -> None:
        self._server_params = server_params
        self._tool_overrides = dict(tool_overrides or {})
        self._model_client = model_client
        self._override_to_original: dict[str, str] = {}
        for original, override in self._tool_overrides.items():
            shown = override.name
            if not shown or shown == original:
                continue
            if shown in self._override_to_original:
                raise ValueError(
                    f"Tool override name {shown!r} is used by both "
                    f"{self._override_to_original[shown]!r} and {original!r}; override names "
                    "must be unique"
                )
            self._override_to_original[shown] = original
        self._actor: McpSessionActor | None = None
        self._start_lock: anyio.Lock | None = None
        self._lock_loop: anyio.lowlevel.EventLoopToken | None = None

    @property
    def server_params(self) -> McpServerParams:
        """Where the server is and how to reach it."""
        return self._server_params

    @property
    def initialize_result(self) -> types.InitializeResult | None:
        """The server's answer to ``initialize`` (name, version, capabilities,
        instructions), or ``None`` while no session runs."""
        actor = self._actor
        return actor.initialize_result if actor is not None and actor.is_running else None

    async def start(self) -> None:
        """Start the session: connect (for a stdio server: start its process) and
        initialize. Warns (and does nothing) if it is already running.

        Raises:
            McpConnectionError: The server could not be started or reached, or did not
                complete the ``initialize`` handshake.
        """
        if self._actor is not None and self._actor.is_running:
            warnings.warn(
                "McpWorkbench is already started; there is no need to start it again",
                UserWarning,
                stacklevel=2,
            )
            return
        await self._running_actor()

    async def stop(self) -> None:
        """End the session and wait until it has ended (a stdio server's process is gone).

        Raises:
            RuntimeError: The workbench was not started (or was already stopped).
        """
        actor = self._actor
        if actor is None:
            raise RuntimeError("McpWorkbench is not started; call start() first")
        self._actor = None
        await actor.close()

    async def reset(self) -> None:
        """End the session, if one runs; the next use starts a new one, so a stdio server
        starts afresh. The server's own state is the server's: a remote server may keep
        it across sessions."""
        actor = self._actor
        self._actor = None
        if actor is not None:
            await actor.close()

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type": "McpWorkBenchState"}``: the workbench keeps no state."""
        return McpWorkbenchState().model_dump()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Check that *state* is a workbench state (there is nothing to restore).

        Raises:
            ValueError: *state* is not what :meth:`save_state` returns.
        """
        if dict(state).get("type", "McpWorkBenchState") != "McpWorkBenchState":
            raise ValueError(f"Not an McpWorkBenchState: {dict(state)!r}")

    async def list_tools(self) -> list[ToolSchema]:
        """Return the server's tools, overrides applied, in the server's order.

        Raises:
            McpConnectionError: The server could not be reached, or the connection was lost.
            TimeoutError: The server did not answer in time (``read_timeout_seconds``, or
                ``sse_read_timeout`` over HTTP).
            mcp.MCPError: The server answered with an error.
        """
        tools = await self._list_all_tools()
        schemas: list[ToolSchema] = []
        for tool in tools:
            override = self._tool_overrides.get(tool.name)
            if override is None:
                schemas.append(tool_schema(tool))
            else:
                schemas.append(tool_schema(tool, override.name, override.description))
        return schemas

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        """Call the tool *name* (its overriding name, or its own) and return its result.

        A completed call logs a :class:`~cantata.logging.ToolCallEvent` when the
        ``cantata.events`` logger is enabled, and each call is an ``execute_tool`` span when
        a tracer provider is configured.

        Text parts stay text and images become image parts; audio, resources and resource
        links become their JSON. The result's ``name`` is *name*.

        Returns:
            ``ToolResult(is_error=True)`` with the server's text when the tool failed, or
            with the reason when the call could not be made or did not complete (the
            server could not be reached, the connection was lost, the request timed out).

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* was cancelled
                (before or during the call).
        """
        token = CancellationToken() if cancellation_token is None else cancellation_token
        original = self._override_to_original.get(name, name)
        args = dict(arguments or {})
        span = start_tool_span(name, "", call_id)
        try:
            with token_cancel_scope(token, f"The call to MCP tool {name!r}"):
                result: types.CallToolResult = await self._request(
                    lambda session: session.call_tool(original, args),
                    f"the call to tool {name!r}",
                )
        except Exception as exc:
            if span is not None:
                span.record_error(exc)
            return _error_result(name, _error_text(exc))
        except BaseException as exc:
            if span is not None:
                span.record_error(exc)
            raise
        finally:
            if span is not None:
                span.end()
        tool_result = ToolResult(
            name=name, result=result_parts(result), is_error=bool(result.is_error)
        )
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                ToolCallEvent(tool_name=name, arguments=args, result=tool_result.to_text())
            )
        return tool_result

    async def list_prompts(self) -> types.ListPromptsResult:
        """Return the server's prompts (all pages).

        Raises:
            McpConnectionError, TimeoutError, mcp.MCPError: As for :meth:`list_tools`.
        """
        pages = await self._all_pages(_list_prompts, "listing prompts")
        return types.ListPromptsResult(prompts=[item for page in pages for item in page.prompts])

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None
    ) -> types.GetPromptResult:
        """Return the prompt *name*, filled in with *arguments*.

        Raises:
            McpConnectionError, TimeoutError, mcp.MCPError: As for :meth:`list_tools` (an unknown
                prompt, or missing arguments, is the server's error).
        """
        values = dict(arguments) if arguments is not None else None
        return await self._request(
            lambda session: session.get_prompt(name, values), f"getting prompt {name!r}"
        )

    async def list_resources(self) -> types.ListResourcesResult:
        """Return the server's resources (all pages).

        Raises:
            McpConnectionError, TimeoutError, mcp.MCPError: As for :meth:`list_tools`.
        """
        pages = await self._all_pages(_list_resources, "listing resources")
        return types.ListResourcesResult(
            resources=[item for page in pages for item in page.resources]
        )

    async def list_resource_templates(self) -> types.ListResourceTemplatesResult:
        """Return the server's resource templates (all pages).

        Raises:
            McpConnectionError, TimeoutError, mcp.MCPError: As for :meth:`list_tools`.
        """
        pages = await self._all_pages(_list_resource_templates, "listing resource templates")
        return types.ListResourceTemplatesResult(
            resource_templates=[item for page in pages for item in page.resource_templates]
        )

    async def read_resource(self, uri: str) -> types.ReadResourceResult:
        """Read the resource at *uri* (a resource's, or a filled-in template's).

        Raises:
            McpConnectionError, TimeoutError, mcp.MCPError: As for :meth:`list_tools` (an unknown
                resource is the server's error).
        """
        return await self._request(
            lambda session: session.read_resource(uri), f"reading resource {uri!r}"
        )

    async def _list_all_tools(self) -> list[types.Tool]:
        pages = await self._all_pages(_list_tools, "listing tools")
        return [tool for page in pages for tool in page.tools]

    async def _all_pages(self, fetch: _Fetch[P], what: str) -> list[P]:
        """Every page of a listing, following the server's cursors (at most
        :data:`MAX_LIST_PAGES`)."""
        pages: list[P] = []
        cursor: str | None = None
        for _ in range(MAX_LIST_PAGES):
            params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await self._request(functools.partial(fetch, params=params), what)
            pages.append(page)
            cursor = page.next_cursor
            if not cursor:
                break
        return pages

    async def _request(self, operation: Callable[[ClientSession], Awaitable[T]], what: str) -> T:
        actor = await self._running_actor()
        return await actor.request(operation, what)

    async def _running_actor(self) -> McpSessionActor:
        """The running session's actor: started now if none runs (or the last one died)."""
        loop = anyio.lowlevel.current_token()
        if self._start_lock is None or self._lock_loop != loop:
            # A workbench may outlive an event loop (asyncio.run twice): one lock per loop.
            self._start_lock = anyio.Lock()
            self._lock_loop = loop
        async with self._start_lock:
            actor = self._actor
            if actor is not None and actor.is_starting:
                # Begun by a caller that was cancelled while waiting: wait for it instead.
                await actor.initialize()
                return actor
            if actor is not None and actor.is_running:
                return actor
            if actor is not None:
                await actor.close()  # ended or failed: make sure it is gone
            actor = self._actor = McpSessionActor(self._server_params, self._model_client)
            await actor.initialize()
            return actor

    def _to_config(self) -> McpWorkbenchConfig:
        model_client = None
        if self._model_client is not None:
            model_client = self._model_client.dump_component()
        return McpWorkbenchConfig(
            server_params=self._server_params,
            tool_overrides=self._tool_overrides,
            model_client=model_client,
        )

    @classmethod
    def _from_config(cls, config: McpWorkbenchConfig) -> McpWorkbench:
        model_client = None
        if config.model_client is not None:
            model_client = ChatCompletionClient.load_component(config.model_client)
        return cls(
            server_params=config.server_params,
            tool_overrides=config.tool_overrides,
            model_client=model_client,
        )


class _Page(Protocol):
    @property
    def next_cursor(self) -> str | None: ...


P = TypeVar("P", bound=_Page)
P_co = TypeVar("P_co", bound=_Page, covariant=True)


class _Fetch(Protocol[P_co]):
    def __call__(
        self, session: ClientSession, *, params: types.PaginatedRequestParams | None
    ) -> Awaitable[P_co]: ...


def _list_tools(
    session: ClientSession, *, params: types.PaginatedRequestParams | None
) -> Awaitable[types.ListToolsResult]:
    return session.list_tools(params=params)


def _list_prompts(
    session: ClientSession, *, params: types.PaginatedRequestParams | None
) -> Awaitable[types.ListPromptsResult]:
    return session.list_prompts(params=params)


def _list_resources(
    session: ClientSession, *, params: types.PaginatedRequestParams | None
) -> Awaitable[types.ListResourcesResult]:
    return session.list_resources(params=params)


def _list_resource_templates(
    session: ClientSession, *, params: types.PaginatedRequestParams | None
) -> Awaitable[types.ListResourceTemplatesResult]:
    return session.list_resource_templates(params=params)


def _error_result(name: str, text: str) -> ToolResult:
    return ToolResult(name=name, result=[TextResultContent(content=text)], is_error=True)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, McpConnectionError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return str(exc)
    if isinstance(exc, MCPError):
        if exc.error.code == types.REQUEST_TIMEOUT:
            return f"The MCP server did not answer in time: {exc.error.message}"
        return exc.error.message
    return describe_error(exc)
