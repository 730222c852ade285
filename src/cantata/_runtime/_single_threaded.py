""":class:`SingleThreadedAgentRuntime`: the in-process runtime."""

from __future__ import annotations

import contextvars
import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from .._agent_id import AgentId
from .._agent_metadata import AgentMetadata
from .._agent_type import AgentType
from .._agents._agent import Agent
from .._cancellation_token import CancellationToken
from .._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME
from .._intervention import InterventionHandler
from .._message_context import MessageContext
from .._serialization import MessageSerializer, SerializationRegistry
from ..exceptions import (
    MessageCancelledError,
    RuntimeStoppedError,
    UnknownAgentTypeError,
)
from ..logging import (
    DeliveryStage,
    MessageKind,
)
from ._chain import chain_var
from ._checkpoint import restore_checkpoint, take_checkpoint
from ._directory import AgentDirectory
from ._events import INFO, event_logger, log_message
from ._interventions import DROPPED, intervene_publish, intervene_send
from ._lifecycle import Lifecycle
from ._records import Delivery, Reply
from ._runtime_dispatcher import RuntimeDispatcher, TracedDispatcher
from ._subscription_index import SubscriptionIndex
from ._telemetry import runtime_tracer
from ._trace import TraceHook

if TYPE_CHECKING:
    from .._subscriptions import Subscription
    from .._topic import TopicId
    from ._scheduling import DeliveryScheduler

T = TypeVar("T", bound="Agent")

_logger = logging.getLogger(ROOT_LOGGER_NAME)
_event_logger = logging.getLogger(EVENT_LOGGER_NAME)
_copy_context = contextvars.copy_context
_AGENT: Any = Agent  # the default of try_get_underlying_agent_instance(type=...)


