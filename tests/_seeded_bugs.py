"""Scenarios with seeded concurrency bugs that a plain run misses and exploration finds.

Each is an ``async def scenario(runtime)`` for :func:`cantata.testing.explore`; each fails
with an ``AssertionError`` (or, for the deadlock, hangs until the harness' deadline) only
under some interleavings the runtime allows. Shared by the tests and by
``benchmarks/explore_bugs.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)

Scenario = Callable[[SingleThreadedAgentRuntime], Awaitable[None]]


@dataclass
class Go:
    pass


@dataclass
class Query:
    pass


@dataclass
class Note:
    text: str


async def _subscribe(runtime: SingleThreadedAgentRuntime, topic: str, *types: str) -> None:
    for agent_type in types:
        await runtime.add_subscription(TypeSubscription(topic, agent_type))


def lost_update() -> Scenario:
    """Two agents read-modify-write a shared counter across an RPC to a database agent.

    In FIFO order the database's warm-up runs first, so each RPC runs inline and the
    read-modify-write is atomic. If an incrementer runs before the warm-up, its RPC queues,
    the other incrementer reads the same value, and one update is lost.
    """

    async def scenario(runtime: SingleThreadedAgentRuntime) -> None:
        store = {"n": 0}

        class Database(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("database")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                pass  # warm-up

            @message_handler
            async def on_query(self, message: Query, ctx: MessageContext) -> int:
                return store["n"]

        class Incrementer(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("incrementer")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                value = store["n"]
                await self.send_message(Query(), AgentId("db", "default"))  # an await
                store["n"] = value + 1

        await Database.register(runtime, "db", Database)
        await Incrementer.register(runtime, "inc_a", Incrementer)
        await Incrementer.register(runtime, "inc_b", Incrementer)
        await _subscribe(runtime, "go", "db", "inc_a", "inc_b")
        async with runtime:
            await runtime.publish_message(Go(), TopicId("go", "default"))
            await runtime.stop_when_idle()
        assert store["n"] == 2, f"lost update: counter is {store['n']}, expected 2"

    return scenario


def order_violation() -> Scenario:
    """Two senders react to one event; the consumer assumes the first sender's message comes
    first. The publisher of ``init`` first asks a registry (an RPC), so a schedule that
    runs the second sender in between delivers ``use`` before ``init``.
    """

    async def scenario(runtime: SingleThreadedAgentRuntime) -> None:
        seen: list[str] = []

        class Registry(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("registry")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                pass

            @message_handler
            async def on_query(self, message: Query, ctx: MessageContext) -> int:
                return 1

        class Initializer(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("initializer")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                await self.send_message(Query(), AgentId("registry", "default"))
                await self.publish_message(Note("init"), TopicId("work", "default"))

        class User(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("user")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                await self.publish_message(Note("use"), TopicId("work", "default"))

        class Consumer(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("consumer")

            @message_handler
            async def on_note(self, message: Note, ctx: MessageContext) -> None:
                seen.append(message.text)

        await Registry.register(runtime, "registry", Registry)
        await Initializer.register(runtime, "initializer", Initializer)
        await User.register(runtime, "user", User)
        await Consumer.register(runtime, "consumer", Consumer)
        await _subscribe(runtime, "go", "registry", "initializer", "user")
        await _subscribe(runtime, "work", "consumer")
        async with runtime:
            await runtime.publish_message(Go(), TopicId("go", "default"))
            await runtime.stop_when_idle()
        assert seen == ["init", "use"], f"order violation: consumer saw {seen}"

    return scenario


def event_deadlock() -> Scenario:
    """A handshake through events: the leader pulses ``ready`` and waits for ``ack``; the
    follower waits for a pulse, then acks. If the leader pulses before the follower waits,
    the pulse is missed and both wait for each other forever.
    """

    async def scenario(runtime: SingleThreadedAgentRuntime) -> None:
        state = {"ready": anyio.Event()}
        ack = anyio.Event()

        class Follower(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("follower")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                await state["ready"].wait()
                ack.set()

        class Leader(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("leader")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                pulse = state["ready"]
                state["ready"] = anyio.Event()  # the next round's event
                pulse.set()
                await ack.wait()

        await Follower.register(runtime, "follower", Follower)
        await Leader.register(runtime, "leader", Leader)
        await _subscribe(runtime, "go", "follower", "leader")
        async with runtime:
            await runtime.publish_message(Go(), TopicId("go", "default"))
            await runtime.stop_when_idle()

    return scenario


def racing_timeout() -> Scenario:
    """A client gives a job 1 s; the job takes 0.6 s. A backup job (0.5 s) is sent to the
    same worker in reaction to the same event. In FIFO order the job reaches the worker
    first and is done at 0.6 s; if the backup gets there first, the job is done at 1.1 s
    and the client's timeout fires. All on the virtual clock: no real waiting.
    """

    async def scenario(runtime: SingleThreadedAgentRuntime) -> None:
        done = anyio.Event()
        outcome: list[str] = []

        class Worker(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("worker")

            @message_handler
            async def on_note(self, message: Note, ctx: MessageContext) -> None:
                await anyio.sleep(0.6 if message.text == "job" else 0.5)
                if message.text == "job":
                    done.set()

        class Client(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("client")

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                with anyio.move_on_after(1.0) as scope:
                    await done.wait()
                outcome.append("timed out" if scope.cancelled_caught else "done")

        class Sender(RoutedAgent):
            def __init__(self, text: str) -> None:
                super().__init__("sends work")
                self.text = text

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                await self.publish_message(Note(self.text), TopicId("work", "default"))

        await Client.register(runtime, "client", Client)
        await Sender.register(runtime, "kicker", lambda: Sender("job"))
        await Sender.register(runtime, "backup", lambda: Sender("backup"))
        await Worker.register(runtime, "worker", Worker)
        await _subscribe(runtime, "go", "client", "kicker", "backup")
        await _subscribe(runtime, "work", "worker")
        async with runtime:
            await runtime.publish_message(Go(), TopicId("go", "default"))
            await runtime.stop_when_idle()
        assert outcome == ["done"], f"the client timed out: {outcome}"

    return scenario


@dataclass
class Step:
    left: int


def starved_reporter() -> Scenario:
    """A reporter reads a dataset in 3 steps; a cleaner deletes it in 12. Both start on the
    same event, and each step is a message to the next step's agent (two agents per job,
    taking turns), so the runtime interleaves the jobs step by step and the report is done
    long before the cleanup. Only a schedule that keeps choosing the cleaner over the
    reporter (a starvation: likely under PCT's priorities, rare under coin flips) lets the
    cleanup finish first.
    """

    async def scenario(runtime: SingleThreadedAgentRuntime) -> None:
        data = {"rows": 12}
        report: list[int] = []

        class Chain(RoutedAgent):
            def __init__(self, topic: str, act: Callable[[], None]) -> None:
                super().__init__("one step of a job")
                self.topic = topic
                self.act = act

            @message_handler
            async def on_go(self, message: Go, ctx: MessageContext) -> None:
                steps = 2 if self.topic == "report" else 11
                await self.publish_message(Step(steps), TopicId(self.topic, "a"))

            @message_handler
            async def on_step(self, message: Step, ctx: MessageContext) -> None:
                self.act()
                if message.left:
                    nxt = "b" if self.id.key == "a" else "a"
                    await self.publish_message(Step(message.left - 1), TopicId(self.topic, nxt))

        def read() -> None:
            report.append(data["rows"])

        def delete() -> None:
            data["rows"] -= 1

        await Chain.register(runtime, "reporter", lambda: Chain("report", read))
        await Chain.register(runtime, "cleaner", lambda: Chain("clean", delete))
        await _subscribe(runtime, "go", "reporter", "cleaner")
        await _subscribe(runtime, "report", "reporter")
        await _subscribe(runtime, "clean", "cleaner")
        async with runtime:
            await runtime.publish_message(Go(), TopicId("go", "go"))
            await runtime.stop_when_idle()
        assert len(report) == 3 and data["rows"] == 0
        assert min(report) > 0, f"the report read deleted data: {report}"

    return scenario


SEEDED_BUGS: dict[str, Callable[[], Scenario]] = {
    "lost update": lost_update,
    "order violation": order_violation,
    "event deadlock": event_deadlock,
    "racing timeout": racing_timeout,
    "starved reporter": starved_reporter,
}
