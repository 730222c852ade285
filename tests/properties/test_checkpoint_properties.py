"""Checkpoints: a run checkpointed at a paused point and restored into a fresh runtime on the
other backend finishes exactly like the run that was never interrupted.

A generated workload is a set of subscriptions, a few publishes from outside any agent, and
a table of *plans*. Every message names a plan; its handler records the message in the
agent's state and performs the plan: publishes, RPCs and run-time subscriptions, whose
messages name later plans (so every run ends). Agents stop performing plans after
``BUDGET`` messages, which bounds the run; that count is part of the agent's state, so a
restored agent must have kept it.

*Nodes* receive publishes only; *services* receive RPCs only and call only services of a
higher rank. So an RPC always finds its target idle and runs inline, also between
``process_next()`` steps of a runtime that is not started, and a checkpoint can be taken
after any step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import anyio
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cantata import (
    AgentId,
    DeliveryRecord,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    Subscription,
    TopicId,
    TraceRecorder,
    TypePrefixSubscription,
    TypeSubscription,
    event,
    rpc,
)

from ._support import BACKENDS, TIMEOUT, prop_settings

NODE_TYPES = ("n0", "n1", "n2")
SERVICE_TYPES = ("s0", "s1")
KEYS = ("k0", "k1")
TOPICS = ("t", "t.x", "u")
PREFIXES = ("t", "t.", "u")
HOLD_TOPIC = "hold"
BUDGET = 5
"""Messages after which an agent only records what it receives."""

OTHER = {"asyncio": "trio", "trio": "asyncio"}


# -- messages ------------------------------------------------------------------------------


@dataclass
class Note:
    """A published message."""

    plan: int
    path: list[str]


@dataclass
class Ask:
    """An RPC."""

    plan: int
    path: list[str]


@dataclass
class Answer:
    by: str
    seen: int


@dataclass
class Hold:
    """Published to one node, which waits for the test's gate before performing ``plan``."""

    plan: int


# -- workloads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishAct:
    topic: str
    key: str
    plan: int


@dataclass(frozen=True)
class CallAct:
    service: str
    key: str
    plan: int


@dataclass(frozen=True)
class SubscribeAct:
    topic: str
    agent_type: str


Act: TypeAlias = PublishAct | CallAct | SubscribeAct


@dataclass(frozen=True)
class SubSpec:
    kind: Literal["type", "prefix"]
    topic: str
    agent_type: str

    def build(self) -> Subscription:
        if self.kind == "type":
            return TypeSubscription(self.topic, self.agent_type)
        return TypePrefixSubscription(self.topic, self.agent_type)


@dataclass(frozen=True)
class Workload:
    subs: tuple[SubSpec, ...]
    plans: tuple[tuple[Act, ...], ...]
    initial: tuple[PublishAct, ...]
    hold_plan: tuple[PublishAct | SubscribeAct, ...] = ()
    """What the held node does once released (no RPCs: the runtime is stopping then)."""


def _subscribe_acts() -> st.SearchStrategy[SubscribeAct]:
    return st.builds(SubscribeAct, st.sampled_from(TOPICS), st.sampled_from(NODE_TYPES))


def _message_acts(plans: st.SearchStrategy[int]) -> st.SearchStrategy[Act]:
    return st.one_of(
        st.builds(PublishAct, st.sampled_from(TOPICS), st.sampled_from(KEYS), plans),
        st.builds(CallAct, st.sampled_from(SERVICE_TYPES), st.sampled_from(KEYS), plans),
    )


@st.composite
def workloads(draw: st.DrawFn) -> Workload:
    spec = st.builds(
        SubSpec,
        st.sampled_from(("type", "prefix")),
        st.sampled_from(TOPICS + PREFIXES),
        st.sampled_from(NODE_TYPES),
    )
    subs: dict[tuple[str, str, str], SubSpec] = {}
    for sub in draw(st.lists(spec, min_size=2, max_size=8)):
        subs.setdefault((sub.kind, sub.topic, sub.agent_type), sub)  # no equal subscriptions
    n = draw(st.integers(1, 6))
    plans: list[tuple[Act, ...]] = []
    for i in range(n):
        if i + 1 < n:
            acts = st.one_of(_message_acts(st.integers(i + 1, n - 1)), _subscribe_acts())
            plans.append(tuple(draw(st.lists(acts, min_size=1, max_size=4))))
        else:
            plans.append(tuple(draw(st.lists(_subscribe_acts(), max_size=1))))
    any_plan = st.one_of(st.just(0), st.integers(0, n - 1))
    publish = st.builds(PublishAct, st.sampled_from(TOPICS), st.sampled_from(KEYS), any_plan)
    initial = tuple(draw(st.lists(publish, min_size=1, max_size=5)))
    hold_plan = tuple(draw(st.lists(st.one_of(publish, _subscribe_acts()), max_size=3)))
    return Workload(tuple(subs.values()), tuple(plans), initial, hold_plan)


