"""The raw-AnyIO lower bound: each scenario's message pattern with no runtime at all.

What is left is what any runtime with autogen-core's semantics has to do per message:

* a sequential RPC (``rpc``, ``spawn``) is a plain awaited call of the agent's
  ``on_message``, found in a dict of agents (created by a factory on first use), which
  routes on ``type(message)`` through a dict of handlers and is handed a small context;
* concurrent RPCs (``rpc_concurrent``) go through each agent's mailbox, a memory object
  stream drained by one task, with the reply sent back on the caller's own stream: with
  many callers, one agent must still handle one message at a time;
* a publish looks up the topic type in a dict of routes and puts the message in each
  recipient's mailbox, an unbounded AnyIO memory object stream drained by one task per
  agent; a counter of queued deliveries and an ``anyio.Event`` give "wait until idle".

No envelopes, futures, ids, interventions, serializer registry, logging or tracing. A
runtime's rate divided by the bound's rate, on the same backend, is how close it comes to
what the pattern costs in Python on that event loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from harness import Stopwatch, Trial, check
from messages import Ping, Pong, Tally
from scenarios import SAME_TOPIC, CellRates, Gate, Sizes

Topic = tuple[str, str]  # (type, source)
Key = tuple[str, str]  # (agent type, agent key)


class Context:
    """The least a handler is told about a delivery."""

    __slots__ = ("is_rpc", "topic")

    def __init__(self, topic: Topic | None, is_rpc: bool) -> None:
        self.topic = topic
        self.is_rpc = is_rpc


Delivery = tuple[Ping, Context]


class Agent:
    """Routes a message to the handler registered for its type, as RoutedAgent does."""

    __slots__ = ("key", "tally")
    handlers: ClassVar[dict[type, Callable[..., Coroutine[Any, Any, Any]]]] = {}

    def __init__(self, key: Key, tally: Tally) -> None:
        self.key = key
        self.tally = tally

    async def on_message(self, message: Any, ctx: Context) -> Any:
        return await self.handlers[type(message)](self, message, ctx)


class Echo(Agent):
    __slots__ = ()

    async def on_ping(self, message: Ping, ctx: Context) -> Pong:
        self.tally.count += 1
        return Pong(message.seq)

    handlers: ClassVar[dict[type, Callable[..., Coroutine[Any, Any, Any]]]] = {Ping: on_ping}


class Sink(Agent):
    __slots__ = ()

    async def on_ping(self, message: Ping, ctx: Context) -> None:
        self.tally.count += 1

    handlers: ClassVar[dict[type, Callable[..., Coroutine[Any, Any, Any]]]] = {Ping: on_ping}


class Stage(Agent):
    """Forwards every message to the next stage's topic through the mailboxes."""

    __slots__ = ("mailboxes", "next_topic_type")

    def __init__(
        self, key: Key, tally: Tally, mailboxes: Mailboxes, next_topic_type: str | None
    ) -> None:
        super().__init__(key, tally)
        self.mailboxes = mailboxes
        self.next_topic_type = next_topic_type

    async def on_ping(self, message: Ping, ctx: Context) -> None:
        self.tally.count += 1
        if self.next_topic_type is not None and ctx.topic is not None:
            self.mailboxes.publish(message, (self.next_topic_type, ctx.topic[1]))

    handlers: ClassVar[dict[type, Callable[..., Coroutine[Any, Any, Any]]]] = {Ping: on_ping}


class Directory:
    """Agents by key, created by their type's factory on first use; RPC is a call."""

    def __init__(self, factories: dict[str, Callable[[Key], Agent]]) -> None:
        self.factories = factories
        self.agents: dict[Key, Agent] = {}

    async def send(self, message: Ping, key: Key) -> Any:
        agent = self.agents.get(key)
        if agent is None:
            agent = self.agents[key] = self.factories[key[0]](key)
        return await agent.on_message(message, Context(None, True))


