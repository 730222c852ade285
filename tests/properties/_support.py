"""Shared pieces of the runtime property tests: generated workloads, agents, bookkeeping.

A *program* is an agent graph (agent types and their subscriptions) plus a script of
publishes and RPCs run from outside any agent. Every message carries a script of its own
that its handler performs: more publishes and RPCs (nested to a bounded depth) and pauses
(checkpoints where other tasks can run). A :class:`World` runs a program and records what
happened, so the tests can check the runtime's guarantees afterwards.

RPC targets are chosen so that a generated program cannot deadlock by construction of the
workload (only the runtime can make it hang): a handler may call an agent outside its RPC
chain only if that agent ranks above every agent of the chain; other calls go back into
the chain (A -> B -> A, A -> A), which the runtime admits at once.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import anyio
import anyio.lowlevel
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from cantata import (
    AgentId,
    AgentInstantiationContext,
    CancellationToken,
    DefaultInterventionHandler,
    DefaultSubscription,
    DropMessage,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    Subscription,
    TopicId,
    TraceRecorder,
    TypePrefixSubscription,
    TypeSubscription,
    message_handler,
)
from cantata.exceptions import MessageCancelledError, MessageDroppedException

BACKENDS = ("asyncio", "trio")
TIMEOUT = 10.0
"""Seconds any single generated run may take before it counts as a hang."""


SCALE = float(os.environ.get("CANTATA_PROPERTY_SCALE", "1"))
"""Multiplies every property's example count (e.g. ``CANTATA_PROPERTY_SCALE=20`` to soak)."""


