"""Context variables that tell agent code where it is running.

Three static classes wrap one :class:`~contextvars.ContextVar` each:

* :class:`AgentInstantiationContext`: set by the runtime while an agent factory
  runs, so an agent's constructor can find its runtime and id.
* :class:`MessageHandlerContext`: set by the runtime while a message handler runs,
  so code called from a handler can find the handling agent's id.
* :class:`SubscriptionInstantiationContext`: set by the runtime while it builds an
  agent class's declared subscriptions, so they can find the agent type.

Because they are context variables, the values follow the current task (asyncio
task or Trio task) and are invisible to unrelated tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, NoReturn

from cantata._agent_id import AgentId
from cantata._agent_type import AgentType
from cantata._runtime._chain import AGENT, DEPTH, chain_var

if TYPE_CHECKING:
    from cantata._runtime._protocol import AgentRuntime

__all__ = [
    "AgentInstantiationContext",
    "MessageHandlerContext",
    "SubscriptionInstantiationContext",
]

_instantiation_var: ContextVar[tuple[AgentRuntime, AgentId]] = ContextVar(
    "cantata.agent_instantiation"
)
_subscription_agent_type_var: ContextVar[AgentType] = ContextVar(
    "cantata.subscription_instantiation"
)


def _no_instances(cls: type) -> NoReturn:
    raise RuntimeError(f"{cls.__name__} is a static class and cannot be instantiated")


class AgentInstantiationContext:
    """Runtime and agent id of the agent being constructed by a factory.

    The runtime sets this context around each call of a registered agent factory.
    Inside it, an agent's constructor reads :meth:`current_runtime` and
    :meth:`current_agent_id`. Outside it they raise :class:`RuntimeError`.

    This is a static class: instantiating it raises :class:`RuntimeError`.
    """

    def __init__(self) -> None:
        _no_instances(type(self))

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: tuple[AgentRuntime, AgentId]) -> Iterator[None]:
        """Set ``(runtime, agent_id)`` for the duration of the ``with`` block.

        The previous value (or absence of a value) is restored on exit, also when
        the block raises.
        """
        token = _instantiation_var.set(ctx)
        try:
            yield
        finally:
            _instantiation_var.reset(token)

    @classmethod
    def current_runtime(cls) -> AgentRuntime:
        """Return the runtime that is constructing the current agent.

        Raises:
            RuntimeError: not called (directly or indirectly) from an agent factory
                invoked by a runtime.
        """
        return cls._get()[0]

    @classmethod
    def current_agent_id(cls) -> AgentId:
        """Return the id of the agent being constructed.

        Raises:
            RuntimeError: not called (directly or indirectly) from an agent factory
                invoked by a runtime.
        """
        return cls._get()[1]

    @classmethod
    def is_in_factory_call(cls) -> bool:
        """Return whether an agent factory call is in progress in this context."""
        return _instantiation_var.get(None) is not None

    @classmethod
    def _get(cls) -> tuple[AgentRuntime, AgentId]:
        try:
            return _instantiation_var.get()
        except LookupError:
            raise RuntimeError(
                "AgentInstantiationContext is only available while a runtime calls an agent "
                "factory. Register the agent with a factory (e.g. via register()/"
                "register_factory()) instead of constructing it directly, or use "
                "register_agent_instance() for an agent built outside a factory."
            ) from None


class MessageHandlerContext:
    """Id of the agent whose message handler is running.

    The runtime sets this context around each call of an agent's ``on_message``.
    Inside it, :meth:`agent_id` returns the handling agent's id; outside it raises
    :class:`RuntimeError`.

    This is a static class: instantiating it raises :class:`RuntimeError`.
    """

    def __init__(self) -> None:
        _no_instances(type(self))

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: AgentId) -> Iterator[None]:
        """Set the handling agent's id for the duration of the ``with`` block.

        The previous value (or absence of a value) is restored on exit, also when
        the block raises.
        """
        parent = chain_var.get()
        token = chain_var.set((ctx, parent, 0 if parent is None else parent[DEPTH]))
        try:
            yield
        finally:
            chain_var.reset(token)

    @classmethod
    def agent_id(cls) -> AgentId:
        """Return the id of the agent whose handler is running.

        Raises:
            RuntimeError: not called (directly or indirectly) from a message handler
                invoked by a runtime.
        """
        hop = chain_var.get()
        if hop is None:
            raise RuntimeError(
                "MessageHandlerContext is only available while a runtime is running a "
                "message handler."
            )
        return hop[AGENT]


def _current_agent_id() -> AgentId | None:
    """Return the id of the agent whose handler is running, or ``None``. Never raises."""
    hop = chain_var.get()
    return None if hop is None else hop[AGENT]


class SubscriptionInstantiationContext:
    """Agent type whose declared subscriptions are being built.

    The runtime sets this context while it calls the unbound subscriptions an agent
    class declares (e.g. with ``@default_subscription``), so a subscription created
    there can find the agent type it belongs to.

    This is a static class: instantiating it raises :class:`RuntimeError`.
    """

    def __init__(self) -> None:
        _no_instances(type(self))

    @classmethod
    @contextmanager
    def populate_context(cls, ctx: AgentType) -> Iterator[None]:
        """Set the agent type for the duration of the ``with`` block.

        The previous value (or absence of a value) is restored on exit, also when
        the block raises.
        """
        token = _subscription_agent_type_var.set(ctx)
        try:
            yield
        finally:
            _subscription_agent_type_var.reset(token)

    @classmethod
    def agent_type(cls) -> AgentType:
        """Return the agent type whose subscriptions are being built.

        Raises:
            RuntimeError: not called while a runtime builds an agent type's
                subscriptions.
        """
        try:
            return _subscription_agent_type_var.get()
        except LookupError:
            raise RuntimeError(
                "SubscriptionInstantiationContext is only available while a runtime builds "
                "the subscriptions declared by an agent class."
            ) from None
