"""cantata.tools: the Tool protocols, BaseTool and its variants, FunctionTool, tracing."""

from __future__ import annotations

import functools
import json
import logging
import sys
import threading
from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel, Field, ValidationError

from cantata import CancellationToken
from cantata._constants import EVENT_LOGGER_NAME
from cantata._genai_spans import start_tool_span
from cantata.exceptions import MessageCancelledError
from cantata.logging import ToolCallEvent
from cantata.tools import (
    Alias,
    BaseStreamTool,
    BaseTool,
    BaseToolWithState,
    FunctionTool,
    FunctionToolConfig,
    ImportFromModule,
    StreamTool,
    Tool,
)
from cantata.tools._imports import import_to_str

try:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
except ImportError:  # pragma: no cover - the test extra installs it
    HAVE_OTEL_SDK = False
else:
    HAVE_OTEL_SDK = True

needs_otel_sdk = pytest.mark.skipif(
    not HAVE_OTEL_SDK, reason="opentelemetry-sdk is not installed (pip install 'cantata[test]')"
)

WAIT = 5.0  # seconds: an upper bound for things that should happen at once


# -- Functions to wrap -------------------------------------------------------------------------


async def get_stock_price(ticker: str, date: Annotated[str, "Date in YYYY/MM/DD"]) -> float:
    return 143.83831971965762


def add(a: int, b: int = 2) -> int:
    """Add two numbers.

    Args:
        a: The first number.
        b (int): The second
            number.

    Returns:
        The sum.
    """
    return a + b


def sphinx_style(city: str, days: int) -> str:
    """Forecast.

    :param city: The city to forecast.
    :param int days: How many
        days ahead.
    """
    return f"{city}:{days}"


def numpy_style(city: str, days: int) -> str:
    """Forecast.

    Parameters
    ----------
    city : str
        The city to forecast.
    days : int
        How many days ahead.

    Returns
    -------
    str
        The forecast.
    """
    return f"{city}:{days}"


def greet(name: Annotated[str, Field(description="Who to greet")], punctuation: str = "!") -> str:
    return f"Hello, {name}{punctuation}"


def no_annotations(x, y=3):  # type: ignore[no-untyped-def]
    return x * y


class Point(BaseModel):
    x: int
    y: int = Field(description="The y coordinate")


class Shape(BaseModel):
    name: str
    points: list[Point]


def perimeter(shape: Annotated[Shape, "The shape"]) -> int:
    return len(shape.points)


class Node(BaseModel):
    value: int
    children: list[Node]


def count_nodes(tree: Node) -> int:
    return 1 + sum(count_nodes(child) for child in tree.children)


def current_thread() -> int:
    return threading.get_ident()


def _unused_function_for_config(x: int) -> str:
    return json.dumps({"x": x})


async def run_tool(tool: Tool, args: Mapping[str, Any], **kwargs: Any) -> Any:
    return await tool.run_json(args, CancellationToken(), **kwargs)


# -- FunctionTool: the schema ------------------------------------------------------------------


def test_schema_is_the_guides() -> None:
    tool = FunctionTool(get_stock_price, description="Get the stock price.")
    assert tool.schema == {
        "name": "get_stock_price",
        "description": "Get the stock price.",
        "parameters": {
            "type": "object",
            "properties": {
                "ticker": {"description": "ticker", "title": "Ticker", "type": "string"},
                "date": {"description": "Date in YYYY/MM/DD", "title": "Date", "type": "string"},
            },
            "required": ["ticker", "date"],
            "additionalProperties": False,
        },
        "strict": False,
    }
    assert tool.name == "get_stock_price"
    assert tool.description == "Get the stock price."
    assert tool.return_type() is float
    assert tool.state_type() is None
    assert FunctionTool.component_type == "tool"


def test_schema_is_a_copy() -> None:
    tool = FunctionTool(add, description="Add.")
    schema = tool.schema
    schema["name"] = "changed"
    assert tool.schema["name"] == "add"