# -- agents --------------------------------------------------------------------------------


@dataclass
class Env:
    """What every agent of one run shares: the workload and the gate of the held node."""

    workload: Workload
    entered: anyio.Event = field(default_factory=anyio.Event)
    release: anyio.Event = field(default_factory=anyio.Event)


class Actor(RoutedAgent):
    """Records every message it gets (its state) and performs the message's plan."""

    def __init__(self, env: Env) -> None:
        super().__init__("checkpoint workload agent")
        self.env = env
        self.seen: list[list[Any]] = []
        self.answers: list[list[Any]] = []
        self.joined: list[list[str]] = []

    def _record(self, kind: str, message: Note | Ask | Hold, ctx: MessageContext) -> list[str]:
        topic = None if ctx.topic_id is None else [ctx.topic_id.type, ctx.topic_id.source]
        sender = None if ctx.sender is None else str(ctx.sender)
        path = getattr(message, "path", [])
        self.seen.append([kind, sender, topic, message.plan, path])
        return [*path, f"{self.id}#{len(self.seen)}"]

    async def perform(self, acts: Sequence[Act], path: list[str]) -> None:
        if len(self.seen) > BUDGET:
            return
        for act in acts:
            if isinstance(act, PublishAct):
                await self.publish_message(Note(act.plan, path), TopicId(act.topic, act.key))
            elif isinstance(act, CallAct):
                if self.id.type in SERVICE_TYPES and act.service <= self.id.type:
                    continue  # services call only services ranked above them
                answer = await self.send_message(Ask(act.plan, path), AgentId(act.service, act.key))
                assert isinstance(answer, Answer)
                self.answers.append([answer.by, answer.seen])
            else:
                try:
                    await self.runtime.add_subscription(TypeSubscription(act.topic, act.agent_type))
                except ValueError:
                    continue  # an equal subscription exists
                self.joined.append([act.topic, act.agent_type])

    async def save_state(self) -> Mapping[str, Any]:
        state = {"seen": self.seen, "answers": self.answers, "joined": self.joined}
        copy: dict[str, Any] = json.loads(json.dumps(state))
        return copy

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.seen = json.loads(json.dumps(state["seen"]))
        self.answers = json.loads(json.dumps(state["answers"]))
        self.joined = json.loads(json.dumps(state["joined"]))


class Node(Actor):
    @event
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        path = self._record("note", message, ctx)
        await self.perform(self.env.workload.plans[message.plan], path)

    @event
    async def on_hold(self, message: Hold, ctx: MessageContext) -> None:
        path = self._record("hold", message, ctx)
        self.env.entered.set()
        await self.env.release.wait()
        await self.perform(self.env.workload.hold_plan, path)


class Service(Actor):
    @rpc
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Answer:
        path = self._record("ask", message, ctx)
        await self.perform(self.env.workload.plans[message.plan], path)
        return Answer(str(self.id), len(self.seen))


# -- runs ----------------------------------------------------------------------------------

Trace: TypeAlias = list[DeliveryRecord]
State: TypeAlias = dict[str, Any]


async def _setup(env: Env) -> tuple[SingleThreadedAgentRuntime, TraceRecorder]:
    runtime = SingleThreadedAgentRuntime()
    for node_type in NODE_TYPES:
        await Node.register(runtime, node_type, lambda: Node(env))
    for service_type in SERVICE_TYPES:
        await Service.register(runtime, service_type, lambda: Service(env))
    await runtime.add_subscription(TypeSubscription(HOLD_TOPIC, NODE_TYPES[0]))
    for sub in env.workload.subs:
        await runtime.add_subscription(sub.build())
    recorder = TraceRecorder()
    runtime.add_trace_hook(recorder)
    return runtime, recorder


async def _publish_initial(runtime: SingleThreadedAgentRuntime, workload: Workload) -> None:
    for act in workload.initial:
        await runtime.publish_message(Note(act.plan, []), TopicId(act.topic, act.key))


async def _final_state(runtime: SingleThreadedAgentRuntime) -> State:
    state: State = json.loads(json.dumps(await runtime.save_state()))
    return state


async def run_uninterrupted(workload: Workload, *, hold: bool) -> tuple[Trace, State]:
    """Queue the workload (after a ``Hold`` if ``hold``), then run it to the end."""
    with anyio.fail_after(TIMEOUT):
        env = Env(workload)
        env.release.set()
        runtime, recorder = await _setup(env)
        if hold:
            await runtime.publish_message(Hold(0), TopicId(HOLD_TOPIC, KEYS[0]))
        await _publish_initial(runtime, workload)
        async with runtime:
            await runtime.stop_when_idle()
        return recorder.records, await _final_state(runtime)


