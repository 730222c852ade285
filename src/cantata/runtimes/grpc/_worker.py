"""``GrpcWorkerAgentRuntime``: a process's agents, connected to the host.

Local delivery goes through a :class:`~cantata.SingleThreadedAgentRuntime` (used only
through its public API), so handlers in a worker keep the in-process runtime's ordering,
cancellation and error rules; agents see the worker as their ``runtime``. On Trio, gRPC
(whose async API is asyncio-only) runs on an asyncio loop in a thread the worker owns
(:mod:`._loop_thread`, :mod:`._link`): the caller's loop only hands messages to it and is
woken through an AnyIO portal when something arrives, so it is never blocked. On asyncio
gRPC runs on the caller's loop (or in the thread too, with ``grpc_thread=True``).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from types import TracebackType
from typing import Any, TypeVar, cast

import anyio
import grpc
from anyio.abc import TaskGroup, TaskStatus
from anyio.from_thread import BlockingPortal

from ... import SingleThreadedAgentRuntime
from ..._agent_id import AgentId
from ..._agents._agent import Agent
from ..._cancellation_token import CancellationToken
from ..._constants import ROOT_LOGGER_NAME
from ..._contexts import MessageHandlerContext
from ..._message_context import MessageContext
from ..._serialization import (
    JSON_DATA_CONTENT_TYPE,
    PROTOBUF_DATA_CONTENT_TYPE,
    MessageSerializer,
    SerializationRegistry,
)
from ..._subscriptions import Subscription
from ..._topic import TopicId
from ...exceptions import (
    MessageCancelledError,
    RuntimeStoppedError,
)
from ._constants import (
    CANCEL_METHOD,
    CHAIN_META,
    MESSAGE_ID_META,
    PING_METHOD,
    RESPONSE_FORMAT_META,
    WORKER_KEEPALIVE_OPTIONS,
)
from ._delivery import RecipientFilter
from ._errors import (
    HostConnectionError,
    MessageTooLargeError,
    WorkerNotRunningError,
    decode_error,
    encode_error,
)
from ._link import Link
from ._loop_thread import LoopThread
from ._payloads import PayloadCodec
from ._tracing import TraceContext
from ._wire import (
    GrpcOptions,
    agent_id_from_proto,
    agent_id_to_proto,
    merge_options,
    send_limit,
    subscription_to_proto,
)
from ._worker_agents import WorkerAgents
from .protos import agent_worker_pb2 as pb
from .protos import cloudevent_pb2 as ce

__all__ = ["GrpcWorkerAgentRuntime"]

T = TypeVar("T", bound=Agent)
# The RPC chain the current handler runs in (see _on_request).
_chain: ContextVar[tuple[str, ...]] = ContextVar("cantata.grpc.chain", default=())
_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.runtimes.grpc.worker")
_AGENT: Any = Agent
_REFUSED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
_OVERHEAD = 1024  # room for the envelope around a payload
_MARGIN = 128 * 1024  # envelope + metadata (tracebacks are capped at 64 KiB) below this


def _on_asyncio() -> bool:
    """Is the calling task on asyncio? (Trio depends on sniffio; without it, asyncio.)"""
    try:
        import sniffio
    except ImportError:  # pragma: no cover - sniffio comes with Trio
        return True
    return sniffio.current_async_library() == "asyncio"


def _unwrap(exc: BaseException) -> BaseException:
    """The one exception inside nested single-member exception groups, else ``exc``."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


class _Call:
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        if not self.done.is_set():
            self.result, self.error = result, error
            self.done.set()