@pytest.mark.parametrize("func", [add, sphinx_style, numpy_style])
def test_parameter_descriptions_come_from_the_docstring(func: Any) -> None:
    properties = FunctionTool(func, description="d").schema["parameters"]["properties"]
    descriptions = [prop["description"] for prop in properties.values()]
    if func is add:
        assert descriptions == ["The first number.", "The second number."]
    else:
        assert descriptions == ["The city to forecast.", "How many days ahead."]


def test_defaults_make_arguments_optional() -> None:
    tool = FunctionTool(add, description="Add.")
    parameters = tool.schema["parameters"]
    assert parameters.get("required") == ["a"]
    assert parameters["properties"]["b"]["default"] == 2


def test_annotated_field_description() -> None:
    properties = FunctionTool(greet, description="Greet.").schema["parameters"]["properties"]
    assert properties["name"]["description"] == "Who to greet"
    assert properties["punctuation"]["description"] == "punctuation"


def test_missing_annotations_accept_anything() -> None:
    tool = FunctionTool(no_annotations, description="Multiply.")
    properties = tool.schema["parameters"]["properties"]
    assert properties["x"] == {"description": "x", "title": "X"}
    assert tool.return_type() is Any


def test_nested_models_are_inlined() -> None:
    schema = FunctionTool(perimeter, description="Perimeter.").schema
    assert "$ref" not in json.dumps(schema)
    shape = schema["parameters"]["properties"]["shape"]
    assert shape["description"] == "The shape"
    assert shape["properties"]["points"]["items"]["properties"]["y"]["description"] == (
        "The y coordinate"
    )


def test_recursive_models_keep_their_definitions() -> None:
    parameters: Any = FunctionTool(count_nodes, description="Count.").schema["parameters"]
    assert "Node" in parameters["$defs"]
    assert parameters["properties"]["tree"]["$ref"] == "#/$defs/Node"


def test_name_override_and_names_of_other_callables() -> None:
    assert FunctionTool(add, description="d", name="plus").name == "plus"
    partial = functools.partial(add, b=10)
    tool = FunctionTool(partial, description="d")
    assert tool.name == "add"

    class Doubler:
        def __call__(self, value: int) -> int:
            return value * 2

    doubler = FunctionTool(Doubler(), description="d")
    assert doubler.name == "Doubler"
    assert list(doubler.schema["parameters"]["properties"]) == ["value"]


def test_parameter_names_pydantic_reserves_work() -> None:
    def odd_names(_private: int, model_size: int, json: str) -> str:
        return f"{_private}-{model_size}-{json}"

    tool = FunctionTool(odd_names, description="d")
    assert list(tool.schema["parameters"]["properties"]) == ["_private", "model_size", "json"]


@pytest.mark.anyio
async def test_parameter_names_pydantic_reserves_are_passed() -> None:
    def odd_names(_private: int, model_size: int, json: str) -> str:
        return f"{_private}-{model_size}-{json}"

    tool = FunctionTool(odd_names, description="d")
    assert await run_tool(tool, {"_private": 1, "model_size": 2, "json": "j"}) == "1-2-j"


def test_variadic_parameters_are_rejected() -> None:
    def variadic(*values: int) -> int:
        return sum(values)

    def keywords(**options: str) -> str:
        return ""

    with pytest.raises(TypeError, match=r"variadic"):
        FunctionTool(variadic, description="d")
    with pytest.raises(TypeError, match=r"variadic"):
        FunctionTool(keywords, description="d")


def test_not_callable_is_rejected() -> None:
    with pytest.raises(TypeError, match="callable"):
        FunctionTool(42, description="d")  # type: ignore[arg-type]


def test_unresolvable_annotation_is_rejected() -> None:
    def broken(value: UndefinedName) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(TypeError, match="annotations of"):
        FunctionTool(broken, description="d")


class Opaque:
    pass


