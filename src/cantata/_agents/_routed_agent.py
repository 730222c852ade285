""":class:`RoutedAgent` and the ``message_handler`` / ``event`` / ``rpc`` decorators.

Handlers are discovered once per class. A message is routed by its exact type: the first
handler (in method-name order) whose ``match`` accepts it runs. A handler annotated with
``Any`` receives messages of types that no other handler names.
"""

from __future__ import annotations

import logging
import types
import typing
from collections.abc import Callable, Coroutine
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Protocol,
    TypeVar,
    Union,
    cast,
    get_origin,
    overload,
)

from .._constants import ROOT_LOGGER_NAME
from .._serialization import MessageSerializer, try_get_known_serializers_for_type
from ..exceptions import CantHandleException
from ._base_agent import BaseAgent

if TYPE_CHECKING:
    from .._message_context import MessageContext

_logger = logging.getLogger(ROOT_LOGGER_NAME)

AgentT = TypeVar("AgentT", bound=BaseAgent, covariant=True)
"""The class a handler is defined in. Covariant, so a subclass may override a handler."""
ReceivesT = TypeVar("ReceivesT")
ProducesT = TypeVar("ProducesT", covariant=True)

_ANY_KEY: type[Any] = type("AnyType", (), {})


class MessageHandler(Protocol[AgentT, ReceivesT, ProducesT]):
    """A decorated handler method, with its routing metadata."""

    target_types: list[type[Any]]
    produces_types: list[type[Any]]
    is_message_handler: bool
    router: Callable[[ReceivesT, MessageContext], bool]

    async def __call__(
        self, agent_instance: Any, message: ReceivesT, ctx: MessageContext
    ) -> ProducesT: ...


HandlerFunc = Callable[[AgentT, ReceivesT, "MessageContext"], Coroutine[Any, Any, ProducesT]]


def _expand(hint: Any) -> list[type[Any]]:
    """Turn a type hint into the runtime classes it admits (``Any`` -> the Any marker)."""
    if hint is Any:
        return [_ANY_KEY]
    if hint is None or hint is type(None):
        return [type(None)]
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        result: list[type[Any]] = []
        for arg in typing.get_args(hint):
            result.extend(_expand(arg))
        return result
    if origin is not None:
        return [cast(type[Any], origin)]
    return [cast(type[Any], hint)]


def _make_handler(
    func: Callable[..., Coroutine[Any, Any, Any]],
    *,
    strict: bool,
    match: Callable[[Any, MessageContext], bool] | None,
    rpc_mode: bool | None,
) -> Any:
    hints = typing.get_type_hints(func)
    params = list(typing.get_type_hints(func).keys())
    names = func.__code__.co_varnames[: func.__code__.co_argcount]
    if len(names) < 3 or names[1] not in hints:
        raise AssertionError(f"{func.__qualname__}: the message parameter needs a type hint")
    if "return" not in hints:
        raise AssertionError(f"{func.__qualname__}: the return type needs a type hint")
    del params
    target_types = _expand(hints[names[1]])
    produces_types = _expand(hints["return"])
    target_set = frozenset(target_types)
    check_return = None if _ANY_KEY in produces_types else tuple(produces_types)
    name = func.__qualname__

    def check_result(result: Any) -> Any:
        if rpc_mode is False and result is not None:
            text = f"{name} is an event handler and must return None, got {type(result).__name__}"
            if strict:
                raise ValueError(text)
            _logger.warning(text)
        elif check_return is not None and not isinstance(result, check_return):
            text = f"{name} returned {type(result).__name__}, not one of its annotated return types"
            if strict:
                raise ValueError(text)
            _logger.warning(text)
        return result

    async def wrapper(self: Any, message: Any, ctx: MessageContext) -> Any:
        if type(message) not in target_set and _ANY_KEY not in target_set:
            text = f"{name} cannot handle message of type {type(message).__name__}"
            if strict:
                raise CantHandleException(text)
            _logger.warning(text)
        return check_result(await func(self, message, ctx))

    def router(message: Any, ctx: MessageContext) -> bool:
        if rpc_mode is not None and ctx.is_rpc is not rpc_mode:
            return False
        return match is None or match(message, ctx)

    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    wrapper.__doc__ = func.__doc__
    # The routing metadata autogen-core's handlers carry (functions take attributes; setattr
    # keeps the type checker out of it), plus the route RoutedAgent dispatches through: it
    # routes by exact type, so it can skip the wrapper's type check.
    metadata = {
        "__wrapped__": func,
        "target_types": target_types,
        "produces_types": produces_types,
        "is_message_handler": True,
        "router": router,
        "is_rpc_only": rpc_mode,
        "_cantata_route": _Route(
            wrapper,
            router,
            func,
            check_result if rpc_mode is False or check_return is not None else None,
            rpc_mode is None and match is None,
            frozenset({type(None)} if rpc_mode is False else check_return or ()),
        ),
    }
    for attribute, value in metadata.items():
        setattr(wrapper, attribute, value)
    return wrapper


