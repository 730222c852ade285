"""The distributed runtime on real processes on 127.0.0.1, on asyncio and on Trio.

A host runs in the test process (its own thread) or as a subprocess; agents of type
``echo`` run in worker subprocesses (``_grpc_worker.py``); the test's own worker sends,
publishes and collects what the echo agents report on topic ``notes``.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import pytest

grpc = pytest.importorskip("grpc")

from _grpc_harness import Proc, free_port, processes, start_host, start_worker  # noqa: E402
from _grpc_messages import (  # noqa: E402
    Answer,
    Ask,
    Big,
    Boom,
    GetSecret,
    Note,
    Slow,
)

from cantata import (  # noqa: E402
    AgentId,
    CancellationToken,
    MessageContext,
    RoutedAgent,
    SerializationError,
    TopicId,
    TypeSubscription,
    message_handler,
    try_get_known_serializers_for_type,
)
from cantata.exceptions import MessageCancelledError, UnknownAgentTypeError  # noqa: E402
from cantata.runtimes.grpc import (  # noqa: E402
    GrpcWorkerAgentRuntime,
    GrpcWorkerAgentRuntimeHost,
    MessageTooLargeError,
    RemoteException,
    WorkerDisconnectedError,
    WorkerNotRunningError,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _no_thread_left_behind() -> Iterator[None]:
    """Every host and worker thread has ended when a test ends."""
    yield
    left = [t.name for t in threading.enumerate() if t.name.startswith("cantata-grpc")]
    assert not left, f"threads left running: {left}"


class Collector(RoutedAgent):
    def __init__(self, notes: list[Note], changed: list[anyio.Event]) -> None:
        super().__init__("collects notes")
        self._notes = notes
        self._changed = changed

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        self._notes.append(message)
        self._changed[0].set()
        self._changed[0] = anyio.Event()


class Notes:
    """What the echo agents reported, with a way to wait for a report."""

    def __init__(self) -> None:
        self.items: list[Note] = []
        self.changed = [anyio.Event()]

    async def register(self, worker: GrpcWorkerAgentRuntime) -> None:
        await Collector.register(worker, "collector", lambda: Collector(self.items, self.changed))
        await worker.add_subscription(TypeSubscription("notes", "collector"))

    async def wait_for(self, text: str, timeout: float = 15) -> Note:  # noqa: ASYNC109
        with anyio.fail_after(timeout):
            while True:
                for note in self.items:
                    if note.text == text:
                        return note
                await self.changed[0].wait()


def make_worker(**kwargs: object) -> GrpcWorkerAgentRuntime:
    """A worker that can read every reply type of the echo agents."""
    worker = GrpcWorkerAgentRuntime(**kwargs)  # type: ignore[arg-type]
    for cls in (Answer, Big, Note):
        worker.add_message_serializer(try_get_known_serializers_for_type(cls))
    return worker


@asynccontextmanager
async def in_process_host(**kwargs: object) -> AsyncIterator[GrpcWorkerAgentRuntimeHost]:
    host = GrpcWorkerAgentRuntimeHost(address="127.0.0.1:0", **kwargs)  # type: ignore[arg-type]
    host.start()
    try:
        yield host
    finally:
        await host.stop(grace=0.5)


async def test_rpc_publish_and_protobuf_payloads(anyio_backend: str) -> None:
    from google.protobuf import wrappers_pb2

    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            notes = Notes()
            async with make_worker(host_address=host.address) as worker:
                await notes.register(worker)
                answer = await worker.send_message(Ask("hi"), AgentId("echo", "k1"))
                assert isinstance(answer, Answer)
                assert (answer.text, answer.key) == ("HI", "k1")
                assert answer.pid != os.getpid()
                await worker.publish_message(Ask("to all"), TopicId("asks", "k2"))
                note = await notes.wait_for("published:to all")
                assert note.key == "k2"
                # a protobuf payload (the worker sends protobuf types as protobuf)
                reply = await worker.send_message(
                    wrappers_pb2.StringValue(value="abc"), AgentId("echo", "k1")
                )
                assert reply == wrappers_pb2.StringValue(value="cba")


@pytest.mark.parametrize("fmt", ["application/json", "application/x-protobuf"])
async def test_payload_serialization_format(anyio_backend: str, fmt: str) -> None:
    from google.protobuf import wrappers_pb2

    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address, "--format", fmt)
            async with make_worker(
                host_address=host.address, payload_serialization_format=fmt
            ) as worker:
                # dataclasses have no protobuf form: they travel as JSON in either format
                answer = await worker.send_message(Ask("x"), AgentId("echo", "a"))
                assert answer.text == "X"
                reply = await worker.send_message(
                    wrappers_pb2.StringValue(value="xy"), AgentId("echo", "a")
                )
                assert reply.value == "yx"


async def test_unknown_type_fails_at_once(anyio_backend: str) -> None:
    async with in_process_host() as host, make_worker(host_address=host.address) as worker:
        started = time.monotonic()
        with pytest.raises(UnknownAgentTypeError) as info:
            await worker.send_message(Ask("hi"), AgentId("nobody", "k"))
        assert info.value.agent_type == "nobody"
        assert time.monotonic() - started < 5


async def test_undeserializable_response_names_the_type(anyio_backend: str) -> None:
    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            async with make_worker(host_address=host.address) as worker:
                with pytest.raises(SerializationError, match="'Secret'"):
                    await worker.send_message(GetSecret("s"), AgentId("echo", "k"))


async def test_remote_exceptions_keep_type_and_traceback(anyio_backend: str) -> None:
    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            async with make_worker(host_address=host.address) as worker:
                with pytest.raises(KeyError) as key_error:
                    await worker.send_message(Boom("key"), AgentId("echo", "k"))
                assert key_error.value.args == ("boom",)
                notes = "\n".join(getattr(key_error.value, "__notes__", []))
                assert 'raise KeyError("boom")' in notes
                with pytest.raises(RemoteException) as remote:
                    await worker.send_message(Boom("custom"), AgentId("echo", "k"))
                assert remote.value.type_name == "_grpc_messages.CustomError"
                assert remote.value.message == "custom boom"
                assert "on_boom" in remote.value.remote_traceback


async def test_cancellation_reaches_the_remote_handler(anyio_backend: str) -> None:
    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            notes = Notes()
            async with make_worker(host_address=host.address) as worker:
                await notes.register(worker)
                # by token
                token = CancellationToken()
                async with anyio.create_task_group() as tg:

                    async def cancel_when_started() -> None:
                        await notes.wait_for("started:t")
                        token.cancel()

                    tg.start_soon(cancel_when_started)
                    with pytest.raises(MessageCancelledError):
                        await worker.send_message(
                            Slow(30, "t"), AgentId("echo", "k"), cancellation_token=token
                        )
                await notes.wait_for("cancelled:t")
                # by the caller's cancel scope
                async with anyio.create_task_group() as tg:

                    async def call() -> None:
                        await worker.send_message(Slow(30, "s"), AgentId("echo", "k"))

                    tg.start_soon(call)
                    await notes.wait_for("started:s")
                    tg.cancel_scope.cancel()
                await notes.wait_for("cancelled:s")


async def test_request_ids_are_unique_per_host(anyio_backend: str) -> None:
    """Two callers using the same request ids get their own answers (raw wire clients)."""
    from cantata.runtimes.grpc.protos import agent_worker_pb2 as pb
    from cantata.runtimes.grpc.protos import agent_worker_pb2_grpc as pb_grpc

    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)

            def call(text: str) -> list[str]:
                import json
                import queue
                import uuid

                outbox: queue.Queue[pb.Message | None] = queue.Queue()

                def requests() -> object:
                    while (item := outbox.get()) is not None:
                        yield item

                with grpc.insecure_channel(host.address) as channel:
                    stub = pb_grpc.AgentRpcStub(channel)  # type: ignore[no-untyped-call]
                    stream = stub.OpenChannel(
                        requests(), metadata=[("client-id", str(uuid.uuid4()))]
                    )
                    answers = []
                    for n in range(3):
                        payload = pb.Payload(
                            data_type="Ask",
                            data_content_type="application/json",
                            data=json.dumps({"text": f"{text}{n}"}).encode(),
                        )
                        outbox.put(
                            pb.Message(
                                request=pb.RpcRequest(
                                    request_id=str(n + 1),
                                    target=pb.AgentId(type="echo", key="k"),
                                    payload=payload,
                                )
                            )
                        )
                    for _ in range(3):
                        message = next(stream)
                        answers.append(
                            message.response.request_id
                            + "="
                            + json.loads(message.response.payload.data)["text"]
                        )
                    outbox.put(None)
                    stream.cancel()
                    return sorted(answers)

            results: dict[str, list[str]] = {}

            async def run(text: str) -> None:
                results[text] = await anyio.to_thread.run_sync(call, text)

            async with anyio.create_task_group() as tg:
                tg.start_soon(run, "a")
                tg.start_soon(run, "b")
            assert results == {"a": ["1=A0", "2=A1", "3=A2"], "b": ["1=B0", "2=B1", "3=B2"]}


async def test_dead_worker_fails_pending_rpcs_and_loses_its_subscriptions(
    anyio_backend: str,
) -> None:
    async with in_process_host() as host:
        with processes() as procs:
            echo = await start_worker(procs, host.address)
            notes = Notes()
            async with make_worker(host_address=host.address) as worker:
                await notes.register(worker)
                async with anyio.create_task_group() as tg:

                    async def kill_when_started() -> None:
                        await notes.wait_for("started:d")
                        echo.kill()

                    tg.start_soon(kill_when_started)
                    started = time.monotonic()
                    with pytest.raises(WorkerDisconnectedError):
                        await worker.send_message(Slow(60, "d"), AgentId("echo", "k"))
                    assert time.monotonic() - started < 15
                with pytest.raises(UnknownAgentTypeError):
                    await worker.send_message(Ask("x"), AgentId("echo", "k"))
                subscriptions = await _host_subscriptions(host.address)
                assert {s.agent_type for s in subscriptions} == {"collector"}


async def _host_subscriptions(address: str) -> list[TypeSubscription]:
    from cantata.runtimes.grpc.protos import agent_worker_pb2 as pb
    from cantata.runtimes.grpc.protos import agent_worker_pb2_grpc as pb_grpc

    def get() -> list[TypeSubscription]:
        with grpc.insecure_channel(address) as channel:
            stub = pb_grpc.AgentRpcStub(channel)  # type: ignore[no-untyped-call]
            response = stub.GetSubscriptions(
                pb.GetSubscriptionsRequest(), metadata=[("client-id", "probe")]
            )
            return [
                TypeSubscription(s.typeSubscription.topic_type, s.typeSubscription.agent_type)
                for s in response.subscriptions
                if s.HasField("typeSubscription")
            ]

    return await anyio.to_thread.run_sync(get)


async def test_reconnect_after_host_restart(anyio_backend: str) -> None:
    port = free_port()
    address = f"127.0.0.1:{port}"
    with processes() as procs:
        host = await start_host(procs, port)
        await start_worker(procs, address)
        notes = Notes()
        async with make_worker(host_address=address, reconnect_backoff=(0.05, 0.5)) as worker:
            await notes.register(worker)
            assert (await worker.send_message(Ask("a"), AgentId("echo", "k"))).text == "A"
            host.kill()
            await start_host(procs, port)
            # both workers come back and register again; then nothing is lost
            with anyio.fail_after(20):
                while True:
                    try:
                        answer = await worker.send_message(Ask("b"), AgentId("echo", "k"))
                        break
                    except (UnknownAgentTypeError, ConnectionError):
                        await anyio.sleep(0.1)
            assert answer.text == "B"
            for n in range(5):
                await worker.publish_message(Ask(f"after{n}"), TopicId("asks", "k"))
            for n in range(5):
                await notes.wait_for(f"published:after{n}")


async def test_large_messages(anyio_backend: str) -> None:
    size = 16 * 1024 * 1024
    config: list[tuple[str, int | str]] = [
        ("grpc.max_send_message_length", size),
        ("grpc.max_receive_message_length", size),
    ]
    big = "x" * (6 * 1024 * 1024) + "y"
    async with in_process_host(extra_grpc_config=config) as host:
        with processes() as procs:
            await start_worker(procs, host.address, "--max-size", str(size))
            async with make_worker(host_address=host.address, extra_grpc_config=config) as worker:
                answer = await worker.send_message(Big(big), AgentId("echo", "k"))
                assert answer.data == big[::-1]
            async with make_worker(host_address=host.address) as small:
                with anyio.fail_after(5), pytest.raises(MessageTooLargeError, match="4194304"):
                    await small.send_message(Big(big), AgentId("echo", "k"))
                # the connection survives the refusal
                assert (await small.send_message(Ask("ok"), AgentId("echo", "k"))).text == "OK"


async def test_token_is_required(anyio_backend: str) -> None:
    from cantata.runtimes.grpc import HostConnectionError

    async with in_process_host(token="s3cret") as host:
        with pytest.raises(HostConnectionError, match=r"UNAUTHENTICATED|bad token"):
            async with make_worker(host_address=host.address, token="wrong", connect_timeout=2):
                pass
        async with make_worker(host_address=host.address, token="s3cret") as worker:
            with pytest.raises(UnknownAgentTypeError):
                await worker.send_message(Ask("x"), AgentId("nobody", "k"))


async def test_tls(anyio_backend: str, tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    directory = Path(str(tmp_path))
    key, cert = directory / "key.pem", directory / "cert.pem"
    await anyio.run_process(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
    )  # fmt: skip
    server_credentials = grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())])
    async with in_process_host(server_credentials=server_credentials) as host:
        credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        async with make_worker(
            host_address=host.address, channel_credentials=credentials
        ) as worker:
            await Notes().register(worker)
            with pytest.raises(UnknownAgentTypeError):
                await worker.send_message(Ask("x"), AgentId("nobody", "k"))


def test_host_binds_to_localhost_by_default() -> None:
    import inspect

    default = inspect.signature(GrpcWorkerAgentRuntimeHost).parameters["address"].default
    assert default.startswith("localhost:")


async def test_several_workers_serve_one_type(anyio_backend: str) -> None:
    async with in_process_host() as host:
        with processes() as procs:
            first = await start_worker(procs, host.address)
            second = await start_worker(procs, host.address)
            notes = Notes()
            async with make_worker(host_address=host.address) as worker:
                await notes.register(worker)
                placement: dict[str, int] = {}
                for round_ in range(2):
                    for n in range(12):
                        answer = await worker.send_message(Ask("x"), AgentId("echo", f"k{n}"))
                        if round_ == 0:
                            placement[f"k{n}"] = answer.pid
                        else:
                            assert placement[f"k{n}"] == answer.pid  # a key stays put
                assert set(placement.values()) == {first.popen.pid, second.popen.pid}
                for n in range(12):
                    await worker.publish_message(Ask(f"p{n}"), TopicId("asks", f"k{n}"))
                for n in range(12):
                    note = await notes.wait_for(f"published:p{n}")
                    assert note.pid == placement[f"k{n}"]
                await anyio.sleep(0.3)
                assert len(notes.items) == 12  # each publish handled once, by its key's worker


async def test_worker_start_stop_on_asyncio_form(anyio_backend: str) -> None:
    async with in_process_host() as host:
        worker = make_worker(host_address=host.address)
        if anyio_backend == "trio":
            with pytest.raises(RuntimeError, match="async with"):
                await worker.start()
            return
        await worker.start()
        await Notes().register(worker)
        with pytest.raises(UnknownAgentTypeError):
            await worker.send_message(Ask("x"), AgentId("nobody", "k"))
        await worker.stop_when_idle()
        with pytest.raises(WorkerNotRunningError):  # a ValueError and a RuntimeError
            await worker.send_message(Ask("x"), AgentId("collector", "k"))


def test_stubs_are_current() -> None:
    from cantata.runtimes.grpc.protos import _generate

    assert _generate.main(["--check"]) == 0, (
        "regenerate with: python -m cantata.runtimes.grpc.protos._generate"
    )


_ = (Proc, signal)


@dataclass
class Start:
    n: int


@dataclass
class Back:
    n: int


class PingAgent(RoutedAgent):
    def __init__(self, peer: str) -> None:
        super().__init__("calls its peer, which calls back")
        self._peer = peer

    @message_handler
    async def on_start(self, message: Start, ctx: MessageContext) -> Back:
        reply = await self.send_message(message, AgentId(self._peer, "k"))
        assert isinstance(reply, Back)
        return Back(reply.n + 1)

    @message_handler
    async def on_back(self, message: Back, ctx: MessageContext) -> Back:
        return Back(message.n * 10)


class PongAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("calls back into its caller")

    @message_handler
    async def on_start(self, message: Start, ctx: MessageContext) -> Back:
        assert ctx.sender is not None
        reply = await self.send_message(Back(message.n), ctx.sender)
        assert isinstance(reply, Back)
        return Back(reply.n + 1)


async def test_call_cycles_across_workers_do_not_deadlock(anyio_backend: str) -> None:
    async with (
        in_process_host() as host,
        make_worker(host_address=host.address) as first,
        make_worker(host_address=host.address) as second,
    ):
        await PingAgent.register(first, "ping", lambda: PingAgent("pong"))
        await PongAgent.register(second, "pong", PongAgent)
        for worker in (first, second):
            worker.add_message_serializer(try_get_known_serializers_for_type(Back))
        with anyio.fail_after(10):
            # ping -> pong -> ping (back into the waiting agent) -> pong -> ping
            assert await second.send_message(Start(1), AgentId("ping", "k")) == Back(12)
            # and within one worker (every RPC goes through the host)
            await PingAgent.register(first, "ping2", lambda: PingAgent("pong2"))
            await PongAgent.register(first, "pong2", PongAgent)
            assert await second.send_message(Start(2), AgentId("ping2", "k")) == Back(22)


class TraceProbe(RoutedAgent):
    """Records the trace id its handlers run under."""

    def __init__(self, seen: list[int]) -> None:
        super().__init__("records trace ids")
        self._seen = seen

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Answer:
        from opentelemetry import trace

        self._seen.append(trace.get_current_span().get_span_context().trace_id)
        return Answer(message.text, os.getpid(), self.id.key)


async def test_trace_context_crosses_the_wire(anyio_backend: str) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    tracer = provider.get_tracer("test")
    seen: list[int] = []
    async with (
        in_process_host() as host,
        make_worker(host_address=host.address, tracer_provider=provider) as caller,
        make_worker(host_address=host.address, tracer_provider=provider) as callee,
    ):
        await TraceProbe.register(callee, "probe", lambda: TraceProbe(seen))
        await callee.add_subscription(TypeSubscription("probe-topic", "probe"))
        with tracer.start_as_current_span("caller") as span:
            trace_id = span.get_span_context().trace_id
            await caller.send_message(Ask("rpc"), AgentId("probe", "k"))
            await caller.publish_message(Ask("event"), TopicId("probe-topic", "k"))
        with anyio.fail_after(10):
            while len(seen) < 2:  # noqa: ASYNC110 - the probe runs in this process
                await anyio.sleep(0.02)
        assert seen == [trace_id, trace_id]
        # outside any span, a new trace starts (no stale context leaks into handlers)
        await caller.send_message(Ask("rpc"), AgentId("probe", "k"))
        assert seen[-1] != trace_id
    assert trace.get_current_span().get_span_context().trace_id == 0


async def test_many_concurrent_rpcs_each_get_their_answer(anyio_backend: str) -> None:
    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            async with make_worker(host_address=host.address) as worker:
                answers: dict[int, Answer] = {}

                async def call(n: int) -> None:
                    answers[n] = await worker.send_message(
                        Ask(f"m{n}"), AgentId("echo", f"k{n % 7}")
                    )

                with anyio.fail_after(30):
                    async with anyio.create_task_group() as tg:
                        for n in range(200):
                            tg.start_soon(call, n)
                assert {n: a.text for n, a in answers.items()} == {n: f"M{n}" for n in range(200)}


async def test_stop_fails_pending_rpcs(anyio_backend: str) -> None:
    from cantata.exceptions import RuntimeStoppedError

    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            notes = Notes()
            errors: list[BaseException] = []
            async with make_worker(host_address=host.address) as worker:
                await notes.register(worker)

                async def call() -> None:
                    try:
                        await worker.send_message(Slow(30, "z"), AgentId("echo", "k"))
                    except RuntimeStoppedError as exc:
                        errors.append(exc)

                with anyio.fail_after(10):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(call)
                        await notes.wait_for("started:z")
                        await worker.stop()
            assert len(errors) == 1


async def test_frozen_worker_is_dropped_within_the_keepalive_bound(anyio_backend: str) -> None:
    """A worker that stops answering (SIGSTOP) is declared dead after keepalive time plus
    keepalive timeout (here 0.5 s + 0.5 s; 5 s + 5 s by default)."""
    config: list[tuple[str, int | str]] = [
        ("grpc.keepalive_time_ms", 500),
        ("grpc.keepalive_timeout_ms", 500),
        ("grpc.http2.min_sent_ping_interval_without_data_ms", 500),
        ("grpc.http2.ping_timeout_ms", 500),
    ]
    async with in_process_host(extra_grpc_config=config) as host:
        with processes() as procs:
            echo = await start_worker(procs, host.address)
            notes = Notes()
            async with make_worker(host_address=host.address) as worker:
                await notes.register(worker)
                async with anyio.create_task_group() as tg:

                    async def freeze_when_started() -> None:
                        await notes.wait_for("started:f")
                        echo.popen.send_signal(signal.SIGSTOP)

                    tg.start_soon(freeze_when_started)
                    try:
                        with anyio.fail_after(8):
                            with pytest.raises(WorkerDisconnectedError):
                                await worker.send_message(Slow(60, "f"), AgentId("echo", "k"))
                    finally:
                        echo.popen.send_signal(signal.SIGCONT)


async def test_a_dead_callers_requests_are_cancelled_on_their_worker(anyio_backend: str) -> None:
    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            notes = Notes()
            async with make_worker(host_address=host.address) as worker:
                await notes.register(worker)
                caller = await start_worker(
                    procs, host.address, "--type", "other", "--call-slow", "orphan"
                )
                await notes.wait_for("started:orphan")
                caller.kill()
                await notes.wait_for("cancelled:orphan")


class Counter(RoutedAgent):
    def __init__(self, seen: list[str]) -> None:
        super().__init__("counts")
        self._seen = seen

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> None:
        await anyio.sleep(0.01)
        self._seen.append(message.text)


async def test_stop_when_idle_handles_what_came_back(anyio_backend: str) -> None:
    seen: list[str] = []
    async with in_process_host() as host, make_worker(host_address=host.address) as worker:
        await Counter.register(worker, "counter", lambda: Counter(seen))
        await worker.add_subscription(TypeSubscription("counted", "counter"))
        for n in range(10):
            await worker.publish_message(Ask(str(n)), TopicId("counted", f"k{n % 3}"))
        await worker.stop_when_idle()  # the publishes went through the host and back
        assert sorted(seen) == [str(n) for n in range(10)]


async def test_cancelled_while_connecting_leaves_nothing_running(anyio_backend: str) -> None:
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    worker = make_worker(host_address=address)
    with anyio.move_on_after(0.5) as scope:
        async with worker:
            pass
    assert scope.cancelled_caught
    if anyio_backend == "asyncio":
        with anyio.move_on_after(0.5) as scope:
            await worker.start()
        assert scope.cancelled_caught
    # the worker can start afterwards, once a host is there
    async with in_process_host() as host:
        worker = make_worker(host_address=host.address)
        async with worker:
            with pytest.raises(UnknownAgentTypeError):
                await worker.send_message(Ask("x"), AgentId("nobody", "k"))


async def test_a_worker_joining_a_type_under_traffic_fails_no_request(anyio_backend: str) -> None:
    """The host places keys on a new worker as soon as it registers the type; the worker is
    ready for them by then."""
    from _grpc_messages import Echo

    async with in_process_host() as host:
        with processes() as procs:
            await start_worker(procs, host.address)
            async with (
                make_worker(host_address=host.address) as caller,
                make_worker(host_address=host.address) as joiner,
            ):
                answers: list[Answer] = []
                registered = anyio.Event()

                async def traffic() -> None:
                    n = 0
                    while not registered.is_set() or n < 400:
                        answer = await caller.send_message(Ask("x"), AgentId("echo", f"k{n % 20}"))
                        answers.append(answer)
                        n += 1

                async with anyio.create_task_group() as tg:
                    tg.start_soon(traffic)
                    await anyio.sleep(0.05)
                    await Echo.register(joiner, "echo", Echo, skip_class_subscriptions=True)
                    registered.set()
                assert {a.pid for a in answers[-100:]} >= {os.getpid()}  # the joiner serves