def test_unsupported_parameter_type_is_rejected() -> None:
    def uses_opaque(value: Opaque) -> None:
        pass

    with pytest.raises(TypeError, match="Cannot describe the parameters"):
        FunctionTool(uses_opaque, description="d")


# -- Strict mode -------------------------------------------------------------------------------


def test_strict_schema() -> None:
    tool = FunctionTool(get_stock_price, description="d", strict=True)
    schema = tool.schema
    assert schema["strict"] is True
    assert schema["parameters"].get("required") == ["ticker", "date"]
    assert schema["parameters"].get("additionalProperties") is False


class Inner(BaseModel):
    x: int


class Outer(BaseModel):
    inner: Inner
    items: list[Inner]


class WithDefault(BaseModel):
    x: int
    label: str = "none"


def test_strict_closes_nested_objects() -> None:
    def use(outer: Outer) -> int:
        return outer.inner.x

    parameters: Any = FunctionTool(use, description="d", strict=True).schema["parameters"]
    outer = parameters["properties"]["outer"]
    assert outer["additionalProperties"] is False
    assert outer["required"] == ["inner", "items"]
    assert outer["properties"]["inner"]["additionalProperties"] is False
    assert outer["properties"]["items"]["items"]["required"] == ["x"]


def test_strict_rejects_defaults_and_names_them() -> None:
    with pytest.raises(ValueError, match=r"strict.*default values for: b\b"):
        FunctionTool(add, description="d", strict=True)


def test_strict_rejects_nested_defaults() -> None:
    def use(point: WithDefault) -> int:
        return point.x

    with pytest.raises(ValueError, match=r"WithDefault\.label"):
        FunctionTool(use, description="d", strict=True)


# -- FunctionTool: running ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_function_is_awaited() -> None:
    tool = FunctionTool(get_stock_price, description="Get the stock price.")
    result = await run_tool(tool, {"ticker": "AAPL", "date": "2021/01/01"})
    assert result == 143.83831971965762
    assert tool.return_value_as_string(result) == "143.83831971965762"


@pytest.mark.anyio
async def test_sync_function_runs_in_a_worker_thread() -> None:
    tool = FunctionTool(current_thread, description="d")
    assert await run_tool(tool, {}) != threading.get_ident()


@pytest.mark.anyio
async def test_defaults_are_used() -> None:
    tool = FunctionTool(add, description="Add.")
    assert await run_tool(tool, {"a": 1}) == 3
    assert await run_tool(tool, {"a": 1, "b": 5}) == 6


@pytest.mark.anyio
async def test_partial_positional_only_and_callable_instances_run() -> None:
    def divide(numerator: float, denominator: float, /) -> float:
        return numerator / denominator

    class Adder:
        async def __call__(self, a: int, b: int) -> int:
            return a + b

    assert (
        await run_tool(FunctionTool(divide, description="d"), {"numerator": 6, "denominator": 3})
        == 2
    )
    assert (
        await run_tool(FunctionTool(functools.partial(add, b=10), description="d"), {"a": 1}) == 11
    )
    assert await run_tool(FunctionTool(Adder(), description="d"), {"a": 1, "b": 2}) == 3


@pytest.mark.anyio
async def test_arguments_are_validated_and_coerced() -> None:
    tool = FunctionTool(perimeter, description="d")
    shape = {"name": "triangle", "points": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 0, "y": "1"}]}
    assert await run_tool(tool, {"shape": shape}) == 3


@pytest.mark.anyio
async def test_bad_arguments_raise_a_clear_value_error() -> None:
    tool = FunctionTool(add, description="Add.")
    with pytest.raises(ValueError, match="Invalid arguments for tool 'add'") as info:
        await run_tool(tool, {"b": "many"})
    message = str(info.value)
    assert "a: Field required" in message
    assert "b: Input should be a valid integer" in message
    assert isinstance(info.value.__cause__, ValidationError)


