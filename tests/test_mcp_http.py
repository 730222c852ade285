"""``McpWorkbench`` against a real MCP server on 127.0.0.1: streamable HTTP and SSE.

Each test starts the server (``tests/mcp_test_server.py``) in a child process on a free port
and stops it afterwards; the port is checked free and no process is left behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _mcp_servers import HttpServer, children, eventually, wait_until_gone

from cantata import CancellationToken
from cantata.exceptions import MessageCancelledError
from cantata.tools import ToolResult
from cantata.tools.mcp import McpConnectionError, McpWorkbench, StreamableHttpServerParams

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    before = children()
    yield
    left = wait_until_gone(children() - before)
    assert not left, f"child processes left behind: {sorted(left)}"


def marks(marker: Path) -> list[str]:
    return marker.read_text().split() if marker.exists() else []


@pytest.mark.parametrize("transport", ["http", "sse"])
async def test_tools_prompts_and_resources_over_http(transport: str) -> None:
    with HttpServer("http" if transport == "http" else "sse") as server:
        async with McpWorkbench(server.params()) as workbench:
            names = [tool["name"] for tool in await workbench.list_tools()]
            structured = await workbench.call_tool("add", {"a": 20, "b": 22})
            text = await workbench.call_tool("echo", {"text": "over http"})
            failed = await workbench.call_tool("fail", {"reason": "remote"})
            note = await workbench.read_resource("memo://notes/http")
            prompts = await workbench.list_prompts()
            assert workbench.initialize_result is not None
    assert names[:3] == ["add", "echo", "fail"]
    assert json.loads(structured.to_text()) == {"total": 42, "terms": [20, 22]}
    assert text.to_text() == "over http"
    assert failed.is_error and "the tool failed: remote" in failed.to_text()
    assert getattr(note.contents[0], "text", None) == "notes about http"
    assert [prompt.name for prompt in prompts.prompts] == ["review"]


async def test_cancellation_over_streamable_http(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    token = CancellationToken()
    with HttpServer("http") as server:
        async with McpWorkbench(server.params()) as workbench:

            async def cancel_once_started() -> None:
                await eventually(lambda: "started" in marks(marker))
                token.cancel()

            async with anyio.create_task_group() as group:
                group.start_soon(cancel_once_started)
                with pytest.raises(MessageCancelledError):
                    await workbench.call_tool(
                        "slow", {"seconds": 0.5, "marker": str(marker)}, cancellation_token=token
                    )
            with anyio.move_on_after(0.2) as scope:
                await workbench.call_tool("slow", {"seconds": 0.5})
            assert scope.cancelled_caught
            assert (await workbench.call_tool("echo", {"text": "on"})).to_text() == "on"
            await anyio.sleep(0.8)
    assert marks(marker) == ["started"]


async def test_a_server_killed_mid_call_over_http_and_a_new_session_after(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    first = HttpServer("http")
    with first:
        workbench = McpWorkbench(first.params())
        await workbench.start()

        async def kill_once_started() -> None:
            await eventually(lambda: "started" in marks(marker))
            first.kill()

        result: ToolResult | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(kill_once_started)
            result = await workbench.call_tool("slow", {"seconds": 30, "marker": str(marker)})
        assert result is not None and result.is_error
        assert "connection to the MCP server" in result.to_text()
        assert "was lost during the call to tool 'slow'" in result.to_text()

        # While the server is down, calls fail at once with a clear error.
        down = await workbench.call_tool("echo", {"text": "anyone?"})
        assert down.is_error and "Could not start the MCP session" in down.to_text()

    # The server comes back on the same port: the next call opens a new session.
    with HttpServer("http", port=first.port):
        back = await workbench.call_tool("echo", {"text": "back"})
        assert back.to_text() == "back"
        await workbench.stop()


async def test_an_unreachable_server_is_a_clear_error() -> None:
    with HttpServer("http") as server:
        port = server.port
    workbench = McpWorkbench(StreamableHttpServerParams(url=f"http://127.0.0.1:{port}/mcp"))
    with pytest.raises(McpConnectionError, match="Could not start the MCP session"):
        await workbench.start()
    result = await workbench.call_tool("echo", {"text": "x"})
    assert result.is_error and str(port) in result.to_text()
