"""Errors of the distributed runtime, and how a handler's exception crosses the wire.

A failed RPC travels as ``RpcResponse.error`` (the exception's text, which is all other
implementations read) plus three metadata entries: the exception's qualified class name,
its arguments as JSON when they are plain values, and the formatted remote traceback. The
caller rebuilds builtin exceptions and cantata's own exceptions as their original class;
anything else becomes a :class:`RemoteException`. The remote traceback is attached as a note
(shown when the exception is printed) and as ``remote_traceback`` where it can be set.
Nothing is unpickled or evaluated: classes are looked up in a fixed table.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import traceback
from collections.abc import Mapping, MutableMapping
from typing import Any

from ... import exceptions as _cantata_exceptions
from ..._serialization import SerializationError
from ._constants import ERROR_ARGS_META, ERROR_TRACEBACK_META, ERROR_TYPE_META

__all__ = [
    "HostConnectionError",
    "WorkerNotRunningError",
    "MessageTooLargeError",
    "RemoteException",
    "WorkerDisconnectedError",
]

_MAX_TRACEBACK = 64 * 1024


class RemoteException(Exception):
    """An exception raised by a handler in another process, of a class not rebuilt locally.

    Attributes:
        type_name: The remote exception's qualified class name (``module.Class``); empty
            when the peer did not send it.
        message: The remote exception's text.
        remote_traceback: The formatted traceback from the remote process (may be empty).
    """

    def __init__(self, type_name: str, message: str, remote_traceback: str = "") -> None:
        super().__init__(f"{type_name}: {message}" if type_name else message)
        self.type_name = type_name
        self.message = message
        self.remote_traceback = remote_traceback


class WorkerDisconnectedError(_cantata_exceptions.UndeliverableException):
    """The worker serving the recipient disconnected before it answered."""


class HostConnectionError(_cantata_exceptions.UndeliverableException, ConnectionError):
    """The connection to the host failed or was lost while a request was in flight."""


class WorkerNotRunningError(RuntimeError, ValueError):
    """The worker runtime is not running (not started, or stopped).

    A ``ValueError`` as autogen's worker raises, and a ``RuntimeError`` as cantata's local
    runtime raises for the same mistake.
    """


class MessageTooLargeError(ValueError):
    """A serialized message is larger than the gRPC message size limit.

    Raise the limit with ``extra_grpc_config`` on the host and on every worker (the
    ``grpc.max_send_message_length`` and ``grpc.max_receive_message_length`` options).

    Attributes:
        size: The serialized size in bytes.
        limit: The limit in bytes.
    """

    def __init__(self, size: int, limit: int, what: str) -> None:
        super().__init__(
            f"{what} is {size} bytes, over the gRPC message size limit of {limit} bytes; "
            "raise grpc.max_send_message_length and grpc.max_receive_message_length through "
            "extra_grpc_config on the host and on every worker"
        )
        self.size = size
        self.limit = limit


def _rebuildable() -> dict[str, type[BaseException]]:
    table: dict[str, type[BaseException]] = {}
    for name in dir(builtins):
        obj = getattr(builtins, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            table[f"builtins.{name}"] = obj
    for name in _cantata_exceptions.__all__:
        cls = getattr(_cantata_exceptions, name)
        table[f"{cls.__module__}.{cls.__qualname__}"] = cls
    table[f"{SerializationError.__module__}.{SerializationError.__qualname__}"] = SerializationError
    for cls in (WorkerDisconnectedError, HostConnectionError):
        table[f"{__name__.rsplit('.', 1)[0]}.{cls.__qualname__}"] = cls
    return table


_REBUILDABLE = _rebuildable()


def qualified_type_name(exc: BaseException) -> str:
    cls = type(exc)
    module = cls.__module__
    if module.startswith("cantata.runtimes.grpc."):
        module = "cantata.runtimes.grpc"
    return f"{module}.{cls.__qualname__}"


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def encode_error(exc: BaseException, metadata: MutableMapping[str, str]) -> str:
    """Fill ``metadata`` with ``exc``'s class, arguments and traceback; return its text."""
    metadata[ERROR_TYPE_META] = qualified_type_name(exc)
    args = exc.args
    try:
        reduced = exc.__reduce__()  # the constructor arguments, for classes that define it
        if isinstance(reduced, tuple) and len(reduced) >= 2 and isinstance(reduced[1], tuple):
            args = reduced[1]
    except Exception:
        pass
    if all(_plain(a) for a in args):
        metadata[ERROR_ARGS_META] = json.dumps(list(args))
    text = "".join(traceback.format_exception(exc))
    metadata[ERROR_TRACEBACK_META] = text[-_MAX_TRACEBACK:]
    return str(exc) or type(exc).__name__


def decode_error(error: str, metadata: Mapping[str, str]) -> Exception:
    """The exception a caller raises for ``RpcResponse(error=..., metadata=...)``."""
    type_name = metadata.get(ERROR_TYPE_META, "")
    remote_tb = metadata.get(ERROR_TRACEBACK_META, "")
    cls = _REBUILDABLE.get(type_name)
    exc: Exception | None = None
    if cls is not None and issubclass(cls, Exception):
        try:
            raw_args = metadata.get(ERROR_ARGS_META)
            args = json.loads(raw_args) if raw_args is not None else [error]
            if not isinstance(args, list):
                args = [error]
            exc = cls(*args)
        except Exception:
            exc = None
    if exc is None:
        exc = RemoteException(type_name, error, remote_tb)
    if remote_tb:
        exc.add_note(f"Remote traceback (from the worker that ran the handler):\n{remote_tb}")
        with contextlib.suppress(AttributeError):  # classes with __slots__ keep the note only
            exc.remote_traceback = remote_tb  # type: ignore[attr-defined]  # any exception
    return exc
