"""The :class:`McpSessionActor`: one MCP session, owned by a task of its own."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Literal, TypedDict, TypeVar

import anyio
import mcp_types as types
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from cantata._components import Component, ComponentBase
from cantata.models import ChatCompletionClient

from ._config import McpServerParams, StdioServerParams
from ._detached import spawn_detached
from ._errors import McpConnectionError, describe_error
from ._sampling import sampling_callback_for
from ._session import open_session, request_timeout

__all__ = ["McpActorArgs", "McpSessionActor", "McpSessionActorConfig"]

_logger = logging.getLogger("cantata.tools.mcp")

T = TypeVar("T")

CLOSE_TIMEOUT = 15.0
"""The longest :meth:`McpSessionActor.close` waits for the session to end. A stdio server
gets two seconds to exit once its stdin closes, then is terminated, then killed; an HTTP
session ends with one request."""

STARTUP_TIMEOUT = 60.0
"""The longest the ``initialize`` handshake may take, the server's start-up included (the
request timeout is used instead when it is longer)."""

_State = Literal["new", "starting", "running", "closing", "closed"]


class McpActorArgs(TypedDict, total=False):
    """The arguments of :meth:`McpSessionActor.call`."""

    name: str | None
    """The tool's or prompt's name."""

    kargs: Mapping[str, Any]
    """The tool's arguments; ``{"arguments": {...}}`` for a prompt, ``{"uri": ...}`` for a
    resource."""


class McpSessionActorConfig(BaseModel):
    """The configuration of a :class:`McpSessionActor`."""

    server_params: McpServerParams
    """Where the server is and how to reach it."""


class McpSessionActor(ComponentBase[BaseModel], Component[McpSessionActorConfig]):
    """One MCP session, opened and closed by a task of its own, used from any task.

    :meth:`initialize` starts a task that connects (for a stdio server: starts the
    process), initializes the session and keeps it open until :meth:`close`. Requests
    (:meth:`call`, :meth:`request`) run in the caller's task, so the caller's cancel scope
    (or a :class:`~cantata.CancellationToken` turned into one) cancels exactly that
    request: the SDK tells the server (``notifications/cancelled``) and the session stays
    usable. Any number of requests may be in flight at once.

    The task belongs to no task group of the caller: a session opened lazily, deep inside
    an agent's handler, outlives that handler. It ends on :meth:`close`, when the server
    closes the connection (its process exits), or when the event loop ends (it is
    cancelled then, and a stdio server is still shut down). On asyncio it is a task, on
    Trio a system task.

    Unlike autogen's actor, :meth:`call` returns the result itself, not a future of it.

    Args:
        server_params: Where the server is and how to reach it.
        model_client: Answers the server's sampling requests (``sampling/createMessage``);
            without one they are refused.
    """

    component_type: ClassVar[str] = "mcp_session_actor"
    """The component type."""

    component_config_schema = McpSessionActorConfig
    """The configuration model."""

    component_provider_override: ClassVar[str | None] = "cantata.tools.mcp.McpSessionActor"
    """The provider name of the component."""

    def __init__(
        self, server_params: McpServerParams, model_client: ChatCompletionClient | None = None
    ) -> None:
        self.server_params: McpServerParams = server_params
        self.name = "mcp_session_actor"
        self.description = "MCP session actor"
        self._model_client = model_client
        self._state: _State = "new"
        self._session: ClientSession | None = None
        self._initialize_result: types.InitializeResult | None = None
        self._connection_lost = False
        self._failure: BaseException | None = None
        # Made by initialize(): AnyIO primitives need a running event loop.
        self._run: _Run | None = None

    @property
    def initialize_result(self) -> types.InitializeResult | None:
        """What the server answered to ``initialize`` (its name, version, capabilities,
        instructions); ``None`` before the session is running."""
        return self._initialize_result

    @property
    def is_running(self) -> bool:
        """Whether the session is open and the server still connected."""
        return self._state == "running" and not self._connection_lost

    @property
    def is_starting(self) -> bool:
        """Whether :meth:`initialize` has begun and the session is not yet ready."""
        return self._state == "starting"

    @property
    def session(self) -> ClientSession:
        """The open session.

        Raises:
            McpConnectionError: The session is not running.
        """
        session = self._session
        if session is None or not self.is_running:
            raise McpConnectionError(self._not_running_message())
        return session

    async def initialize(self) -> None:
        """Connect, initialize the session, and return once it is ready.

        Calling it again while the session runs does nothing. If the caller is cancelled
        while waiting, the session goes on starting; :meth:`close` stops it.

        Raises:
            McpConnectionError: The server could not be started or reached, or did not
                complete the ``initialize`` handshake (the cause is chained), or the
                session has ended.
            RuntimeError: The actor was closed before it started; create a new one.
        """
        if self._state == "new":
            run = self._run = _Run()
            self._state = "starting"
            spawn_detached(self._own_session, name=f"MCP session {self._describe_server()}")
        elif self._run is None:
            raise RuntimeError("The MCP session actor is closed; create a new one")
        else:
            run = self._run
        await run.ready.wait()
        if self._session is None:
            raise McpConnectionError(self._not_running_message()) from self._failure

    async def close(self) -> None:
        """End the session and wait (up to :data:`CLOSE_TIMEOUT`, even if the caller is
        cancelled) until it has ended: a stdio server's process has exited or been killed.

        Does nothing if the actor never started or is already closed.
        """
        run = self._run
        if run is None or self._state == "closed":
            self._state = "closed"
            return  # nothing runs (and the session may have ended with another event loop)
        if self._state == "starting":
            run.scope.cancel()
        elif self._state == "running":
            self._state = "closing"
        run.wake.set()
        with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
            await run.done.wait()

    async def request(self, operation: Callable[[ClientSession], Awaitable[T]], what: str) -> T:
        """Run ``operation(session)`` in the caller's task and return its result.

        Args:
            operation: Sends one or more requests on the session.
            what: What the operation does, for error messages (``"the call to tool 'x'"``).

        Raises:
            McpConnectionError: The session is not running, or the connection was lost
                during the operation (the session then ends; start a new one).
            TimeoutError: The server did not answer within the request timeout
                (``read_timeout_seconds``, or ``sse_read_timeout`` over HTTP); the request
                is cancelled.
            mcp.MCPError: The server answered with an error.
        """
        session = self.session
        timeout = request_timeout(self.server_params)
        try:
            with anyio.move_on_after(timeout) as scope:
                return await operation(session)
        except MCPError as exc:
            if exc.error.code != types.CONNECTION_CLOSED:
                raise
            self._on_connection_closed()
            # The session's task ends at once; waiting for it gives the reason and lets a
            # stdio server's process be reaped before the caller hears of the loss.
            if self._run is not None:
                with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
                    await self._run.done.wait()
            raise McpConnectionError(self._lost_message(what)) from self._failure or exc
        assert scope.cancelled_caught
        raise TimeoutError(
            f"The MCP server {self._describe_server()} did not answer {what} within "
            f"{timeout:g} seconds"
        )

    async def call(self, type: str, args: McpActorArgs | None = None) -> Any:
        """Send one request by name and return the SDK's result.

        *type* is one of ``"list_tools"``, ``"call_tool"`` (``args``: ``name`` and
        ``kargs``, the tool's arguments), ``"list_prompts"``, ``"get_prompt"`` (``name``,
        ``kargs={"arguments": {...}}``), ``"list_resources"``,
        ``"list_resource_templates"``, ``"read_resource"`` (``kargs={"uri": ...}``).

        Raises:
            ValueError: Unknown *type*, or a required argument is missing.
            McpConnectionError: As for :meth:`request`.
            mcp.MCPError: As for :meth:`request`.
        """
        args = args or {}
        name = args.get("name")
        kargs = dict(args.get("kargs") or {})
        operation: Callable[[ClientSession], Awaitable[Any]]
        if type == "list_tools":
            operation = _list_tools
        elif type == "list_prompts":
            operation = _list_prompts
        elif type == "list_resources":
            operation = _list_resources
        elif type == "list_resource_templates":
            operation = _list_resource_templates
        elif type == "call_tool":
            if not name:
                raise ValueError("call_tool needs args['name']")
            tool = name

            def operation(session: ClientSession) -> Awaitable[Any]:
                return session.call_tool(tool, kargs)
        elif type == "get_prompt":
            if not name:
                raise ValueError("get_prompt needs args['name']")
            prompt = name
            arguments = kargs.get("arguments")

            def operation(session: ClientSession) -> Awaitable[Any]:
                return session.get_prompt(prompt, arguments)
        elif type == "read_resource":
            uri = kargs.get("uri")
            if not isinstance(uri, str):
                raise ValueError("read_resource needs args['kargs']['uri']")

            def operation(session: ClientSession) -> Awaitable[Any]:
                return session.read_resource(uri)
        else:
            raise ValueError(f"Unknown MCP actor command: {type!r}")
        return await self.request(operation, type.replace("_", " "))

    async def _own_session(self) -> None:
        """The session's task: open, initialize, wait for the end, close."""
        cancelled = anyio.get_cancelled_exc_class()
        run = self._run
        assert run is not None
        try:
            with run.scope:
                async with open_session(
                    self.server_params,
                    read_timeout_seconds=None,  # request() applies the timeout
                    sampling_callback=sampling_callback_for(self._model_client),
                    on_closed=self._on_connection_closed,
                ) as session:
                    startup = max(STARTUP_TIMEOUT, request_timeout(self.server_params))
                    with anyio.fail_after(startup):
                        self._initialize_result = await session.initialize()
                    self._session = session
                    if self._state == "starting":
                        self._state = "running"
                    run.ready.set()
                    await run.wake.wait()
        except cancelled:
            raise  # the event loop is ending
        except BaseException as exc:
            # Recorded for the callers; raising would end a Trio run (a system task).
            self._failure = exc
            if not isinstance(exc, Exception | BaseExceptionGroup):
                raise
            if self._state != "starting":
                _logger.warning("MCP session with %s ended: %r", self._describe_server(), exc)
        finally:
            self._session = None
            self._state = "closed"
            run.ready.set()
            run.done.set()

    def _on_connection_closed(self) -> None:
        if self._state in ("starting", "running"):  # not closed on purpose
            self._connection_lost = True
        if self._run is not None:
            self._run.wake.set()

    def _describe_server(self) -> str:
        params = self.server_params
        if isinstance(params, StdioServerParams):
            return " ".join([params.command, *params.args])
        return params.url

    def _not_running_message(self) -> str:
        server = self._describe_server()
        if self._failure is not None and self._initialize_result is None:
            return f"Could not start the MCP session with {server}: {describe_error(self._failure)}"
        if self._state == "new":
            return f"The MCP session with {server} has not been started"
        if self._connection_lost and self._initialize_result is None:
            return (
                f"The MCP server {server} closed the connection before the session was initialized"
            )
        if self._connection_lost:
            return f"The connection to the MCP server {server} was lost"
        return f"The MCP session with {server} is closed"

    def _lost_message(self, what: str) -> str:
        server = self._describe_server()
        if not self._connection_lost:
            return f"The MCP session with {server} was closed during {what}"
        text = f"The connection to the MCP server {server} was lost during {what}"
        if self._failure is not None:
            return f"{text}: {describe_error(self._failure)}"
        if isinstance(self.server_params, StdioServerParams):
            return f"{text}: the server process exited"
        return text

    def _to_config(self) -> McpSessionActorConfig:
        return McpSessionActorConfig(server_params=self.server_params)

    @classmethod
    def _from_config(cls, config: McpSessionActorConfig) -> McpSessionActor:
        return cls(config.server_params)


class _Run:
    """The signals between a running session's task and its callers."""

    __slots__ = ("done", "ready", "scope", "wake")

    def __init__(self) -> None:
        self.ready = anyio.Event()
        """Set once the session is initialized, or has failed to start."""
        self.wake = anyio.Event()
        """Set to end the session: by close(), or when the connection is lost."""
        self.done = anyio.Event()
        """Set once the session (and a stdio server's process) has ended."""
        self.scope = anyio.CancelScope()
        """The session task's scope: close() cancels a session still starting."""


def _list_tools(session: ClientSession) -> Awaitable[types.ListToolsResult]:
    return session.list_tools()


def _list_prompts(session: ClientSession) -> Awaitable[types.ListPromptsResult]:
    return session.list_prompts()


def _list_resources(session: ClientSession) -> Awaitable[types.ListResourcesResult]:
    return session.list_resources()


def _list_resource_templates(
    session: ClientSession,
) -> Awaitable[types.ListResourceTemplatesResult]:
    return session.list_resource_templates()