@pytest.mark.anyio
async def test_arguments_that_are_not_an_object_raise_a_value_error() -> None:
    tool = FunctionTool(add, description="Add.")
    with pytest.raises(ValueError, match=r"Invalid arguments for tool 'add': \(arguments\)"):
        await run_tool(tool, [1, 2])  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_errors_of_the_function_propagate() -> None:
    def fails(reason: str) -> None:
        raise LookupError(reason)

    with pytest.raises(LookupError, match="no such thing"):
        await run_tool(FunctionTool(fails, description="d"), {"reason": "no such thing"})


def test_return_value_as_string() -> None:
    tool = FunctionTool(add, description="d")
    assert tool.return_value_as_string(Point(x=1, y=2)) == '{"x": 1, "y": 2}'
    assert tool.return_value_as_string([1, "a"]) == "[1, 'a']"
    assert tool.return_value_as_string(None) == "None"


# -- FunctionTool: the cancellation token parameter --------------------------------------------


@pytest.mark.anyio
async def test_cancellation_token_is_injected_and_not_in_the_schema() -> None:
    seen: list[CancellationToken] = []

    async def with_token(query: str, cancellation_token: CancellationToken) -> str:
        seen.append(cancellation_token)
        return query

    def sync_optional(query: str, token: CancellationToken | None = None) -> bool:
        return token is not None and not token.is_cancelled()

    def by_name(query: str, cancellation_token) -> str:  # type: ignore[no-untyped-def]
        return type(cancellation_token).__name__

    token = CancellationToken()
    tool = FunctionTool(with_token, description="d")
    assert list(tool.schema["parameters"]["properties"]) == ["query"]
    assert await tool.run_json({"query": "q"}, token) == "q"
    assert seen == [token]

    optional = FunctionTool(sync_optional, description="d")
    assert list(optional.schema["parameters"]["properties"]) == ["query"]
    assert await run_tool(optional, {"query": "q"}) is True

    named = FunctionTool(by_name, description="d")
    assert list(named.schema["parameters"]["properties"]) == ["query"]
    assert await run_tool(named, {"query": "q"}) == "CancellationToken"


def test_two_token_parameters_are_rejected() -> None:
    def two(a: CancellationToken, b: CancellationToken) -> None:
        pass

    with pytest.raises(TypeError, match="more than one cancellation token"):
        FunctionTool(two, description="d")


# -- FunctionTool: cancellation ----------------------------------------------------------------


@pytest.mark.anyio
async def test_already_cancelled_token_does_not_call_the_function() -> None:
    calls: list[int] = []

    def record(value: int) -> None:
        calls.append(value)

    token = CancellationToken()
    token.cancel()
    with pytest.raises(MessageCancelledError, match="Tool 'record' was cancelled"):
        await FunctionTool(record, description="d").run_json({"value": 1}, token)
    assert calls == []


@pytest.mark.anyio
async def test_token_cancels_an_async_function() -> None:
    started = anyio.Event()
    outcome: list[str] = []

    async def slow(seconds: float) -> str:
        started.set()
        try:
            await anyio.sleep(seconds)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        return "finished"

    token = CancellationToken()
    tool = FunctionTool(slow, description="d")

    async def cancel_when_started() -> None:
        await started.wait()
        token.cancel()

    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as group:
            group.start_soon(cancel_when_started)
            with pytest.raises(MessageCancelledError):
                await tool.run_json({"seconds": 60}, token)
    assert outcome == ["cancelled"]
    assert token._callbacks == {}  # the link to the scope is gone


@pytest.mark.anyio
async def test_token_releases_the_caller_of_a_sync_function() -> None:
    started = threading.Event()
    release = threading.Event()

    def blocking() -> str:
        started.set()
        release.wait(WAIT)
        return "finished"

    token = CancellationToken()
    tool = FunctionTool(blocking, description="d")

    async def cancel_when_started() -> None:
        await anyio.to_thread.run_sync(started.wait, WAIT)
        token.cancel()

    try:
        with anyio.fail_after(WAIT / 2):
            async with anyio.create_task_group() as group:
                group.start_soon(cancel_when_started)
                with pytest.raises(MessageCancelledError):
                    await tool.run_json({}, token)
    finally:
        release.set()


