"""cantata.tools workbenches: Workbench, StaticWorkbench, StaticStreamWorkbench, ToolResult."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import anyio
import pytest
from pydantic import BaseModel, TypeAdapter

from cantata import CancellationToken, Image
from cantata.exceptions import MessageCancelledError
from cantata.tools import (
    BaseStreamTool,
    BaseTool,
    BaseToolWithState,
    FunctionTool,
    ImageResultContent,
    StaticStreamWorkbench,
    StaticWorkbench,
    StaticWorkbenchConfig,
    StreamWorkbench,
    TextResultContent,
    ToolOverride,
    ToolResult,
    ToolSchema,
    Workbench,
)

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def get_weather(city: str) -> str:
    """Get the weather.

    Args:
        city: The city.
    """
    return f"Sunny in {city}"


def add(a: int, b: int) -> int:
    return a + b


def fails(reason: str) -> None:
    raise LookupError(reason)


def fails_in_a_group() -> None:
    raise ExceptionGroup("several", [ValueError("first"), KeyError("second")])


def silent_failure() -> None:
    raise RuntimeError()


def picture() -> Image:
    return Image(PNG)


def captioned_picture() -> list[str | Image]:
    return ["A dot:", Image(PNG)]


async def sleeps(seconds: float) -> str:
    await anyio.sleep(seconds)
    return "woke up"


weather = FunctionTool(get_weather, description="Get the weather.")
adder = FunctionTool(add, description="Add two numbers.")


class CounterState(BaseModel):
    count: int = 0


class CounterArgs(BaseModel):
    step: int


class CounterTool(BaseToolWithState[CounterArgs, int, CounterState]):
    def __init__(self, name: str = "counter") -> None:
        super().__init__(CounterArgs, int, CounterState, name, "Count up.")
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
    fail_at: int | None = None


class CountdownTool(BaseStreamTool[CountdownArgs, int, str]):
    def __init__(self) -> None:
        super().__init__(CountdownArgs, str, "countdown", "Count down, then lift off.")

    async def run_stream(
        self, args: CountdownArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[int | str, None]:
        for value in range(args.start, 0, -1):
            if value == args.fail_at:
                raise RuntimeError(f"abort at {value}")
            yield value
        yield "lift-off"


class SilentStreamTool(BaseStreamTool[CountdownArgs, int, str]):
    def __init__(self) -> None:
        super().__init__(CountdownArgs, str, "silent", "Streams nothing.")

    async def run_stream(
        self, args: CountdownArgs, cancellation_token: CancellationToken
    ) -> AsyncGenerator[int | str, None]:
        return
        yield


def text_result(name: str, text: str, is_error: bool = False) -> ToolResult:
    return ToolResult(name=name, result=[TextResultContent(content=text)], is_error=is_error)


# -- ToolResult --------------------------------------------------------------------------------


def test_tool_result_fields_and_text() -> None:
    result = ToolResult(
        name="browser",
        result=[TextResultContent(content="page"), ImageResultContent(content=Image(PNG))],
    )
    assert result.type == "ToolResult"
    assert result.is_error is False
    assert result.to_text(replace_image="<image>") == "page\n<image>"
    assert result.to_text() == f"page\n[Image: {base64.b64encode(PNG).decode()}]"
    assert str(text_result("t", "x")) == (
        "type='ToolResult' name='t' "
        "result=[TextResultContent(type='TextResultContent', content='x')] is_error=False"
    )


def test_tool_result_round_trips_through_json() -> None:
    result = ToolResult(
        name="browser",
        result=[TextResultContent(content="page"), ImageResultContent(content=Image(PNG))],
        is_error=True,
    )
    restored = ToolResult.model_validate_json(result.model_dump_json())
    assert restored == result
    assert isinstance(restored.result[1], ImageResultContent)
    adapter = TypeAdapter(ToolResult)
    assert adapter.validate_python(result.model_dump()) == result


# -- StaticWorkbench ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_list_tools() -> None:
    workbench = StaticWorkbench([weather, adder])
    schemas = await workbench.list_tools()
    assert schemas == [weather.schema, adder.schema]
    schemas[0]["name"] = "changed"
    assert (await workbench.list_tools())[0]["name"] == "get_weather"


@pytest.mark.anyio
async def test_call_tool() -> None:
    async with StaticWorkbench([weather, adder]) as workbench:
        assert await workbench.call_tool("get_weather", {"city": "Paris"}) == text_result(
            "get_weather", "Sunny in Paris"
        )
        result = await workbench.call_tool(
            "add", {"a": 1, "b": 2}, cancellation_token=CancellationToken(), call_id="c1"
        )
        assert result == text_result("add", "3")
        assert result.to_text() == "3"


@pytest.mark.anyio
async def test_call_tool_without_arguments() -> None:
    workbench = StaticWorkbench([FunctionTool(picture, description="A picture.")])
    result = await workbench.call_tool("picture")
    assert result == ToolResult(name="picture", result=[ImageResultContent(content=Image(PNG))])


@pytest.mark.anyio
async def test_texts_and_images() -> None:
    workbench = StaticWorkbench([FunctionTool(captioned_picture, description="d")])
    result = await workbench.call_tool("captioned_picture", {})
    assert result.result == [
        TextResultContent(content="A dot:"),
        ImageResultContent(content=Image(PNG)),
    ]


@pytest.mark.anyio
async def test_unknown_tool_is_an_error_result() -> None:
    result = await StaticWorkbench([weather, adder]).call_tool("search", {})
    assert result == text_result(
        "search", "Tool 'search' not found. Available tools: 'get_weather', 'add'.", True
    )
    empty = await StaticWorkbench([]).call_tool("search")
    assert empty.to_text() == "Tool 'search' not found. Available tools: none."


@pytest.mark.anyio
async def test_invalid_arguments_are_an_error_result() -> None:
    result = await StaticWorkbench([adder]).call_tool("add", {"a": "one"})
    assert result.is_error
    assert result.name == "add"
    text = result.to_text()
    assert text.startswith("Invalid arguments for tool 'add': a: Input should be a valid integer")
    assert "b: Field required" in text


@pytest.mark.anyio
async def test_tool_errors_are_error_results() -> None:
    workbench = StaticWorkbench(
        [
            FunctionTool(fails, description="d"),
            FunctionTool(fails_in_a_group, description="d"),
            FunctionTool(silent_failure, description="d"),
        ]
    )
    assert await workbench.call_tool("fails", {"reason": "no such city"}) == text_result(
        "fails", "no such city", True
    )
    assert await workbench.call_tool("fails_in_a_group") == text_result(
        "fails_in_a_group", "first\n'second'", True
    )
    assert await workbench.call_tool("silent_failure") == text_result(
        "silent_failure", "RuntimeError", True
    )


@pytest.mark.anyio
async def test_cancellation_is_raised_not_returned() -> None:
    workbench = StaticWorkbench([FunctionTool(sleeps, description="d")])
    token = CancellationToken()
    token.cancel()
    with pytest.raises(MessageCancelledError):
        await workbench.call_tool("sleeps", {"seconds": 60}, cancellation_token=token)

    token = CancellationToken()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(_cancel_soon, token)
            with pytest.raises(MessageCancelledError):
                await workbench.call_tool("sleeps", {"seconds": 60}, cancellation_token=token)


async def _cancel_soon(token: CancellationToken) -> None:
    await anyio.sleep(0.01)
    token.cancel()


@pytest.mark.anyio
async def test_callers_scope_cancels_a_call() -> None:
    workbench = StaticWorkbench([FunctionTool(sleeps, description="d")])
    with anyio.move_on_after(0.01) as scope:
        await workbench.call_tool("sleeps", {"seconds": 60})
    assert scope.cancelled_caught


@pytest.mark.anyio
async def test_state() -> None:
    counter = CounterTool()
    workbench = StaticWorkbench([counter, adder])
    await workbench.call_tool("counter", {"step": 5})
    state = await workbench.save_state()
    assert state == {"type": "StaticWorkbenchState", "tools": {"counter": {"count": 5}, "add": {}}}

    other_counter = CounterTool()
    other = StaticWorkbench([other_counter, adder])
    await other.load_state({**state, "tools": {**state["tools"], "gone": {"x": 1}}})
    assert other_counter.count == 5
    await other.load_state({"type": "StaticWorkbenchState", "tools": {}})  # nothing to change
    assert other_counter.count == 5
    with pytest.raises(ValueError, match="Not a StaticWorkbenchState"):
        await other.load_state({"type": "SomethingElse", "tools": {}})
    with pytest.raises(ValueError, match="Not a StaticWorkbenchState"):
        await other.load_state({"type": "StaticWorkbenchState"})


@pytest.mark.anyio
async def test_start_stop_and_reset_do_nothing() -> None:
    counter = CounterTool()
    workbench = StaticWorkbench([counter])
    await workbench.start()
    await workbench.call_tool("counter", {"step": 1})
    await workbench.reset()
    await workbench.stop()
    assert counter.count == 1
    assert (await workbench.call_tool("counter", {"step": 1})).to_text() == "2"


def test_duplicate_tool_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="Two tools are named 'add'"):
        StaticWorkbench([adder, FunctionTool(add, description="Again.")])


def test_component_settings() -> None:
    assert Workbench.component_type == "workbench"
    assert StaticWorkbench.component_config_schema is StaticWorkbenchConfig
    assert (
        StaticStreamWorkbench.component_provider_override == "cantata.tools.StaticStreamWorkbench"
    )


# -- Tool overrides ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_overrides_rename_and_redescribe() -> None:
    workbench = StaticWorkbench(
        [weather, adder],
        tool_overrides={
            "get_weather": ToolOverride(name="weather", description="Today's weather."),
            "add": ToolOverride(description="Sum."),
        },
    )
    schemas = await workbench.list_tools()
    assert [(s["name"], s.get("description")) for s in schemas] == [
        ("weather", "Today's weather."),
        ("add", "Sum."),
    ]
    assert schemas[0].get("parameters") == weather.schema.get("parameters")
    assert weather.name == "get_weather"  # the tool itself is unchanged
    expected = text_result("weather", "Sunny in Rome")
    assert await workbench.call_tool("weather", {"city": "Rome"}) == expected
    # The tool's own name still works, and the result carries the name it is shown under.
    assert await workbench.call_tool("get_weather", {"city": "Rome"}) == expected


@pytest.mark.anyio
async def test_override_keeping_the_name() -> None:
    workbench = StaticWorkbench([adder], tool_overrides={"add": ToolOverride(name="add")})
    assert [s["name"] for s in await workbench.list_tools()] == ["add"]
    empty = StaticWorkbench([adder], tool_overrides={"add": ToolOverride()})
    assert await empty.list_tools() == [adder.schema]


def test_overrides_must_keep_names_unique() -> None:
    with pytest.raises(ValueError, match="would both be shown as 'calc'"):
        StaticWorkbench(
            [weather, adder],
            tool_overrides={
                "get_weather": ToolOverride(name="calc"),
                "add": ToolOverride(name="calc"),
            },
        )
    with pytest.raises(ValueError, match="cannot be renamed to 'add': another tool has that name"):
        StaticWorkbench([weather, adder], tool_overrides={"get_weather": ToolOverride(name="add")})
    with pytest.raises(ValueError, match="cannot be renamed"):
        StaticWorkbench(
            [weather, adder],
            tool_overrides={
                "get_weather": ToolOverride(name="add"),
                "add": ToolOverride(name="get_weather"),
            },
        )


def test_overrides_must_name_existing_tools() -> None:
    with pytest.raises(ValueError, match=r"tools the workbench does not have: \['search'\]"):
        StaticWorkbench([adder], tool_overrides={"search": ToolOverride(name="find")})


# -- StaticStreamWorkbench ---------------------------------------------------------------------


async def collect(stream: AsyncGenerator[Any, None]) -> list[Any]:
    return [item async for item in stream]


@pytest.mark.anyio
async def test_stream_a_stream_tool() -> None:
    async with StaticStreamWorkbench([CountdownTool(), adder]) as workbench:
        assert isinstance(workbench, StreamWorkbench)
        items = await collect(workbench.call_tool_stream("countdown", {"start": 2}))
        assert items == [2, 1, text_result("countdown", "lift-off")]
        assert await workbench.call_tool("countdown", {"start": 1}) == text_result(
            "countdown", "lift-off"
        )


@pytest.mark.anyio
async def test_stream_a_plain_tool() -> None:
    workbench = StaticStreamWorkbench([adder], tool_overrides={"add": ToolOverride(name="sum")})
    items = await collect(workbench.call_tool_stream("sum", {"a": 2, "b": 2}, call_id="c"))
    assert items == [text_result("sum", "4")]


@pytest.mark.anyio
async def test_stream_errors() -> None:
    workbench = StaticStreamWorkbench([CountdownTool(), SilentStreamTool()])
    failing = await collect(workbench.call_tool_stream("countdown", {"start": 3, "fail_at": 1}))
    assert failing == [3, 2, text_result("countdown", "abort at 1", True)]
    assert await collect(workbench.call_tool_stream("nothing")) == [
        text_result(
            "nothing", "Tool 'nothing' not found. Available tools: 'countdown', 'silent'.", True
        )
    ]
    invalid = await collect(workbench.call_tool_stream("countdown", {}))
    assert len(invalid) == 1 and invalid[0].is_error
    assert invalid[0].to_text().startswith("Invalid arguments for tool 'countdown'")
    assert await collect(workbench.call_tool_stream("silent", {"start": 1})) == [
        text_result("silent", "Tool 'silent' streamed no result", True)
    ]


@pytest.mark.anyio
async def test_stream_cancellation_is_raised() -> None:
    token = CancellationToken()
    token.cancel()
    workbench = StaticStreamWorkbench([FunctionTool(sleeps, description="d")])
    with pytest.raises(MessageCancelledError):
        await collect(workbench.call_tool_stream("sleeps", {"seconds": 1}, token))


# -- Configuration -----------------------------------------------------------------------------


class DumpableTool(BaseTool[CounterArgs, int]):
    """A tool that can dump its component configuration."""

    def __init__(self) -> None:
        super().__init__(CounterArgs, int, "dumpable", "d")

    async def run(self, args: CounterArgs, cancellation_token: CancellationToken) -> int:
        return args.step

    def dump_component(self) -> dict[str, Any]:  # type: ignore[override]
        return {"provider": "tests.DumpableTool", "config": {}}


def test_config_holds_the_tools_components_and_overrides() -> None:
    overrides = {"dumpable": ToolOverride(name="dump")}
    config = StaticWorkbench([DumpableTool()], tool_overrides=overrides)._to_config()
    assert config == StaticWorkbenchConfig(
        tools=[{"provider": "tests.DumpableTool", "config": {}}], tool_overrides=overrides
    )
    assert StaticWorkbenchConfig.model_validate(config.model_dump()) == config


def test_config_holds_each_tools_component() -> None:
    tools = StaticWorkbench([adder])._to_config().model_dump()["tools"]
    assert [tool["provider"] for tool in tools] == ["cantata.tools.FunctionTool"]
    assert tools[0]["config"]["name"] == "add"


def test_config_round_trip_loads_the_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANTATA_TRUST_TOOL_SOURCE", "1")
    overrides = {"add": ToolOverride(name="plus")}
    loaded = StaticWorkbench._from_config(
        StaticWorkbench([adder], tool_overrides=overrides)._to_config()
    )
    assert [tool.name for tool in loaded._tools] == ["add"]
    assert isinstance(loaded._tools[0], BaseTool)


def test_loading_tools_runs_no_source_without_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CANTATA_TRUST_TOOL_SOURCE", raising=False)
    with pytest.raises(PermissionError, match="CANTATA_TRUST_TOOL_SOURCE"):
        StaticWorkbench._from_config(StaticWorkbench([adder])._to_config())


# -- The Workbench interface -------------------------------------------------------------------


class RecordingWorkbench(Workbench):
    """A minimal workbench that records its life cycle."""

    def __init__(self) -> None:
        self.events: list[str] = []

    async def list_tools(self) -> list[ToolSchema]:
        return [{"name": "noop"}]

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
        call_id: str | None = None,
    ) -> ToolResult:
        self.events.append(f"call {name}")
        return text_result(name, "ok")

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    async def reset(self) -> None:
        self.events.append("reset")

    async def save_state(self) -> Mapping[str, Any]:
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        pass


@pytest.mark.anyio
async def test_async_with_starts_and_stops() -> None:
    workbench = RecordingWorkbench()
    async with workbench as entered:
        assert entered is workbench
        await entered.call_tool("noop")
    assert workbench.events == ["start", "call noop", "stop"]

    failing = RecordingWorkbench()
    with pytest.raises(LookupError):
        async with failing:
            raise LookupError("boom")
    assert failing.events == ["start", "stop"]


def test_workbenches_are_abstract() -> None:
    with pytest.raises(TypeError):
        Workbench()  # type: ignore[abstract]
    with pytest.raises(TypeError):
        StreamWorkbench()  # type: ignore[abstract]
