"""The distributed runtime: a gRPC host and workers, wire-compatible with autogen's.

Install with the ``grpc`` extra (``pip install 'cantata[grpc]'``). ``autogen_ext.runtimes.grpc``
users change the import to ``cantata.runtimes.grpc``.

* :class:`GrpcWorkerAgentRuntimeHost` routes messages between workers;
* :class:`GrpcWorkerAgentRuntime` runs a process's agents and connects them to the host;
* :class:`GrpcWorkerAgentRuntimeHostServicer` is the host's gRPC service, to mount on a
  server of your own.
"""

from ._errors import (
    HostConnectionError,
    MessageTooLargeError,
    RemoteException,
    WorkerDisconnectedError,
    WorkerNotRunningError,
)
from ._host import GrpcWorkerAgentRuntimeHost
from ._host_servicer import GrpcWorkerAgentRuntimeHostServicer
from ._worker import GrpcWorkerAgentRuntime

__all__ = [
    "GrpcWorkerAgentRuntime",
    "GrpcWorkerAgentRuntimeHost",
    "GrpcWorkerAgentRuntimeHostServicer",
    "HostConnectionError",
    "MessageTooLargeError",
    "RemoteException",
    "WorkerDisconnectedError",
    "WorkerNotRunningError",
]
