"""The host's gRPC service: connections, agent types, subscriptions and message routing.

It runs on the host's own asyncio loop (see :mod:`._host`). What it guarantees, beyond
autogen's host:

* **Request ids are the host's.** Each forwarded request gets a fresh host-wide id; the
  response is mapped back to the caller's own id. Workers' ids never collide.
* **No caller is left waiting.** A request to a type no worker serves is answered at once
  with an ``UnknownAgentTypeError``; when a worker disconnects, every request waiting on
  it is answered with a ``WorkerDisconnectedError`` and its types and subscriptions are
  removed. A caller that disconnects has its requests cancelled on their workers.
* **Several workers may serve one type.** Agent keys are spread over them by rendezvous
  hashing (:mod:`._placement`): one key lives on one worker at a time.
* **Cancellation.** A cantata caller's cancel signal reaches the worker running the handler.
* **Access control.** With a token, calls without the matching ``cantata-token`` header
  are refused with ``UNAUTHENTICATED``.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc import aio

from ..._agent_id import AgentId
from ..._constants import ROOT_LOGGER_NAME
from ..._subscriptions import Subscription
from ..._topic import TopicId
from ...exceptions import UnknownAgentTypeError
from ._constants import (
    CANCEL_METHOD,
    CLIENT_ID_HEADER,
    FEATURES_HEADER,
    PING_METHOD,
    RECIPIENTS_ATTR,
    TOKEN_HEADER,
)
from ._errors import MessageTooLargeError, WorkerDisconnectedError, encode_error
from ._placement import place
from ._wire import subscription_from_proto, subscription_to_proto
from .protos import agent_worker_pb2 as pb
from .protos import agent_worker_pb2_grpc as pb_grpc

__all__ = ["GrpcWorkerAgentRuntimeHostServicer"]

_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.runtimes.grpc.host")
_END: Any = object()


@dataclass(eq=False)
class _Client:
    id: str
    cantata: bool
    queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)
    types: list[str] = field(default_factory=list)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)


@dataclass(slots=True)
class _Pending:
    caller: str
    caller_request_id: str
    target: str


class GrpcWorkerAgentRuntimeHostServicer(pb_grpc.AgentRpcServicer):
    """The ``agents.AgentRpc`` service of a host (see the module docstring).

    Args:
        token: If set, every call must carry it in the ``cantata-token`` header.
        max_message_length: The largest message the host forwards (its send limit); a
            request over it is answered with a ``MessageTooLargeError``.
    """

    def __init__(self, *, token: str | None = None, max_message_length: int = -1) -> None:
        self._token = token
        self._max_length = max_message_length
        self._clients: dict[str, _Client] = {}
        self._type_workers: dict[str, list[str]] = {}
        self._pending: dict[str, _Pending] = {}
        self._by_caller: dict[tuple[str, str], str] = {}
        self._ids = itertools.count(1)
        self._recipient_cache: dict[TopicId, tuple[AgentId, ...]] = {}

    # -- access ----------------------------------------------------------------------------

    async def _client_id(self, context: aio.ServicerContext[Any, Any]) -> str:
        metadata = dict(context.invocation_metadata() or ())
        if self._token is not None:
            given = str(metadata.get(TOKEN_HEADER, ""))
            if not hmac.compare_digest(given.encode(), self._token.encode()):
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown worker: bad token")
        client_id = metadata.get(CLIENT_ID_HEADER)
        if not client_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "client-id metadata not found")
        return str(client_id)

    async def _connected(self, context: aio.ServicerContext[Any, Any]) -> _Client:
        client_id = await self._client_id(context)
        client = self._clients.get(client_id)
        if client is None:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"client {client_id} has no open channel: call OpenChannel first",
            )
        assert client is not None
        return client

    # -- the message channel ---------------------------------------------------------------

    async def OpenChannel(
        self,
        request_iterator: AsyncIterator[pb.Message],
        context: aio.ServicerContext[pb.Message, pb.Message],
    ) -> AsyncIterator[pb.Message]:
        client_id = await self._client_id(context)
        if client_id in self._clients:
            await context.abort(
                grpc.StatusCode.ALREADY_EXISTS, f"client {client_id} is already connected"
            )
        features = dict(context.invocation_metadata() or ()).get(FEATURES_HEADER)
        client = self._clients[client_id] = _Client(client_id, cantata=bool(features))
        _logger.info("worker %s connected", client_id)
        reader = asyncio.get_running_loop().create_task(self._read(client, request_iterator))
        try:
            await context.send_initial_metadata(())
            while True:
                item = await client.queue.get()
                if item is _END:
                    break
                yield item
        finally:
            reader.cancel()
            self._disconnect(client)

    async def _read(self, client: _Client, messages: AsyncIterator[pb.Message]) -> None:
        try:
            async for message in messages:
                kind = message.WhichOneof("message")
                if kind == "request":
                    self._on_request(client, message)
                elif kind == "response":
                    self._on_response(client, message)
                elif kind == "cloudEvent":
                    self._on_event(client, message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the stream broke: the writer ends the call
            _logger.info("worker %s stream ended: %r", client.id, exc)
        client.queue.put_nowait(_END)

    def _send(self, client_id: str, message: pb.Message) -> bool:
        client = self._clients.get(client_id)
        if client is None:
            return False
        client.queue.put_nowait(message)
        return True

    def _respond_error(self, client_id: str, request_id: str, exc: BaseException) -> None:
        response = pb.RpcResponse(request_id=request_id)
        response.error = encode_error(exc, response.metadata)
        self._send(client_id, pb.Message(response=response))

    # -- routing ---------------------------------------------------------------------------

    def _owner(self, agent_id: AgentId | pb.AgentId) -> str | None:
        workers = self._type_workers.get(agent_id.type)
        if not workers:
            return None
        return place(agent_id.key, workers)

    def _too_large(self, payload: pb.Payload, message: pb.Message) -> int | None:
        """The size of ``message`` if it is over the host's send limit (payload length is a
        cheap first check; the exact size is computed only near the limit)."""
        limit = self._max_length
        if limit < 0 or len(payload.data) + 4096 < limit:
            return None
        size = message.ByteSize()
        return size if size > limit else None

    def _on_request(self, client: _Client, message: pb.Message) -> None:
        # The message is ours (parsed for this call): it is forwarded as it is, with the
        # host's request id, instead of being copied.
        request = message.request
        if request.method == CANCEL_METHOD:
            host_id = self._by_caller.pop((client.id, request.request_id), None)
            if host_id is None:
                return
            pending = self._pending.pop(host_id)
            target = self._clients.get(pending.target)
            if target is not None and target.cantata:
                cancel = pb.RpcRequest(request_id=host_id, method=CANCEL_METHOD)
                cancel.target.CopyFrom(request.target)
                target.queue.put_nowait(pb.Message(request=cancel))
            return
        if request.method == PING_METHOD:
            self._send(
                client.id, pb.Message(response=pb.RpcResponse(request_id=request.request_id))
            )
            return
        owner = self._owner(request.target)
        if owner is None:
            self._respond_error(
                client.id, request.request_id, UnknownAgentTypeError(request.target.type)
            )
            return
        size = self._too_large(request.payload, message)
        if size is not None:
            self._respond_error(
                client.id,
                request.request_id,
                MessageTooLargeError(size, self._max_length, "the request"),
            )
            return
        host_id = str(next(self._ids))
        self._pending[host_id] = _Pending(client.id, request.request_id, owner)
        self._by_caller[(client.id, request.request_id)] = host_id
        request.request_id = host_id
        self._send(owner, message)

    def _on_response(self, client: _Client, message: pb.Message) -> None:
        response = message.response
        pending = self._pending.get(response.request_id)
        if pending is None or pending.target != client.id:
            _logger.debug(
                "dropping response %s from %s: no such request", response.request_id, client.id
            )
            return
        del self._pending[response.request_id]
        self._by_caller.pop((pending.caller, pending.caller_request_id), None)
        size = self._too_large(response.payload, message)
        if size is not None:
            self._respond_error(
                pending.caller,
                pending.caller_request_id,
                MessageTooLargeError(size, self._max_length, "the response"),
            )
            return
        response.request_id = pending.caller_request_id
        self._send(pending.caller, message)

    def _recipients(self, topic: TopicId) -> tuple[AgentId, ...]:
        cached = self._recipient_cache.get(topic)
        if cached is not None:
            return cached
        found: dict[AgentId, None] = {}
        for client in self._clients.values():
            for subscription in client.subscriptions.values():
                if subscription.is_match(topic):
                    found[subscription.map_to_agent(topic)] = None
        if len(self._recipient_cache) > 10_000:
            self._recipient_cache.clear()
        result = self._recipient_cache[topic] = tuple(found)
        return result

    def _on_event(self, client: _Client, message: pb.Message) -> None:
        event = message.cloudEvent
        topic = TopicId(event.type, event.source)
        by_owner: dict[str, list[AgentId]] = {}
        sharded = False
        for recipient in self._recipients(topic):
            owner = self._owner(recipient)
            if owner is not None:
                by_owner.setdefault(owner, []).append(recipient)
                sharded = sharded or len(self._type_workers[recipient.type]) > 1
        for owner, recipients in by_owner.items():
            target = self._clients.get(owner)
            if target is None:
                continue
            if sharded and target.cantata:
                copy = pb.Message()
                copy.cloudEvent.CopyFrom(event)
                copy.cloudEvent.attributes[RECIPIENTS_ATTR].ce_string = "\n".join(
                    sorted(str(r) for r in recipients)
                )
                target.queue.put_nowait(copy)
            else:
                target.queue.put_nowait(message)  # the same object to every worker

    # -- connections -----------------------------------------------------------------------

    def _disconnect(self, client: _Client) -> None:
        if self._clients.get(client.id) is not client:
            return
        del self._clients[client.id]
        self._recipient_cache.clear()
        for agent_type in client.types:
            workers = self._type_workers.get(agent_type, [])
            if client.id in workers:
                workers.remove(client.id)
            if not workers:
                self._type_workers.pop(agent_type, None)
        for host_id, pending in list(self._pending.items()):
            if pending.target == client.id:
                del self._pending[host_id]
                self._by_caller.pop((pending.caller, pending.caller_request_id), None)
                self._respond_error(
                    pending.caller,
                    pending.caller_request_id,
                    WorkerDisconnectedError(
                        f"the worker serving this request disconnected ({client.id})"
                    ),
                )
            elif pending.caller == client.id:
                del self._pending[host_id]
                self._by_caller.pop((pending.caller, pending.caller_request_id), None)
                target = self._clients.get(pending.target)
                if target is not None and target.cantata:
                    cancel = pb.RpcRequest(request_id=host_id, method=CANCEL_METHOD)
                    target.queue.put_nowait(pb.Message(request=cancel))
        _logger.info("worker %s disconnected", client.id)

    def close_all(self) -> None:
        """End every open channel (the host is stopping)."""
        for client in list(self._clients.values()):
            client.queue.put_nowait(_END)

    # -- unary calls -----------------------------------------------------------------------

    async def OpenControlChannel(
        self,
        request_iterator: AsyncIterator[pb.ControlMessage],
        context: aio.ServicerContext[pb.ControlMessage, pb.ControlMessage],
    ) -> AsyncIterator[pb.ControlMessage]:
        await self._client_id(context)
        await context.abort(
            grpc.StatusCode.UNIMPLEMENTED, "the control channel is not used by this host"
        )
        yield pb.ControlMessage()  # pragma: no cover - abort raises

    async def RegisterAgent(
        self, request: pb.RegisterAgentTypeRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.RegisterAgentTypeResponse:
        client = await self._connected(context)
        if request.type in client.types:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Agent type {request.type} already registered with client {client.id}",
            )
        client.types.append(request.type)
        self._type_workers.setdefault(request.type, []).append(client.id)
        _logger.info("agent type %s registered by worker %s", request.type, client.id)
        return pb.RegisterAgentTypeResponse()

    async def AddSubscription(
        self, request: pb.AddSubscriptionRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.AddSubscriptionResponse:
        client = await self._connected(context)
        try:
            subscription = subscription_from_proto(request.subscription)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise  # pragma: no cover - abort raises
        if subscription.id in client.subscriptions or subscription in client.subscriptions.values():
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"subscription {subscription.id} already exists"
            )
        client.subscriptions[subscription.id] = subscription
        self._recipient_cache.clear()
        return pb.AddSubscriptionResponse()

    async def RemoveSubscription(
        self, request: pb.RemoveSubscriptionRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.RemoveSubscriptionResponse:
        client = await self._connected(context)
        if client.subscriptions.pop(request.id, None) is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND, f"subscription {request.id} does not exist"
            )
        self._recipient_cache.clear()
        return pb.RemoveSubscriptionResponse()

    async def GetSubscriptions(
        self, request: pb.GetSubscriptionsRequest, context: aio.ServicerContext[Any, Any]
    ) -> pb.GetSubscriptionsResponse:
        await self._client_id(context)
        return pb.GetSubscriptionsResponse(subscriptions=list(self._all_subscriptions()))

    def _all_subscriptions(self) -> Iterable[pb.Subscription]:
        for client in self._clients.values():
            for subscription in client.subscriptions.values():
                yield subscription_to_proto(subscription)