@pytest.mark.anyio
async def test_token_cancelled_from_the_worker_thread() -> None:
    release = threading.Event()

    def cancels_itself(cancellation_token: CancellationToken) -> str:
        cancellation_token.cancel()  # another thread than the event loop's
        release.wait(WAIT)
        return "finished"

    try:
        with anyio.fail_after(WAIT / 2), pytest.raises(MessageCancelledError):
            await FunctionTool(cancels_itself, description="d").run_json({}, CancellationToken())
    finally:
        release.set()


@pytest.mark.anyio
async def test_callers_scope_cancels_an_async_function() -> None:
    outcome: list[str] = []

    async def slow() -> str:
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise
        return "finished"

    with anyio.move_on_after(0.01) as scope:
        await run_tool(FunctionTool(slow, description="d"), {})
    assert scope.cancelled_caught
    assert outcome == ["cancelled"]


@pytest.mark.anyio
async def test_callers_scope_releases_the_caller_of_a_sync_function() -> None:
    release = threading.Event()

    def blocking() -> str:
        release.wait(WAIT)
        return "finished"

    try:
        with anyio.fail_after(WAIT / 2), anyio.move_on_after(0.01) as scope:
            await run_tool(FunctionTool(blocking, description="d"), {})
        assert scope.cancelled_caught
    finally:
        release.set()


@pytest.mark.anyio
async def test_a_finished_run_leaves_no_callback_on_the_token() -> None:
    token = CancellationToken()
    await FunctionTool(add, description="d").run_json({"a": 1}, token)
    assert token._callbacks == {}
    token.cancel()  # nothing left to cancel


# -- FunctionTool: configuration ---------------------------------------------------------------


def test_config_round_trip() -> None:
    tool = FunctionTool(
        _unused_function_for_config,
        description="Dump x.",
        name="dump_x",
        global_imports=["json", ImportFromModule("math", ["pi", Alias("sqrt", "root")])],
    )
    config = tool._to_config()
    assert config.name == "dump_x"
    assert config.description == "Dump x."
    assert config.has_cancellation_support is False
    assert config.source_code.startswith("def _unused_function_for_config(x: int) -> str:")
    restored_config = FunctionToolConfig.model_validate_json(config.model_dump_json())
    assert restored_config == config

    with pytest.raises(PermissionError, match="CANTATA_TRUST_TOOL_SOURCE"):
        FunctionTool._from_config(restored_config)  # refused unless trusted explicitly
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CANTATA_TRUST_TOOL_SOURCE", "1")
        rebuilt = FunctionTool._from_config(restored_config)
    assert rebuilt.name == "dump_x"
    assert rebuilt.schema == tool.schema


@pytest.mark.anyio
async def test_tool_rebuilt_from_config_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANTATA_TRUST_TOOL_SOURCE", "1")
    config = FunctionToolConfig(
        source_code=(
            "async def area(radius: float, cancellation_token: CancellationToken) -> float:\n"
            "    return round(pi * radius**2, 2)\n"
        ),
        name="area",
        description="Area of a circle.",
        global_imports=[
            ImportFromModule("math", ["pi"]),
            ImportFromModule("cantata", ["CancellationToken"]),
        ],
        has_cancellation_support=True,
    )
    tool = FunctionTool._from_config(config)
    assert await run_tool(tool, {"radius": 1}) == 3.14
    assert tool._to_config().has_cancellation_support is True


