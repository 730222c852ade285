"""Port of the user-guide section "Workbench (and MCP)", its "MCP Workbench" part: a web
browsing agent using an MCP server's tools.

The guide gives its ``WorkbenchAgent`` (see ``examples/workbench.py``, the page's first part,
imported here unchanged) an ``McpWorkbench`` connected to the Playwright MCP server over SSE.
That needs Node.js, a browser and the network, so here the workbench starts a local MCP
server over stdio instead: ``examples/mcp_servers/web_browser.py``, written with the ``mcp``
SDK, serves Playwright's ``browser_navigate`` and ``browser_snapshot`` tools over a small
offline web. Only the server parameters differ from the guide::

    playwright_server_params = SseServerParams(url="http://localhost:8931/sse")  # the guide
    playwright_server_params = StdioServerParams(command=sys.executable, args=[...])  # here

The model is a ``ReplayChatCompletionClient`` that navigates to the search engine and takes a
snapshot, searches, then answers from what the pages showed, so the example runs offline.
When ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is
available, :func:`create_model_client` returns the guide's
``OpenAIChatCompletionClient(model="gpt-4.1-nano")``.

:func:`main` (``python examples/mcp_workbench.py``) runs the guide's ``runtime.start()`` ...
``await runtime.stop()`` form on asyncio; :func:`run_structured` runs the same program inside
``async with`` on asyncio or Trio. Needs the ``mcp`` extra.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from _support import configured_openai_client, given_or_created, printed_lines
from workbench import Message, WorkbenchAgent

from cantata import AgentId, FunctionCall, SingleThreadedAgentRuntime
from cantata.model_context import BufferedChatCompletionContext
from cantata.models import ChatCompletionClient, CreateResult, RequestUsage
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tools.mcp import McpWorkbench, StdioServerParams

# -- The MCP server: a local one in place of the guide's Playwright server -------------------

SERVER_SCRIPT = Path(__file__).resolve().parent / "mcp_servers" / "web_browser.py"

playwright_server_params = StdioServerParams(
    command=sys.executable,
    args=[str(SERVER_SCRIPT)],
    read_timeout_seconds=60,
)

# -- The model -------------------------------------------------------------------------------

QUESTION = "Use Bing to find out the address of Microsoft Building 99"
ANSWER = (
    "The address of Microsoft Building 99 is 14820 NE 36th Street, Redmond, WA 98052, "
    "United States."
)
SEARCH_URL = "https://www.bing.com/search?q=Microsoft+Building+99+address"


def _calls(*calls: FunctionCall) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=list(calls),
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


SCRIPTED_REPLIES: list[str | CreateResult] = [
    _calls(
        FunctionCall(
            id="call_1", arguments='{"url": "https://www.bing.com"}', name="browser_navigate"
        ),
        FunctionCall(id="call_2", arguments="{}", name="browser_snapshot"),
    ),
    _calls(
        FunctionCall(id="call_3", arguments=f'{{"url": "{SEARCH_URL}"}}', name="browser_navigate")
    ),
    ANSWER,
]


def create_model_client() -> ChatCompletionClient:
    """Return the OpenAI client if it is configured and available, else the scripted one."""
    return configured_openai_client(model="gpt-4.1-nano") or ReplayChatCompletionClient(
        SCRIPTED_REPLIES
    )


# -- The program (the guide's) ---------------------------------------------------------------


async def register(
    runtime: SingleThreadedAgentRuntime, model_client: ChatCompletionClient, workbench: McpWorkbench
) -> None:
    # Register the agent with the runtime.
    await WorkbenchAgent.register(
        runtime=runtime,
        type="WebAgent",
        factory=lambda: WorkbenchAgent(
            model_client=model_client,
            model_context=BufferedChatCompletionContext(buffer_size=10),
            workbench=workbench,
        ),
    )


async def ask(runtime: SingleThreadedAgentRuntime) -> Message:
    # Send a message to the agent.
    reply: Message = await runtime.send_message(
        Message(content=QUESTION), recipient=AgentId("WebAgent", "default")
    )
    return reply


async def main() -> None:
    model_client = create_model_client()
    # Start the workbench in a context manager.
    # You can also start and stop the workbench using `workbench.start()` and `workbench.stop()`.
    async with McpWorkbench(playwright_server_params) as workbench:
        # Create a single-threaded agent runtime.
        runtime = SingleThreadedAgentRuntime()
        await register(runtime, model_client, workbench)
        # Start the runtime.
        runtime.start()
        await ask(runtime)
        # Stop the runtime.
        await runtime.stop()
    await model_client.close()


async def structured(model_client: ChatCompletionClient) -> None:
    async with McpWorkbench(playwright_server_params) as workbench:
        runtime = SingleThreadedAgentRuntime()
        await register(runtime, model_client, workbench)
        async with runtime:
            await ask(runtime)


async def run_structured(model_client: ChatCompletionClient | None = None) -> list[str]:
    """Run the program with ``async with``; return the lines it printed."""
    async with given_or_created(model_client, create_model_client) as client:
        return await printed_lines(structured, client)


if __name__ == "__main__":
    asyncio.run(main())
