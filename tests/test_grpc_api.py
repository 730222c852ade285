"""The public API of ``cantata.runtimes.grpc`` keeps autogen-ext's (0.7.5) signatures."""

from __future__ import annotations

import inspect
import signal
from typing import Any

import pytest

pytest.importorskip("grpc")

import cantata.runtimes.grpc as grpc_runtime
from cantata import AgentRuntime
from cantata.runtimes.grpc import (
    GrpcWorkerAgentRuntime,
    GrpcWorkerAgentRuntimeHost,
    GrpcWorkerAgentRuntimeHostServicer,
)

PROTOCOL_METHODS = [
    name
    for name, member in vars(AgentRuntime).items()
    if callable(member) and not name.startswith("_")
]


def _params(func: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(func).parameters.values()][1:]


def test_exports() -> None:
    for name in (
        "GrpcWorkerAgentRuntime",
        "GrpcWorkerAgentRuntimeHost",
        "GrpcWorkerAgentRuntimeHostServicer",
    ):
        assert name in grpc_runtime.__all__


@pytest.mark.parametrize("name", PROTOCOL_METHODS)
def test_worker_implements_the_runtime_protocol(name: str) -> None:
    protocol = getattr(AgentRuntime, name)
    worker = getattr(GrpcWorkerAgentRuntime, name)
    assert _params(worker) == _params(protocol)
    assert inspect.iscoroutinefunction(worker) == inspect.iscoroutinefunction(protocol)


def test_worker_is_an_agent_runtime() -> None:
    assert isinstance(GrpcWorkerAgentRuntime(), AgentRuntime)


def test_reference_constructor_and_lifecycle_signatures() -> None:
    worker = inspect.signature(GrpcWorkerAgentRuntime)
    assert list(worker.parameters)[:4] == [
        "host_address",
        "tracer_provider",
        "extra_grpc_config",
        "payload_serialization_format",
    ]
    assert worker.parameters["payload_serialization_format"].default == "application/json"
    host = inspect.signature(GrpcWorkerAgentRuntimeHost)
    assert list(host.parameters)[:2] == ["address", "extra_grpc_config"]
    assert inspect.signature(GrpcWorkerAgentRuntimeHostServicer).parameters.keys() <= {
        "token",
        "max_message_length",
    }
    for name in ("start", "stop", "stop_when_signal", "stop_when", "stop_when_idle"):
        assert inspect.iscoroutinefunction(getattr(GrpcWorkerAgentRuntime, name)), name
    assert not inspect.iscoroutinefunction(GrpcWorkerAgentRuntimeHost.start)
    assert inspect.iscoroutinefunction(GrpcWorkerAgentRuntimeHost.stop)
    stop_when_signal = inspect.signature(GrpcWorkerAgentRuntimeHost.stop_when_signal)
    assert stop_when_signal.parameters["grace"].default == 5
    assert stop_when_signal.parameters["signals"].default == (signal.SIGTERM, signal.SIGINT)
    assert inspect.signature(GrpcWorkerAgentRuntimeHost.stop).parameters["grace"].default == 5