def test_config_needs_one_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANTATA_TRUST_TOOL_SOURCE", "1")
    config = FunctionToolConfig(
        source_code="def a() -> None: ...\ndef b() -> None: ...\n",
        name="a",
        description="d",
        global_imports=[],
        has_cancellation_support=False,
    )
    with pytest.raises(ValueError, match="exactly one top-level function, found 2"):
        FunctionTool._from_config(config)


def test_lambdas_and_partials_have_no_config() -> None:
    with pytest.raises(ValueError, match="only a def function"):
        FunctionTool(lambda x: x, description="d", name="identity")._to_config()
    with pytest.raises(ValueError, match="only a def function"):
        FunctionTool(functools.partial(add, b=1), description="d")._to_config()


def test_import_statements() -> None:
    assert import_to_str("json") == "import json"
    assert import_to_str(Alias("numpy", "np")) == "import numpy as np"
    assert (
        import_to_str(ImportFromModule("math", ["pi", Alias("sqrt", "root")]))
        == "from math import pi, sqrt as root"
    )
    assert ImportFromModule("math", ["pi"]).imports == ("pi",)
    with pytest.raises(TypeError, match="Not an import"):
        import_to_str(3)  # type: ignore[arg-type]


# -- BaseTool subclasses -----------------------------------------------------------------------


class EchoArgs(BaseModel):
    text: str
    times: int = 1


class EchoResult(BaseModel):
    text: str


class EchoTool(BaseTool[EchoArgs, EchoResult]):
    def __init__(self) -> None:
        super().__init__(EchoArgs, EchoResult, "echo", "Echo the text.")
        self.as_string_calls = 0

    async def run(self, args: EchoArgs, cancellation_token: CancellationToken) -> EchoResult:
        return EchoResult(text=args.text * args.times)

    def return_value_as_string(self, value: Any) -> str:
        self.as_string_calls += 1
        return super().return_value_as_string(value)


class CounterState(BaseModel):
    count: int = 0


class CounterArgs(BaseModel):
    step: int


class CounterTool(BaseToolWithState[CounterArgs, int, CounterState]):
    def __init__(self) -> None:
        super().__init__(CounterArgs, int, CounterState, "counter", "Count up.")
        self.count = 0

    async def run(self, args: CounterArgs, cancellation_token: CancellationToken) -> int:
        self.count += args.step
        return self.count

    def save_state(self) -> CounterState:
        return CounterState(count=self.count)

    def load_state(self, state: CounterState) -> None:
        self.count = state.count


class CountdownArgs(BaseModel):
    start: int


