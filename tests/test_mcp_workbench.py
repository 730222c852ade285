"""``McpWorkbench`` against a real MCP server over stdio (``tests/mcp_test_server.py``).

Every test runs on asyncio and on Trio and checks that no server process is left behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _mcp_servers import children, eventually, process_exists, stdio_params, wait_until_gone
from mcp import MCPError

from cantata import EVENT_LOGGER_NAME, CancellationToken
from cantata._components import ComponentModel
from cantata.exceptions import MessageCancelledError
from cantata.logging import ToolCallEvent
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tools import ImageResultContent, TextResultContent, ToolOverride, ToolResult, Workbench
from cantata.tools.mcp import (
    McpConnectionError,
    McpSessionActor,
    McpWorkbench,
    StdioServerParams,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    before = children()
    yield
    left = wait_until_gone(children() - before)
    assert not left, f"child processes left behind: {sorted(left)}"


def text_of(result: ToolResult) -> str:
    return result.to_text()


async def server_pid(workbench: McpWorkbench) -> int:
    result = await workbench.call_tool("pid")
    assert not result.is_error, result
    return int(text_of(result))


def marks(marker: Path) -> list[str]:
    return marker.read_text().split() if marker.exists() else []


# -- Tools, prompts and resources: one server for all -----------------------------------------


async def test_tools_prompts_and_resources_of_a_running_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    overrides = {
        "echo": ToolOverride(name="say", description="Say the text."),
        "add": ToolOverride(description="Sum."),
    }
    workbench = McpWorkbench(stdio_params(), tool_overrides=overrides)
    # Lazy start: the first use starts the server.
    assert workbench.initialize_result is None
    tools = {tool["name"]: tool for tool in await workbench.list_tools()}
    initialized = workbench.initialize_result
    assert initialized is not None
    assert initialized.server_info.name == "cantata-test"
    assert initialized.instructions == "A server for tests."

    # Listing: the server's order and schemas, overrides applied.
    assert list(tools)[:3] == ["add", "say", "fail"]
    assert tools["add"] == {
        "name": "add",
        "description": "Sum.",
        "parameters": {
            "type": "object",
            "properties": {
                "a": {"title": "A", "type": "integer"},
                "b": {"title": "B", "type": "integer"},
            },
            "required": ["a", "b"],
            "additionalProperties": False,
        },
    }
    assert tools["say"]["description"] == "Say the text."
    assert tools["fail"]["description"] == "Always fails."

    # Results: structured, text, image; by the overriding name and by the tool's own.
    with caplog.at_level(logging.INFO, logger=EVENT_LOGGER_NAME):
        structured = await workbench.call_tool("add", {"a": 2, "b": 40})
    assert not structured.is_error
    (event,) = [r.msg for r in caplog.records if isinstance(r.msg, ToolCallEvent)]
    assert json.loads(str(event))["arguments"] == {"a": 2, "b": 40}
    assert json.loads(text_of(structured)) == {"total": 42, "terms": [2, 40]}
    said = await workbench.call_tool("say", {"text": "hi", "times": 2})
    assert said == ToolResult(name="say", result=[TextResultContent(content="hi hi")])
    echoed = await workbench.call_tool("echo", {"text": "ho"})
    assert echoed.name == "echo" and text_of(echoed) == "ho"
    picture = await workbench.call_tool("picture")
    first, second = picture.result
    assert first == TextResultContent(content="a pixel")
    assert isinstance(second, ImageResultContent)
    assert second.content.mime_type == "image/png"

    # Errors are results carrying the server's text; the session goes on.
    failed = await workbench.call_tool("fail", {"reason": "no disk"})
    assert failed.is_error and failed.name == "fail"
    assert "the tool failed: no disk" in text_of(failed)
    unknown = await workbench.call_tool("nope", {})
    assert unknown.is_error and "Unknown tool: nope" in text_of(unknown)
    bad = await workbench.call_tool("add", {"a": "x"})
    assert bad.is_error and "validation error" in text_of(bad)

    # Prompts, resources, resource templates.
    prompts = await workbench.list_prompts()
    assert [p.name for p in prompts.prompts] == ["review"]
    prompt = await workbench.get_prompt("review", {"code": "x = 1"})
    (message,) = prompt.messages
    assert message.role == "user"
    assert getattr(message.content, "text", None) == "Please review this code:\nx = 1"
    resources = await workbench.list_resources()
    assert [str(r.uri) for r in resources.resources] == ["memo://greeting"]
    templates = await workbench.list_resource_templates()
    assert [t.uri_template for t in templates.resource_templates] == [
        "memo://notes/{topic}",
        "memo://slow/{seconds}",
    ]
    greeting = await workbench.read_resource("memo://greeting")
    assert getattr(greeting.contents[0], "text", None) == "hello from the server"
    note = await workbench.read_resource("memo://notes/cats")
    assert getattr(note.contents[0], "text", None) == "notes about cats"
    with pytest.raises(MCPError):
        await workbench.get_prompt("no-such-prompt")
    with pytest.raises(MCPError):
        await workbench.read_resource("memo://nothing")

    assert text_of(await workbench.call_tool("echo", {"text": "still"})) == "still"
    await workbench.stop()
    assert workbench.initialize_result is None


def test_overrides_must_not_share_a_name() -> None:
    overrides = {"echo": ToolOverride(name="same"), "add": ToolOverride(name="same")}
    with pytest.raises(ValueError, match="'same' is used by both"):
        McpWorkbench(stdio_params(), tool_overrides=overrides)


async def test_a_request_that_times_out_is_an_error_result() -> None:
    async with McpWorkbench(stdio_params(read_timeout_seconds=0.5)) as workbench:
        result = await workbench.call_tool("slow", {"seconds": 10})
        after = await workbench.call_tool("echo", {"text": "fine"})
        # Listings, prompts and resources raise instead.
        with pytest.raises(TimeoutError, match="did not answer reading resource"):
            await workbench.read_resource("memo://slow/10")
        assert text_of(await workbench.call_tool("echo", {"text": "still"})) == "still"
    assert result.is_error
    assert "did not answer the call to tool 'slow' within 0.5 seconds" in text_of(result)
    assert text_of(after) == "fine"


# -- Concurrency and cancellation: one server for all -----------------------------------------


async def test_concurrent_calls_and_cancellation(tmp_path: Path) -> None:
    async with McpWorkbench(stdio_params()) as workbench:
        # Concurrent calls share the session: all four run at once on the server.
        together = tmp_path / "together"
        results: list[ToolResult] = []

        async def call() -> None:
            arguments = {"seconds": 0.3, "marker": str(together)}
            results.append(await workbench.call_tool("slow", arguments))

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(call)
        assert [text_of(result) for result in results] == ["slept 0.3"] * 4
        assert marks(together) == ["started"] * 4 + ["finished"] * 4

        # A token cancelled mid-call cancels it, here and on the server.
        by_token = tmp_path / "by_token"
        token = CancellationToken()

        async def cancel_token_once_started() -> None:
            await eventually(lambda: "started" in marks(by_token))
            token.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(cancel_token_once_started)
            with pytest.raises(MessageCancelledError, match="'slow' was cancelled"):
                await workbench.call_tool(
                    "slow", {"seconds": 0.5, "marker": str(by_token)}, cancellation_token=token
                )

        # So does the caller's own cancel scope.
        by_scope = tmp_path / "by_scope"
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as group:

                async def cancel_scope_once_started() -> None:
                    await eventually(lambda: "started" in marks(by_scope))
                    scope.cancel()

                group.start_soon(cancel_scope_once_started)
                await workbench.call_tool("slow", {"seconds": 0.5, "marker": str(by_scope)})
                pytest.fail("the call was not cancelled")
        assert scope.cancelled_caught

        # A token cancelled beforehand sends nothing.
        before = tmp_path / "before"
        spent = CancellationToken()
        spent.cancel()
        with pytest.raises(MessageCancelledError):
            await workbench.call_tool(
                "slow", {"seconds": 0.1, "marker": str(before)}, cancellation_token=spent
            )

        # The session goes on; the cancelled calls never finished on the server.
        assert text_of(await workbench.call_tool("echo", {"text": "next"})) == "next"
        await anyio.sleep(0.8)
    assert marks(by_token) == ["started"]
    assert marks(by_scope) == ["started"]
    assert marks(before) == []


# -- Lifecycle ------------------------------------------------------------------------------


async def test_start_stop_reset(tmp_path: Path) -> None:
    workbench = McpWorkbench(stdio_params())
    with pytest.raises(RuntimeError, match="not started"):
        await workbench.stop()
    await workbench.start()
    first = await server_pid(workbench)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await workbench.start()
    assert "already started" in str(caught[0].message)
    assert await server_pid(workbench) == first

    # reset ends the session: the next use starts the server afresh.
    await workbench.reset()
    assert not process_exists(first)
    second = await server_pid(workbench)
    assert second != first

    # stop ends the server process, even when the caller is being cancelled.
    with anyio.CancelScope() as scope:
        scope.cancel()
        await workbench.stop()
    assert not process_exists(second)
    with pytest.raises(RuntimeError, match="not started"):
        await workbench.stop()

    # start begins a new one.
    await workbench.start()
    assert await server_pid(workbench) not in (first, second)

    # stop while a call is in flight: the call ends with an error that says so.
    marker = tmp_path / "marker"
    results: list[ToolResult] = []

    async def call() -> None:
        results.append(await workbench.call_tool("slow", {"seconds": 30, "marker": str(marker)}))

    async with anyio.create_task_group() as group:
        group.start_soon(call)
        await eventually(lambda: "started" in marks(marker))
        await workbench.stop()
    (result,) = results
    assert result.is_error
    assert "was closed during the call to tool 'slow'" in text_of(result)


async def test_a_start_abandoned_by_a_cancelled_caller() -> None:
    # The next use takes up the session the cancelled caller began.
    workbench = McpWorkbench(stdio_params())
    with anyio.move_on_after(0.05) as scope:
        await workbench.list_tools()
    assert scope.cancelled_caught
    assert text_of(await workbench.call_tool("echo", {"text": "x"})) == "x"
    await workbench.stop()

    # An actor closed while it starts ends the server it began.
    actor = McpSessionActor(stdio_params())
    with anyio.move_on_after(0.05):
        await actor.initialize()
    assert actor.is_starting
    await actor.close()
    assert not actor.is_running and not actor.is_starting


async def test_a_server_that_cannot_start_is_a_clear_error() -> None:
    missing = McpWorkbench(StdioServerParams(command="/nonexistent/mcp-server"))
    with pytest.raises(McpConnectionError, match="No such file"):
        await missing.start()
    result = await missing.call_tool("echo", {"text": "x"})
    assert result.is_error and "Could not start the MCP session" in text_of(result)
    with pytest.raises(McpConnectionError):
        await missing.list_tools()

    quits = McpWorkbench(StdioServerParams(command=sys.executable, args=["-c", "pass"]))
    with pytest.raises(McpConnectionError, match=r"Could not start|closed the connection"):
        await quits.start()


async def test_state_and_component_config() -> None:
    overrides = {"echo": ToolOverride(name="say", description="Say it.")}
    model_client = ReplayChatCompletionClient(["hi"])
    workbench = McpWorkbench(stdio_params(), tool_overrides=overrides, model_client=model_client)
    state = await workbench.save_state()
    assert state == {"type": "McpWorkBenchState"}
    await workbench.load_state(state)
    with pytest.raises(ValueError, match="McpWorkBenchState"):
        await workbench.load_state({"type": "Something"})

    config = workbench.dump_component()
    assert config.provider == "cantata.tools.mcp.McpWorkbench"
    assert config.component_type == "workbench"
    loaded = Workbench.load_component(json.loads(config.model_dump_json()))
    assert isinstance(loaded, McpWorkbench)
    assert loaded.server_params == workbench.server_params
    assert loaded.dump_component() == config

    # autogen's provider name loads the cantata class.
    autogen = ComponentModel(
        provider="autogen_ext.tools.mcp.McpWorkbench",
        component_type="workbench",
        config={"server_params": stdio_params().model_dump(), "tool_overrides": {}},
    )
    from_autogen = Workbench.load_component(autogen)
    assert isinstance(from_autogen, McpWorkbench)

    async with loaded:
        assert "say" in {tool["name"] for tool in await loaded.list_tools()}


# -- A server that dies ---------------------------------------------------------------------


async def test_a_server_killed_mid_call_gives_a_clear_error_and_restarts(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    async with McpWorkbench(stdio_params()) as workbench:
        pid = await server_pid(workbench)
        results: list[ToolResult] = []

        async def call() -> None:
            arguments = {"seconds": 30, "marker": str(marker)}
            results.append(await workbench.call_tool("slow", arguments))

        # Three calls in flight when the server is killed: each learns of it at once.
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(call)
            await eventually(lambda: marks(marker).count("started") == 3)
            os.kill(pid, signal.SIGKILL)
        assert len(results) == 3
        for result in results:
            assert result.is_error
            assert "connection to the MCP server" in text_of(result)
            assert "was lost during the call to tool 'slow'" in text_of(result)
        assert not process_exists(pid)  # reaped

        # The next use starts a new server.
        second = await server_pid(workbench)
        assert second != pid

        # A server that dies while idle is noticed (the session ends), and replaced on next
        # use.
        os.kill(second, signal.SIGKILL)
        await eventually(lambda: workbench.initialize_result is None)
        assert text_of(await workbench.call_tool("echo", {"text": "fresh"})) == "fresh"
        assert await server_pid(workbench) not in (pid, second)


async def test_a_server_that_exits_mid_call_and_explicit_restart() -> None:
    workbench = McpWorkbench(stdio_params())
    await workbench.start()
    result = await workbench.call_tool("exit_now", {"code": 7})
    assert result.is_error and "the server process exited" in text_of(result)
    assert workbench.initialize_result is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "already started": the old session is gone
        await workbench.start()
    assert text_of(await workbench.call_tool("echo", {"text": "again"})) == "again"
    await workbench.stop()


# -- Sampling and the actor -----------------------------------------------------------------


async def test_sampling_requests_go_to_the_model_client() -> None:
    model_client = ReplayChatCompletionClient(["Paris."])
    async with McpWorkbench(stdio_params(), model_client=model_client) as workbench:
        result = await workbench.call_tool("ask_model", {"question": "Capital of France?"})
    assert text_of(result) == "Paris."
    (call,) = model_client.create_calls
    system, user = call["messages"]
    assert system.content == "Answer briefly."
    assert user.content == "Capital of France?"


async def test_the_session_actor() -> None:
    actor = McpSessionActor(stdio_params())
    assert not actor.is_running
    await actor.initialize()
    assert actor.is_running
    assert actor.initialize_result is not None
    listing = await actor.call("list_tools")
    assert "add" in [tool.name for tool in listing.tools]
    result = await actor.call("call_tool", {"name": "add", "kargs": {"a": 1, "b": 1}})
    assert result.structured_content == {"total": 2, "terms": [1, 1]}
    prompt = await actor.call(
        "get_prompt", {"name": "review", "kargs": {"arguments": {"code": "y"}}}
    )
    assert prompt.messages
    resource = await actor.call("read_resource", {"kargs": {"uri": "memo://greeting"}})
    assert resource.contents
    # Without a model client, the server's sampling requests are refused.
    with pytest.raises(MCPError, match="Sampling not supported"):
        await actor.call("call_tool", {"name": "ask_model", "kargs": {"question": "?"}})
    with pytest.raises(ValueError, match="Unknown MCP actor command"):
        await actor.call("dance")
    with pytest.raises(ValueError, match="needs"):
        await actor.call("call_tool")
    assert actor.dump_component().provider == "cantata.tools.mcp.McpSessionActor"
    await actor.close()
    assert not actor.is_running
    with pytest.raises(McpConnectionError, match="closed"):
        await actor.call("list_tools")


def test_a_workbench_outlives_its_event_loop() -> None:
    # Left running when asyncio.run ends: the server is shut down with the loop, and the
    # next event loop (Trio here) starts a new one.
    workbench = McpWorkbench(stdio_params())

    async def use() -> int:
        return await server_pid(workbench)

    first = asyncio.run(use())
    assert not process_exists(first)
    second = anyio.run(use, backend="trio")
    assert second != first and not process_exists(second)
