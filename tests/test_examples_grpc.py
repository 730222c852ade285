"""The distributed-runtime examples: the user guide's page and autogen's two gRPC samples.

The samples listen on ``localhost:50051``; each test runs a copy that uses a free port, so
tests never collide with anything else on the machine. Every process is ended afterwards.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

pytest.importorskip("grpc")

from _grpc_harness import Proc, free_port, processes

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the test only drives subprocesses


def _copy(name: str, destination: Path, port: int) -> Path:
    """Copy ``examples/<name>.py`` or the directory ``examples/<name>`` with port 50051
    replaced by ``port``."""
    source = EXAMPLES / name
    if not source.is_dir():
        source = EXAMPLES / f"{name}.py"
    target = destination / source.name
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        files = list(target.glob("*.py"))
    else:
        shutil.copyfile(source, target)
        files = [target]
    for path in files:
        path.write_text(path.read_text().replace("localhost:50051", f"localhost:{port}"))
    return target


async def test_user_guide_distributed_runtime(tmp_path: Path, anyio_backend: str) -> None:
    port = free_port()
    script = _copy("distributed_runtime", tmp_path, port)
    with processes() as procs:
        proc = Proc([str(script)], cwd=tmp_path)
        procs.append(proc)
        assert proc.popen.wait(60) == 0
        assert proc.popen.stdout is not None
        proc.lines.append(proc.popen.stdout.read())
    output = "".join(proc.lines)
    for n in range(1, 6):
        assert f"worker1: Hello x {n}" in output
        assert f"worker2: Hello x {n}" in output
    assert "Hello x 6" not in output


async def _host(procs: list[Proc], directory: Path) -> Proc:
    host = Proc([str(directory / "run_host.py")], cwd=directory)
    procs.append(host)
    await host.wait_for("host listening on")
    return host


async def test_core_grpc_worker_runtime_samples(tmp_path: Path, anyio_backend: str) -> None:
    directory = _copy("core_grpc_worker_runtime", tmp_path, free_port())
    with processes() as procs:
        host = await _host(procs, directory)
        rpc = Proc([str(directory / "run_worker_rpc.py")], cwd=directory)
        procs.append(rpc)
        await rpc.wait_for("Feedback received: Feedback: Received: Hello, Hello World!!")
        # one sample at a time: the rpc and pub/sub samples register the same agent types
        # (a second worker serving a type would share its keys)
        rpc.end(signal.SIGINT)
        assert rpc.popen.returncode == 0, "".join(rpc.lines)
        pub_sub = Proc([str(directory / "run_worker_pub_sub.py")], cwd=directory)
        procs.append(pub_sub)
        await pub_sub.wait_for("Unhandled message: ReturnedFeedback(content=")
        pub_sub.end(signal.SIGINT)
        assert pub_sub.popen.returncode == 0, "".join(pub_sub.lines)
        # the cascading sample: two cascading workers and a publisher with an observer
        for _ in range(2):
            worker = Proc([str(directory / "run_cascading_worker.py")], cwd=directory)
            procs.append(worker)
            await host.wait_for("agent type cascading_agent_")
        publisher = Proc([str(directory / "run_cascading_publisher.py")], cwd=directory)
        procs.append(publisher)
        await publisher.wait_for("[Round 3]: Message from")
        for proc in procs[::-1]:
            proc.end(signal.SIGINT)
            assert proc.popen.wait(30) is not None


async def test_core_semantic_router_sample(tmp_path: Path, anyio_backend: str) -> None:
    directory = _copy("core_semantic_router", tmp_path, free_port())
    with processes() as procs:
        await _host(procs, directory)
        router = Proc(
            [str(directory / "run_semantic_router.py")],
            cwd=directory,
            stdin="I need help with my budget\nEND\n",
        )
        procs.append(router)
        await router.wait_for("finance Agent: Hello from finance_agent! You said: I need help")
        await router.wait_for("Conversation ended")
