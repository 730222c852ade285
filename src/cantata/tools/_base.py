"""The :class:`BaseTool`, :class:`BaseToolWithState` and :class:`BaseStreamTool` classes."""

from __future__ import annotations

import copy
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, ValidationError

from cantata._cancellation_token import CancellationToken
from cantata._components import ComponentBase
from cantata._constants import EVENT_LOGGER_NAME
from cantata.logging import ToolCallEvent

from .._genai_spans import GenAiSpan, start_tool_span
from ._json_schema import fields_with_defaults, inline_refs, make_strict
from ._protocols import StreamTool, Tool
from ._schema import ParametersSchema, ToolSchema

__all__ = ["BaseStreamTool", "BaseTool", "BaseToolWithState"]

ArgsT = TypeVar("ArgsT", bound=BaseModel)
ReturnT = TypeVar("ReturnT")
StateT = TypeVar("StateT", bound=BaseModel)
StreamT = TypeVar("StreamT")

_event_logger = logging.getLogger(EVENT_LOGGER_NAME)


class BaseTool(ABC, Tool, ComponentBase[BaseModel], Generic[ArgsT, ReturnT]):
    """Base class of tools whose arguments are a pydantic model.

    Subclasses implement :meth:`run`. The JSON schema sent to models is derived from
    *args_type*'s JSON schema (``$ref``s to nested models are inlined), and
    :meth:`run_json` validates a model's JSON arguments into *args_type* before calling
    :meth:`run`.

    In *strict* mode the schema declares every property required and
    ``additionalProperties: false``, at every nesting level, as strict structured
    outputs demand; such a schema cannot express defaults, so an args model with
    default values is rejected.

    Every :meth:`run_json` call emits an OpenTelemetry ``execute_tool`` span when a
    tracer provider is configured, and logs a :class:`~cantata.logging.ToolCallEvent`
    on the ``cantata.events`` logger when it is enabled for INFO.

    Args:
        args_type: The pydantic model the arguments are validated into.
        return_type: The type of the value :meth:`run` returns.
        name: The name the model uses to call the tool.
        description: What the tool does, for the model.
        strict: Whether the schema is strict (see above).

    Raises:
        TypeError: *args_type* is not a pydantic model class.
        ValueError: *name* is empty, or *strict* is true and *args_type* has fields
            with default values (their names are listed).
    """

    component_type: ClassVar[str] = "tool"
    """The component type of every tool."""

    def __init__(
        self,
        args_type: type[ArgsT],
        return_type: type[ReturnT],
        name: str,
        description: str,
        strict: bool = False,
    ) -> None:
        if not (isinstance(args_type, type) and issubclass(args_type, BaseModel)):
            raise TypeError(f"args_type must be a pydantic BaseModel subclass, got {args_type!r}")
        if not name:
            raise ValueError("A tool needs a non-empty name")
        self._args_type = args_type
        self._return_type = return_type
        self._name = name
        self._description = description
        self._strict = strict
        self._schema = self._build_schema()

    def _build_schema(self) -> ToolSchema:
        model_schema = self._args_type.model_json_schema()
        if self._strict:
            defaults = fields_with_defaults(model_schema)
            if defaults:
                raise ValueError(
                    f"Tool {self._name!r} is strict, but its arguments "
                    f"({self._args_type.__name__}) have default values for: "
                    f"{', '.join(defaults)}. In strict mode every argument is required; "
                    "remove the defaults or create the tool with strict=False."
                )
        model_schema = inline_refs(model_schema)
        parameters: dict[str, Any] = {
            "type": "object",
            "properties": model_schema.get("properties", {}),
            "required": list(model_schema.get("required", [])),
            "additionalProperties": bool(model_schema.get("additionalProperties", False)),
        }
        if "$defs" in model_schema:  # a recursive model: its references stay
            parameters["$defs"] = model_schema["$defs"]
        if self._strict:
            make_strict(parameters)
        return {
            "name": self._name,
            "description": self._description,
            "parameters": cast(ParametersSchema, parameters),
            "strict": self._strict,
        }

    @property
    def name(self) -> str:
        """The name the model uses to call the tool."""
        return self._name

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        return self._description

    @property
    def schema(self) -> ToolSchema:
        """The tool's JSON schema (a fresh copy each time; changing it changes nothing)."""
        return copy.deepcopy(self._schema)

    def args_type(self) -> type[ArgsT]:
        """The pydantic model the arguments are validated into."""
        return self._args_type

    def return_type(self) -> type[ReturnT]:
        """The type of the value :meth:`run` returns."""
        return self._return_type

    def state_type(self) -> type[Any] | None:
        """``None``: a plain tool has no state."""
        return None

    def return_value_as_string(self, value: Any) -> str:
        """Render *value* as text for a model.

        A pydantic model becomes its JSON (``json.dumps`` of its JSON-mode dump);
        anything else becomes ``str(value)``.
        """
        if isinstance(value, BaseModel):
            dumped = value.model_dump(mode="json")
            return json.dumps(dumped) if isinstance(dumped, dict) else str(dumped)
        return str(value)

    @abstractmethod
    async def run(self, args: ArgsT, cancellation_token: CancellationToken) -> ReturnT:
        """Run the tool with validated arguments and return its result.

        Args:
            args: The validated arguments.
            cancellation_token: Cancels the run when cancelled; implementations should
                honour it.
        """

    def _validate_args(self, args: Mapping[str, Any]) -> ArgsT:
        """Validate JSON-decoded *args* into :meth:`args_type`.

        Raises:
            ValueError: *args* do not fit the arguments model. The message names the
                tool and each problem (``"<argument>: <problem>"``); the pydantic
                :class:`~pydantic.ValidationError` is chained as ``__cause__``.
        """
        try:
            return self._args_type.model_validate(args)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or '(arguments)'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ValueError(f"Invalid arguments for tool {self._name!r}: {problems}") from exc

    async def run_json(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> Any:
        """Validate *args*, :meth:`run` the tool and return its result.

        Args:
            args: The JSON-decoded arguments, e.g. ``json.loads(call.arguments)``.
            cancellation_token: Passed to :meth:`run`.
            call_id: The id of the model's function call, recorded on the span.

        Raises:
            ValueError: *args* do not fit the arguments model. The message names the
                tool and each problem (``"<argument>: <problem>"``); the pydantic
                :class:`~pydantic.ValidationError` is chained as ``__cause__``.
            Exception: Whatever :meth:`run` raised.
        """
        span = start_tool_span(self._name, self._description, call_id)
        if span is None:
            result = await self.run(self._validate_args(args), cancellation_token)
        else:
            try:
                with span.activate():
                    result = await self.run(self._validate_args(args), cancellation_token)
            except BaseException as exc:
                span.record_error(exc)
                raise
            finally:
                span.end()
        self._log_call(args, result)
        return result

    def _log_call(self, args: Mapping[str, Any], result: Any) -> None:
        """Log a :class:`~cantata.logging.ToolCallEvent` if the event logger wants it."""
        if _event_logger.isEnabledFor(logging.INFO):
            _event_logger.info(
                ToolCallEvent(
                    tool_name=self._name,
                    arguments=dict(args),
                    result=self.return_value_as_string(result),
                )
            )

    async def save_state_json(self) -> Mapping[str, Any]:
        """Return ``{}``: a plain tool has no state."""
        return {}

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """Do nothing: a plain tool has no state."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name!r}>"


class BaseToolWithState(BaseTool[ArgsT, ReturnT], ABC, Generic[ArgsT, ReturnT, StateT]):
    """A :class:`BaseTool` with state that can be saved and restored.

    Subclasses implement :meth:`run`, :meth:`save_state` and :meth:`load_state`; the
    state is a pydantic model of type *state_type*, stored as its JSON-mode dump.

    Args:
        args_type: The pydantic model the arguments are validated into.
        return_type: The type of the value :meth:`run` returns.
        state_type: The pydantic model of the state.
        name: The name the model uses to call the tool.
        description: What the tool does, for the model.
        strict: Whether the schema is strict (see :class:`BaseTool`).

    Raises:
        TypeError: *args_type* or *state_type* is not a pydantic model class.
        ValueError: As for :class:`BaseTool`.
    """

    def __init__(
        self,
        args_type: type[ArgsT],
        return_type: type[ReturnT],
        state_type: type[StateT],
        name: str,
        description: str,
        strict: bool = False,
    ) -> None:
        if not (isinstance(state_type, type) and issubclass(state_type, BaseModel)):
            raise TypeError(f"state_type must be a pydantic BaseModel subclass, got {state_type!r}")
        super().__init__(args_type, return_type, name, description, strict)
        self._state_type = state_type

    @abstractmethod
    def save_state(self) -> StateT:
        """Return the tool's current state."""

    @abstractmethod
    def load_state(self, state: StateT) -> None:
        """Replace the tool's state with *state*."""

    def state_type(self) -> type[StateT]:
        """The pydantic model of the state."""
        return self._state_type

    async def save_state_json(self) -> Mapping[str, Any]:
        """Return :meth:`save_state` as JSON-friendly data."""
        return self.save_state().model_dump(mode="json")

    async def load_state_json(self, state: Mapping[str, Any]) -> None:
        """Validate *state* into the state model and :meth:`load_state` it.

        Raises:
            pydantic.ValidationError: *state* does not fit the state model.
        """
        self.load_state(self._state_type.model_validate(state))


_NOTHING: Any = object()


class BaseStreamTool(BaseTool[ArgsT, ReturnT], StreamTool, ABC, Generic[ArgsT, StreamT, ReturnT]):
    """A :class:`BaseTool` that streams intermediate results before its final result.

    Subclasses implement :meth:`run_stream`, yielding any number of intermediate items
    (of type *StreamT*) and then the final result (of type *ReturnT*) last. :meth:`run`
    (and so :meth:`run_json`) drains the stream and returns that last item; a subclass
    may override it with a direct implementation.
    """

    @abstractmethod
    def run_stream(
        self, args: ArgsT, cancellation_token: CancellationToken
    ) -> AsyncGenerator[StreamT | ReturnT, None]:
        """Run the tool, yielding intermediate results and the final result last."""

    async def run(self, args: ArgsT, cancellation_token: CancellationToken) -> ReturnT:
        """Drain :meth:`run_stream` and return its last item.

        Raises:
            RuntimeError: The stream yielded nothing.
        """
        last: Any = _NOTHING
        stream = self.run_stream(args, cancellation_token)
        try:
            async for item in stream:
                last = item
        finally:
            await stream.aclose()
        if last is _NOTHING:
            raise RuntimeError(f"Tool {self._name!r} streamed no result")
        result: ReturnT = last
        return result

    async def run_json_stream(
        self,
        args: Mapping[str, Any],
        cancellation_token: CancellationToken,
        call_id: str | None = None,
    ) -> AsyncGenerator[StreamT | ReturnT, None]:
        """Validate *args* and yield every item of :meth:`run_stream`.

        The last item is the tool's result: it is what the
        :class:`~cantata.logging.ToolCallEvent` records. The ``execute_tool`` span (if
        tracing) covers the whole stream and is current only while the tool works, not
        while the consumer handles an item.

        Raises:
            ValueError: *args* do not fit the arguments model.
            RuntimeError: The stream yielded nothing.
            Exception: Whatever :meth:`run_stream` raised.
        """
        span = start_tool_span(self._name, self._description, call_id)
        last: Any = _NOTHING
        try:
            with _active(span):
                stream = self.run_stream(self._validate_args(args), cancellation_token)
            try:
                while True:
                    with _active(span):
                        try:
                            item = await stream.__anext__()
                        except StopAsyncIteration:
                            break
                    last = item
                    yield item
            finally:
                with _active(span):
                    await stream.aclose()
            if last is _NOTHING:
                raise RuntimeError(f"Tool {self._name!r} streamed no result")
        except GeneratorExit:
            raise
        except BaseException as exc:
            if span is not None:
                span.record_error(exc)
            raise
        finally:
            if span is not None:
                span.end()
        self._log_call(args, last)


def _active(span: GenAiSpan | None) -> AbstractContextManager[None]:
    """The span's :meth:`~GenAiSpan.activate` block, or nothing when not tracing."""
    return nullcontext() if span is None else span.activate()
