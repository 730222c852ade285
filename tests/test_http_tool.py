"""cantata.tools.http.HttpTool against a real HTTP server on 127.0.0.1, on both backends."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest

from cantata import AgentId, CancellationToken, FunctionCall, SingleThreadedAgentRuntime
from cantata.exceptions import MessageCancelledError
from cantata.tool_agent import ToolAgent
from cantata.tools import StaticWorkbench, Tool

httpx = pytest.importorskip("httpx", reason="httpx is not installed (pip install 'cantata[http]')")

from cantata.tools.http import HttpTool, HttpToolConfig, HttpToolError  # noqa: E402


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class Server:
    """Answers by path: ``/status/<code>`` with that status, ``/text`` with plain text,
    ``/slow`` only when released (or after 10 s), anything else with JSON describing the
    request."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.closed = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    split.path,
                    parse_qs(split.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
                server.seen.append(seen)
                server.arrived.set()
                if split.path.startswith("/status/"):
                    code = int(split.path.rsplit("/", 1)[1])
                    self._send(code, b"server says no", "text/plain")
                elif split.path == "/text":
                    self._send(200, "plain \u2713".encode(), "text/plain; charset=utf-8")
                elif split.path.startswith("/big/"):
                    size = int(split.path.rsplit("/", 1)[1])
                    self._send(200, b"x" * size, "text/plain")
                elif split.path == "/slow":
                    server.release.wait(10)
                    self._send(200, b"late", "text/plain")
                else:
                    payload = {
                        "method": seen.method,
                        "path": seen.path,
                        "query": seen.query,
                        "body": seen.body,
                    }
                    self._send(200, json.dumps(payload).encode(), "application/json")

            def _send(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client went away (a cancelled request)
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()  # joins the request threads
        self.thread.join()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "user": {"type": "string", "description": "The user id."},
        "limit": {"type": "integer", "minimum": 1},
        "tags": {"type": "array", "items": {"type": "string"}},
        "verbose": {"type": "boolean"},
    },
    "required": ["user"],
}


def _tool(server: Server, **overrides: Any) -> HttpTool:
    arguments: dict[str, Any] = {
        "name": "lookup",
        "host": "127.0.0.1",
        "port": server.port,
        "json_schema": SCHEMA,
        "path": "/users/{user}",
        "method": "GET",
        "return_type": "json",
        "headers": {"X-Token": "t"},
    }
    arguments.update(overrides)
    return HttpTool(**arguments)


@pytest.mark.anyio
async def test_get_puts_arguments_in_path_and_query(anyio_backend: str, server: Server) -> None:
    tool = _tool(server)
    result = await tool.run_json(
        {"user": "a/b c", "limit": 2, "tags": ["x", "y"]}, CancellationToken()
    )
    assert result == {
        "method": "GET",
        "path": "/users/a%2Fb%20c",
        "query": {"limit": ["2"], "tags": ["x", "y"]},
        "body": None,
    }
    assert server.seen[0].headers["x-token"] == "t"
    assert tool.return_value_as_string(result).startswith('{"method": "GET"')


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_body_methods_send_json(anyio_backend: str, server: Server, method: str) -> None:
    tool = _tool(server, method=method, path="/items")
    result = await tool.run_json({"user": "u", "verbose": False}, CancellationToken())
    assert result["method"] == method
    assert result["body"] == {"user": "u", "verbose": False}  # omitted optionals not sent


@pytest.mark.anyio
async def test_delete_uses_the_query(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, method="DELETE")
    result = await tool.run_json({"user": "u", "verbose": True}, CancellationToken())
    assert (result["path"], result["query"]) == ("/users/u", {"verbose": ["true"]})


@pytest.mark.anyio
async def test_text_return(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, path="/text", return_type="text")
    assert await tool.run_json({"user": "u"}, CancellationToken()) == "plain \u2713"


@pytest.mark.anyio
async def test_error_status_raises(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, path="/status/{user}", return_type="text")
    with pytest.raises(HttpToolError, match="answered 404 Not Found: server says no") as info:
        await tool.run_json({"user": "404"}, CancellationToken())
    assert (info.value.status_code, info.value.body) == (404, "server says no")
    with pytest.raises(HttpToolError, match="500"):
        await tool.run_json({"user": "500"}, CancellationToken())


@pytest.mark.anyio
async def test_json_expected_but_not_given(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, path="/text")
    with pytest.raises(HttpToolError, match="not JSON"):
        await tool.run_json({"user": "u"}, CancellationToken())


