""":class:`ClosureAgent`: an agent made of one async function."""

from __future__ import annotations

import inspect
import typing
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, runtime_checkable

from .._agent_id import AgentId
from .._agent_type import AgentType
from .._cancellation_token import CancellationToken
from .._contexts import AgentInstantiationContext
from .._serialization import try_get_known_serializers_for_type
from ..exceptions import CantHandleException
from ._base_agent import BaseAgent
from ._routed_agent import _ANY_KEY, _expand

if TYPE_CHECKING:
    from .._message_context import MessageContext
    from .._runtime._protocol import AgentRuntime
    from .._subscriptions import Subscription
    from .._topic import TopicId

T = TypeVar("T")


@runtime_checkable
class ClosureContext(Protocol):
    """What a closure can do: know its id, send and publish."""

    @property
    def id(self) -> AgentId: ...

    async def send_message(
        self,
        message: Any,
        recipient: AgentId,
        *,
        cancellation_token: CancellationToken | None = None,
        message_id: str | None = None,
    ) -> Any: ...

    async def publish_message(
        self,
        message: Any,
        topic_id: TopicId,
        *,
        cancellation_token: CancellationToken | None = None,
    ) -> None: ...


Closure = Callable[[ClosureContext, T, "MessageContext"], Awaitable[Any]]


def _expected_types(closure: Callable[..., Any]) -> list[type[Any]]:
    params = list(inspect.signature(closure).parameters.values())
    if len(params) != 3:
        raise AssertionError("Closure must have 3 arguments: (context, message, message_context)")
    hints = typing.get_type_hints(closure)
    hint = hints.get(params[1].name, Any)
    return _expand(hint)


class ClosureAgent(BaseAgent, ClosureContext):
    """An agent whose handler is ``closure(context, message, message_context)``.

    The closure's ``message`` annotation selects the accepted types; other messages follow
    ``unknown_type_policy``: ``"error"`` raises :class:`CantHandleException`, ``"warn"``
    warns and skips, ``"ignore"`` calls the closure anyway.
    """

    def __init__(
        self,
        description: str,
        closure: Closure[Any],
        *,
        unknown_type_policy: Literal["error", "warn", "ignore"] = "warn",
    ) -> None:
        if not AgentInstantiationContext.is_in_factory_call():
            raise RuntimeError("ClosureAgent must be created by the runtime (use register_closure)")
        super().__init__(description)
        self._closure = closure
        self._expected = _expected_types(closure)
        self._accept_any = _ANY_KEY in self._expected
        self._policy = unknown_type_policy

    @property
    def expected_types(self) -> list[type[Any]]:
        """Message types the closure accepts."""
        return list(self._expected)

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        """Call the closure, after checking the message type against its annotation."""
        if not self._accept_any and type(message) not in self._expected:
            text = f"{self.id}: closure does not accept {type(message).__name__}"
            if self._policy == "error":
                raise CantHandleException(text)
            if self._policy == "warn":
                warnings.warn(text, stacklevel=2)
                return None
        return await self._closure(self, message, ctx)

    async def save_state(self) -> Mapping[str, Any]:
        """Closures keep no state: returns ``{}``."""
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        """Closures keep no state: does nothing."""

    @classmethod
    async def register_closure(
        cls,
        runtime: AgentRuntime,
        type: str,
        closure: Closure[Any],
        *,
        unknown_type_policy: Literal["error", "warn", "ignore"] = "warn",
        skip_direct_message_subscription: bool = False,
        description: str = "",
        subscriptions: Callable[[], list[Subscription] | Awaitable[list[Subscription]]]
        | None = None,
    ) -> AgentType:
        """Register a closure as agent type ``type``, with optional subscriptions."""
        from .._subscriptions import TypePrefixSubscription

        expected = _expected_types(closure)

        def factory() -> ClosureAgent:
            return ClosureAgent(description, closure, unknown_type_policy=unknown_type_policy)

        serializers = [
            ser
            for kind in expected
            if kind is not _ANY_KEY
            for ser in try_get_known_serializers_for_type(kind)
        ]
        if serializers:  # first: a refused serializer leaves the type unregistered
            runtime.add_message_serializer(serializers)
        agent_type = await runtime.register_factory(type, factory, expected_class=cls)
        if subscriptions is not None:
            from .._contexts import SubscriptionInstantiationContext

            with SubscriptionInstantiationContext.populate_context(agent_type):
                made = subscriptions()
                subs = await made if inspect.isawaitable(made) else made
            for subscription in subs:
                await runtime.add_subscription(subscription)
        if not skip_direct_message_subscription:
            await runtime.add_subscription(
                TypePrefixSubscription(f"{agent_type.type}:", agent_type.type)
            )
        return agent_type