class SingleThreadedAgentRuntime(Lifecycle):
    """An in-process agent runtime on AnyIO: asyncio and Trio, deterministic, no lost messages.

    Guarantees (each checked by property tests on both backends):

    1. **Ordering.** Deliveries to one agent start in the order their messages entered the
       runtime; each subscriber sees a topic's messages in publish order. An agent instance
       handles one message at a time (its class may raise ``max_concurrency`` to opt in to
       concurrent handling). An RPC chain that comes back into an agent it already passed
       through (A -> B -> A, A -> A) is admitted at once instead of deadlocking, and so is an
       RPC to an agent that waits, through queued RPCs, for the caller's chain (A waits for
       B while B, in another chain, calls A).
    2. **Determinism.** If handlers only await the runtime, the delivery trace (see
       :meth:`add_trace_hook`) is the same in every run and on asyncio and Trio.
    3. **Idle-stop.** :meth:`stop_when_idle` returns exactly when nothing is queued and no
       handler runs; every message is delivered exactly once. Dropping or raising
       intervention handlers and cancelled RPCs do not make it hang.
    4. **Cancellation.** Cancelling the token passed to :meth:`send_message` (or the caller's
       own cancel scope) cancels the handler processing the message, also when the token
       is passed on to nested sends. The caller gets :class:`MessageCancelledError`, which on
       asyncio is an ``asyncio.CancelledError``; when the caller's own scope is cancelled it
       sees the backend's usual cancellation.
    5. **Nothing lost, nothing leaked.** Stopping fails undelivered RPCs with
       :class:`RuntimeStoppedError`, keeps queued publishes for the next start, and leaves
       no handler task running (see :mod:`cantata._runtime._lifecycle`). A factory runs
       exactly once per agent id.
    6. **Errors.** An RPC handler's exception reaches the caller as the same object. A
       publish handler's exception is logged and, with
       ``ignore_unhandled_exceptions=False``, raised from :meth:`stop`,
       :meth:`stop_when_idle` or the ``async with`` exit (several as an ``ExceptionGroup``).
       An unknown recipient type raises :class:`UnknownAgentTypeError`.
    7. **Delivery details.** A publish reaches each subscribed agent once, even if several
       subscriptions map the topic to it; the sender does not receive its own publish. A
       handler runs with the context variables of the code that sent its message.

    Args:
        intervention_handlers: Handlers applied in order, each to the previous one's output
            (``None`` means no change); they run in the task of the sender.
        tracer_provider: An OpenTelemetry ``TracerProvider`` for the runtime's ``create``,
            ``publish`` and ``process`` spans (see ``_runtime/_telemetry.py``). ``None``
            uses the global provider if one is configured when the runtime is created;
            with neither, no spans are made and OpenTelemetry is never imported.
        ignore_unhandled_exceptions: If False, publish-handler errors are raised when the
            runtime stops.
        scheduler: A :class:`~cantata._runtime._scheduling.DeliveryScheduler` asked which
            ready delivery runs next and which ready RPC caller resumes first, whenever there
            is more than one (``cantata.testing`` explores schedules with it). ``None`` (the
            default) runs them in FIFO order and costs nothing.
    """

    def __init__(
        self,
        *,
        intervention_handlers: list[InterventionHandler] | None = None,
        tracer_provider: Any = None,
        ignore_unhandled_exceptions: bool = True,
        scheduler: DeliveryScheduler | None = None,
    ) -> None:
        super().__init__()
        self._directory = AgentDirectory(self)
        self._tracer = runtime_tracer(tracer_provider)
        self._dispatch = (
            RuntimeDispatcher(self, scheduler)
            if self._tracer is None
            else TracedDispatcher(self, self._tracer, scheduler)
        )
        self._subscriptions = SubscriptionIndex()
        self._serialization = SerializationRegistry()
        self._interventions: list[InterventionHandler] = list(intervention_handlers or [])
        self._tracer_provider = tracer_provider
        self._ignore_unhandled = ignore_unhandled_exceptions
        self._id_prefix = uuid.uuid4().hex[:12] + "-"
        self._id_counter = itertools.count(1)

    # -- messages --------------------------------------------------------------------------

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any:
        """Deliver ``message`` to ``recipient`` and return the handler's response.

        Runs the handler in the caller's task when the recipient is idle; otherwise queues
        the message behind the recipient's earlier messages and waits.

        Raises:
            UnknownAgentTypeError: ``recipient.type`` is not registered.
            MessageDroppedException: an intervention handler dropped the message or reply.
            MessageCancelledError: ``cancellation_token`` was cancelled.
            RuntimeStoppedError: the runtime is stopping, or stopped before delivery.
            Exception: whatever the handler raised (the same object).
        """
        if message_id is None:
            message_id = self._id_prefix + str(next(self._id_counter))
        if self._tracer is None:
            return await self._send(message, recipient, sender, cancellation_token, message_id)
        with self._tracer.span("create", str(recipient), message, sender, message_id):
            return await self._send(message, recipient, sender, cancellation_token, message_id)

    async def _send(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        cancellation_token: CancellationToken | None,
        message_id: str,
    ) -> Any:
        directory = self._directory
        if (
            recipient.type not in directory.factories
            and recipient.type not in directory.instance_types
        ):
            raise UnknownAgentTypeError(recipient.type)
        supplied = cancellation_token is not None
        if cancellation_token is None:
            cancellation_token = CancellationToken()
        elif cancellation_token.is_cancelled():
            raise MessageCancelledError(f"message to {recipient} was cancelled before sending")
        if self._interventions:
            message = await intervene_send(
                self._interventions, message, recipient, sender, cancellation_token, message_id
            )
        if event_logger.isEnabledFor(INFO):
            log_message(message, sender, recipient, MessageKind.DIRECT, DeliveryStage.SEND)
        if self._stopping:
            raise RuntimeStoppedError(
                recipient, f"runtime is stopping; message to {recipient} not sent"
            )
        dispatch = self._dispatch
        box = dispatch.claim_inline(recipient)
        if box is not None:
            delivery = Delivery(
                message,
                recipient,
                sender,
                None,
                cancellation_token,
                supplied,
                message_id,
                None,
                None,
            )
            try:
                result = await dispatch.invoke(delivery, True)
                if self._interventions or event_logger.isEnabledFor(INFO):
                    result = await dispatch._respond(delivery, result)
                return result
            except BaseException as exc:
                dispatch._handler_failed(delivery, exc)
                raise
            finally:
                dispatch.release(box)
        reply = Reply()
        delivery = Delivery(
            message,
            recipient,
            sender,
            None,
            cancellation_token,
            supplied,
            message_id,
            _copy_context(),
            reply,
        )
        reply.delivery = delivery
        dispatch.enqueue(delivery)
        chain = chain_var.get()
        dispatch.add_wait(chain, recipient)
        hook = (
            cancellation_token._add_cancel_hook(partial(dispatch.cancel_pending, reply))
            if supplied
            else None
        )
        try:
            return await dispatch.wait_reply(reply)
        finally:
            dispatch.remove_wait(chain, recipient)
            if hook is not None:
                cancellation_token._remove_cancel_hook(hook)

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        sender: AgentId | None = None,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> None:
        """Queue ``message`` for every agent subscribed to ``topic_id`` (never suspends for
        delivery). Subscriptions are resolved now; the sender is skipped; each agent gets the
        message once. Cancelling the token skips deliveries not yet started and cancels
        running ones.

        Raises:
            Exception: whatever an intervention handler's ``on_publish`` raised.
        """
        if message_id is None:
            message_id = self._id_prefix + str(next(self._id_counter))
        if self._tracer is None:
            return await self._publish(message, topic_id, sender, cancellation_token, message_id)
        with self._tracer.span("publish", str(topic_id), message, sender, message_id):
            return await self._publish(message, topic_id, sender, cancellation_token, message_id)

    async def _publish(
        self,
        message: Any,
        topic_id: TopicId,
        sender: AgentId | None,
        cancellation_token: CancellationToken | None,
        message_id: str,
    ) -> None:
        supplied = cancellation_token is not None
        if cancellation_token is None:
            cancellation_token = CancellationToken()
        if self._interventions:
            ctx = MessageContext(sender, topic_id, False, cancellation_token, message_id)
            message = await intervene_publish(self._interventions, message, ctx)
            if message is DROPPED:
                return
        if event_logger.isEnabledFor(INFO):
            log_message(message, sender, topic_id, MessageKind.PUBLISH, DeliveryStage.SEND)
        enqueue = self._dispatch.enqueue
        for recipient in self._subscriptions.recipients(topic_id):
            if sender is not None and recipient == sender:
                continue
            enqueue(
                Delivery(
                    message,
                    recipient,
                    sender,
                    topic_id,
                    cancellation_token,
                    supplied,
                    message_id,
                    _copy_context(),
                    None,
                )
            )

    # -- agents ----------------------------------------------------------------------------

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Register ``agent_factory`` for agents of ``type``, created on first use.

        Raises:
            ValueError: the type is already registered, or (on creation) the factory returned
                an object that is not an ``expected_class``.
        """
        agent_type = type if isinstance(type, AgentType) else AgentType(type)
        AgentId(agent_type.type, "validate")  # same validation as agent ids
        self._directory.add_factory(agent_type.type, cast(Any, agent_factory), expected_class)
        return agent_type

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Register an existing agent object under ``agent_id``.

        Raises:
            ValueError: the id exists, the type has a factory, or the class differs from
                other instances of the type.
        """
        self._directory.add_instance(agent_instance, agent_id)
        await agent_instance.bind_id_and_runtime(agent_id, self)
        return agent_id

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = _AGENT) -> T:
        """Return the agent object for ``id`` (created if needed).

        Raises:
            UnknownAgentTypeError: the type is not registered.
            TypeError: the agent is not an instance of ``type``.
        """
        agent = await self._directory.get(id)
        if not isinstance(agent, type):
            raise TypeError(f"Agent {id} is a {agent.__class__.__name__}, not a {type.__name__}")
        return agent

    @overload
    async def get(self, id_or_type: AgentId, /, *, lazy: bool = ...) -> AgentId: ...

    @overload
    async def get(
        self, id_or_type: AgentType | str, /, key: str = ..., *, lazy: bool = ...
    ) -> AgentId: ...

    async def get(
        self, id_or_type: AgentId | AgentType | str, /, key: str = "default", *, lazy: bool = True
    ) -> AgentId:
        """Return the id of an agent; ``lazy=False`` creates the agent now.

        Raises:
            UnknownAgentTypeError: the type is not registered.
        """
        if isinstance(id_or_type, AgentId):
            agent_id = id_or_type
        else:
            name = id_or_type.type if isinstance(id_or_type, AgentType) else id_or_type
            agent_id = AgentId(name, key)
        self._directory.check_type(agent_id.type)
        if not lazy:
            await self._directory.get(agent_id)
        return agent_id

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        """Return the metadata of ``agent`` (created if needed)."""
        return (await self._directory.get(agent)).metadata

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        """Return the state of ``agent`` (created if needed)."""
        return await (await self._directory.get(agent)).save_state()

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        """Load ``state`` into ``agent`` (created if needed)."""
        await (await self._directory.get(agent)).load_state(state)

    async def checkpoint(self) -> dict[str, Any]:
        """Capture agent states, subscriptions and queued messages as one JSON document.

        Take it when no handler runs: before start, after :meth:`stop` (queued publishes are
        kept), or when idle. See :mod:`cantata._runtime._checkpoint` for what it holds and
        what it cannot capture.

        Raises:
            CheckpointError: a handler is running, or RPCs with waiting callers are queued.
        """
        return await take_checkpoint(self)

    async def restore_checkpoint(self, checkpoint: Mapping[str, Any]) -> None:
        """Load a :meth:`checkpoint` document into this runtime (register the agent types
        first); its queued messages are delivered, in their order, once the runtime runs.

        Raises:
            CheckpointError: wrong format or version, or handlers are running.
            UnknownAgentTypeError: an agent type of the checkpoint is not registered.
        """
        await restore_checkpoint(self, checkpoint)

    def _publish_delivery(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        topic_id: TopicId,
        message_id: str,
    ) -> Delivery:
        """A publish delivery restored from a checkpoint (fresh token, current context)."""
        self._directory.check_type(recipient.type)
        return Delivery(
            message,
            recipient,
            sender,
            topic_id,
            CancellationToken(),
            False,
            message_id,
            _copy_context(),
            None,
        )

    async def save_state(self) -> Mapping[str, Any]:
        """Return ``{"type/key": state}`` for every instantiated agent."""
        return {
            str(agent_id): dict(await agent.save_state())
            for agent_id, agent in list(self._directory.agents.items())
        }

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load states saved by :meth:`save_state`; entries of unregistered types are skipped."""
        for key, agent_state in state.items():
            agent_id = AgentId.from_str(key)
            if self._directory.is_registered(agent_id.type):
                await (await self._directory.get(agent_id)).load_state(agent_state)

    async def close(self) -> None:
        """Stop the runtime if it runs, then close every instantiated agent (creation order)."""
        if self._session is not None:
            await self.stop()
        for agent in list(self._directory.agents.values()):
            await agent.close()

    # -- subscriptions and serializers -----------------------------------------------------

    async def add_subscription(self, subscription: Subscription) -> None:
        """Add ``subscription``. Raises ValueError if an equal subscription exists."""
        self._subscriptions.add(subscription)

    async def remove_subscription(self, id: str) -> None:
        """Remove a subscription. Raises SubscriptionNotFoundError (LookupError, ValueError)."""
        self._subscriptions.remove(id)

    def add_message_serializer(
        self, serializer: MessageSerializer[Any] | Sequence[MessageSerializer[Any]]
    ) -> None:
        """Register serializers for message types."""
        self._serialization.add_serializer(serializer)

    # -- stepping and introspection --------------------------------------------------------

    @property
    def unprocessed_messages_count(self) -> int:
        """Deliveries queued and not yet started."""
        return self._dispatch.queued

    async def process_next(self) -> None:
        """Deliver the next queued message in the calling task (for a runtime not started).

        Returns at once if nothing is queued. Raises RuntimeError if the runtime is started.
        """
        if self._session is not None:
            raise RuntimeError("process_next() is for a runtime that is not started")
        await self._dispatch.step()

    def add_trace_hook(self, hook: TraceHook) -> None:
        """Call ``hook(record)`` with a :class:`DeliveryRecord` before every handler starts."""
        self._dispatch.trace_hooks.append(hook)

    def remove_trace_hook(self, hook: TraceHook) -> None:
        """Stop calling ``hook``. Raises ValueError if it was not added."""
        self._dispatch.trace_hooks.remove(hook)

    async def __aenter__(self) -> SingleThreadedAgentRuntime:
        return cast(SingleThreadedAgentRuntime, await super().__aenter__())
