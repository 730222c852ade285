"""The runtime scenarios, written once against autogen-core's public API.

The library under test is imported into a namespace (``cantata`` or ``autogen_core``) and
every agent class is built from *its* ``RoutedAgent`` and ``message_handler`` by
:func:`build_agents`, so the same code measures both libraries. Only the way a runtime
runs differs (:meth:`Library.running`): cantata uses ``async with runtime:``, which works
on asyncio and on Trio; autogen-core, asyncio only, uses its ``runtime.start()`` form.
Either way the body ends with ``await runtime.stop_when_idle()``.

Agents are registered before the runtime runs. Each trial builds a fresh runtime; the
preparation that a scenario does not measure (creating the agents that are supposed to
exist already) happens in an untimed first session, and the timed session re-runs the same
runtime.
"""

# No ``from __future__ import annotations``: the handlers' annotations must be real objects
# for ``message_handler`` to read them.

import importlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import anyio
from harness import Stopwatch, Trial, check
from messages import Ping, Pong, Tally

HandlerFn = Callable[..., Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class Sizes:
    """How much work one trial does. Message counts scale; structure does not."""

    rpc_calls: int
    callers: int
    calls_per_caller: int
    keys: int
    subscribers: int
    fanout_messages: int
    spawn_agents: int
    stages: int
    chain_messages: int
    subscription_counts: tuple[int, ...]
    publishes: int
    serialization_rounds: int

    def scaled(self, factor: float) -> "Sizes":
        """The same structure with message counts multiplied by ``factor`` (at least 1).

        Keys, callers, subscribers, stages, spawned agents and subscription counts stay:
        they are the shape of the scenario, and rates per second stay comparable.
        """

        def scale(n: int) -> int:
            return max(1, round(n * factor))

        return replace(
            self,
            rpc_calls=scale(self.rpc_calls),
            calls_per_caller=scale(self.calls_per_caller),
            fanout_messages=scale(self.fanout_messages),
            chain_messages=scale(self.chain_messages),
            publishes=scale(self.publishes),
        )


FULL = Sizes(
    rpc_calls=40_000,
    callers=1_000,
    calls_per_caller=20,
    keys=100,
    subscribers=100,
    fanout_messages=250,  # 25,000 deliveries queued at once: see benchmarks/README.md
    spawn_agents=10_000,
    stages=10,
    chain_messages=3_000,
    subscription_counts=(1, 1_000, 10_000),
    publishes=10_000,
    serialization_rounds=20_000,
)

QUICK = replace(
    FULL,
    rpc_calls=20_000,
    calls_per_caller=10,
    spawn_agents=5_000,
    chain_messages=1_500,
    publishes=5_000,
    serialization_rounds=10_000,
)


@dataclass(frozen=True)
class AgentClasses:
    echo: Any  # answers Ping with Pong
    sink: Any  # counts Ping, returns nothing
    fan: Any  # a sink with the class's default subscription
    stage: Any  # a sink that forwards each Ping to the next stage's topic


def build_agents(lib: Any) -> AgentClasses:
    """The scenario's agent classes on ``lib``'s RoutedAgent (``lib`` is the module)."""
    handler: Callable[[HandlerFn], HandlerFn] = lib.message_handler

    class Echo(lib.RoutedAgent):  # type: ignore[misc]  # the base is the library under test
        def __init__(self, tally: Tally) -> None:
            super().__init__("answers a Ping with a Pong")
            self.tally = tally

        @handler
        async def on_ping(self, message: Ping, ctx: Any) -> Pong:
            self.tally.count += 1
            return Pong(message.seq)

    class Sink(lib.RoutedAgent):  # type: ignore[misc]
        def __init__(self, tally: Tally) -> None:
            super().__init__("counts Pings")
            self.tally = tally

        @handler
        async def on_ping(self, message: Ping, ctx: Any) -> None:
            self.tally.count += 1

    @lib.default_subscription
    class Fan(Sink):
        pass

    class Stage(lib.RoutedAgent):  # type: ignore[misc]
        def __init__(self, tally: Tally, next_topic_type: str | None) -> None:
            super().__init__("one stage of a pipeline")
            self.tally = tally
            self.next_topic_type = next_topic_type

        @handler
        async def on_ping(self, message: Ping, ctx: Any) -> None:
            self.tally.count += 1
            if self.next_topic_type is not None:
                topic = lib.TopicId(self.next_topic_type, ctx.topic_id.source)
                await self.publish_message(message, topic)

    return AgentClasses(echo=Echo, sink=Sink, fan=Fan, stage=Stage)


class Library:
    """A library under test: its module, its agent classes and how a runtime runs."""

    def __init__(self, family: str, module: Any) -> None:
        self.family = family
        self.module = module
        self.agents = build_agents(module)
        self.structured = family == "cantata"

    @classmethod
    def load(cls, family: str, module_name: str) -> "Library | None":
        """Import ``module_name``; None when it is not installed."""
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return None
        return cls(family, module)

    def runtime(self) -> Any:
        return self.module.SingleThreadedAgentRuntime()

    @asynccontextmanager
    async def running(self, runtime: Any) -> AsyncIterator[None]:
        """One session of ``runtime``; the body must end with ``stop_when_idle()``."""
        if self.structured:
            async with runtime:
                yield
        else:
            runtime.start()
            yield


def rpc(lib: Library, sizes: Sizes) -> Trial:
    """One caller awaits ``send_message`` to one existing agent, again and again."""
    calls = sizes.rpc_calls

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        runtime = lib.runtime()
        await lib.agents.echo.register(runtime, "echo", lambda: lib.agents.echo(tally))
        target = lib.module.AgentId("echo", "solo")
        reply: Any = None
        async with lib.running(runtime):
            await runtime.send_message(Ping(-1), target)
            watch.start()
            for seq in range(calls):
                reply = await runtime.send_message(Ping(seq), target)
            watch.stop()
            await runtime.stop_when_idle()
        check(reply == Pong(calls - 1), f"rpc: last reply {reply!r}")
        check(tally.count == calls + 1, f"rpc: {tally.count} handled")
        return calls

    return trial


class Gate:
    """Holds concurrent callers until all have started, so starting tasks is not timed."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.all_arrived = anyio.Event()
        self.go = anyio.Event()

    async def arrive(self) -> None:
        self.arrived += 1
        if self.arrived == self.parties:
            self.all_arrived.set()
        await self.go.wait()


def rpc_concurrent(lib: Library, sizes: Sizes) -> Trial:
    """Many callers in one task group, each awaiting RPCs spread over existing keys.

    The callers are started before the timed region and released together.
    """
    callers, per_caller, nkeys = sizes.callers, sizes.calls_per_caller, sizes.keys

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        runtime = lib.runtime()
        await lib.agents.echo.register(runtime, "echo", lambda: lib.agents.echo(tally))
        keys = [lib.module.AgentId("echo", f"k{k}") for k in range(nkeys)]
        wrong: list[Any] = []
        gate = Gate(callers)

        async def caller(index: int) -> None:
            await gate.arrive()
            for seq in range(per_caller):
                reply = await runtime.send_message(
                    Ping(seq), keys[(index * per_caller + seq) % nkeys]
                )
                if reply != Pong(seq):
                    wrong.append(reply)

        async with lib.running(runtime):
            for key in keys:
                await runtime.send_message(Ping(-1), key)
            async with anyio.create_task_group() as tg:
                for index in range(callers):
                    tg.start_soon(caller, index)
                await gate.all_arrived.wait()
                watch.start()
                gate.go.set()
            watch.stop()
            await runtime.stop_when_idle()
        check(not wrong, f"rpc_concurrent: wrong replies {wrong[:3]!r}")
        check(tally.count == callers * per_caller + nkeys, f"{tally.count} handled")
        return callers * per_caller

    return trial


def publish_fanout(lib: Library, sizes: Sizes) -> Trial:
    """Publish to the default topic, subscribed by agents of many types; count deliveries."""
    subscribers, messages = sizes.subscribers, sizes.fanout_messages

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        runtime = lib.runtime()
        fan = lib.agents.fan
        for j in range(subscribers):
            await fan.register(runtime, f"fan{j}", lambda: fan(tally))
        topic = lib.module.DefaultTopicId()
        async with lib.running(runtime):  # untimed: create the subscribers
            await runtime.publish_message(Ping(-1), topic)
            await runtime.stop_when_idle()
        check(tally.count == subscribers, f"publish_fanout: {tally.count} subscribers ran")
        async with lib.running(runtime):
            watch.start()
            for seq in range(messages):
                await runtime.publish_message(Ping(seq), topic)
            await runtime.stop_when_idle()
            watch.stop()
        delivered = messages * subscribers
        check(tally.count == subscribers + delivered, f"publish_fanout: {tally.count} handled")
        return delivered

    return trial


def spawn(lib: Library, sizes: Sizes) -> Trial:
    """The first message to many distinct keys: each creates its agent lazily."""
    agents = sizes.spawn_agents

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        runtime = lib.runtime()
        await lib.agents.echo.register(runtime, "spawn", lambda: lib.agents.echo(tally))
        keys = [lib.module.AgentId("spawn", f"k{k}") for k in range(agents)]
        async with lib.running(runtime):
            watch.start()
            for key in keys:
                await runtime.send_message(Ping(0), key)
            watch.stop()
            await runtime.stop_when_idle()
            watch.retained()  # the agents are idle now; the runtime still holds them
        check(tally.count == agents, f"spawn: {tally.count} handled")
        return agents

    return trial


def chain(lib: Library, sizes: Sizes) -> Trial:
    """A publish pipeline: stage i handles topic type "stage{i}" and publishes to i+1."""
    stages, messages = sizes.stages, sizes.chain_messages

    async def trial(watch: Stopwatch) -> int:
        tally = Tally()
        runtime = lib.runtime()
        stage = lib.agents.stage
        for i in range(stages):
            following = f"stage{i + 1}" if i + 1 < stages else None
            await stage.register(
                runtime, f"stage{i}", lambda following=following: stage(tally, following)
            )
            await runtime.add_subscription(
                lib.module.TypeSubscription(topic_type=f"stage{i}", agent_type=f"stage{i}")
            )
        entry = lib.module.TopicId("stage0", "pipeline")
        async with lib.running(runtime):  # untimed: create the stages
            await runtime.publish_message(Ping(-1), entry)
            await runtime.stop_when_idle()
        check(tally.count == stages, f"chain: {tally.count} stages ran")
        async with lib.running(runtime):
            watch.start()
            for seq in range(messages):
                await runtime.publish_message(Ping(seq), entry)
            await runtime.stop_when_idle()
            watch.stop()
        delivered = messages * stages
        check(tally.count == stages + delivered, f"chain: {tally.count} handled")
        return delivered

    return trial


CellRates = dict[tuple[str, int], list[float]]
"""Rates of the subscriptions_scale cells: (variant, subscription count) -> rates."""

SAME_TOPIC = "same topic"
FRESH_TOPICS = "fresh topics"
VARIANTS = (SAME_TOPIC, FRESH_TOPICS)


def unrelated_subscriptions(lib: Any, count: int, agent_type: str) -> list[Any]:
    """``count`` subscriptions no scenario topic matches: half exact, half prefix."""
    return [
        lib.TypeSubscription(topic_type=f"other{j}", agent_type=agent_type)
        if j % 2 == 0
        else lib.TypePrefixSubscription(topic_type_prefix=f"other{j}.", agent_type=agent_type)
        for j in range(count)
    ]


async def subscriptions_scale(
    lib: Library, sizes: Sizes, counts: tuple[int, ...], reps: int, warmup: int = 1
) -> CellRates:
    """Publish rate with more and more unrelated subscriptions; rates per (variant, count).

    One runtime per subscription count, built once (registering 10,000 subscriptions is
    itself slow in autogen-core); then ``warmup + reps`` rounds (the first ``warmup``
    untimed), each publishing ``sizes.publishes`` messages once per variant on every
    runtime, in rotating order. Every message has one recipient, an existing agent:

    * ``same topic``: ``TopicId("hot", "default")``, matched by a TypeSubscription;
    * ``fresh topics``: a topic type never published before, ``"fresh.<round>.<i>"``,
      matched by ``TypePrefixSubscription("fresh.")``: what a runtime caching topic lookups
      cannot answer from its cache.
    """
    publishes = sizes.publishes
    tally = Tally()
    runtimes: dict[int, Any] = {}
    sink = lib.agents.sink
    for count in counts:
        runtime = lib.runtime()
        await sink.register(runtime, "sink", lambda: sink(tally))
        await runtime.add_subscription(
            lib.module.TypeSubscription(topic_type="hot", agent_type="sink")
        )
        await runtime.add_subscription(
            lib.module.TypePrefixSubscription(topic_type_prefix="fresh.", agent_type="sink")
        )
        for subscription in unrelated_subscriptions(lib.module, count, "sink"):
            await runtime.add_subscription(subscription)
        async with lib.running(runtime):  # untimed: create the recipient
            await runtime.publish_message(Ping(-1), lib.module.TopicId("hot", "default"))
            await runtime.stop_when_idle()
        runtimes[count] = runtime
    check(tally.count == len(counts), f"subscriptions_scale: {tally.count} handled")

    rates: CellRates = {}
    watch = Stopwatch()
    cells = [(variant, count) for count in counts for variant in VARIANTS]
    for index in range(warmup + reps):
        shift = index % len(cells)
        for variant, count in [*cells[shift:], *cells[:shift]]:
            if variant == SAME_TOPIC:
                topics = [lib.module.TopicId("hot", "default")] * publishes
            else:
                topics = [
                    lib.module.TopicId(f"fresh.{index}.{i}", "default") for i in range(publishes)
                ]
            runtime = runtimes[count]
            before = tally.count
            async with lib.running(runtime):
                watch.start()
                for seq, topic in enumerate(topics):
                    await runtime.publish_message(Ping(seq), topic)
                await runtime.stop_when_idle()
                watch.stop()
            check(tally.count - before == publishes, f"subscriptions_scale: {variant}, {count}")
            if index >= warmup:
                rates.setdefault((variant, count), []).append(publishes / watch.elapsed)
    return rates


SCENARIOS: dict[str, tuple[Callable[[Library, Sizes], Trial], str]] = {
    "rpc": (rpc, "msgs/s"),
    "rpc_concurrent": (rpc_concurrent, "msgs/s"),
    "publish_fanout": (publish_fanout, "deliveries/s"),
    "spawn": (spawn, "agents/s"),
    "chain": (chain, "deliveries/s"),
}
"""Scenarios measured by :func:`harness.compare`: name -> (trial factory, unit)."""