def prop_settings(max_examples: int) -> settings:
    """Hypothesis settings for the runtime properties: no deadline, bounded examples."""
    return settings(
        max_examples=max(1, round(max_examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# -- agent graphs --------------------------------------------------------------------------

TYPES = ("a", "b", "c", "d")
KEYS = ("k0", "k1")
TOPIC_TYPES = ("t", "t.x", "t.y", "u", "u.x")
PREFIXES = ("t", "t.", "t.x", "u", "u.")

SubKind = Literal["type", "default", "prefix"]


@dataclass(frozen=True)
class SubSpec:
    """One subscription of a generated graph."""

    kind: SubKind
    topic: str
    """The topic type (kinds ``type`` and ``default``) or the prefix (kind ``prefix``)."""
    agent_type: str

    def matches(self, topic_type: str) -> bool:
        if self.kind == "prefix":
            return topic_type.startswith(self.topic)
        return topic_type == self.topic

    def build(self) -> Subscription:
        if self.kind == "type":
            return TypeSubscription(self.topic, self.agent_type)
        if self.kind == "default":
            return DefaultSubscription(self.topic, self.agent_type)
        return TypePrefixSubscription(self.topic, self.agent_type)


@dataclass(frozen=True)
class Graph:
    """Agent types (all of class :class:`Node`) and their subscriptions."""

    types: tuple[str, ...]
    subs: tuple[SubSpec, ...]
    factory_pauses: int = 0
    """Checkpoints each (async) factory awaits; 0 means a plain synchronous factory."""

    def recipients(self, topic: TopicId) -> set[AgentId]:
        """The agents a publish to ``topic`` must reach (the model, not the runtime)."""
        return {AgentId(s.agent_type, topic.source) for s in self.subs if s.matches(topic.type)}

    def rank(self, agent: AgentId) -> tuple[int, int]:
        return (self.types.index(agent.type), KEYS.index(agent.key))


@st.composite
def graphs(
    draw: st.DrawFn, min_types: int = 1, max_types: int = 4, factory_pauses: int = 0
) -> Graph:
    n = draw(st.integers(min_types, max_types))
    types = TYPES[:n]
    agent_type = st.sampled_from(types)
    spec = st.one_of(
        st.builds(SubSpec, st.just("type"), st.sampled_from(TOPIC_TYPES), agent_type),
        st.builds(SubSpec, st.just("default"), st.sampled_from(TOPIC_TYPES), agent_type),
        st.builds(SubSpec, st.just("prefix"), st.sampled_from(PREFIXES), agent_type),
    )
    raw = draw(st.lists(spec, min_size=n, max_size=3 * n))
    # The runtime rejects a subscription equal to one it has (a TypeSubscription and a
    # DefaultSubscription with the same topic and agent type are equal): keep the first.
    seen: set[tuple[bool, str, str]] = set()
    subs: list[SubSpec] = []
    for sub in raw:
        key = (sub.kind == "prefix", sub.topic, sub.agent_type)
        if key not in seen:
            seen.add(key)
            subs.append(sub)
    pauses = draw(st.integers(0, factory_pauses))
    return Graph(types, tuple(subs), pauses)


# -- scripts -------------------------------------------------------------------------------

Fate = Literal[
    "ok",
    "drop_send",
    "raise_send",
    "drop_response",
    "raise_response",
    "drop_publish",
    "raise_publish",
    "handler_raises",
    "cancel",
]
RPC_FATES: tuple[Fate, ...] = (
    "ok",
    "drop_send",
    "raise_send",
    "drop_response",
    "raise_response",
    "handler_raises",
    "cancel",
)
PUBLISH_FATES: tuple[Fate, ...] = ("ok", "drop_publish", "raise_publish", "handler_raises")

Action: TypeAlias = "Publish | Rpc | Pause"
Script: TypeAlias = "tuple[Action, ...]"


@dataclass(frozen=True)
class Publish:
    topic: str
    key: str
    script: Script
    fate: Fate = "ok"


@dataclass(frozen=True)
class Rpc:
    agent_type: str
    key: str
    script: Script
    fallback: int = 0
    """Index into the RPC chain of the agent called instead when the target is not allowed."""
    fate: Fate = "ok"


@dataclass(frozen=True)
class Pause:
    """A checkpoint inside a handler: other tasks may run here."""


@dataclass(frozen=True)
class ScriptOptions:
    types: tuple[str, ...]
    pauses: bool = False
    rpc_fates: tuple[Fate, ...] = ("ok",)
    publish_fates: tuple[Fate, ...] = ("ok",)
    width: int = 2


def _publishes(
    script: st.SearchStrategy[Script], fates: tuple[Fate, ...]
) -> st.SearchStrategy[Action]:
    return st.builds(
        Publish, st.sampled_from(TOPIC_TYPES), st.sampled_from(KEYS), script, st.sampled_from(fates)
    )


def _rpcs(
    types: tuple[str, ...],
    script: st.SearchStrategy[Script],
    fallback: st.SearchStrategy[int],
    fates: tuple[Fate, ...],
) -> st.SearchStrategy[Action]:
    return st.builds(
        Rpc, st.sampled_from(types), st.sampled_from(KEYS), script, fallback, st.sampled_from(fates)
    )


def scripts(opts: ScriptOptions, depth: int) -> st.SearchStrategy[Script]:
    """Scripts whose messages nest at most ``depth`` levels deep."""
    leaves: list[st.SearchStrategy[Action]] = [st.just(Pause())] if opts.pauses else []
    if depth == 0:
        if not leaves:
            return st.just(())
        return st.lists(st.one_of(leaves), max_size=1).map(tuple)
    inner = scripts(opts, depth - 1)
    publish = _publishes(inner, opts.publish_fates)
    rpc = _rpcs(opts.types, inner, st.integers(0, 3), opts.rpc_fates)
    return st.lists(st.one_of(publish, rpc, *leaves), max_size=opts.width).map(tuple)


@dataclass(frozen=True)
class Program:
    graph: Graph
    steps: tuple[tuple[Action, ...], ...]
    """Run one after the other; the actions of one step run concurrently (one task each)."""


@st.composite
def programs(
    draw: st.DrawFn,
    *,
    pauses: bool = False,
    concurrent: bool = False,
    rpc_fates: tuple[Fate, ...] = ("ok",),
    publish_fates: tuple[Fate, ...] = ("ok",),
    depth: int = 3,
    factory_pauses: int = 0,
    max_steps: int = 5,
) -> Program:
    graph = draw(graphs(factory_pauses=factory_pauses))
    per_step = 3 if concurrent else 1
    nested = scripts(ScriptOptions(graph.types, pauses, rpc_fates, publish_fates), depth - 1)
    top = st.one_of(
        _publishes(nested, publish_fates), _rpcs(graph.types, nested, st.just(0), rpc_fates)
    )
    steps = draw(
        st.lists(
            st.lists(top, min_size=1, max_size=per_step).map(tuple), min_size=1, max_size=max_steps
        ).map(tuple)
    )
    return Program(graph, steps)


# -- messages and agents -------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """A generated message: its handler performs ``script``."""

    seq: int
    """Position of the message in the order messages entered the runtime."""
    script: Script
    chain: tuple[AgentId, ...] = ()
    """For an RPC: the RPC chain of the sender (the agents handling it, outermost first)."""
    fate: Fate = "ok"
    cancellable: bool = False
    """For an RPC: its caller may be cancelled while waiting (so it may be skipped)."""


@dataclass(frozen=True)
class Done:
    seq: int
    fate: Fate = "ok"


class HandlerError(Exception):
    """Raised by a handler on purpose."""


class InterventionError(Exception):
    """Raised by an intervention handler on purpose."""


tag: ContextVar[str] = ContextVar("cantata_properties_tag", default="")
"""Set by every sender just before it sends; handlers check they see the sender's value."""


class Node(RoutedAgent):
    """The agent of every generated type; the world decides what it does."""

    def __init__(self, world: World) -> None:
        super().__init__("generated node")
        self.world = world

    @message_handler
    async def on_work(self, message: Work, ctx: MessageContext) -> Done:
        return await self.world.handle(self, message, ctx)


def _apply_fate(
    message: Any, kind: type[Work] | type[Done], drop: Fate, fail: Fate
) -> Any | type[DropMessage]:
    """``DropMessage`` if ``message`` is a ``kind`` fated ``drop``; raise if fated ``fail``."""
    if isinstance(message, kind):
        if message.fate == drop:
            return DropMessage
        if message.fate == fail:
            raise InterventionError(message.seq)
    return message


class Chaos(DefaultInterventionHandler):
    """Drops or raises according to the message's fate."""

    async def on_send(
        self, message: Any, *, message_context: MessageContext, recipient: AgentId
    ) -> Any | type[DropMessage]:
        return _apply_fate(message, Work, "drop_send", "raise_send")

    async def on_publish(
        self, message: Any, *, message_context: MessageContext
    ) -> Any | type[DropMessage]:
        return _apply_fate(message, Work, "drop_publish", "raise_publish")

    async def on_response(
        self, message: Any, *, sender: AgentId, recipient: AgentId | None
    ) -> Any | type[DropMessage]:
        return _apply_fate(message, Done, "drop_response", "raise_response")


@dataclass(frozen=True)
class Start:
    """A handler started."""

    agent: AgentId
    seq: int
    reentrant: bool
    topic: TopicId | None


_EXPECTED_OUTCOME: dict[Fate, str] = {
    "ok": "Done",
    "drop_send": "MessageDroppedException",
    "raise_send": "InterventionError",
    "drop_response": "MessageDroppedException",
    "raise_response": "InterventionError",
    "handler_raises": "HandlerError",
}


class World:
    """Runs a program's messages and records what the runtime did with them."""

    def __init__(self, graph: Graph, runtime: SingleThreadedAgentRuntime) -> None:
        self.graph = graph
        self.runtime = runtime
        self.trace = TraceRecorder()
        runtime.add_trace_hook(self.trace)
        self._seq = itertools.count(1)
        self.expected: Counter[tuple[int, AgentId]] = Counter()
        self.maybe: set[tuple[int, AgentId]] = set()
        self.delivered: Counter[tuple[int, AgentId]] = Counter()
        self.starts: list[Start] = []
        self.inside: Counter[AgentId] = Counter()
        self.pending: Counter[AgentId] = Counter()
        self.created: Counter[AgentId] = Counter()
        self.overlaps: list[str] = []
        self.context_errors: list[str] = []
        self.reply_errors: list[str] = []
        self.handovers = 0
        self.idle_delivery_errors: list[str] = []
        self.idle_inside: Counter[AgentId] = Counter()

    async def setup(self) -> None:
        for agent_type in self.graph.types:
            await self.runtime.register_factory(agent_type, self._factory, expected_class=Node)
        for sub in self.graph.subs:
            await self.runtime.add_subscription(sub.build())

    def _factory(self) -> Node | Coroutine[Any, Any, Node]:
        agent_id = AgentInstantiationContext.current_agent_id()
        self.created[agent_id] += 1
        if not self.graph.factory_pauses:
            return Node(self)
        pauses = self.graph.factory_pauses

        async def make() -> Node:
            for _ in range(pauses):
                await anyio.lowlevel.checkpoint()
            return Node(self)

        return make()

    # -- handling --------------------------------------------------------------------------

    async def handle(self, agent: Node, message: Work, ctx: MessageContext) -> Done:
        me = agent.id
        reentrant = ctx.is_rpc and me in message.chain
        self.starts.append(Start(me, message.seq, reentrant, ctx.topic_id))
        self.delivered[(message.seq, me)] += 1
        self.pending[me] -= 1
        seen = tag.get()
        if seen != f"m{message.seq}":
            self.context_errors.append(f"{me} handling m{message.seq} saw tag {seen!r}")
        if self.inside[me] and not reentrant:
            self.overlaps.append(f"{me} started m{message.seq} while handling another message")
        self.inside[me] += 1
        try:
            chain = (*message.chain, me) if ctx.is_rpc else (me,)
            cancellable = message.cancellable or message.fate == "cancel"
            for action in message.script:
                await self.perform(action, me, chain, cancellable)
            if message.fate == "handler_raises":
                raise HandlerError(message.seq)
            if message.fate == "cancel":
                try:
                    await anyio.lowlevel.checkpoint()
                finally:
                    raise HandlerError(message.seq)  # also when cancelled: raise afterwards
        finally:
            self.inside[me] -= 1
        return Done(message.seq, message.fate)

    def _expect(self, seq: int, recipient: AgentId, *, maybe: bool = False) -> None:
        self.pending[recipient] += 1
        if maybe:
            self.maybe.add((seq, recipient))
        else:
            self.expected[(seq, recipient)] += 1

    def _target(self, action: Rpc, chain: tuple[AgentId, ...]) -> AgentId:
        target = AgentId(action.agent_type, action.key)
        if not chain or target in chain:
            return target
        if self.graph.rank(target) > max(self.graph.rank(agent) for agent in chain):
            return target
        return chain[action.fallback % len(chain)]

    async def perform(
        self,
        action: Action,
        sender: AgentId | None,
        chain: tuple[AgentId, ...],
        cancellable: bool = False,
    ) -> None:
        """Do one scripted action as ``sender`` (``None``: from outside any agent).

        ``cancellable``: the sending handler may be cancelled (its caller cancelled it), so
        an RPC it sends may be skipped when the handler is cancelled while waiting.
        """
        if isinstance(action, Pause):
            await anyio.lowlevel.checkpoint()
            return
        runtime = self.runtime
        seq = next(self._seq)
        tag.set(f"m{seq}")
        if isinstance(action, Publish):
            topic = TopicId(action.topic, action.key)
            if action.fate not in ("drop_publish", "raise_publish"):
                recipients = self.graph.recipients(topic)
                if sender is not None:
                    recipients.discard(sender)  # a publisher does not receive its own publish
                for recipient in recipients:
                    self._expect(seq, recipient)
            message = Work(seq, action.script, (), action.fate)
            try:
                await runtime.publish_message(message, topic, sender=sender)
            except InterventionError:
                if action.fate != "raise_publish":
                    raise
            else:
                if action.fate == "raise_publish":
                    self.reply_errors.append(f"publish m{seq}: intervention error not raised")
            return
        target = self._target(action, chain)
        message = Work(seq, action.script, chain, action.fate, cancellable)
        if (
            sender is not None
            and target not in chain
            and (self.pending[target] or self.inside[target])
        ):
            self.handovers += 1  # a handler waits for a busy agent
        if action.fate not in ("drop_send", "raise_send"):
            self._expect(seq, target, maybe=cancellable or action.fate == "cancel")
        if action.fate == "cancel":
            await self._cancelled_rpc(message, target, sender)
            return
        try:
            result = await runtime.send_message(message, target, sender=sender)
        except (MessageDroppedException, InterventionError, HandlerError) as exc:
            outcome = type(exc).__name__
        else:
            outcome = "Done" if result == Done(seq, action.fate) else repr(result)
        if outcome != _EXPECTED_OUTCOME[action.fate]:
            self.reply_errors.append(f"rpc m{seq} ({action.fate}) to {target}: got {outcome}")

    async def _cancelled_rpc(self, message: Work, target: AgentId, sender: AgentId | None) -> None:
        """Send with a token and cancel it soon after; the handler raises afterwards."""
        token = CancellationToken()

        async def call() -> None:
            try:
                await self.runtime.send_message(
                    message, target, sender=sender, cancellation_token=token
                )
            except (MessageCancelledError, HandlerError):
                pass
            except Exception as exc:
                self.reply_errors.append(f"cancelled rpc m{message.seq}: {exc!r}")
            else:
                self.reply_errors.append(f"cancelled rpc m{message.seq} returned")

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.lowlevel.checkpoint()
            token.cancel()

    # -- checks ----------------------------------------------------------------------------

    def delivery_errors(self) -> list[str]:
        """Messages delivered other than exactly once (at most once if cancelled)."""
        errors: list[str] = []
        for key in sorted(set(self.expected) | set(self.delivered) | self.maybe, key=repr):
            got = self.delivered[key]
            if key in self.maybe and not self.expected[key]:
                if got > 1:
                    errors.append(f"m{key[0]} to {key[1]}: cancelled, delivered {got} times")
            elif got != self.expected[key]:
                errors.append(
                    f"m{key[0]} to {key[1]}: delivered {got} times, expected {self.expected[key]}"
                )
        return errors

    def order_errors(self) -> list[str]:
        """Per recipient, non-re-entrant deliveries must start in the order they entered."""
        errors: list[str] = []
        last: dict[AgentId, int] = {}
        for start in self.starts:
            if start.reentrant:
                continue
            previous = last.get(start.agent, 0)
            if start.seq < previous:
                errors.append(f"{start.agent} started m{start.seq} after m{previous}")
            last[start.agent] = start.seq
        return errors

    def topic_order_errors(self) -> list[str]:
        """Each subscriber sees the messages of one topic in publish order."""
        errors: list[str] = []
        last: dict[tuple[AgentId, TopicId], int] = {}
        for start in self.starts:
            if start.topic is None:
                continue
            key = (start.agent, start.topic)
            previous = last.get(key, 0)
            if start.seq < previous:
                errors.append(f"{start.agent} saw m{start.seq} of {start.topic} after m{previous}")
            last[key] = start.seq
        return errors


async def _run_steps(world: World, program: Program) -> None:
    for step in program.steps:
        if len(step) == 1:
            await world.perform(step[0], None, ())
            continue
        async with anyio.create_task_group() as tg:
            for action in step:
                tg.start_soon(world.perform, action, None, ())
    await world.runtime.stop_when_idle()
    world.idle_delivery_errors = world.delivery_errors()
    world.idle_inside = +world.inside


async def run_program(
    program: Program,
    *,
    interventions: bool = False,
    form: Literal["async_with", "start"] = "async_with",
) -> World:
    """Run ``program`` and stop when idle (``start`` form: asyncio only); return the record."""
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[Chaos()] if interventions else None)
    world = World(program.graph, runtime)
    await world.setup()
    with anyio.fail_after(TIMEOUT):
        if form == "start":
            runtime.start()
            await _run_steps(world, program)
        else:
            async with runtime:
                await _run_steps(world, program)
    return world
