"""Agent and runtime state, and whole-runtime checkpoints (``checkpoint()`` / restore)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from cantata import (
    AgentId,
    BaseAgent,
    CancellationToken,
    CheckpointError,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TraceRecorder,
    TypePrefixSubscription,
    TypeSubscription,
    event,
    rpc,
    try_get_known_serializers_for_type,
    type_subscription,
)
from cantata.exceptions import RuntimeStoppedError, UnknownAgentTypeError

pytestmark = pytest.mark.anyio

TIMEOUT = 5


# -- messages and agents -------------------------------------------------------------------


@dataclass
class Ping:
    text: str


@dataclass
class Join:
    """Asks the receiving agent to subscribe its type to ``topic`` at run time."""

    topic: str


@dataclass
class Count:
    pass


@dataclass
class Inner:
    name: str
    weights: dict[str, int]


@dataclass
class Parcel:
    """A dataclass with nested, optional and container fields."""

    label: str
    items: list[Inner]
    note: str | None = None
    tags: list[str] = field(default_factory=list)


class Letter(BaseModel):
    sender: str
    lines: list[str]
    urgent: bool = False


class Opaque:
    """A message type no serializer knows."""

    def __init__(self, value: int) -> None:
        self.value = value


class Gate:
    """Lets a test hold a handler: ``entered`` is set when it starts, it waits for ``release``."""

    def __init__(self) -> None:
        self.entered = anyio.Event()
        self.release = anyio.Event()


@type_subscription("pings")
class Keeper(RoutedAgent):
    """Keeps every message it handles; ``hold`` pings wait for the gate."""

    gate: Gate | None = None

    def __init__(self) -> None:
        super().__init__("keeps what it sees")
        self.seen: list[str] = []
        self.parcels: list[Parcel] = []
        self.letters: list[Letter] = []

    @event
    async def on_ping(self, message: Ping, ctx: MessageContext) -> None:
        self.seen.append(message.text)
        if message.text == "hold" and Keeper.gate is not None:
            Keeper.gate.entered.set()
            await Keeper.gate.release.wait()

    @event
    async def on_join(self, message: Join, ctx: MessageContext) -> None:
        self.seen.append(f"join {message.topic}")
        await self.runtime.add_subscription(TypeSubscription(message.topic, self.id.type))

    @event
    async def on_parcel(self, message: Parcel, ctx: MessageContext) -> None:
        self.parcels.append(message)

    @event
    async def on_letter(self, message: Letter, ctx: MessageContext) -> None:
        self.letters.append(message)

    @rpc
    async def on_count(self, message: Count, ctx: MessageContext) -> int:
        return len(self.seen)

    async def save_state(self) -> Mapping[str, Any]:
        return {"seen": list(self.seen)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.seen = list(state["seen"])


class Anything(BaseAgent):
    """Accepts any message, registered without serializers for what it gets."""

    def __init__(self) -> None:
        super().__init__("accepts anything")
        self.got: list[Any] = []

    async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
        self.got.append(message)
        return None

    async def save_state(self) -> Mapping[str, Any]:
        return {"count": len(self.got)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_gate() -> None:
    Keeper.gate = None


async def _keepers(*types: str) -> SingleThreadedAgentRuntime:
    runtime = SingleThreadedAgentRuntime()
    for agent_type in types:
        await Keeper.register(runtime, agent_type, Keeper)
    return runtime


def _via_json(document: Mapping[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def _subscriptions(document: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((s["kind"], s["topic"], s["agent_type"]) for s in document["subscriptions"])


async def _seen(runtime: SingleThreadedAgentRuntime, agent: AgentId) -> list[str]:
    keeper = await runtime.try_get_underlying_agent_instance(agent, Keeper)
    return keeper.seen


async def _run_to_idle(runtime: SingleThreadedAgentRuntime) -> None:
    async with runtime:
        await runtime.stop_when_idle()


# -- the document --------------------------------------------------------------------------


async def test_document_is_json_with_format_and_version() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        await runtime.publish_message(Ping("a"), TopicId("pings", "k1"))
        await runtime.process_next()
        await runtime.publish_message(Ping("b"), TopicId("pings", "k1"))
        await runtime.publish_message(Ping("c"), TopicId("pings", "k2"))

        document = await runtime.checkpoint()

        assert json.loads(json.dumps(document)) == document
        assert document["format"] == "cantata.checkpoint"
        assert document["version"] == 1
        assert document["agents"] == {"keeper/k1": {"seen": ["a"]}}
        assert [entry["recipient"] for entry in document["queued"]] == ["keeper/k1", "keeper/k2"]
        assert ("type", "pings", "keeper") in _subscriptions(document)


async def test_checkpoint_of_a_restored_runtime_is_the_same_document() -> None:
    with anyio.fail_after(TIMEOUT):

        async def fresh() -> SingleThreadedAgentRuntime:
            runtime = SingleThreadedAgentRuntime()  # no class subscriptions, no serializers
            await runtime.register_factory("keeper", Keeper, expected_class=Keeper)
            runtime.add_message_serializer(try_get_known_serializers_for_type(Ping))
            return runtime

        runtime = await fresh()
        await runtime.add_subscription(TypeSubscription("pings", "keeper", id="s1"))
        await runtime.add_subscription(TypePrefixSubscription("p.", "keeper", id="s2"))
        for text, topic in [("a", "pings"), ("b", "p.x"), ("c", "pings"), ("d", "p.y")]:
            await runtime.publish_message(Ping(text), TopicId(topic, "k"), sender=AgentId("x", "y"))
        await runtime.process_next()
        document = _via_json(await runtime.checkpoint())

        restored = await fresh()
        await restored.restore_checkpoint(document)

        assert _via_json(await restored.checkpoint()) == document


# -- agent and runtime state ---------------------------------------------------------------


async def test_agent_state_round_trips_exactly_through_json() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        for text in ["one", "two", "three"]:
            await runtime.publish_message(Ping(text), TopicId("pings", "k"))
        await _run_to_idle(runtime)
        agent = AgentId("keeper", "k")
        saved = json.dumps(await runtime.agent_save_state(agent))

        fresh = await _keepers("keeper")
        await fresh.agent_load_state(agent, json.loads(saved))

        assert json.dumps(await fresh.agent_save_state(agent)) == saved
        assert await _seen(fresh, agent) == ["one", "two", "three"]


async def test_runtime_state_round_trips_exactly_through_json() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper", "other")
        for key in ["k1", "k2"]:
            await runtime.publish_message(Ping(key), TopicId("pings", key))
        await _run_to_idle(runtime)
        saved = await runtime.save_state()
        assert set(saved) == {"keeper/k1", "keeper/k2", "other/k1", "other/k2"}

        fresh = await _keepers("keeper", "other")
        await fresh.load_state(json.loads(json.dumps(saved)))

        assert await fresh.save_state() == saved
        async with fresh:
            assert await fresh.send_message(Count(), AgentId("other", "k2")) == 1


async def test_runtime_load_state_skips_unregistered_types() -> None:
    with anyio.fail_after(TIMEOUT):
        fresh = await _keepers("keeper")
        await fresh.load_state({"keeper/k": {"seen": ["x"]}, "gone/k": {"seen": []}})
        assert await fresh.save_state() == {"keeper/k": {"seen": ["x"]}}


# -- subscriptions -------------------------------------------------------------------------


async def test_run_time_subscriptions_are_restored_and_registered_ones_not_duplicated() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        await runtime.publish_message(Join("late"), TopicId("pings", "k"))
        await _run_to_idle(runtime)
        document = _via_json(await runtime.checkpoint())
        assert ("type", "late", "keeper") in _subscriptions(document)

        fresh = await _keepers("keeper")  # register() adds the class's subscriptions again
        await fresh.restore_checkpoint(document)
        assert _subscriptions(await fresh.checkpoint()) == _subscriptions(document)

        await fresh.publish_message(Ping("late news"), TopicId("late", "k"))
        await _run_to_idle(fresh)
        assert await _seen(fresh, AgentId("keeper", "k")) == ["join late", "late news"]


async def test_restoring_twice_adds_no_subscription_twice() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        await runtime.add_subscription(TypeSubscription("extra", "keeper"))
        document = _via_json(await runtime.checkpoint())

        fresh = await _keepers("keeper")
        await fresh.restore_checkpoint(document)
        await fresh.restore_checkpoint(document)

        assert _subscriptions(await fresh.checkpoint()) == _subscriptions(document)


# -- queued messages -----------------------------------------------------------------------


async def test_publishes_queued_at_stop_are_kept_in_order_and_delivered_after_restore() -> None:
    with anyio.fail_after(TIMEOUT):
        gate = Keeper.gate = Gate()
        runtime = await _keepers("keeper")
        await Keeper.register(runtime, "other", Keeper, skip_class_subscriptions=True)
        await runtime.add_subscription(TypeSubscription("side", "other"))
        held = AgentId("keeper", "k")
        rpc_errors: list[BaseException] = []

        async def count_held() -> None:
            try:
                await runtime.send_message(Count(), held)
            except RuntimeStoppedError as exc:
                rpc_errors.append(exc)

        async with runtime:
            await runtime.publish_message(Ping("hold"), TopicId("pings", "k"))
            await gate.entered.wait()
            for text in ["q1", "q2", "q3"]:  # queued behind the held handler
                await runtime.publish_message(Ping(text), TopicId("pings", "k"))
            async with anyio.create_task_group() as tg:
                tg.start_soon(count_held)  # an RPC queued behind the held handler
                await anyio.wait_all_tasks_blocked()
                tg.start_soon(runtime.stop)
                await anyio.wait_all_tasks_blocked()  # stop() waits for the held handler
                for text in ["s1", "s2"]:  # published while the runtime stops
                    await runtime.publish_message(Ping(text), TopicId("side", "k"))
                await runtime.publish_message(Ping("q4"), TopicId("pings", "k"))
                gate.release.set()

        assert len(rpc_errors) == 1  # the queued RPC failed; the publishes are kept
        assert await _seen(runtime, held) == ["hold"]
        document = _via_json(await runtime.checkpoint())
        queued = [(entry["recipient"], entry["data"]["text"]) for entry in document["queued"]]
        assert [text for recipient, text in queued if recipient == "keeper/k"] == [
            "q1",
            "q2",
            "q3",
            "q4",
        ]
        assert [text for recipient, text in queued if recipient == "other/k"] == ["s1", "s2"]

        fresh = await _keepers("keeper")
        await Keeper.register(fresh, "other", Keeper, skip_class_subscriptions=True)
        restored = TraceRecorder()
        fresh.add_trace_hook(restored)
        await fresh.restore_checkpoint(document)
        await _run_to_idle(fresh)

        restarted = TraceRecorder()  # the stopped runtime, started again, delivers the same
        runtime.add_trace_hook(restarted)
        await _run_to_idle(runtime)
        assert len(restarted.records) == len(queued)
        assert restored.records == restarted.records
        assert await _seen(fresh, held) == ["hold", "q1", "q2", "q3", "q4"]
        assert await _seen(fresh, AgentId("other", "k")) == ["s1", "s2"]


async def test_restored_messages_keep_sender_topic_and_id() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        sender = AgentId("elsewhere", "x")
        await runtime.publish_message(
            Ping("p"), TopicId("pings", "k"), sender=sender, message_id="m-1"
        )
        document = _via_json(await runtime.checkpoint())
        contexts: list[MessageContext] = []

        class Watch(RoutedAgent):
            def __init__(self) -> None:
                super().__init__("watches contexts")

            @event
            async def on_ping(self, message: Ping, ctx: MessageContext) -> None:
                contexts.append(ctx)

        fresh = SingleThreadedAgentRuntime()
        await Watch.register(fresh, "keeper", Watch)
        await fresh.restore_checkpoint(document)
        await _run_to_idle(fresh)

        [ctx] = contexts
        assert (ctx.sender, ctx.topic_id, ctx.message_id, ctx.is_rpc) == (
            sender,
            TopicId("pings", "k"),
            "m-1",
            False,
        )


async def test_restore_into_a_started_idle_runtime_delivers_the_queue() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        await runtime.publish_message(Ping("later"), TopicId("pings", "k"))
        document = _via_json(await runtime.checkpoint())

        fresh = await _keepers("keeper")
        async with fresh:
            await fresh.restore_checkpoint(document)
            await fresh.stop_when_idle()
        assert await _seen(fresh, AgentId("keeper", "k")) == ["later"]


async def test_dataclass_and_pydantic_messages_survive_a_checkpoint() -> None:
    with anyio.fail_after(TIMEOUT):
        parcel = Parcel("box", [Inner("a", {"x": 1}), Inner("b", {})], note=None, tags=["t"])
        letter = Letter(sender="ann", lines=["hi", "bye"], urgent=True)
        runtime = await _keepers("keeper")
        await runtime.publish_message(parcel, TopicId("pings", "k"))
        await runtime.publish_message(letter, TopicId("pings", "k"))
        document = _via_json(await runtime.checkpoint())

        fresh = await _keepers("keeper")
        await fresh.restore_checkpoint(document)
        await _run_to_idle(fresh)

        keeper = await fresh.try_get_underlying_agent_instance(AgentId("keeper", "k"), Keeper)
        assert keeper.parcels == [parcel]
        assert type(keeper.parcels[0].items[0]) is Inner
        assert keeper.letters == [letter]
        assert type(keeper.letters[0]) is Letter


async def test_checkpoint_of_a_started_idle_runtime() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        async with runtime:
            await runtime.publish_message(Ping("p"), TopicId("pings", "k"))
            assert await runtime.send_message(Count(), AgentId("keeper", "k")) == 1
            document = _via_json(await runtime.checkpoint())
            await runtime.publish_message(Ping("after"), TopicId("pings", "k"))
            await runtime.stop_when_idle()
        assert document["agents"] == {"keeper/k": {"seen": ["p"]}}
        assert document["queued"] == []


async def test_a_publish_cancelled_before_the_checkpoint_is_left_out() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        token = CancellationToken()
        await runtime.publish_message(
            Ping("cancelled"), TopicId("pings", "k"), cancellation_token=token
        )
        await runtime.publish_message(Ping("kept"), TopicId("pings", "k"))
        token.cancel()
        document = _via_json(await runtime.checkpoint())
        assert [entry["data"]["text"] for entry in document["queued"]] == ["kept"]

        fresh = await _keepers("keeper")
        await fresh.restore_checkpoint(document)
        await _run_to_idle(fresh)
        await _run_to_idle(runtime)

        assert await _seen(runtime, AgentId("keeper", "k")) == ["kept"]
        assert await _seen(fresh, AgentId("keeper", "k")) == ["kept"]


# -- when a checkpoint cannot be taken -----------------------------------------------------


async def test_checkpoint_refuses_while_a_handler_runs() -> None:
    with anyio.fail_after(TIMEOUT):
        gate = Keeper.gate = Gate()
        runtime = await _keepers("keeper")
        async with runtime:
            await runtime.publish_message(Ping("hold"), TopicId("pings", "k"))
            await runtime.publish_message(Ping("queued"), TopicId("pings", "k"))
            await gate.entered.wait()
            with pytest.raises(CheckpointError, match="handler"):
                await runtime.checkpoint()
            gate.release.set()
            await runtime.stop_when_idle()
        document = await runtime.checkpoint()  # stopped and idle: allowed
        assert document["queued"] == []


async def test_checkpoint_refuses_inside_a_handler() -> None:
    errors: list[BaseException] = []

    class Saver(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("checkpoints from inside its handler")

        @event
        async def on_ping(self, message: Ping, ctx: MessageContext) -> None:
            runtime = self.runtime
            assert isinstance(runtime, SingleThreadedAgentRuntime)
            try:
                await runtime.checkpoint()
            except CheckpointError as exc:
                errors.append(exc)
            try:
                await runtime.restore_checkpoint({"format": "cantata.checkpoint", "version": 1})
            except CheckpointError as exc:
                errors.append(exc)

    with anyio.fail_after(TIMEOUT):
        runtime = SingleThreadedAgentRuntime()
        await Saver.register(runtime, "keeper", Saver)
        await runtime.add_subscription(TypeSubscription("pings", "keeper"))
        await runtime.publish_message(Ping("x"), TopicId("pings", "k"))
        await runtime.process_next()
        assert len(errors) == 2


class SlowSaver(Keeper):
    """Awaits something (as an agent writing elsewhere would) while saving its state."""

    async def save_state(self) -> Mapping[str, Any]:
        await anyio.sleep(0.01)
        return await super().save_state()


async def test_checkpoint_refuses_a_running_runtime_with_queued_messages() -> None:
    """The workers would deliver the queued messages while agents save their states, so the
    document would have them both queued and in a state: stop first."""
    with anyio.fail_after(TIMEOUT):

        async def fresh() -> SingleThreadedAgentRuntime:
            runtime = SingleThreadedAgentRuntime()
            await SlowSaver.register(runtime, "keeper", SlowSaver)
            await runtime.add_subscription(TypeSubscription("pings", "keeper"))
            return runtime

        runtime = await fresh()
        await runtime.get("keeper", "k", lazy=False)
        gate = Keeper.gate = Gate()
        async with runtime:
            for text in ["hold", "first", "second"]:
                await runtime.publish_message(Ping(text), TopicId("pings", "k"))
            with pytest.raises(CheckpointError, match="queued"):
                await runtime.checkpoint()
            await gate.entered.wait()
            async with anyio.create_task_group() as tg:
                tg.start_soon(runtime.stop)
                await anyio.wait_all_tasks_blocked()
                gate.release.set()
        document = _via_json(await runtime.checkpoint())  # stopped: allowed

        restored = await fresh()
        await restored.restore_checkpoint(document)
        await _run_to_idle(restored)
        assert await _seen(restored, AgentId("keeper", "k")) == ["hold", "first", "second"]


class Relay(RoutedAgent):
    """``relay/slow`` forwards ``m`` to ``relay/fast`` and, while saving, waits for ``go``."""

    saving: anyio.Event | None = None
    go: anyio.Event | None = None
    forwarded: anyio.Event | None = None

    def __init__(self) -> None:
        super().__init__("relays")
        self.seen: list[str] = []

    @event
    async def on_ping(self, message: Ping, ctx: MessageContext) -> None:
        self.seen.append(message.text)
        if message.text == "m":
            await self.publish_message(Ping("m2"), TopicId("relay", "fast"))
        elif Relay.forwarded is not None:
            Relay.forwarded.set()

    async def save_state(self) -> Mapping[str, Any]:
        if self.id.key == "slow" and Relay.saving is not None and Relay.go is not None:
            Relay.saving.set()
            await Relay.go.wait()  # e.g. flushes something elsewhere first
        return {"seen": list(self.seen)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.seen = list(state["seen"])


async def test_a_checkpoint_of_a_started_runtime_is_a_consistent_cut() -> None:
    with anyio.fail_after(TIMEOUT):

        async def fresh() -> SingleThreadedAgentRuntime:
            runtime = SingleThreadedAgentRuntime()
            await Relay.register(runtime, "relay", Relay)
            await runtime.add_subscription(TypeSubscription("relay", "relay"))
            return runtime

        runtime = await fresh()
        await runtime.get("relay", "fast", lazy=False)  # saved first
        await runtime.get("relay", "slow", lazy=False)
        saving = Relay.saving = anyio.Event()
        go = Relay.go = anyio.Event()
        forwarded = Relay.forwarded = anyio.Event()

        async def publish_while_saving() -> None:
            await saving.wait()
            await runtime.publish_message(Ping("m"), TopicId("relay", "slow"))
            with anyio.move_on_after(0.5):  # a checkpoint that pauses the workers blocks m
                await forwarded.wait()
            go.set()

        document: dict[str, Any] | None = None
        try:
            async with runtime, anyio.create_task_group() as tg:
                tg.start_soon(publish_while_saving)
                with contextlib.suppress(CheckpointError):  # refusing would be consistent too
                    document = _via_json(await runtime.checkpoint())
                go.set()
                await runtime.stop_when_idle()
        finally:
            Relay.saving = Relay.go = Relay.forwarded = None
        if document is None:
            return

        restored = await fresh()
        await restored.restore_checkpoint(document)
        await _run_to_idle(restored)
        state = await restored.save_state()
        # Either m is part of the checkpoint's past (then so is its m2) or of its future.
        assert state["relay/fast"]["seen"].count("m2") == state["relay/slow"]["seen"].count("m")


async def test_checkpoint_refuses_while_an_rpc_caller_waits() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")  # not started: the RPC is queued
        replies: list[int] = []

        async def call() -> None:
            replies.append(await runtime.send_message(Count(), AgentId("keeper", "k")))

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            assert runtime.unprocessed_messages_count == 1
            with pytest.raises(CheckpointError, match="RPC"):
                await runtime.checkpoint()
            await runtime.process_next()
        assert replies == [0]
        assert (await runtime.checkpoint())["queued"] == []


# -- restoring bad documents ---------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"format": "something.else"},
        {"version": 2},
        {"version": 0},
        {"version": "1"},
        {"format": None},
        {"version": None},
    ],
    ids=["format", "newer", "older", "string-version", "no-format", "no-version"],
)
async def test_restore_refuses_a_wrong_format_or_version(change: dict[str, Any]) -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper")
        await runtime.publish_message(Ping("p"), TopicId("pings", "k"))
        await runtime.process_next()
        document = _via_json(await runtime.checkpoint())
        document.update(change)
        document = {key: value for key, value in document.items() if value is not None}

        fresh = await _keepers("keeper")
        with pytest.raises(CheckpointError):
            await fresh.restore_checkpoint(document)
        assert await fresh.save_state() == {}


async def test_restore_with_an_unregistered_agent_type_raises() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper", "other")
        await runtime.publish_message(Ping("p"), TopicId("pings", "k"))
        await runtime.process_next()  # keeper/k has state
        await runtime.add_subscription(TypeSubscription("side", "other"))
        await runtime.publish_message(Ping("q"), TopicId("side", "k"))  # queued for other/k
        document = _via_json(await runtime.checkpoint())

        no_other = await _keepers("keeper")
        with pytest.raises(UnknownAgentTypeError):
            await no_other.restore_checkpoint(document)

        no_keeper = SingleThreadedAgentRuntime()
        await Keeper.register(no_keeper, "other", Keeper)
        with pytest.raises(UnknownAgentTypeError):
            await no_keeper.restore_checkpoint(document)


async def test_a_failed_restore_leaves_the_runtime_unchanged() -> None:
    """Retrying after registering the missing type then delivers every message once."""
    with anyio.fail_after(TIMEOUT):
        runtime = await _keepers("keeper", "other")
        await runtime.publish_message(Ping("p"), TopicId("pings", "k"))
        await runtime.process_next()
        await runtime.add_subscription(TypeSubscription("side", "other"))
        await runtime.publish_message(Ping("q1"), TopicId("pings", "k"))
        await runtime.publish_message(Ping("q2"), TopicId("side", "k"))
        document = _via_json(await runtime.checkpoint())

        fresh = await _keepers("keeper")
        before = _via_json(await fresh.checkpoint())
        with pytest.raises(UnknownAgentTypeError):
            await fresh.restore_checkpoint(document)
        assert _via_json(await fresh.checkpoint()) == before

        await Keeper.register(fresh, "other", Keeper)
        await fresh.restore_checkpoint(document)
        await _run_to_idle(fresh)
        await _run_to_idle(runtime)
        assert await fresh.save_state() == await runtime.save_state()
        assert await _seen(fresh, AgentId("other", "k")) == ["p", "q1", "q2"]


async def test_a_message_type_without_serializer_fails_at_checkpoint_time() -> None:
    with anyio.fail_after(TIMEOUT):
        runtime = SingleThreadedAgentRuntime()
        await Anything.register(runtime, "anything", Anything)
        await runtime.add_subscription(TypeSubscription("stuff", "anything"))
        await runtime.publish_message(Opaque(7), TopicId("stuff", "k"))

        with pytest.raises((ValueError, CheckpointError), match="Opaque"):
            await runtime.checkpoint()

        assert runtime.unprocessed_messages_count == 1  # the runtime is unaffected
        await _run_to_idle(runtime)
        agent = await runtime.try_get_underlying_agent_instance(AgentId("anything", "k"), Anything)
        assert [message.value for message in agent.got] == [7]
