"""The agents of a worker: registration, look-up and state (a part of the worker).

Agents are created by the worker's local runtime through a wrapped factory that makes the
worker their ``runtime`` (so their sends and publishes leave through the host) and wraps
them for publish placement (:mod:`._delivery`). Agents of types served by other workers are
not accessible here: their look-ups raise :class:`NotAccessibleError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast, overload

from ... import (
    AgentRuntime,  # public names: the runtime core is free to move
    SingleThreadedAgentRuntime,
)
from ..._agent_id import AgentId
from ..._agent_metadata import AgentMetadata
from ..._agent_type import AgentType
from ..._agents._agent import Agent
from ..._contexts import AgentInstantiationContext
from ...exceptions import NotAccessibleError, UnknownAgentTypeError
from ._delivery import RecipientFilter

T = TypeVar("T", bound=Agent)
_AGENT: Any = Agent


class WorkerAgents(ABC):
    """Agent registration and access for :class:`GrpcWorkerAgentRuntime`, which provides
    :meth:`_announce_type` (telling the host this worker serves a type)."""

    _local: SingleThreadedAgentRuntime
    _types: set[str]
    _instances: dict[str, dict[str, Agent]]
    _filter: RecipientFilter
    # The local runtime's factory for a type looks its maker up here at creation time, so a
    # type is registered locally before the host routes to it, and a registration the host
    # refused can be retried with another factory.
    _makers: dict[str, Callable[[], Awaitable[Agent]]]

    async def _register_locally(self, name: str, maker: Callable[[], Awaitable[Agent]]) -> None:
        fresh = name not in self._makers
        self._makers[name] = maker
        if fresh:
            makers = self._makers

            async def make() -> Agent:
                return await makers[name]()

            await self._local.register_factory(name, make)

    @abstractmethod
    async def _announce_type(self, name: str) -> None:
        """Register ``name`` with the host; raise if the host refuses it."""

    async def register_factory(
        self,
        type: str | AgentType,
        agent_factory: Callable[[], T | Awaitable[T]],
        *,
        expected_class: type[T] | None = None,
    ) -> AgentType:
        """Register a factory for agents of ``type`` here and announce the type to the host.

        Raises:
            ValueError: the type is already registered in this worker, or the host refused it.
        """
        agent_type = type if isinstance(type, AgentType) else AgentType(type)
        name = agent_type.type
        if name in self._types:
            raise ValueError(f"Agent type {name!r} is already registered")
        AgentId(name, "validate")
        worker = cast(AgentRuntime, self)  # the subclass is the runtime

        async def make() -> Agent:
            agent_id = AgentInstantiationContext.current_agent_id()
            with AgentInstantiationContext.populate_context((worker, agent_id)):
                made = agent_factory()
                if hasattr(made, "__await__"):
                    made = await cast("Awaitable[T]", made)
            agent = cast(Agent, made)
            if expected_class is not None and not isinstance(agent, expected_class):
                raise ValueError(
                    f"Factory for {name!r} returned {agent.__class__.__name__}, "
                    f"expected {expected_class.__name__}"
                )
            return self._filter.wrap(agent)

        # local first: the host routes to this worker as soon as it knows the type
        await self._register_locally(name, make)
        await self._announce_type(name)
        self._types.add(name)
        return agent_type

    async def register_agent_instance(self, agent_instance: Agent, agent_id: AgentId) -> AgentId:
        """Register an existing agent object under ``agent_id``; it runs in this worker.

        Raises:
            ValueError: the id exists, or the type has a factory.
        """
        instances = self._instances.get(agent_id.type)
        if instances is None:
            if agent_id.type in self._types:
                raise ValueError(f"Agent type {agent_id.type!r} has a factory")
            instances = {}

            async def make() -> Agent:
                wanted = AgentInstantiationContext.current_agent_id()
                found = instances.get(wanted.key)
                if found is None:
                    raise UnknownAgentTypeError(
                        wanted.type, f"No agent instance registered with id {wanted}"
                    )
                return self._filter.wrap(found)

            await self._register_locally(agent_id.type, make)
            await self._announce_type(agent_id.type)
            self._types.add(agent_id.type)
            self._instances[agent_id.type] = instances
        if agent_id.key in instances:
            raise ValueError(f"Agent with id {agent_id} already exists")
        await agent_instance.bind_id_and_runtime(agent_id, cast(AgentRuntime, self))
        instances[agent_id.key] = agent_instance
        return agent_id

    def _check_local(self, agent_id: AgentId) -> None:
        if agent_id.type not in self._types:
            raise NotAccessibleError(
                f"agent type {agent_id.type!r} is not served by this worker; its agents live "
                "in another process"
            )

    async def try_get_underlying_agent_instance(self, id: AgentId, type: type[T] = _AGENT) -> T:
        """The agent object for ``id`` if its type is served by this worker.

        Raises:
            NotAccessibleError: the type is served by another worker.
            TypeError: the agent is not an instance of ``type``.
        """
        self._check_local(id)
        agent = self._filter.unwrap(await self._local.try_get_underlying_agent_instance(id))
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
        """The id of an agent (in any worker); ``lazy=False`` creates a local agent now."""
        if isinstance(id_or_type, AgentId):
            agent_id = id_or_type
        else:
            name = id_or_type.type if isinstance(id_or_type, AgentType) else id_or_type
            agent_id = AgentId(name, key)
        if not lazy and agent_id.type in self._types:
            await self._local.get(agent_id, lazy=False)
        return agent_id

    async def agent_metadata(self, agent: AgentId) -> AgentMetadata:
        """Metadata of a local agent. Raises NotAccessibleError for a remote one."""
        self._check_local(agent)
        return (await self.try_get_underlying_agent_instance(agent)).metadata

    async def agent_save_state(self, agent: AgentId) -> Mapping[str, Any]:
        """State of a local agent. Raises NotAccessibleError for a remote one."""
        self._check_local(agent)
        return await self._local.agent_save_state(agent)

    async def agent_load_state(self, agent: AgentId, state: Mapping[str, Any]) -> None:
        """Load the state of a local agent. Raises NotAccessibleError for a remote one."""
        self._check_local(agent)
        await self._local.agent_load_state(agent, state)

    async def save_state(self) -> Mapping[str, Any]:
        """States of this worker's instantiated agents (``{"type/key": state}``)."""
        return await self._local.save_state()

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Load states saved by :meth:`save_state` into this worker's agents."""
        await self._local.load_state(state)