class _Route:
    """How RoutedAgent calls one handler: the router, and the function with its check.

    A result whose exact type is in ``passes`` passes the check without calling it.
    """

    __slots__ = ("always", "call", "check", "handler", "passes", "router")

    def __init__(
        self,
        handler: Any,
        router: Callable[[Any, MessageContext], bool],
        call: Callable[..., Coroutine[Any, Any, Any]],
        check: Callable[[Any], Any] | None,
        always: bool,
        passes: frozenset[type[Any]] = frozenset(),
    ) -> None:
        self.handler = handler
        self.router = router
        self.call = call
        self.check = check
        self.always = always
        self.passes = passes


def _route_for(handler: Any) -> _Route:
    """The route of a decorated handler; a handler wrapped again is called as it is."""
    route: _Route | None = getattr(handler, "_cantata_route", None)
    if route is not None and route.handler is handler:
        return route
    return _Route(handler, handler.router, handler, None, False)


def _decorator_factory(rpc_mode: bool | None) -> Any:
    def decorator(
        func: Any = None,
        *,
        strict: bool = True,
        match: Callable[[Any, MessageContext], bool] | None = None,
    ) -> Any:
        if func is None:
            return lambda f: _make_handler(f, strict=strict, match=match, rpc_mode=rpc_mode)
        return _make_handler(func, strict=strict, match=match, rpc_mode=rpc_mode)

    return decorator


@overload
def message_handler(
    func: HandlerFunc[AgentT, ReceivesT, ProducesT],
) -> MessageHandler[AgentT, ReceivesT, ProducesT]: ...


@overload
def message_handler(
    func: None = None,
    *,
    strict: bool = ...,
    match: Callable[[ReceivesT, MessageContext], bool] | None = ...,
) -> Callable[
    [HandlerFunc[AgentT, ReceivesT, ProducesT]], MessageHandler[AgentT, ReceivesT, ProducesT]
]: ...


def message_handler(
    func: HandlerFunc[AgentT, ReceivesT, ProducesT] | None = None,
    *,
    strict: bool = True,
    match: Callable[[ReceivesT, MessageContext], bool] | None = None,
) -> Any:
    """Mark a method as a handler for the type its ``message`` parameter is annotated with.

    ``strict=True`` raises :class:`CantHandleException` for a message of another type and
    ``ValueError`` for a return value outside the annotated return type; ``strict=False`` logs
    warnings instead. ``match`` further selects messages (first matching handler wins).
    """
    return _decorator_factory(None)(func, strict=strict, match=match)


@overload
def event(
    func: HandlerFunc[AgentT, ReceivesT, None],
) -> MessageHandler[AgentT, ReceivesT, None]: ...


@overload
def event(
    func: None = None,
    *,
    strict: bool = ...,
    match: Callable[[ReceivesT, MessageContext], bool] | None = ...,
) -> Callable[[HandlerFunc[AgentT, ReceivesT, None]], MessageHandler[AgentT, ReceivesT, None]]: ...