class Mailboxes:
    """One memory object stream and one draining task per agent; routes by topic type."""

    def __init__(self, tg: TaskGroup) -> None:
        self.tg = tg
        self.routes: dict[str, list[MemoryObjectSendStream[Delivery]]] = {}
        self.inboxes: list[MemoryObjectSendStream[Delivery]] = []
        self.queued = 0
        self._idle: anyio.Event | None = None

    def add(self, agent: Agent, topic_type: str) -> MemoryObjectSendStream[Delivery]:
        send, receive = anyio.create_memory_object_stream[Delivery](math.inf)
        self.tg.start_soon(self._drain, agent, receive)
        self.routes.setdefault(topic_type, []).append(send)
        self.inboxes.append(send)
        return send

    async def _drain(self, agent: Agent, receive: MemoryObjectReceiveStream[Delivery]) -> None:
        async with receive:
            async for message, ctx in receive:
                try:
                    await agent.on_message(message, ctx)
                finally:
                    self.queued -= 1
                    if not self.queued and self._idle is not None:
                        self._idle.set()

    def publish(self, message: Ping, topic: Topic) -> None:
        ctx = Context(topic, False)
        for inbox in self.routes.get(topic[0], ()):
            self.queued += 1
            inbox.send_nowait((message, ctx))

    async def wait_idle(self) -> None:
        while self.queued:
            self._idle = anyio.Event()
            await self._idle.wait()
        self._idle = None

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.close()


def rpc(sizes: Sizes) -> Trial:
    calls = sizes.rpc_calls

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        directory = Directory({"echo": lambda key: Echo(key, tally)})
        target = ("echo", "solo")
        await directory.send(Ping(-1), target)
        reply: Any = None
        watch.start()
        for seq in range(calls):
            reply = await directory.send(Ping(seq), target)
        watch.stop()
        check(reply == Pong(calls - 1) and tally.count == calls + 1, "bound rpc")
        return calls

    return trial


Request = tuple[Ping, Context, MemoryObjectSendStream[Any]]


def rpc_concurrent(sizes: Sizes) -> Trial:
    """Concurrent callers need per-agent serialization, so each agent gets a mailbox.

    As the issue defines the bound: one unbounded memory object stream per agent, drained by
    one task that awaits ``on_message``; each caller sends its request with its own reply
    stream and awaits the reply. (A plain awaited call, as in ``rpc``, would let two
    callers run one agent's handler at once, which is not the same pattern.)
    """
    callers, per_caller, nkeys = sizes.callers, sizes.calls_per_caller, sizes.keys

    async def serve(agent: Agent, requests: MemoryObjectReceiveStream[Request]) -> None:
        async with requests:
            async for message, ctx, reply_to in requests:
                reply_to.send_nowait(await agent.on_message(message, ctx))

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        wrong: list[Any] = []
        gate = Gate(callers)
        async with anyio.create_task_group() as tg:
            inboxes: list[MemoryObjectSendStream[Request]] = []
            for k in range(nkeys):
                send, receive = anyio.create_memory_object_stream[Request](math.inf)
                tg.start_soon(serve, Echo(("echo", f"k{k}"), tally), receive)
                inboxes.append(send)

            async def call(inbox: MemoryObjectSendStream[Request], seq: int, box: Any) -> Any:
                reply_send, reply_receive = box
                inbox.send_nowait((Ping(seq), Context(None, True), reply_send))
                return await reply_receive.receive()

            async def caller(index: int) -> None:
                box = anyio.create_memory_object_stream[Any](1)
                await gate.arrive()
                for seq in range(per_caller):
                    inbox = inboxes[(index * per_caller + seq) % nkeys]
                    reply = await call(inbox, seq, box)
                    if reply != Pong(seq):
                        wrong.append(reply)
                for end in box:
                    end.close()

            box = anyio.create_memory_object_stream[Any](1)
            for inbox in inboxes:  # warm-up: every agent handles one message
                await call(inbox, -1, box)
            for end in box:
                end.close()
            async with anyio.create_task_group() as callers_tg:
                for index in range(callers):
                    callers_tg.start_soon(caller, index)
                await gate.all_arrived.wait()
                watch.start()
                gate.go.set()
            watch.stop()
            for inbox in inboxes:
                inbox.close()
        check(not wrong and tally.count == callers * per_caller + nkeys, "bound rpc_concurrent")
        return callers * per_caller

    return trial