class GrpcWorkerAgentRuntime(WorkerAgents):
    """An :class:`~cantata.AgentRuntime` whose agents talk to other processes through a host.

    Run it with ``await runtime.start()`` ... ``await runtime.stop()`` (asyncio) or
    ``async with runtime:`` (asyncio and Trio).

    Guarantees, beyond autogen's worker:

    * An RPC's caller always gets an answer or an error: the recipient's response; its
      exception (builtin and cantata exceptions as their own class, others as
      :class:`RemoteException`, all with the remote traceback); ``UnknownAgentTypeError``
      when no worker serves the type; :class:`SerializationError` naming the type when the
      response cannot be deserialized here; :class:`WorkerDisconnectedError` when the
      serving worker dies (within about 10 s, at once when its process exits);
      :class:`HostConnectionError` when this worker's own connection drops mid-request;
      ``RuntimeStoppedError`` at stop.
    * Cancelling the ``cancellation_token`` (or the caller's cancel scope) cancels the
      remote handler too (when the serving worker is a cantata worker).
    * The connection to the host is kept: it is reopened with exponential backoff (from
      ``reconnect_backoff[0]`` to ``[1]`` seconds) and agent types and subscriptions are
      registered again before anything queued meanwhile is sent. Messages sent while
      disconnected wait for the connection.
    * Payloads use ``payload_serialization_format`` when the type has a serializer for it
      (protobuf messages always can use ``application/x-protobuf``), requests and responses
      alike. Types without a registered serializer get the known one (dataclasses, attrs,
      pydantic, protobuf) on first use.
    * A message over the gRPC size limit fails at once with :class:`MessageTooLargeError`
      naming the limit, instead of breaking the connection.

    Args:
        host_address: The host's ``host:port``.
        tracer_provider: OpenTelemetry tracer provider for spans (local runtime spans and
            trace context carried across the wire as W3C ``traceparent``).
        extra_grpc_config: gRPC channel options, merged over the defaults (keepalive).
        payload_serialization_format: ``application/json`` (default) or
            ``application/x-protobuf``.
        channel_credentials: ``grpc.ssl_channel_credentials(...)`` for TLS.
        token: The host's shared token, if it requires one.
        connect_timeout: How long :meth:`start` waits for the first connection.
        reconnect_backoff: First and longest wait between connection attempts (seconds).
        ignore_unhandled_exceptions: As for :class:`~cantata.SingleThreadedAgentRuntime`.
        grpc_thread: Run gRPC on an asyncio loop in a thread of the worker's own. ``None``
            (default): only when the caller's loop is not asyncio (Trio); on asyncio gRPC
            shares the caller's loop, which saves two thread switches per message.
    """

    def __init__(
        self,
        host_address: str = "localhost:50051",
        tracer_provider: Any = None,
        extra_grpc_config: GrpcOptions | None = None,
        payload_serialization_format: str = JSON_DATA_CONTENT_TYPE,
        *,
        channel_credentials: grpc.ChannelCredentials | None = None,
        token: str | None = None,
        connect_timeout: float = 30.0,
        reconnect_backoff: tuple[float, float] = (0.05, 5.0),
        ignore_unhandled_exceptions: bool = True,
        grpc_thread: bool | None = None,
    ) -> None:
        if payload_serialization_format not in (JSON_DATA_CONTENT_TYPE, PROTOBUF_DATA_CONTENT_TYPE):
            raise ValueError(
                f"unsupported payload_serialization_format {payload_serialization_format!r}"
            )
        self._host_address = host_address
        self._options = merge_options(WORKER_KEEPALIVE_OPTIONS, extra_grpc_config)
        self._limit = send_limit(self._options)
        self._format = payload_serialization_format
        self._credentials = channel_credentials
        self._token = token
        self._connect_timeout = connect_timeout
        self._backoff = reconnect_backoff
        self._grpc_thread = grpc_thread
        self._local = SingleThreadedAgentRuntime(
            tracer_provider=tracer_provider,
            ignore_unhandled_exceptions=ignore_unhandled_exceptions,
        )
        self._trace = TraceContext(tracer_provider)
        self._serialization = SerializationRegistry()
        self._codec = PayloadCodec(self._serialization, payload_serialization_format)
        self._types: set[str] = set()
        self._wire_subscriptions: dict[str, pb.Subscription] = {}
        self._instances: dict[str, dict[str, Agent]] = {}
        self._makers: dict[str, Callable[[], Awaitable[Agent]]] = {}
        self._filter = RecipientFilter()
        self._ids = f"{uuid.uuid4().hex[:12]}-"
        self._counter = 0
        # per run
        self._thread: LoopThread | None = None
        self._link: Link | None = None
        self._portal: BlockingPortal | None = None
        self._tg: TaskGroup | None = None
        self._calls: dict[str, _Call] = {}
        self._handling: dict[str, CancellationToken] = {}
        self._inbox: deque[tuple[Any, ...]] = deque()
        self._wake_pending = False
        self._wake = anyio.Event()
        self._connected = anyio.Event()
        self._connect_error: BaseException | None = None
        self._running = False
        self._stop_requested: anyio.Event | None = None
        self._done: anyio.Event | None = None
        self._run_error: BaseException | None = None
        self._outer: TaskGroup | None = None
        self._bg_task: Any = None

    # -- running -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the host and start processing (asyncio; on Trio use ``async with``).

        Returns once connected and ready.

        Raises:
            RuntimeError: already started, or on Trio.
            HostConnectionError: no connection within ``connect_timeout`` seconds.
        """
        if not _on_asyncio():
            raise RuntimeError(
                "start() needs asyncio; on Trio run the worker with `async with runtime:`"
            )
        if self._stop_requested is not None:
            raise RuntimeError("the worker runtime is already started")
        import asyncio

        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        class _Status:
            def started(self, value: object = None) -> None:
                if not started.done():
                    started.set_result(None)

        async def run() -> None:
            try:
                await self._serve(task_status=cast(TaskStatus[None], _Status()))
            except BaseException as exc:
                error = _unwrap(exc)
                if not started.done():
                    started.set_exception(error)
                else:
                    self._run_error = error

        task = self._bg_task = asyncio.get_running_loop().create_task(run())
        try:
            await started
        except BaseException:
            # failed, or the caller was cancelled while connecting: nothing is left running
            self._bg_task = None
            task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([task])
            self._run_error = None
            raise

    async def __aenter__(self) -> GrpcWorkerAgentRuntime:
        if self._stop_requested is not None:
            raise RuntimeError("the worker runtime is already started")
        outer = anyio.create_task_group()
        await outer.__aenter__()
        try:
            await outer.start(self._serve)
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                await outer.__aexit__(type(exc), exc, exc.__traceback__)
            raise _unwrap(exc) from None
        self._outer = outer
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        outer, self._outer = self._outer, None
        if self._stop_requested is not None:
            self._stop_requested.set()
        if outer is not None:
            try:
                await outer.__aexit__(None, None, None)
            except BaseException as error:
                raise _unwrap(error) from None
        self._raise_run_error()

    def _raise_run_error(self) -> None:
        error, self._run_error = self._run_error, None
        if error is not None:
            raise error

    async def _serve(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        self._stop_requested = anyio.Event()
        self._done = anyio.Event()
        self._connected = anyio.Event()
        self._connect_error = None
        inline = self._grpc_thread is False or (self._grpc_thread is None and _on_asyncio())
        thread = LoopThread("cantata-grpc-worker", inline=inline)
        try:
            async with BlockingPortal() as portal:
                self._portal = None if inline else portal
                thread.start()
                self._thread = thread
                link = self._link = Link(
                    self._host_address,
                    self._options,
                    self._credentials,
                    self._token,
                    self._on_link_event,
                    self._backoff,
                )
                link.preload(sorted(self._types), list(self._wire_subscriptions.values()))
                link_done = thread.spawn(link.run())
                try:
                    async with anyio.create_task_group() as tg:
                        self._tg = tg
                        tg.start_soon(self._consume)
                        with anyio.move_on_after(self._connect_timeout):
                            await self._connected.wait()
                        if not self._connected.is_set() or self._refused():
                            raise HostConnectionError(
                                f"cannot connect to the host at {self._host_address} within "
                                f"{self._connect_timeout} s"
                                + (f": {self._connect_error}" if self._connect_error else "")
                            )
                        async with self._local:
                            self._running = True
                            task_status.started()
                            await self._stop_requested.wait()
                            self._running = False
                            # first, so local handlers waiting on remote replies end too
                            self._fail_calls(
                                RuntimeStoppedError(None, "the worker runtime stopped")
                            )
                        tg.cancel_scope.cancel()
                finally:
                    self._running = False
                    self._tg = None
                    thread.call_soon(link.close)
                    with anyio.CancelScope(shield=True):
                        try:
                            await link_done()
                        except BaseException as exc:  # pragma: no cover - logged only
                            _logger.debug("link ended with %r", exc)
                        self._fail_calls(RuntimeStoppedError(None, "the worker runtime stopped"))
        finally:
            with anyio.CancelScope(shield=True):
                await thread.close()
            self._portal = None
            self._thread = None
            self._link = None
            self._inbox.clear()
            self._handling.clear()
            self._stop_requested = None
            done, self._done = self._done, None
            done.set()

    def _refused(self) -> bool:
        error = self._connect_error
        return isinstance(error, grpc.aio.AioRpcError) and error.code() in _REFUSED

    async def stop(self) -> None:
        """Stop: running handlers finish, pending RPCs fail with ``RuntimeStoppedError``,
        the connection closes and the worker's thread ends.

        Raises:
            RuntimeError: not started.
        """
        if self._stop_requested is None or self._done is None:
            raise RuntimeError("the worker runtime is not started")
        done = self._done
        self._stop_requested.set()
        await done.wait()
        task, self._bg_task = self._bg_task, None
        if task is not None:
            await task
        self._raise_run_error()

    async def stop_when_signal(
        self, signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT)
    ) -> None:
        """Wait for one of ``signals`` (main thread only), then :meth:`stop`."""
        with anyio.open_signal_receiver(*signals) as received:
            async for _ in received:
                break
        await self.stop()

    async def stop_when(self, condition: Callable[[], bool], check_period: float = 0.05) -> None:
        """Stop once ``condition()`` is true (checked every ``check_period`` seconds)."""
        while not condition():  # noqa: ASYNC110 - a plain condition has no event to wait on
            await anyio.sleep(check_period)
        await self.stop()

    async def stop_when_idle(self) -> None:
        """Stop once this worker is idle: everything it sent has passed the host, every
        message the host had routed to it by then is handled, and nothing it handles is
        running or queued.

        Idleness is this worker's own. A system of several workers has no global idle point
        the workers can observe without a termination-detection protocol (a message may be
        in flight between two other processes), so for a whole deployment end on a
        completion message or :meth:`stop_when` instead.
        """
        if self._stop_requested is None:
            raise RuntimeError("the worker runtime is not started")
        await self._ping()
        await self._local.stop_when_idle()
        await self.stop()

    # -- the link ----------------------------------------------------------------------------

    def _on_link_event(self, event: tuple[Any, ...]) -> None:
        """Called on the loop thread: queue ``event`` and wake the consumer if it sleeps."""
        self._inbox.append(event)
        if not self._wake_pending:
            self._wake_pending = True
            portal = self._portal
            if portal is None:  # gRPC runs on this loop: no thread to cross
                self._wake_up()
            else:
                with contextlib.suppress(RuntimeError):  # the portal closed: stopping
                    portal.start_task_soon(self._wake_up)

    def _wake_up(self) -> None:
        self._wake.set()

    async def _consume(self) -> None:
        inbox = self._inbox
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            self._wake_pending = False
            while inbox:
                event = inbox.popleft()
                kind = event[0]
                if kind == "message":
                    await self._on_message(event[1])
                elif kind == "connected":
                    self._connect_error = None
                    self._connected.set()
                elif kind == "disconnected":
                    self._on_disconnect(event[1], event[2])
                elif kind == "retrying":
                    self._connect_error = error = event[1]
                    code = error.code() if isinstance(error, grpc.aio.AioRpcError) else None
                    if code in _REFUSED and not self._running:
                        self._connected.set()  # wakes start(), which reports the refusal

    def _on_disconnect(self, written: set[str], error: BaseException | None) -> None:
        reason = (
            f"the connection to the host was lost ({error!r})"
            if error
            else ("the host closed the connection")
        )
        for request_id in written:
            call = self._calls.get(request_id)
            if call is not None:
                call.finish(error=HostConnectionError(reason))
        for token in self._handling.values():
            token.cancel()  # their callers are answered by the host

    async def _on_message(self, message: pb.Message) -> None:
        kind = message.WhichOneof("message")
        if kind == "cloudEvent":
            await self._on_event(message.cloudEvent)
        elif kind == "response":
            self._on_response(message.response)
        elif kind == "request":
            request = message.request
            if request.method == CANCEL_METHOD:
                token = self._handling.get(request.request_id)
                if token is not None:
                    token.cancel()
            elif self._tg is not None:
                self._tg.start_soon(self._on_request, request)

    def _send(self, message: pb.Message, what: str, data_size: int = 0) -> None:
        """Queue ``message`` for the host. ``data_size`` (its payload's length) spares
        computing the exact size of messages far below the limit.

        Raises:
            MessageTooLargeError: the message is over the gRPC size limit.
        """
        limit = self._limit
        if limit >= 0 and data_size + _MARGIN >= limit:
            size = message.ByteSize()
            if size + _OVERHEAD > limit:
                raise MessageTooLargeError(size, limit, what)
        thread, link = self._thread, self._link
        if thread is None or link is None:
            raise RuntimeError("the worker runtime is not running")
        thread.call_soon(link.send, message)

    def _fail_calls(self, error: BaseException) -> None:
        for call in self._calls.values():
            call.finish(error=error)

    def _check_running(self) -> None:
        if not self._running:
            raise WorkerNotRunningError("Runtime must be running when sending message.")

    def _next_id(self) -> str:
        self._counter += 1
        return f"{self._ids}{self._counter}"

    async def _ping(self) -> None:
        """A round trip through the host on the message stream (orders after earlier sends)."""
        request_id = self._next_id()
        call = self._calls[request_id] = _Call()
        try:
            self._send(
                pb.Message(request=pb.RpcRequest(request_id=request_id, method=PING_METHOD)), "ping"
            )
            await call.done.wait()
        finally:
            self._calls.pop(request_id, None)

    # -- RPC ---------------------------------------------------------------------------------

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Send ``message`` to ``recipient`` (in any worker) and return its response.

        Raises:
            UnknownAgentTypeError: no worker serves ``recipient.type``.
            MessageCancelledError: ``cancellation_token`` was cancelled.
            RemoteException: the handler raised an exception of a non-builtin class
                (builtin and cantata exceptions are raised as their own class).
            SerializationError: the message or the response has no serializer here.
            MessageTooLargeError: the message is over the gRPC size limit.
            WorkerDisconnectedError, HostConnectionError, RuntimeStoppedError: see above.
        """
        self._check_running()
        if cancellation_token is not None and cancellation_token.is_cancelled():
            raise MessageCancelledError(f"message to {recipient} was cancelled before sending")
        request_id = self._next_id()
        envelope = pb.Message()
        request = envelope.request
        request.request_id = request_id
        request.target.type = recipient.type
        request.target.key = recipient.key
        data_size = len(self._codec.encode(message, into=request.payload).data)
        if sender is not None:
            request.source.type = sender.type
            request.source.key = sender.key
        if message_id is not None:
            request.metadata[MESSAGE_ID_META] = message_id
        if self._format != JSON_DATA_CONTENT_TYPE:
            request.metadata[RESPONSE_FORMAT_META] = self._format
        chain = _chain.get()
        if sender is not None:
            chain = (*chain, str(sender))
        if chain:
            request.metadata[CHAIN_META] = "\n".join(chain)
        self._trace.inject(request.metadata)
        call = self._calls[request_id] = _Call()
        try:
            self._send(envelope, f"the message to {recipient}", data_size)
            if cancellation_token is not None:
                cancellation_token.add_callback(
                    lambda: call.finish(
                        error=MessageCancelledError(f"message to {recipient} was cancelled")
                    )
                )
            try:
                await call.done.wait()
            except anyio.get_cancelled_exc_class():
                self._cancel_remote(request_id, recipient)
                raise
            if isinstance(call.error, MessageCancelledError):
                self._cancel_remote(request_id, recipient)
        finally:
            del self._calls[request_id]
        if call.error is not None:
            raise call.error
        return call.result

    def _cancel_remote(self, request_id: str, recipient: AgentId) -> None:
        if self._running:
            cancel = pb.RpcRequest(
                request_id=request_id, method=CANCEL_METHOD, target=agent_id_to_proto(recipient)
            )
            self._send(pb.Message(request=cancel), "cancel")

    def _on_response(self, response: pb.RpcResponse) -> None:
        call = self._calls.get(response.request_id)
        if call is None:
            return
        if response.error or response.metadata.get("cantata-error-type"):
            call.finish(error=decode_error(response.error, response.metadata))
            return
        try:
            result = self._codec.decode(response.payload, "the response")
        except Exception as exc:
            call.finish(error=exc)
        else:
            call.finish(result)

    async def _on_request(self, request: pb.RpcRequest) -> None:
        request_id = request.request_id
        token = CancellationToken()
        self._handling[request_id] = token
        envelope = pb.Message()
        response = envelope.response
        response.request_id = request_id
        data_size = 0
        try:
            message = self._codec.decode(request.payload, "the request")
            target = agent_id_from_proto(request.target)
            sender = agent_id_from_proto(request.source) if request.HasField("source") else None
            message_id = request.metadata.get(MESSAGE_ID_META) or request_id
            chain = (
                tuple(request.metadata[CHAIN_META].split("\n"))
                if CHAIN_META in request.metadata
                else ()
            )
            reset = _chain.set(chain)
            try:
                with self._trace.handling(request.metadata):
                    if str(target) in chain:
                        result = await self._reenter(message, target, sender, token, message_id)
                    else:
                        result = await self._local.send_message(
                            message,
                            target,
                            sender=sender,
                            cancellation_token=token,
                            message_id=message_id,
                        )
            finally:
                _chain.reset(reset)
            preferred = request.metadata.get(RESPONSE_FORMAT_META)
            data_size = len(self._codec.encode(result, preferred, into=response.payload).data)
        except MessageCancelledError:
            if token.is_cancelled():
                return  # the caller gave up; nobody waits for an answer
            raise
        except Exception as exc:
            response.ClearField("payload")
            response.error = encode_error(exc, response.metadata)
        finally:
            self._handling.pop(request_id, None)
        if not self._running and self._link is None:
            return
        try:
            self._send(envelope, "the response", data_size)
        except MessageTooLargeError as exc:
            failed = pb.RpcResponse(request_id=request_id)
            failed.error = encode_error(exc, failed.metadata)
            self._send(pb.Message(response=failed), "the error")

    async def _reenter(
        self,
        message: Any,
        target: AgentId,
        sender: AgentId | None,
        token: CancellationToken,
        message_id: str,
    ) -> Any:
        """Deliver an RPC that comes back into an agent waiting in its own chain
        (A -> B -> A across workers) at once, as the local runtime does for local chains:
        queued behind the message it is handling, it would wait for itself."""
        agent = self._filter.unwrap(await self._local.try_get_underlying_agent_instance(target))
        ctx = MessageContext(
            sender=sender,
            topic_id=None,
            is_rpc=True,
            cancellation_token=token,
            message_id=message_id,
        )
        with MessageHandlerContext.populate_context(target):
            return await agent.on_message(message, ctx)

    # -- publish -------------------------------------------------------------------------------

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish ``message`` to ``topic_id``: every subscribed agent in every worker gets it
        once (the sender excepted). Returns once the message is queued for the host.

        Raises:
            SerializationError: the message has no serializer here.
            MessageTooLargeError: the message is over the gRPC size limit.
        """
        self._check_running()
        envelope = pb.Message()
        event = envelope.cloudEvent
        data_size = self._codec.event(
            event, message, topic_id, sender, message_id or str(uuid.uuid4())
        )
        self._trace.inject_attributes(event.attributes)
        self._send(envelope, f"the message published to {topic_id}", data_size)

    async def _on_event(self, event: ce.CloudEvent) -> None:
        try:
            received = self._codec.read_event(event)
        except Exception:
            _logger.exception("dropping event %s: its payload does not deserialize", event.id)
            return
        with (
            self._trace.handling_attributes(event.attributes),
            self._filter.only(received.recipients),
        ):
            try:
                await self._local.publish_message(
                    received.message, received.topic, sender=received.sender, message_id=event.id
                )
            except Exception:
                _logger.exception("publishing event %s locally failed", event.id)

    # -- the host side of agent registration ----------------------------------------

    async def _announce_type(self, name: str) -> None:
        thread, link = self._thread, self._link
        if thread is None or link is None:
            return  # registered with the host when the worker connects
        try:
            await thread.run(link.register_type(name))
        except grpc.aio.AioRpcError as exc:
            raise ValueError(f"the host refused agent type {name!r}: {exc.details()}") from exc

    # -- subscriptions and serializers -------------------------------------------------------------

    async def add_subscription(self, subscription: Subscription) -> None:
        """Add ``subscription`` here and on the host.

        Raises:
            ValueError: a kind the wire cannot carry, a duplicate, or refused by the host.
        """
        wire = subscription_to_proto(subscription)
        await self._local.add_subscription(subscription)
        thread, link = self._thread, self._link
        if thread is not None and link is not None:
            try:
                await thread.run(link.add_subscription(wire))
            except grpc.aio.AioRpcError as exc:
                await self._local.remove_subscription(subscription.id)
                raise ValueError(f"the host refused subscription: {exc.details()}") from exc
        self._wire_subscriptions[subscription.id] = wire  # registered again on reconnecting

    async def remove_subscription(self, id: str) -> None:
        """Remove a subscription here and on the host."""
        await self._local.remove_subscription(id)
        self._wire_subscriptions.pop(id, None)
        thread, link = self._thread, self._link
        if thread is not None and link is not None:
            await thread.run(link.remove_subscription(id))

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers for message types that cross the wire."""
        self._serialization.add_serializer(serializer)