def event(
    func: HandlerFunc[AgentT, ReceivesT, None] | None = None,
    *,
    strict: bool = True,
    match: Callable[[ReceivesT, MessageContext], bool] | None = None,
) -> Any:
    """Like :func:`message_handler`, for published messages only; must return ``None``."""
    return _decorator_factory(False)(func, strict=strict, match=match)


@overload
def rpc(
    func: HandlerFunc[AgentT, ReceivesT, ProducesT],
) -> MessageHandler[AgentT, ReceivesT, ProducesT]: ...


@overload
def rpc(
    func: None = None,
    *,
    strict: bool = ...,
    match: Callable[[ReceivesT, MessageContext], bool] | None = ...,
) -> Callable[
    [HandlerFunc[AgentT, ReceivesT, ProducesT]], MessageHandler[AgentT, ReceivesT, ProducesT]
]: ...


def rpc(
    func: HandlerFunc[AgentT, ReceivesT, ProducesT] | None = None,
    *,
    strict: bool = True,
    match: Callable[[ReceivesT, MessageContext], bool] | None = None,
) -> Any:
    """Like :func:`message_handler`, for direct (RPC) messages only."""
    return _decorator_factory(True)(func, strict=strict, match=match)


class RoutedAgent(BaseAgent):
    """An agent that routes each message to the decorated handler for its type.

    Messages with no matching handler go to :meth:`on_unhandled_message`, which logs them at
    INFO and returns ``None`` (an RPC caller receives ``None``), as in autogen-core; override
    it to raise :class:`CantHandleException` instead.
    """

    _handler_table: ClassVar[dict[type[Any], tuple[Any, ...]]] = {}
    _any_handlers: ClassVar[tuple[Any, ...]] = ()
    _routes: ClassVar[dict[type[Any], tuple[_Route, ...]]] = {}
    _any_routes: ClassVar[tuple[_Route, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[type[Any], list[Any]] = {}
        any_handlers: list[Any] = []
        for attr in sorted(dir(cls)):
            member = getattr(cls, attr, None)
            if callable(member) and getattr(member, "is_message_handler", False):
                for target in member.target_types:
                    if target is _ANY_KEY:
                        any_handlers.append(member)
                    else:
                        table.setdefault(target, []).append(member)
        cls._handler_table = {key: tuple(value) for key, value in table.items()}
        cls._any_handlers = tuple(any_handlers)
        cls._routes = {key: tuple(map(_route_for, value)) for key, value in table.items()}
        cls._any_routes = tuple(map(_route_for, any_handlers))

    def __init__(self, description: str) -> None:
        super().__init__(description)

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        """Route ``message`` to the first matching handler."""
        for route in self._routes.get(type(message), self._any_routes):
            if route.always or route.router(message, ctx):
                result = await route.call(self, message, ctx)
                if route.check is None or type(result) in route.passes:
                    return result
                return route.check(result)
        return await self.on_unhandled_message(message, ctx)

    async def on_unhandled_message(self, message: Any, ctx: MessageContext) -> Any:
        """Called when no handler matches: logs ``Unhandled message`` at INFO, returns None."""
        _logger.info("Unhandled message: %s has no handler for %r", type(self).__name__, message)
        return None

    @classmethod
    def _handles_types(cls) -> list[tuple[type[Any], list[MessageSerializer[Any]]]]:
        """Types handled or returned by this class's handlers, with their serializers."""
        seen: dict[type[Any], list[MessageSerializer[Any]]] = {}
        for handlers in (*cls._handler_table.values(), cls._any_handlers):
            for handler in handlers:
                for kind in (*handler.target_types, *handler.produces_types):
                    if kind in seen or kind is _ANY_KEY or kind is type(None):
                        continue
                    seen[kind] = try_get_known_serializers_for_type(kind)
        result = [(kind, sers) for kind, sers in seen.items() if sers]
        return result + super()._handles_types()
