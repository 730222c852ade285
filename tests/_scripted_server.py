"""A scripted HTTP server on 127.0.0.1 for the model clients' tests.

It runs :class:`http.server.ThreadingHTTPServer` in a background thread, records every
request (method, path, headers, JSON body) and answers each ``POST`` with the next
:class:`Reply` of a script set by the test: a JSON body with a status, or a stream of raw
frames (SSE events, NDJSON lines) written one by one. :meth:`ScriptedServer.close` stops
it, wakes delayed replies and joins every thread. Protocol-specific replies are built in
``_anthropic_server.py`` and ``_ollama_server.py``.
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

__all__ = ["RecordedRequest", "Reply", "ScriptedServer"]


@dataclass
class Reply:
    """One scripted answer.

    ``body`` is sent as JSON with ``status``. When ``frames`` is set the answer is a
    stream of those byte frames with ``content_type``, ``delay`` seconds apart (and the
    connection closed after it). ``delay`` before a JSON answer holds it back.
    ``drop_after`` closes the connection after that many frames, without ending the stream.
    """

    status: int = 200
    body: Any = None
    frames: list[bytes] | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    drop_after: int | None = None


@dataclass
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class ScriptedServer:
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
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies of the POST requests received so far."""
        with self._lock:
            return [r.body for r in self.requests if r.method == "POST"]

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
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
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
        return Reply(status=500, body={"error": "no scripted reply left"})

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
                record = RecordedRequest(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw) if raw else None,
                )
                with server._lock:
                    server.requests.append(record)
                reply = server._next_reply()
                try:
                    if reply.frames is None:
                        self._send_json(reply)
                    else:
                        self._send_frames(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send_json(self, reply: Reply) -> None:
                if reply.delay and server._stopping.wait(reply.delay):
                    return
                data = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _send_frames(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.close_connection = True
                for index, frame in enumerate(reply.frames or []):
                    if reply.drop_after is not None and index >= reply.drop_after:
                        return
                    if reply.delay and server._stopping.wait(reply.delay):
                        return
                    self.wfile.write(frame)
                    self.wfile.flush()

        return Handler
