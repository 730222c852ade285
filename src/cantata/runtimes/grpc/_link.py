"""A worker's connection to the host; it lives on the worker's loop thread (asyncio).

It keeps one ``OpenChannel`` stream open and reopens it when it ends: with exponential
backoff and jitter, a fresh client id per connection, and the worker's agent types and
subscriptions registered again before anything queued is sent. Everything it learns goes
to ``sink`` (called on the loop thread; the worker hands it to its own loop):

* ``("connected", client_id)`` once a connection is open and registered;
* ``("message", pb.Message)`` for each message from the host;
* ``("disconnected", request_ids, error)`` when an open connection ends: the ids of the
  requests written to it (their responses can no longer come);
* ``("retrying", error)`` when an attempt to connect failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable
from typing import Any

import grpc
from grpc import aio

from ..._constants import ROOT_LOGGER_NAME
from ._constants import CLIENT_ID_HEADER, FEATURES, FEATURES_HEADER, TOKEN_HEADER
from ._wire import GrpcOptions
from .protos import agent_worker_pb2 as pb
from .protos import agent_worker_pb2_grpc as pb_grpc

_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.runtimes.grpc.worker")

Sink = Callable[[tuple[Any, ...]], None]
_UNARY_TIMEOUT = 30.0


class Link:
    """The host connection of one worker (all methods run on the worker's loop thread)."""

    def __init__(
        self,
        address: str,
        options: GrpcOptions,
        credentials: grpc.ChannelCredentials | None,
        token: str | None,
        sink: Sink,
        backoff: tuple[float, float],
    ) -> None:
        self._address = address
        self._options = options
        self._credentials = credentials
        self._token = token
        self._sink = sink
        self._backoff = backoff
        self._outbound: asyncio.Queue[pb.Message] | None = None
        self._types: list[str] = []
        self._subscriptions: dict[str, pb.Subscription] = {}
        self._stub: Any = None
        self._metadata: tuple[tuple[str, str], ...] = ()
        self._closing = False
        self._call: Any = None
        self._wake_closing: asyncio.Event | None = None

    def preload(self, types: list[str], subscriptions: list[pb.Subscription]) -> None:
        """Types and subscriptions to register on connecting (before :meth:`run`)."""
        self._types = list(types)
        self._subscriptions = {s.id: s for s in subscriptions}

    # -- called through LoopThread.call_soon / submit ---------------------------------------

    def send(self, message: pb.Message) -> None:
        assert self._outbound is not None
        self._outbound.put_nowait(message)

    async def register_type(self, agent_type: str) -> None:
        self._types.append(agent_type)
        if self._stub is not None:
            try:
                await self._stub.RegisterAgent(
                    pb.RegisterAgentTypeRequest(type=agent_type),
                    metadata=self._metadata,
                    timeout=_UNARY_TIMEOUT,
                )
            except BaseException:
                self._types.remove(agent_type)
                raise

    async def add_subscription(self, subscription: pb.Subscription) -> None:
        self._subscriptions[subscription.id] = subscription
        if self._stub is not None:
            try:
                await self._stub.AddSubscription(
                    pb.AddSubscriptionRequest(subscription=subscription),
                    metadata=self._metadata,
                    timeout=_UNARY_TIMEOUT,
                )
            except BaseException:
                del self._subscriptions[subscription.id]
                raise

    async def remove_subscription(self, subscription_id: str) -> None:
        removed = self._subscriptions.pop(subscription_id, None)
        if self._stub is not None and removed is not None:
            await self._stub.RemoveSubscription(
                pb.RemoveSubscriptionRequest(id=subscription_id),
                metadata=self._metadata,
                timeout=_UNARY_TIMEOUT,
            )

    async def get_subscriptions(self) -> list[pb.Subscription]:
        if self._stub is None:
            raise ConnectionError("not connected to the host")
        response = await self._stub.GetSubscriptions(
            pb.GetSubscriptionsRequest(), metadata=self._metadata, timeout=_UNARY_TIMEOUT
        )
        return list(response.subscriptions)

    def close(self) -> None:
        self._closing = True
        if self._wake_closing is not None:
            self._wake_closing.set()
        if self._call is not None:
            self._call.cancel()

    # -- the connection loop -----------------------------------------------------------------

    def _channel(self) -> aio.Channel:
        if self._credentials is None:
            return aio.insecure_channel(self._address, options=self._options)
        return aio.secure_channel(self._address, self._credentials, options=self._options)

    async def run(self) -> None:
        self._outbound = asyncio.Queue()
        self._wake_closing = asyncio.Event()
        delay, ceiling = self._backoff
        while not self._closing:
            client_id = str(uuid.uuid4())
            metadata: tuple[tuple[str, str], ...] = (
                (CLIENT_ID_HEADER, client_id),
                (FEATURES_HEADER, FEATURES),
            )
            if self._token is not None:
                metadata += ((TOKEN_HEADER, self._token),)
            opened = False
            written: set[str] = set()
            error: BaseException | None = None
            channel = self._channel()
            writer: asyncio.Task[None] | None = None
            try:
                stub = pb_grpc.AgentRpcStub(channel)  # type: ignore[no-untyped-call]  # generated stub
                call = stub.OpenChannel(metadata=metadata)
                await self._until_closing(call.wait_for_connection())
                # A refusal (bad token, ...) may end the stream just after it opened: a unary
                # call fails with the same status for sure.
                await stub.GetSubscriptions(
                    pb.GetSubscriptionsRequest(), metadata=metadata, timeout=_UNARY_TIMEOUT
                )
                self._stub, self._metadata = stub, metadata
                for agent_type in list(self._types):
                    await stub.RegisterAgent(
                        pb.RegisterAgentTypeRequest(type=agent_type),
                        metadata=metadata,
                        timeout=_UNARY_TIMEOUT,
                    )
                for subscription in list(self._subscriptions.values()):
                    await stub.AddSubscription(
                        pb.AddSubscriptionRequest(subscription=subscription),
                        metadata=metadata,
                        timeout=_UNARY_TIMEOUT,
                    )
                opened = True
                delay = self._backoff[0]
                writer = asyncio.get_running_loop().create_task(self._write(call, written))
                self._sink(("connected", client_id))
                self._call = call
                if self._closing:
                    call.cancel()
                sink = self._sink
                while True:
                    message = await call.read()
                    if message is aio.EOF:
                        break
                    sink(("message", message))
            except asyncio.CancelledError:
                if not self._closing:
                    raise
            except _Closing:
                pass
            except Exception as exc:
                error = exc
            finally:
                self._stub = None
                self._call = None
                if writer is not None:
                    writer.cancel()
                await channel.close(grace=None)
            if opened:
                self._sink(("disconnected", written, error))
            elif not self._closing:
                self._sink(("retrying", error))
            if self._closing:
                break
            _logger.info("host connection ended (%r); reconnecting in %.2fs", error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_closing.wait(), delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, ceiling)

    async def _until_closing(self, awaitable: Any) -> Any:
        """Await ``awaitable`` unless the link is closed first (then raise _Closing)."""
        assert self._wake_closing is not None
        task = asyncio.ensure_future(awaitable)
        closing = asyncio.ensure_future(self._wake_closing.wait())
        try:
            done, _ = await asyncio.wait({task, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if task in done:
            return task.result()
        task.cancel()
        raise _Closing

    async def _write(self, call: Any, written: set[str]) -> None:
        assert self._outbound is not None
        queue = self._outbound
        while True:
            message = await queue.get()
            if message.WhichOneof("message") == "request":
                written.add(message.request.request_id)
            try:
                await call.write(message)
            except Exception as exc:  # the stream broke; the read side reports it
                _logger.debug("write failed: %r", exc)
                return


class _Closing(Exception):
    pass