async def run_paused(workload: Workload, steps: int) -> tuple[Trace, str]:
    """Queue the workload, deliver ``steps`` messages with ``process_next()``, checkpoint."""
    with anyio.fail_after(TIMEOUT):
        runtime, recorder = await _setup(Env(workload))
        await _publish_initial(runtime, workload)
        for _ in range(steps):
            await runtime.process_next()
        document = await runtime.checkpoint()
        assert len(document["queued"]) == runtime.unprocessed_messages_count
        return recorder.records, json.dumps(document)


async def run_stopped(workload: Workload) -> tuple[Trace, str]:
    """Start, hold one node, publish the workload while the runtime is stopping, release the
    node and checkpoint the stopped runtime: every publish of the workload is still queued."""
    with anyio.fail_after(TIMEOUT):
        env = Env(workload)
        runtime, recorder = await _setup(env)
        async with runtime:
            await runtime.publish_message(Hold(0), TopicId(HOLD_TOPIC, KEYS[0]))
            await env.entered.wait()
            async with anyio.create_task_group() as tg:
                tg.start_soon(runtime.stop)
                await anyio.wait_all_tasks_blocked()  # stop() waits for the held handler
                await _publish_initial(runtime, workload)
                env.release.set()
        assert len(recorder.records) == 1  # only the Hold was delivered
        document = await runtime.checkpoint()
        assert len(document["queued"]) == runtime.unprocessed_messages_count
        return recorder.records, json.dumps(document)


def _subscription_set(document: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((s["kind"], s["topic"], s["agent_type"]) for s in document["subscriptions"])


async def run_restored(workload: Workload, text: str) -> tuple[Trace, State]:
    """Restore the checkpoint into a fresh runtime and run it to the end."""
    with anyio.fail_after(TIMEOUT):
        document = json.loads(text)
        runtime, recorder = await _setup(Env(workload))
        await runtime.restore_checkpoint(document)
        again = await runtime.checkpoint()
        assert again["agents"] == document["agents"]
        assert again["queued"] == document["queued"]
        assert _subscription_set(again) == _subscription_set(document)
        async with runtime:
            await runtime.stop_when_idle()
        return recorder.records, await _final_state(runtime)


def _check_resumed(
    reference: tuple[Trace, State], before: Trace, after: tuple[Trace, State]
) -> None:
    trace, state = reference
    resumed, resumed_state = after
    assert before + resumed == trace
    assert resumed_state == state


# A node publishes to another node and calls two services; the lower one calls the higher one
# and subscribes a node at run time, which then receives a later publish.
CHAIN = Workload(
    subs=(SubSpec("type", "t", "n0"), SubSpec("prefix", "t.", "n1")),
    plans=(
        (PublishAct("t.x", "k0", 1), CallAct("s0", "k1", 1)),
        (CallAct("s1", "k1", 2), SubscribeAct("u", "n2"), PublishAct("u", "k1", 2)),
        (PublishAct("u", "k0", 3),),
        (),
    ),
    initial=(PublishAct("t", "k0", 0), PublishAct("t", "k1", 1)),
    hold_plan=(SubscribeAct("u", "n0"), PublishAct("u", "k0", 2)),
)


@pytest.mark.parametrize("backend", BACKENDS)
@given(workload=workloads(), data=st.data())
@example(workload=CHAIN, data=None)
@prop_settings(60)
def test_paused_checkpoint_resumes_on_the_other_backend(
    backend: str, workload: Workload, data: st.DataObject | None
) -> None:
    """Checkpointing after any number of ``process_next()`` steps and restoring on the other
    backend gives the rest of the uninterrupted trace and the same final agent states."""
    reference = anyio.run(lambda: run_uninterrupted(workload, hold=False), backend=backend)
    steps = sum(record.kind == "publish" for record in reference[0])
    points = range(steps + 1) if data is None else [data.draw(st.integers(0, steps), "steps")]
    for k in points:
        before, text = anyio.run(run_paused, workload, k, backend=backend)
        assert len(before) >= k
        after = anyio.run(run_restored, workload, text, backend=OTHER[backend])
        _check_resumed(reference, before, after)


@pytest.mark.parametrize("backend", BACKENDS)
@given(workload=workloads())
@example(workload=CHAIN)
@prop_settings(40)
def test_checkpoint_after_stop_resumes_on_the_other_backend(
    backend: str, workload: Workload
) -> None:
    """Publishes queued while the runtime stops (behind a held handler, and by that handler
    once released) are all in the checkpoint; restored on the other backend, they give the
    rest of the uninterrupted trace and the same final agent states."""
    reference = anyio.run(lambda: run_uninterrupted(workload, hold=True), backend=backend)
    before, text = anyio.run(run_stopped, workload, backend=backend)
    after = anyio.run(run_restored, workload, text, backend=OTHER[backend])
    _check_resumed(reference, before, after)