class CountdownTool(BaseStreamTool[CountdownArgs, int, str]):
    def __init__(self) -> None:
        super().__init__(CountdownArgs, str, "countdown", "Count down, then lift off.")
        self.closed = False

    async def run_stream(
        self, args: CountdownArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[int | str, None]:
        try:
            for value in range(args.start, 0, -1):
                yield value
            yield "lift-off"
        finally:
            self.closed = True


class SilentStreamTool(BaseStreamTool[CountdownArgs, int, str]):
    def __init__(self) -> None:
        super().__init__(CountdownArgs, str, "silent", "Streams nothing.")

    async def run_stream(
        self, args: CountdownArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[int | str, None]:
        return
        yield  # an async generator that yields nothing


@pytest.mark.anyio
async def test_base_tool_subclass() -> None:
    tool = EchoTool()
    assert isinstance(tool, Tool)
    assert not isinstance(tool, StreamTool)
    assert tool.args_type() is EchoArgs
    assert tool.return_type() is EchoResult
    assert tool.state_type() is None
    assert repr(tool) == "<EchoTool 'echo'>"
    result = await run_tool(tool, {"text": "ab", "times": 2})
    assert result == EchoResult(text="abab")
    assert tool.return_value_as_string(result) == '{"text": "abab"}'
    assert await tool.save_state_json() == {}
    await tool.load_state_json({"anything": 1})  # nothing to load


class AnyArgsTool(BaseTool[Any, int]):
    async def run(self, args: Any, cancellation_token: CancellationToken) -> int:
        return 0


class AnyStateTool(BaseToolWithState[Any, int, Any]):
    async def run(self, args: Any, cancellation_token: CancellationToken) -> int:
        return 0

    def save_state(self) -> Any:
        return None

    def load_state(self, state: Any) -> None:
        pass


def test_base_tool_argument_checks() -> None:
    with pytest.raises(TypeError, match="args_type must be a pydantic BaseModel"):
        AnyArgsTool(dict, int, "bad", "d")
    with pytest.raises(ValueError, match="non-empty name"):
        AnyArgsTool(EchoArgs, int, "", "d")
    with pytest.raises(TypeError, match="state_type must be a pydantic BaseModel"):
        AnyStateTool(EchoArgs, int, dict, "c", "d")


@pytest.mark.anyio
async def test_base_tool_with_state() -> None:
    tool = CounterTool()
    assert tool.state_type() is CounterState
    await run_tool(tool, {"step": 2})
    state = await tool.save_state_json()
    assert state == {"count": 2}
    other = CounterTool()
    await other.load_state_json(state)
    assert await run_tool(other, {"step": 1}) == 3
    with pytest.raises(ValidationError):
        await other.load_state_json({"count": "lots"})


@pytest.mark.anyio
async def test_stream_tool_streams_then_returns_the_last_item() -> None:
    tool = CountdownTool()
    assert isinstance(tool, StreamTool)
    items = [item async for item in tool.run_json_stream({"start": 3}, CancellationToken())]
    assert items == [3, 2, 1, "lift-off"]
    assert tool.closed
    assert await run_tool(tool, {"start": 2}) == "lift-off"


@pytest.mark.anyio
async def test_stream_tool_closes_the_stream_when_the_consumer_stops() -> None:
    tool = CountdownTool()
    stream = tool.run_json_stream({"start": 5}, CancellationToken())
    assert await stream.__anext__() == 5
    await stream.aclose()
    assert tool.closed


@pytest.mark.anyio
async def test_stream_tool_that_streams_nothing() -> None:
    tool = SilentStreamTool()
    with pytest.raises(RuntimeError, match="streamed no result"):
        await run_tool(tool, {"start": 1})
    with pytest.raises(RuntimeError, match="streamed no result"):
        async for _ in tool.run_json_stream({"start": 1}, CancellationToken()):
            pass


@pytest.mark.anyio
async def test_stream_tool_validates_arguments() -> None:
    with pytest.raises(ValueError, match="Invalid arguments for tool 'countdown'"):
        async for _ in CountdownTool().run_json_stream({}, CancellationToken()):
            pass


# -- ToolCallEvent -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_tool_call_event_is_logged_when_enabled(caplog: pytest.LogCaptureFixture) -> None:
    tool = EchoTool()
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        await run_tool(tool, {"text": "hi"})
        items = [
            item
            async for item in CountdownTool().run_json_stream({"start": 1}, CancellationToken())
        ]
    assert items == [1, "lift-off"]
    events = [record.msg for record in caplog.records if isinstance(record.msg, ToolCallEvent)]
    assert [event.kwargs for event in events] == [
        {
            "type": "ToolCall",
            "tool_name": "echo",
            "arguments": {"text": "hi"},
            "result": '{"text": "hi"}',
            "agent_id": None,
        },
        {
            "type": "ToolCall",
            "tool_name": "countdown",
            "arguments": {"start": 1},
            "result": "lift-off",
            "agent_id": None,
        },
    ]


@pytest.mark.anyio
async def test_tool_call_event_costs_nothing_when_disabled() -> None:
    logger = logging.getLogger(EVENT_LOGGER_NAME)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        tool = EchoTool()
        await run_tool(tool, {"text": "hi"})
        assert tool.as_string_calls == 0
    finally:
        logger.setLevel(level)


# -- OpenTelemetry -----------------------------------------------------------------------------


if HAVE_OTEL_SDK:

    @pytest.fixture
    def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
        """A real SDK tracer provider, made the configured one for the test."""
        span_exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(span_exporter))
        monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
        return span_exporter


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


@needs_otel_sdk
@pytest.mark.anyio
async def test_execute_tool_span(exporter: InMemorySpanExporter) -> None:
    tool = FunctionTool(get_stock_price, description="Get the stock price.")
    tracer = trace.get_tracer_provider().get_tracer("test")
    with tracer.start_as_current_span("agent turn") as parent:
        await run_tool(tool, {"ticker": "AAPL", "date": "2021/01/01"}, call_id="call_1")
    spans = {span.name: span for span in exporter.get_finished_spans()}
    span = spans["execute_tool get_stock_price"]
    assert span.kind is trace.SpanKind.INTERNAL
    assert _attributes(span) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.system": "autogen",
        "gen_ai.tool.name": "get_stock_price",
        "gen_ai.tool.description": "Get the stock price.",
        "gen_ai.tool.call.id": "call_1",
    }
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.status.status_code is trace.StatusCode.UNSET
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "cantata"