@pytest.mark.anyio
async def test_invalid_arguments_never_reach_the_server(anyio_backend: str, server: Server) -> None:
    tool = _tool(server)
    with pytest.raises(ValueError, match="limit"):
        await tool.run_json({"user": "u", "limit": 0}, CancellationToken())
    with pytest.raises(ValueError, match="user"):
        await tool.run_json({}, CancellationToken())
    assert server.seen == []


@pytest.mark.anyio
async def test_connection_refused_is_an_httpx_error(anyio_backend: str, server: Server) -> None:
    port = server.port
    server.close()
    with pytest.raises(httpx.ConnectError):
        await _tool(server, port=port).run_json({"user": "u"}, CancellationToken())


@pytest.mark.anyio
async def test_cancellation_token_stops_the_request(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, path="/slow", return_type="text")
    token = CancellationToken()

    async def cancel_when_arrived() -> None:
        await anyio.to_thread.run_sync(server.arrived.wait, 10)
        token.cancel()

    async with anyio.create_task_group() as tg:
        tg.start_soon(cancel_when_arrived)
        with pytest.raises(MessageCancelledError):
            await tool.run_json({"user": "u"}, token)


@pytest.mark.anyio
async def test_caller_scope_stops_the_request(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, path="/slow", return_type="text")
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as tg:

            async def cancel_when_arrived() -> None:
                await anyio.to_thread.run_sync(server.arrived.wait, 10)
                scope.cancel()

            tg.start_soon(cancel_when_arrived)
            await tool.run_json({"user": "u"}, CancellationToken())
    assert scope.cancelled_caught


@pytest.mark.anyio
async def test_in_a_workbench_and_a_tool_agent(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, path="/status/{user}", return_type="text")
    async with StaticWorkbench([tool]) as workbench:
        result = await workbench.call_tool("lookup", {"user": "503"})
    assert result.is_error
    assert "503" in result.to_text()
    ok_tool = _tool(server)
    runtime = SingleThreadedAgentRuntime()
    tools: list[Tool] = [ok_tool]
    await ToolAgent.register(runtime, "tools", lambda: ToolAgent("http", tools))
    async with runtime:
        reply = await runtime.send_message(
            FunctionCall(id="1", name="lookup", arguments='{"user": "z"}'), AgentId("tools", "k")
        )
    assert json.loads(reply.content)["path"] == "/users/z"


@pytest.mark.anyio
async def test_response_size_is_capped(anyio_backend: str, server: Server) -> None:
    tool = _tool(server, path="/big/{user}", return_type="text", max_response_bytes=1000)
    assert await tool.run_json({"user": "1000"}, CancellationToken()) == "x" * 1000
    with pytest.raises(HttpToolError, match="larger than 1000 bytes") as info:
        await tool.run_json({"user": "5000000"}, CancellationToken())
    assert len(info.value.body) <= 1000 + 65536  # read no further than one chunk past it
    unlimited = _tool(server, path="/big/{user}", return_type="text", max_response_bytes=None)
    assert len(await unlimited.run_json({"user": "200000"}, CancellationToken())) == 200000


def test_schema_and_config(server: Server) -> None:
    tool = _tool(server, description="Look a user up.")
    schema = tool.schema
    assert schema["name"] == "lookup"
    assert schema["description"] == "Look a user up."
    assert schema["parameters"]["required"] == ["user"]
    assert set(schema["parameters"]["properties"]) == {"user", "limit", "tags", "verbose"}
    dumped = tool.dump_component()
    assert dumped.provider == "cantata.tools.http.HttpTool"
    assert dumped.component_type == "tool"
    for provider in (dumped.provider, "autogen_ext.tools.http.HttpTool"):
        loaded = HttpTool.load_component({"provider": provider, "config": dumped.config})
        assert loaded.schema == schema
        assert loaded.dump_component().config == dumped.config
    assert HttpToolConfig.model_validate(dumped.config).port == server.port


def test_construction_errors(server: Server) -> None:
    with pytest.raises(ValueError, match=r"path parameters \['id'\]"):
        _tool(server, path="/items/{id}")
    with pytest.raises(ValueError, match="timeout"):
        _tool(server, timeout=0)
    with pytest.raises(ValueError, match="max_response_bytes"):
        _tool(server, max_response_bytes=0)
    with pytest.raises(ValueError, match="format"):
        _tool(
            server,
            json_schema={
                "type": "object",
                "properties": {"user": {"type": "string", "format": "nope"}},
            },
        )
