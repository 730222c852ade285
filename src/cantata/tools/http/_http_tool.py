"""The :class:`HttpTool`: calls an HTTP endpoint with the model's arguments."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar, Literal, Self
from urllib.parse import quote

from pydantic import BaseModel, Field

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata.utils import schema_to_pydantic_model

from .._base import BaseTool
from .._cancellation import token_cancel_scope

try:
    import httpx
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError(
        "cantata.tools.http needs httpx; install it with: pip install 'cantata[http]'"
    ) from exc

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "HttpTool",
    "HttpToolConfig",
    "HttpToolError",
]

DEFAULT_TIMEOUT = 5.0
"""Seconds a request may take (connecting, each read, each write) unless configured."""

DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
"""The largest response body read unless configured (10 MiB)."""

_PATH_PARAM = re.compile(r"{([^{}]*)}")
_ERROR_BODY_LIMIT = 2000


class HttpToolConfig(BaseModel):
    """The configuration of an :class:`HttpTool` (its constructor's arguments).

    ``headers`` are written out as given: keep secrets out of them if the configuration is
    stored or shared.
    """

    name: str
    description: str | None = "HTTP tool"
    scheme: Literal["http", "https"] = "http"
    host: str
    port: int
    path: str = Field(default="/")
    method: Literal["GET", "POST", "PUT", "DELETE", "PATCH"] | None = "POST"
    headers: dict[str, Any] | None = None
    json_schema: dict[str, Any]
    return_type: Literal["text", "json"] | None = "text"
    timeout: float = DEFAULT_TIMEOUT
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES


class HttpToolError(RuntimeError):
    """The endpoint answered with an error status (4xx or 5xx), a body larger than
    ``max_response_bytes``, or a body that is not the JSON ``return_type="json"`` asked for.

    A tool run that raises it becomes an error result for the model, with the message
    (the status and the start of the body).
    """

    def __init__(self, message: str, status_code: int, body: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        """The response's HTTP status."""
        self.body = body
        """The response body as text."""


class HttpTool(BaseTool[BaseModel, Any], Component[HttpToolConfig]):
    """Call an HTTP endpoint with the arguments a model gives, as autogen's ``HttpTool``.

    The arguments are described by *json_schema* (an object schema; see
    :func:`cantata.utils.schema_to_pydantic_model` for what it may use) and validated
    against it. Arguments named in *path* as ``{name}`` are put into the path,
    percent-encoded (a ``/`` in a value cannot change the path); the others go into the
    query string for ``GET`` and ``DELETE`` and into a JSON body for ``POST``, ``PUT`` and
    ``PATCH``. Optional arguments the model leaves out are not sent.

    The run returns the response text (``return_type="text"``) or its decoded JSON
    (``"json"``). An error status (4xx, 5xx) raises :class:`HttpToolError` naming the
    status and the start of the body, so the model sees an error result; so does a body
    larger than *max_response_bytes*, which is not read further. Each request uses
    its own connection pool and ends with the run; the run's cancellation token, or the
    caller's cancel scope, cancels the request. Runs on asyncio and Trio.

    Args:
        name: The tool's name.
        host: The server's host name or address.
        port: The server's port.
        json_schema: The JSON schema of the arguments. Path parameters must be in it.
        headers: Headers sent with every request.
        description: What the tool does, for the model.
        path: The request path, with ``{name}`` placeholders for path parameters.
        scheme: ``"http"`` or ``"https"``.
        method: The HTTP method.
        return_type: ``"text"`` or ``"json"``.
        timeout: Seconds for connecting and for each read and write.
        max_response_bytes: The largest body read (10 MiB by default; ``None``: no limit).

    Raises:
        ValueError: A path parameter is not a property of *json_schema*, the schema cannot
            be converted (see :class:`cantata.utils.SchemaConversionError`), or *timeout* or
            *max_response_bytes* is not positive.

    Example::

        tool = HttpTool(
            name="base64_decode",
            description="base64 decode a value",
            scheme="https",
            host="httpbin.org",
            port=443,
            path="/base64/{value}",
            method="GET",
            json_schema={
                "type": "object",
                "properties": {"value": {"type": "string"}},
                "required": ["value"],
            },
        )
    """

    component_type: ClassVar[str] = "tool"
    component_provider_override: ClassVar[str] = "cantata.tools.http.HttpTool"
    """The provider name under which the tool is configured."""
    component_config_schema = HttpToolConfig
    """The configuration model of the tool."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        json_schema: dict[str, Any],
        headers: dict[str, Any] | None = None,
        description: str = "HTTP tool",
        path: str = "/",
        scheme: Literal["http", "https"] = "http",
        method: Literal["GET", "POST", "PUT", "DELETE", "PATCH"] = "POST",
        return_type: Literal["text", "json"] = "text",
        timeout: float = DEFAULT_TIMEOUT,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if max_response_bytes is not None and max_response_bytes < 1:
            raise ValueError(f"max_response_bytes must be positive, got {max_response_bytes!r}")
        self.server_params = HttpToolConfig(
            name=name,
            description=description,
            scheme=scheme,
            host=host,
            port=port,
            path=path,
            method=method,
            headers=headers,
            json_schema=json_schema,
            return_type=return_type,
            timeout=timeout,
            max_response_bytes=max_response_bytes,
        )
        self._path_params = [match.group(1) for match in _PATH_PARAM.finditer(path)]
        properties = json_schema.get("properties", {})
        missing = [param for param in self._path_params if param not in properties]
        if missing:
            raise ValueError(
                f"HttpTool {name!r}: the path parameters {missing} are not properties of "
                "json_schema; add them to the schema (as required strings)"
            )
        args_model = schema_to_pydantic_model(json_schema, f"{_model_name(name)}Args")
        super().__init__(args_model, object, name, description)

    async def run(self, args: BaseModel, cancellation_token: CancellationToken) -> Any:
        """Send the request and return the response text, or its JSON.

        Raises:
            HttpToolError: The response has an error status, or is not JSON when
                ``return_type="json"``.
            httpx.HTTPError: The request failed (connection refused, timed out, ...).
            cantata.exceptions.MessageCancelledError: *cancellation_token* cancelled it.
        """
        params = self.server_params
        values = args.model_dump(mode="json", by_alias=True, exclude_none=True)
        segments = {}
        for name in self._path_params:
            value = values.pop(name, "")
            segments[name] = quote(value if isinstance(value, str) else json.dumps(value), safe="")
        path = _PATH_PARAM.sub(lambda match: segments[match.group(1)], params.path)
        url = httpx.URL(scheme=params.scheme, host=params.host, port=params.port, path=path)
        method = params.method or "POST"
        request: dict[str, Any] = {"headers": params.headers}
        if method in ("GET", "DELETE"):
            request["params"] = {
                key: value if isinstance(value, (str, int, float, list)) else json.dumps(value)
                for key, value in values.items()
            }
        else:
            request["json"] = values
        with token_cancel_scope(cancellation_token, f"HTTP tool {self.name!r}"):
            async with (
                httpx.AsyncClient(timeout=httpx.Timeout(params.timeout)) as client,
                client.stream(method, url, **request) as response,
            ):
                body = await self._read_body(response, method, url)
        text = body.decode(response.encoding or "utf-8", errors="replace")
        if response.is_error:
            raise HttpToolError(
                f"{method} {url} answered {response.status_code} {response.reason_phrase}: "
                f"{_excerpt(text)}",
                response.status_code,
                text,
            )
        if params.return_type == "json":
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise HttpToolError(
                    f"{method} {url} answered with a body that is not JSON ({exc}): "
                    f"{_excerpt(text)}",
                    response.status_code,
                    text,
                ) from exc
        return text

    async def _read_body(self, response: httpx.Response, method: str, url: httpx.URL) -> bytes:
        limit = self.server_params.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if limit is not None and size > limit:
                start = b"".join(chunks).decode(response.encoding or "utf-8", errors="replace")
                raise HttpToolError(
                    f"{method} {url} answered {response.status_code} with a body larger than "
                    f"{limit} bytes (max_response_bytes); it was not read further: "
                    f"{_excerpt(start)}",
                    response.status_code,
                    start,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def return_value_as_string(self, value: Any) -> str:
        """The text as it came; decoded JSON as JSON text."""
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def _to_config(self) -> HttpToolConfig:
        """Return the tool's configuration (a copy)."""
        return self.server_params.model_copy(deep=True)

    @classmethod
    def _from_config(cls, config: HttpToolConfig) -> Self:
        """Create a tool from *config*."""
        return cls(
            name=config.name,
            host=config.host,
            port=config.port,
            json_schema=config.json_schema,
            headers=config.headers,
            description=config.description if config.description is not None else "HTTP tool",
            path=config.path,
            scheme=config.scheme,
            method=config.method or "POST",
            return_type=config.return_type or "text",
            timeout=config.timeout,
            max_response_bytes=config.max_response_bytes,
        )


def _model_name(name: str) -> str:
    cleaned = "".join(part.capitalize() for part in re.split(r"\W+|_", name) if part)
    return cleaned if cleaned and not cleaned[0].isdigit() else "Http"


def _excerpt(text: str) -> str:
    if len(text) <= _ERROR_BODY_LIMIT:
        return text
    return text[:_ERROR_BODY_LIMIT] + f"... ({len(text) - _ERROR_BODY_LIMIT} more characters)"