@needs_otel_sdk
@pytest.mark.anyio
async def test_execute_tool_span_is_current_while_the_tool_runs(
    exporter: InMemorySpanExporter,
) -> None:
    async def nested() -> str:
        with trace.get_tracer_provider().get_tracer("test").start_as_current_span("inside"):
            return "done"

    await run_tool(FunctionTool(nested, description="d"), {})
    spans = {span.name: span for span in exporter.get_finished_spans()}
    inner_parent = spans["inside"].parent
    assert inner_parent is not None
    assert inner_parent.span_id == spans["execute_tool nested"].context.span_id
    assert "gen_ai.tool.call.id" not in _attributes(spans["execute_tool nested"])


@needs_otel_sdk
@pytest.mark.anyio
async def test_execute_tool_span_records_errors(exporter: InMemorySpanExporter) -> None:
    def fails() -> None:
        raise LookupError("missing")

    with pytest.raises(LookupError):
        await run_tool(FunctionTool(fails, description="d"), {})
    with pytest.raises(ValueError, match="Invalid arguments"):
        await run_tool(FunctionTool(add, description="d"), {})
    failed, invalid = exporter.get_finished_spans()
    assert failed.status.status_code is trace.StatusCode.ERROR
    assert failed.status.description == "missing"
    assert _attributes(failed)["error.type"] == "LookupError"
    assert [event.name for event in failed.events] == ["exception"]
    assert _attributes(invalid)["error.type"] == "ValueError"


@needs_otel_sdk
@pytest.mark.anyio
async def test_execute_tool_span_covers_a_stream(exporter: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer_provider().get_tracer("test")
    stream = CountdownTool().run_json_stream({"start": 2}, CancellationToken(), call_id="c")
    items: list[int | str] = []
    async for item in stream:
        # The consumer's own spans are not children of the tool's span.
        with tracer.start_as_current_span(f"consume {item}"):
            items.append(item)
    assert items == [2, 1, "lift-off"]
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert spans["consume 2"].parent is None
    assert _attributes(spans["execute_tool countdown"])["gen_ai.tool.call.id"] == "c"


@needs_otel_sdk
@pytest.mark.anyio
async def test_no_span_without_a_configured_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", trace.ProxyTracerProvider)
    assert start_tool_span("t", "d", None) is None
    monkeypatch.setattr(trace, "get_tracer_provider", trace.NoOpTracerProvider)
    assert start_tool_span("t", "d", None) is None
    assert await run_tool(FunctionTool(add, description="d"), {"a": 1}) == 3


@pytest.mark.anyio
async def test_no_span_when_opentelemetry_is_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "opentelemetry.trace", raising=False)
    assert start_tool_span("t", "d", None) is None
    assert await run_tool(FunctionTool(add, description="d"), {"a": 1}) == 3
