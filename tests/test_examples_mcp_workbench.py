"""``examples/mcp_workbench.py``, the port of the user guide's "MCP Workbench" (a web
browsing agent on an MCP server's tools).

The script and ``run_structured()`` (both backends) print the guide's kind of transcript. The
tools really run in the local MCP server (a child process, gone afterwards) and their
results reach the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from _examples_harness import load, run_script
from _mcp_servers import children, wait_until_gone

from cantata.models import FunctionExecutionResultMessage
from cantata.models.replay import ReplayChatCompletionClient

ADDRESS = "14820 NE 36th Street, Redmond, WA 98052, United States"
NAVIGATE_1 = (
    "FunctionCall(id='call_1', arguments='{\"url\": \"https://www.bing.com\"}', "
    "name='browser_navigate')"
)
SNAPSHOT = "FunctionCall(id='call_2', arguments='{}', name='browser_snapshot')"
NAVIGATE_2 = (
    "FunctionCall(id='call_3', arguments='{\"url\": "
    "\"https://www.bing.com/search?q=Microsoft+Building+99+address\"}', name='browser_navigate')"
)


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    before = children()
    yield
    left = wait_until_gone(children() - before)
    assert not left, f"child processes left behind: {sorted(left)}"


def check_transcript(lines: list[str]) -> None:
    assert lines[:5] == [
        "---------User Message-----------",
        "Use Bing to find out the address of Microsoft Building 99",
        "---------Function Calls-----------",
        NAVIGATE_1,
        SNAPSHOT,
    ]
    assert lines[5] == "---------Function Call Results-----------"
    assert lines[6].startswith("type='ToolResult' name='browser_navigate' result=[")
    assert "Search - Microsoft Bing" in lines[6] and lines[6].endswith("is_error=False")
    assert lines[7].startswith("type='ToolResult' name='browser_snapshot' result=[")
    assert "Page URL: https://www.bing.com" in lines[7] and lines[7].endswith("is_error=False")
    assert lines[8:11] == [
        "---------Function Calls-----------",
        NAVIGATE_2,
        "---------Function Call Results-----------",
    ]
    assert lines[11].startswith("type='ToolResult' name='browser_navigate' result=[")
    assert ADDRESS in lines[11] and lines[11].endswith("is_error=False")
    assert lines[12:] == [
        "---------Final Response-----------",
        f"The address of Microsoft Building 99 is {ADDRESS}.",
    ]


def run_structured() -> Callable[..., Awaitable[list[str]]]:
    function: Callable[..., Awaitable[list[str]]] = load("mcp_workbench").run_structured
    return function


def test_script_prints_the_transcript() -> None:
    check_transcript(run_script("mcp_workbench"))


@pytest.mark.anyio
async def test_structured_form_prints_the_same() -> None:
    check_transcript(await run_structured()())


@pytest.mark.anyio
async def test_the_servers_pages_reach_the_model() -> None:
    module = load("mcp_workbench")
    client = ReplayChatCompletionClient(module.SCRIPTED_REPLIES)
    await run_structured()(client)
    first, second, third = client.create_calls
    assert [tool["name"] for tool in first["tools"]] == ["browser_navigate", "browser_snapshot"]
    assert first["tools"][0]["parameters"]["required"] == ["url"]
    results = third["messages"][-1]
    assert isinstance(results, FunctionExecutionResultMessage)
    (search,) = results.content
    assert search.call_id == "call_3" and not search.is_error
    assert "Microsoft Building 99" in search.content and ADDRESS in search.content
    assert "Building 92" not in search.content
    opened = second["messages"][-1]
    assert isinstance(opened, FunctionExecutionResultMessage)
    assert [result.name for result in opened.content] == ["browser_navigate", "browser_snapshot"]
