"""Agent types, factories and live instances; lazy creation exactly once per id."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import copy_context
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio

from .._agent_id import AgentId
from .._constants import EVENT_LOGGER_NAME, ROOT_LOGGER_NAME
from .._contexts import _instantiation_var
from ..exceptions import UnknownAgentTypeError
from ..logging import AgentConstructionExceptionEvent
from ._chain import chain_var
from ._in_context import run_in

_T = TypeVar("_T")

if TYPE_CHECKING:
    from .._agents._agent import Agent
    from ._protocol import AgentRuntime

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)
_logger = logging.getLogger(ROOT_LOGGER_NAME)

Factory = Callable[[], "Agent | Awaitable[Agent]"]


class _Creation:
    """An agent being created: later askers wait for the first creation to finish."""

    __slots__ = ("agent", "cancelled", "done", "error", "finished")

    def __init__(self) -> None:
        self.done: anyio.Event | None = None  # made by the first waiter, if any
        self.finished = False
        self.cancelled = False  # the creating task was cancelled: waiters create it again
        self.agent: Agent | None = None
        self.error: BaseException | None = None


class AgentDirectory:
    """Which agent types exist, how to make their agents, and the agents made so far.

    Guarantees: a factory runs at most once per :class:`AgentId` at a time, also when many
    first messages arrive together or the factory is async; a failed creation is reported
    to every waiter and retried on the next request.
    """

    def __init__(self, runtime: AgentRuntime) -> None:
        self._runtime = runtime
        self.factories: dict[str, Factory] = {}
        self.expected: dict[str, type[Any] | None] = {}
        self.instance_types: set[str] = set()
        self.agents: dict[AgentId, Agent] = {}
        self.limits: dict[str, int] = {}
        self._creating: dict[AgentId, _Creation] = {}

    def is_registered(self, agent_type: str) -> bool:
        return agent_type in self.factories or agent_type in self.instance_types

    def check_type(self, agent_type: str) -> None:
        """Raise :class:`UnknownAgentTypeError` unless ``agent_type`` is registered."""
        if agent_type not in self.factories and agent_type not in self.instance_types:
            raise UnknownAgentTypeError(agent_type)

    def check_instance(self, agent_id: AgentId) -> None:
        """Raise :class:`UnknownAgentTypeError` unless ``agent_id`` is a registered instance."""
        if agent_id not in self.agents or agent_id.type not in self.instance_types:
            if agent_id.type in self.instance_types:
                raise UnknownAgentTypeError(
                    agent_id.type, f"No agent instance registered with id {agent_id}"
                )
            raise UnknownAgentTypeError(agent_id.type)

    def add_factory(self, agent_type: str, factory: Factory, expected: type[Any] | None) -> None:
        if self.is_registered(agent_type):
            raise ValueError(f"Agent with type {agent_type} already exists.")
        self.factories[agent_type] = factory
        self.expected[agent_type] = expected
        limit = getattr(expected, "max_concurrency", 1) if expected is not None else 1
        self.limits[agent_type] = max(1, int(limit))

    def add_instance(self, agent: Agent, agent_id: AgentId) -> None:
        if agent_id in self.agents:
            raise ValueError(f"Agent with id {agent_id} already exists.")
        if agent_id.type in self.factories:
            raise ValueError(
                f"Agent type {agent_id.type} is registered with a factory; "
                "factories and instances cannot be mixed in one type"
            )
        if agent_id.type in self.instance_types:
            other = next((a for i, a in self.agents.items() if i.type == agent_id.type), None)
            if other is not None and type(other) is not type(agent):
                raise ValueError(f"Agents of type {agent_id.type} must all be of the same class")
        self.instance_types.add(agent_id.type)
        self.agents[agent_id] = agent
        self.limits[agent_id.type] = max(1, int(getattr(type(agent), "max_concurrency", 1)))

    async def get(self, agent_id: AgentId) -> Agent:
        """Return the agent for ``agent_id``, creating it on first use.

        Raises:
            UnknownAgentTypeError: the type is not registered, or (for instance-registered
                types) no instance has this key.
            ValueError: the factory returned an object of the wrong class.
            Exception: whatever the factory raised.
        """
        agent = self.agents.get(agent_id)
        if agent is not None:
            return agent
        pending = self._creating.get(agent_id)
        if pending is not None:
            if not pending.finished:
                if pending.done is None:
                    pending.done = anyio.Event()
                await pending.done.wait()
            if pending.cancelled:
                return await self.get(agent_id)  # the creator gave up; create it ourselves
            if pending.error is not None:
                raise pending.error
            assert pending.agent is not None
            return pending.agent
        factory = self.factories.get(agent_id.type)
        if factory is None:
            if agent_id.type in self.instance_types:
                raise UnknownAgentTypeError(
                    agent_id.type, f"No agent instance registered with id {agent_id}"
                )
            raise UnknownAgentTypeError(agent_id.type)
        creation = self._creating[agent_id] = _Creation()
        try:
            agent = await self._create(agent_id, factory)
        except anyio.get_cancelled_exc_class():
            creation.cancelled = True  # the creator's own cancellation is not the waiters'
            raise
        except BaseException as exc:
            creation.error = exc
            _logger.error("Error constructing agent %s", agent_id, exc_info=exc)
            if _event_logger.isEnabledFor(logging.INFO):
                _event_logger.info(
                    AgentConstructionExceptionEvent(agent_id=agent_id, exception=exc)
                )
            raise
        else:
            creation.agent = agent
            self.agents[agent_id] = agent
            return agent
        finally:
            del self._creating[agent_id]
            creation.finished = True
            if creation.done is not None:
                creation.done.set()

    async def _create(self, agent_id: AgentId, factory: Factory) -> Agent:
        # The factory runs in a copy of the context: what it sets in context variables is not
        # its caller's (the caller of an inline RPC, whose task makes the agent). No handler
        # runs there, wherever the agent is made (MessageHandlerContext, DefaultTopicId).
        context = copy_context()
        context.run(_instantiation_var.set, (self._runtime, agent_id))
        context.run(chain_var.set, None)
        made = context.run(factory)
        if hasattr(made, "__await__"):  # an async factory: awaited in the same context
            made = await run_in(context, _awaited, cast("Awaitable[Agent]", made), None)
        agent: Agent = made
        agent_type = agent_id.type
        expected = self.expected.get(agent_type)
        if expected is None:  # no class known at registration: learn the limit from the agent
            self.limits[agent_type] = max(1, int(getattr(type(agent), "max_concurrency", 1)))
        elif not isinstance(agent, expected):
            raise ValueError(
                f"Factory for {agent_type!r} returned {type(agent).__name__}, "
                f"expected {expected.__name__}"
            )
        bound = getattr(agent, "_id", None)  # BaseAgent binds itself from the context
        if bound is not agent_id and bound != agent_id:
            await run_in(context, agent.bind_id_and_runtime, agent_id, self._runtime)
        return agent


async def _awaited(awaitable: Awaitable[_T], _: None) -> _T:
    return await awaitable