def publish_fanout(sizes: Sizes) -> Trial:
    subscribers, messages = sizes.subscribers, sizes.fanout_messages

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        topic = ("default", "default")
        async with anyio.create_task_group() as tg:
            mailboxes = Mailboxes(tg)
            for j in range(subscribers):
                mailboxes.add(Sink((f"fan{j}", "default"), tally), "default")
            mailboxes.publish(Ping(-1), topic)
            await mailboxes.wait_idle()
            watch.start()
            for seq in range(messages):
                mailboxes.publish(Ping(seq), topic)
            await mailboxes.wait_idle()
            watch.stop()
            mailboxes.close()
        check(tally.count == (messages + 1) * subscribers, "bound publish_fanout")
        return messages * subscribers

    return trial


def spawn(sizes: Sizes) -> Trial:
    agents = sizes.spawn_agents

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        directory = Directory({"spawn": lambda key: Echo(key, tally)})
        keys = [("spawn", f"k{k}") for k in range(agents)]
        watch.start()
        for key in keys:
            await directory.send(Ping(0), key)
        watch.stop()
        watch.retained()
        check(tally.count == agents and len(directory.agents) == agents, "bound spawn")
        return agents

    return trial


def chain(sizes: Sizes) -> Trial:
    stages, messages = sizes.stages, sizes.chain_messages

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        entry = ("stage0", "pipeline")
        async with anyio.create_task_group() as tg:
            mailboxes = Mailboxes(tg)
            for i in range(stages):
                following = f"stage{i + 1}" if i + 1 < stages else None
                stage = Stage((f"stage{i}", "pipeline"), tally, mailboxes, following)
                mailboxes.add(stage, f"stage{i}")
            mailboxes.publish(Ping(-1), entry)
            await mailboxes.wait_idle()
            watch.start()
            for seq in range(messages):
                mailboxes.publish(Ping(seq), entry)
            await mailboxes.wait_idle()
            watch.stop()
            mailboxes.close()
        check(tally.count == (messages + 1) * stages, "bound chain")
        return messages * stages

    return trial


async def subscriptions_scale(
    sizes: Sizes, counts: tuple[int, ...], reps: int, warmup: int = 1
) -> CellRates:
    """The same-topic variant: one route among ``count`` unrelated ones."""
    publishes = sizes.publishes
    tally = Tally()
    topic = ("hot", "default")
    rates: CellRates = {}
    watch = Stopwatch()
    async with anyio.create_task_group() as tg:
        tables: dict[int, Mailboxes] = {}
        for count in counts:
            mailboxes = Mailboxes(tg)
            inbox = mailboxes.add(Sink(("sink", "default"), tally), "hot")
            for j in range(count):
                mailboxes.routes[f"other{j}"] = [inbox]
            tables[count] = mailboxes
        for index in range(warmup + reps):
            shift = index % len(counts)
            for count in [*counts[shift:], *counts[:shift]]:
                mailboxes = tables[count]
                watch.start()
                for seq in range(publishes):
                    mailboxes.publish(Ping(seq), topic)
                await mailboxes.wait_idle()
                watch.stop()
                if index >= warmup:
                    rates.setdefault((SAME_TOPIC, count), []).append(publishes / watch.elapsed)
        for mailboxes in tables.values():
            mailboxes.close()
    check(tally.count == publishes * len(counts) * (warmup + reps), "bound subscriptions_scale")
    return rates


SCENARIOS: dict[str, Callable[[Sizes], Trial]] = {
    "rpc": rpc,
    "rpc_concurrent": rpc_concurrent,
    "publish_fanout": publish_fanout,
    "spawn": spawn,
    "chain": chain,
}
