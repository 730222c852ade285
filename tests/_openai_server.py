"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for the tests.

It runs :class:`http.server.ThreadingHTTPServer` in a background thread, records the
JSON body of every request, and answers ``POST .../chat/completions`` from a script of
:class:`Reply` objects set by the test (one reply per request, in order). Replies can be
plain JSON completions, error statuses, or SSE streams of ``data: {...}`` chunks ending
with ``data: [DONE]``. :meth:`ChatServer.close` stops it and joins every thread.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = [
    "ChatServer",
    "RecordedRequest",
    "Reply",
    "completion",
    "error",
    "stream",
    "tool_call_completion",
]


@dataclass
class Reply:
    """One scripted answer.

    ``body`` is sent as JSON with ``status``; when ``chunks`` is set the answer is an
    SSE stream of those chunks (``delay`` seconds apart) followed by ``[DONE]``.
    ``delay`` before a JSON answer holds the response back (for cancellation tests).
    """

    status: int = 200
    body: dict[str, Any] | None = None
    chunks: list[dict[str, Any]] | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def completion(
    content: str | None = "Hello!",
    *,
    model: str = "gpt-4o",
    finish_reason: str = "stop",
    prompt_tokens: int = 10,
    completion_tokens: int = 5,
    tool_calls: list[dict[str, Any]] | None = None,
) -> Reply:
    """A non-streamed chat completion."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return Reply(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def tool_call_completion(
    calls: list[tuple[str, str, str]], *, content: str | None = None, model: str = "gpt-4o"
) -> Reply:
    """A completion asking for the tool calls ``(id, name, arguments)``."""
    tool_calls = [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        for call_id, name, arguments in calls
    ]
    return completion(content, model=model, finish_reason="tool_calls", tool_calls=tool_calls)


def error(status: int, message: str = "scripted error") -> Reply:
    """An error answer in the OpenAI error format."""
    return Reply(status=status, body={"error": {"message": message, "type": "server_error"}})


def _chunk(delta: dict[str, Any], finish_reason: str | None, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def stream(
    pieces: list[str],
    *,
    model: str = "gpt-4o",
    finish_reason: str = "stop",
    usage: tuple[int, int] | None = (10, 5),
    tool_calls: list[tuple[str, str, list[str]]] | None = None,
    delay: float = 0.0,
) -> Reply:
    """An SSE stream: a role chunk, one chunk per text piece, tool-call argument
    fragments ``(id, name, [fragments])``, a finish chunk, then a usage-only chunk."""
    chunks = [_chunk({"role": "assistant", "content": ""}, None, model)]
    chunks += [_chunk({"content": piece}, None, model) for piece in pieces]
    for index, (call_id, name, fragments) in enumerate(tool_calls or []):
        first: dict[str, Any] = {"index": index, "id": call_id, "type": "function"}
        first["function"] = {"name": name, "arguments": ""}
        chunks.append(_chunk({"tool_calls": [first]}, None, model))
        for fragment in fragments:
            part = {"index": index, "function": {"arguments": fragment}}
            chunks.append(_chunk({"tool_calls": [part]}, None, model))
    chunks.append(_chunk({}, finish_reason, model))
    if usage is not None:
        last = _chunk({}, None, model)
        last["choices"] = []
        last["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        }
        chunks.append(last)
    return Reply(chunks=chunks, delay=delay)


def _is_chat(path: str) -> bool:
    return path.split("?")[0].endswith("/chat/completions")


class ChatServer:
    """The server; use as a context manager or call :meth:`close`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = False
        self._httpd.block_on_close = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        """The ``base_url`` for a client: ``http://127.0.0.1:<port>/v1``."""
        port = self._httpd.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat-completion requests received so far."""
        with self._lock:
            return [
                r.body for r in self.requests if r.path.split("?")[0].endswith("/chat/completions")
            ]

    def script(self, *replies: Reply) -> None:
        """Queue *replies*, answered in order."""
        with self._lock:
            self._script.extend(replies)

    def pending(self) -> int:
        """How many scripted replies are still unused."""
        with self._lock:
            return len(self._script)

    def close(self) -> None:
        """Stop serving, wake any delayed reply and join the handler threads."""
        self._stopping.set()
        self._httpd.shutdown()
        # Wake handler threads waiting on idle keep-alive connections.
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ChatServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _next_reply(self) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return error(500, "no scripted reply left")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._connections.add(self.connection)

            def finish(self) -> None:
                with server._lock:
                    server._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length) if length else b""
                body: dict[str, Any] = json.loads(raw) if raw else {}
                record = RecordedRequest(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with server._lock:
                    server.requests.append(record)
                reply = server._next_reply()
                try:
                    if reply.chunks is None:
                        self._send_json(reply)
                    else:
                        self._send_stream(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send_json(self, reply: Reply) -> None:
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                data = json.dumps(reply.body or {}).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _send_stream(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for chunk in reply.chunks or []:
                    if reply.delay and server._stopping.wait(reply.delay):
                        return
                    self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
