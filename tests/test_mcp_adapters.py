"""``mcp_server_tools``, the tool adapters and ``create_mcp_server_session`` against the test
MCP server (``tests/mcp_test_server.py``) over stdio and streamable HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _mcp_servers import HttpServer, children, eventually, stdio_params, wait_until_gone

from cantata import CancellationToken
from cantata.exceptions import MessageCancelledError
from cantata.tools import StaticWorkbench
from cantata.tools.mcp import (
    McpConnectionError,
    McpToolError,
    StdioMcpToolAdapter,
    StreamableHttpMcpToolAdapter,
    create_mcp_server_session,
    mcp_server_tools,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    before = children()
    yield
    left = wait_until_gone(children() - before)
    assert not left, f"child processes left behind: {sorted(left)}"


def marks(marker: Path) -> list[str]:
    return marker.read_text().split() if marker.exists() else []


def test_autogens_names_are_public() -> None:
    import cantata.tools.mcp as mcp_tools

    autogen_all = [
        "create_mcp_server_session",
        "McpSessionActor",
        "StdioMcpToolAdapter",
        "StdioServerParams",
        "SseMcpToolAdapter",
        "SseServerParams",
        "StreamableHttpMcpToolAdapter",
        "StreamableHttpServerParams",
        "McpServerParams",
        "mcp_server_tools",
        "McpWorkbench",
    ]
    assert set(autogen_all) <= set(mcp_tools.__all__)
    assert all(hasattr(mcp_tools, name) for name in mcp_tools.__all__)


async def test_tools_on_a_shared_session(tmp_path: Path) -> None:
    params = stdio_params()
    async with create_mcp_server_session(params) as session:
        await session.initialize()
        tools = await mcp_server_tools(params, session=session)
        by_name = {tool.name: tool for tool in tools}
        assert all(isinstance(tool, StdioMcpToolAdapter) for tool in tools)
        add = by_name["add"]
        assert add.schema["parameters"]["required"] == ["a", "b"]
        assert add.description == "Add two integers."

        token = CancellationToken()
        value = await add.run_json({"a": 1, "b": 2}, token)
        assert json.loads(add.return_value_as_string(value)) == {"total": 3, "terms": [1, 2]}
        echoed = await by_name["echo"].run_json({"text": "hey"}, token)
        assert by_name["echo"].return_value_as_string(echoed) == "hey"

        with pytest.raises(McpToolError, match="the tool failed: adapter"):
            await by_name["fail"].run_json({"reason": "adapter"}, token)

        # Cancelling the token cancels the call on the server; the session goes on.
        marker = tmp_path / "marker"
        cancel = CancellationToken()

        async def cancel_once_started() -> None:
            await eventually(lambda: "started" in marks(marker))
            cancel.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(cancel_once_started)
            with pytest.raises(MessageCancelledError):
                await by_name["slow"].run_json({"seconds": 0.5, "marker": str(marker)}, cancel)

        # The adapters work in a StaticWorkbench.
        workbench = StaticWorkbench(tools)
        result = await workbench.call_tool("echo", {"text": "bench", "times": 2})
        assert result.to_text() == "bench bench"
        failed = await workbench.call_tool("fail", {"reason": "bench"})
        assert failed.is_error and "the tool failed: bench" in failed.to_text()
        await anyio.sleep(0.6)
    assert marks(marker) == ["started"]


async def test_a_tool_without_a_session_opens_its_own() -> None:
    params = stdio_params()
    tools = await mcp_server_tools(params)
    echo = next(tool for tool in tools if tool.name == "echo")
    value = await echo.run_json({"text": "own"}, CancellationToken())
    assert echo.return_value_as_string(value) == "own"

    adapter = await StdioMcpToolAdapter.from_server_params(params, "add")
    assert adapter.schema == next(tool for tool in tools if tool.name == "add").schema
    with pytest.raises(ValueError, match="'missing' not found; available tools: add, echo"):
        await StdioMcpToolAdapter.from_server_params(params, "missing")


async def test_adapter_component_config_round_trip() -> None:
    tools = await mcp_server_tools(stdio_params())
    add = next(tool for tool in tools if tool.name == "add")
    config = add.dump_component()
    assert config.provider == "cantata.tools.mcp.StdioMcpToolAdapter"
    loaded = StdioMcpToolAdapter.load_component(json.loads(config.model_dump_json()))
    assert isinstance(loaded, StdioMcpToolAdapter)
    assert loaded.schema == add.schema
    assert loaded.tool == add.tool


async def test_tools_over_streamable_http() -> None:
    with HttpServer("http") as server:
        params = server.params()
        tools = await mcp_server_tools(params)
        assert all(isinstance(tool, StreamableHttpMcpToolAdapter) for tool in tools)
        add = next(tool for tool in tools if tool.name == "add")
        value = await add.run_json({"a": 4, "b": 5}, CancellationToken())
        assert json.loads(add.return_value_as_string(value))["total"] == 9
        config = add.dump_component()
        assert config.provider == "cantata.tools.mcp.StreamableHttpMcpToolAdapter"


async def test_a_server_that_dies_during_an_adapters_call() -> None:
    params = stdio_params()
    async with create_mcp_server_session(params) as session:
        await session.initialize()
        tools = {tool.name: tool for tool in await mcp_server_tools(params, session=session)}
        with pytest.raises(McpConnectionError, match="lost during the call to tool 'exit_now'"):
            await tools["exit_now"].run_json({}, CancellationToken())
