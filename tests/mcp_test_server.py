"""An MCP server for the tests of ``cantata.tools.mcp``, written with the SDK's server side.

Run it as ``python tests/mcp_test_server.py`` to serve over stdio, or with ``--http`` (streamable
HTTP) or ``--sse`` to serve on 127.0.0.1: it binds a free port itself and prints
``PORT <n>`` as the first line of its stdout once it listens (``--port <n>`` binds that
port instead).

Tools: ``add`` (structured result), ``echo`` (text), ``fail`` (raises), ``slow`` (sleeps;
records that it started and whether it finished), ``pid`` (the server's process id),
``picture`` (an image), ``exit_now`` (the process exits mid-call), ``ask_model`` (asks the
client to sample its model). Resources: ``memo://greeting`` and the templates
``memo://notes/{topic}`` and ``memo://slow/{seconds}`` (answers after a while). Prompts: ``review``.
"""

from __future__ import annotations

import base64
import os
import socket
import sys
from typing import Any

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import SamplingMessage, TextContent
from pydantic import BaseModel

# A 1x1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

server: MCPServer[Any] = MCPServer("cantata-test", instructions="A server for tests.")


class Sum(BaseModel):
    total: int
    terms: list[int]


@server.tool(description="Add two integers.")
def add(a: int, b: int) -> Sum:
    return Sum(total=a + b, terms=[a, b])


@server.tool(description="Echo the text back.")
def echo(text: str, times: int = 1) -> str:
    return " ".join([text] * times)


@server.tool(description="Always fails.")
def fail(reason: str) -> str:
    raise ToolError(f"the tool failed: {reason}")


@server.tool(description="Sleep, then say so.")
async def slow(seconds: float, marker: str = "") -> str:
    _mark(marker, "started")
    await anyio.sleep(seconds)
    _mark(marker, "finished")
    return f"slept {seconds}"


def _mark(marker: str, word: str) -> None:
    if marker:
        with open(marker, "a", encoding="utf-8") as file:
            file.write(word + "\n")


@server.tool(description="The server's process id.")
def pid() -> int:
    return os.getpid()


@server.tool(description="A one-pixel picture with a caption.", structured_output=False)
def picture() -> list[Any]:
    return ["a pixel", Image(data=PIXEL, format="png")]


@server.tool(description="Exit the server process in the middle of the call.")
def exit_now(code: int = 3) -> str:
    sys.stdout.flush()
    os._exit(code)


@server.tool(description="Ask the client's model a question.")
async def ask_model(question: str, ctx: Context) -> str:
    result = await ctx.session.create_message(
        messages=[SamplingMessage(role="user", content=TextContent(type="text", text=question))],
        max_tokens=50,
        system_prompt="Answer briefly.",
    )
    content = result.content
    return content.text if isinstance(content, TextContent) else str(content)


@server.resource("memo://greeting", name="greeting", mime_type="text/plain")
def greeting() -> str:
    return "hello from the server"


@server.resource("memo://notes/{topic}", name="note", mime_type="text/plain")
def note(topic: str) -> str:
    return f"notes about {topic}"


@server.resource("memo://slow/{seconds}", name="slow_note", mime_type="text/plain")
async def slow_note(seconds: str) -> str:
    await anyio.sleep(float(seconds))
    return "finally"


@server.prompt(description="Ask for a review of some code.")
def review(code: str) -> str:
    return f"Please review this code:\n{code}"


async def serve_http(sse: bool) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    app = server.sse_app() if sse else server.streamable_http_app()
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await uvicorn_server.serve(sockets=[sock])


if __name__ == "__main__":
    if "--http" in sys.argv or "--sse" in sys.argv:
        anyio.run(serve_http, "--sse" in sys.argv)
    else:
        server.run("stdio")
