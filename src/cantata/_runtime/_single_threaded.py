""":class:`SingleThreadedAgentRuntime`: the in-process runtime."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from .._agent_id import AgentId
from .._agent_metadata import AgentMetadata
from .._agent_type import AgentType
from .._cancellation_token import CancellationToken
from .._intervention import InterventionHandler
from .._message_context import MessageContext
from .._serialization import MessageSerializer, SerializationRegistry
from ..exceptions import MessageCancelledError, RuntimeStoppedError
from ..logging import DeliveryStage, MessageKind
from ._checkpoint import restore_checkpoint, take_checkpoint
from ._directory import AgentDirectory
from ._dispatcher import Dispatcher
from ._events import INFO, event_logger, log_message
from ._interventions import DROPPED, intervene_publish, intervene_send
from ._lifecycle import DEFAULT_STOP_GRACE_PERIOD, Lifecycle
from ._scheduling import DeliveryScheduler
from ._subscription_index import SubscriptionIndex
from ._telemetry import runtime_tracer
from ._trace import TraceHook

if TYPE_CHECKING:
    from .._agents._agent import Agent
    from .._subscriptions import Subscription
    from .._topic import TopicId

T = TypeVar("T", bound="Agent")

_AGENT: Any = None  # try_get_underlying_agent_instance's default: any agent


class SingleThreadedAgentRuntime:
    """An in-process agent runtime on AnyIO: asyncio and Trio, deterministic, no lost messages.

    Guarantees (each checked by property tests on both backends):

    1. **Ordering.** Deliveries to one agent start in the order their messages entered the
       runtime; each subscriber sees a topic's messages in publish order. An agent instance
       handles one message at a time (its class may raise ``max_concurrency`` to opt in to
       concurrent handling). An RPC chain that comes back into an agent it already passed
       through (A -> B -> A, A -> A) is admitted at once instead of deadlocking, and so is an
       RPC to an agent that waits, through queued RPCs, for the caller's chain (A waits for
       B while B, in another chain, calls A). Chains of any depth work.
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
    5. **Nothing lost, nothing leaked, nothing hangs.** Stopping fails undelivered RPCs with
       :class:`RuntimeStoppedError`, keeps queued publishes for the next start, gives running
       handlers at most a grace period, and leaves no handler task running (see
       :mod:`cantata._runtime._lifecycle`). If the runtime's workers fail, every waiting
       caller is answered and the error is raised from the next stop call. A factory runs
       exactly once per agent id.
    6. **Errors.** An RPC handler's exception reaches the caller as the same object. A
       publish handler's exception is logged and, with
       ``ignore_unhandled_exceptions=False``, the first one is raised from :meth:`stop`,
       :meth:`stop_when_idle` or the ``async with`` exit. A cancellation a handler raises
       without anyone asking is its own error (:class:`HandlerCancelledError`). An unknown
       recipient type raises :class:`UnknownAgentTypeError`.
    7. **Delivery details.** A publish reaches each subscribed agent once, even if several
       subscriptions map the topic to it; the sender does not receive its own publish. A
       handler runs with the context variables of the code that sent its message, in its
       own copy: what it sets is never visible to its caller.

    Args:
        intervention_handlers: Handlers applied in order, each to the previous one's output
            (``None`` means no change); they run in the task of the sender.
        tracer_provider: An OpenTelemetry ``TracerProvider`` for the runtime's ``create``,
            ``publish`` and ``process`` spans (see ``_runtime/_telemetry.py``). ``None``
            uses the global provider if one is configured when the runtime is created;
            with neither, no spans are made and OpenTelemetry is never imported.
        ignore_unhandled_exceptions: If False, publish-handler errors are raised when the
            runtime stops.
        stop_grace_period: Seconds :meth:`stop` lets running handlers finish before it
            cancels them (default 3).
        scheduler: Chooses the order of deliveries among those the guarantees allow, for
            test harnesses (see :class:`DeliveryScheduler`); ``None`` is FIFO order.

    Raises:
        ValueError: ``stop_grace_period`` is negative.
    """

    def __init__(
        self,
        *,
        intervention_handlers: list[InterventionHandler] | None = None,
        tracer_provider: Any = None,
        ignore_unhandled_exceptions: bool = True,
        stop_grace_period: float = DEFAULT_STOP_GRACE_PERIOD,
        scheduler: DeliveryScheduler | None = None,
    ) -> None:
        self._directory = AgentDirectory(self)
        self._factories = self._directory.factories
        self._tracer = runtime_tracer(tracer_provider)
        self._interventions: list[InterventionHandler] = list(intervention_handlers or [])
        self._dispatcher = Dispatcher(
            self._directory,
            interventions=self._interventions,
            tracer=self._tracer,
            keep_unhandled=not ignore_unhandled_exceptions,
            scheduler=scheduler,
        )
        self._lifecycle = Lifecycle(self._dispatcher, stop_grace_period=stop_grace_period)
        self._subscriptions = SubscriptionIndex()
        self._serialization = SerializationRegistry()
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
            HandlerCancelledError: the handler raised a cancellation nobody requested.
            Exception: whatever the handler raised (the same object).
        """
        if message_id is None:
            message_id = f"{self._id_prefix}{next(self._id_counter)}"
        if (
            self._interventions
            or self._tracer is not None
            or cancellation_token is not None
            or self._lifecycle.stopping
            or recipient.type not in self._factories
        ):
            return await self._send_checked(
                message, recipient, sender, cancellation_token, message_id
            )
        return await self._dispatcher.send(message, recipient, sender, None, message_id)

    async def _send_checked(
        self,
        message: Any,
        recipient: AgentId,
        sender: AgentId | None,
        cancellation_token: CancellationToken | None,
        message_id: str,
    ) -> Any:
        """:meth:`send_message` with a token, interventions, a tracer, an instance type or
        a stopping runtime."""
        if recipient.type not in self._factories:
            self._directory.check_instance(recipient)
        if cancellation_token is not None and cancellation_token.is_cancelled():
            raise MessageCancelledError(f"message to {recipient} was cancelled before sending")
        if self._interventions:
            if cancellation_token is None:  # the one the interventions see is the handler's
                cancellation_token = CancellationToken()
            message = await intervene_send(
                self._interventions,
                message,
                recipient,
                sender,
                cancellation_token,
                message_id,
            )
        if self._lifecycle.stopping:
            raise RuntimeStoppedError(
                recipient, f"runtime is stopping; message to {recipient} not sent"
            )
        if self._tracer is None:
            return await self._dispatcher.send(
                message, recipient, sender, cancellation_token, message_id
            )
        with self._tracer.span("create", str(recipient), message, sender, message_id):
            # Sent inside the span (the context is copied there), so the handler's spans
            # are its children.
            return await self._dispatcher.send(
                message, recipient, sender, cancellation_token, message_id
            )

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
            message_id = f"{self._id_prefix}{next(self._id_counter)}"
        if self._interventions:
            token = cancellation_token or CancellationToken()
            ctx = MessageContext(sender, topic_id, False, token, message_id)
            message = await intervene_publish(self._interventions, message, ctx)
            if message is DROPPED:
                return
        if event_logger.isEnabledFor(INFO):
            log_message(message, sender, topic_id, MessageKind.PUBLISH, DeliveryStage.SEND)
        recipients = self._subscriptions.recipients(topic_id)
        if self._tracer is None:
            self._dispatcher.publish(
                message, recipients, sender, topic_id, cancellation_token, message_id
            )
            return
        with self._tracer.span("publish", str(topic_id), message, sender, message_id):
            # Queued inside the span (the context is copied there): handlers' spans are its
            # children.
            self._dispatcher.publish(
                message, recipients, sender, topic_id, cancellation_token, message_id
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
        if type is not None and not isinstance(agent, type):
            raise TypeError(f"Agent {id} is a {agent.__class__.__name__}, not a {type.__name__}")
        return cast(T, agent)

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
        kept), or when idle. Agent states are checked to be JSON and copied, so the document
        is one consistent cut. See :mod:`cantata._runtime._checkpoint` for what it holds and
        what it cannot capture.

        Raises:
            CheckpointError: a handler is running, RPCs with waiting callers are queued, or
                an agent's state is not JSON (the error names the agent and the path).
        """
        return await take_checkpoint(
            self._dispatcher, self._directory, self._subscriptions, self._serialization
        )

    async def restore_checkpoint(self, checkpoint: Mapping[str, Any]) -> None:
        """Load a :meth:`checkpoint` document into this runtime (register the agent types
        first); its queued messages are delivered, in their order, once the runtime runs.

        Raises:
            CheckpointError: wrong format or version, or handlers are running.
            UnknownAgentTypeError: an agent type of the checkpoint is not registered.
        """
        await restore_checkpoint(
            checkpoint, self._dispatcher, self._directory, self._subscriptions, self._serialization
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
        """Stop the runtime if it runs, then close every instantiated agent (creation order).

        Every agent is closed even if some ``close()`` raise.

        Raises:
            Exception: the one agent's error, or an ``ExceptionGroup`` of several, after all
                agents were closed; or what :meth:`stop` raises.
        """
        if self._lifecycle.running:
            await self.stop()
        errors: list[Exception] = []
        for agent in list(self._directory.agents.values()):
            try:
                await agent.close()
            except Exception as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ExceptionGroup("agents failed to close", errors)

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
        return self._dispatcher.queued

    async def process_next(self) -> None:
        """Deliver the next queued message in the calling task (for a runtime not started).

        Returns at once if nothing is queued. Raises RuntimeError if the runtime is started.
        """
        if self._lifecycle.running:
            raise RuntimeError("process_next() is for a runtime that is not started")
        await self._dispatcher.step()

    def add_trace_hook(self, hook: TraceHook) -> None:
        """Call ``hook(record)`` with a :class:`DeliveryRecord` before every handler starts."""
        self._dispatcher.trace_hooks.append(hook)

    def remove_trace_hook(self, hook: TraceHook) -> None:
        """Stop calling ``hook``. Raises ValueError if it was not added."""
        self._dispatcher.trace_hooks.remove(hook)

    # -- running and stopping (rules: cantata._runtime._lifecycle) -------------------------

    def start(self) -> None:
        """Start processing messages in a background task (asyncio task or Trio system task).

        Prefer ``async with runtime:``, which ties the runtime's tasks to a block.

        Raises:
            RuntimeError: already started, or not inside a running event loop.
        """
        self._lifecycle.start()

    async def stop(
        self, *, cancel_in_flight: bool = False, grace_period: float | None = None
    ) -> None:
        """Stop processing messages.

        Undelivered RPCs fail with :class:`RuntimeStoppedError`, queued publishes are kept
        for the next start, running handlers get ``grace_period`` seconds (default: the
        runtime's ``stop_grace_period``) to finish before they are cancelled, at once with
        ``cancel_in_flight=True`` or when the caller of ``stop()`` is cancelled. When it
        returns, no handler task of the runtime runs. Inside a handler it only requests the
        stop.

        Raises:
            RuntimeError: the runtime is not started.
            ValueError: ``grace_period`` is negative.
            BaseException: what ended the runtime's workers abnormally, or the first
                publish-handler error kept under ``ignore_unhandled_exceptions=False``.
        """
        await self._lifecycle.stop(cancel_in_flight=cancel_in_flight, grace_period=grace_period)

    async def stop_when_idle(self) -> None:
        """Wait until no message is queued and no handler runs, then stop.

        Raises:
            RuntimeError: not started, or called inside a handler.
            BaseException: as :meth:`stop`.
        """
        await self._lifecycle.stop_when_idle()

    async def stop_when(self, condition: Callable[[], bool], check_period: float = 0.05) -> None:
        """Stop once ``condition()`` is true (checked after every delivery and every
        ``check_period`` seconds).

        Raises:
            RuntimeError: not started.
            BaseException: as :meth:`stop`.
        """
        await self._lifecycle.stop_when(condition, check_period)

    async def __aenter__(self) -> SingleThreadedAgentRuntime:
        await self._lifecycle.enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._lifecycle.exit(exc)
