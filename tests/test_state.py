"""Agent and runtime state: save_state / load_state at both levels, and AgentProxy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from cantata import (
    AgentId,
    AgentProxy,
    BaseAgent,
    ClosureAgent,
    ClosureContext,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    event,
    rpc,
)
from cantata.exceptions import UnknownAgentTypeError


@dataclass
class Add:
    amount: int


@dataclass
class Get:
    pass


class Counter(RoutedAgent):
    created = 0

    def __init__(self) -> None:
        super().__init__("counts")
        Counter.created += 1
        self.total = 0

    @event
    async def on_add(self, message: Add, ctx: MessageContext) -> None:
        self.total += message.amount

    @rpc
    async def on_get(self, message: Get, ctx: MessageContext) -> int:
        return self.total

    async def save_state(self) -> Mapping[str, Any]:
        return {"total": self.total}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self.total = state["total"]


async def _runtime() -> SingleThreadedAgentRuntime:
    Counter.created = 0
    runtime = SingleThreadedAgentRuntime()
    await Counter.register(runtime, "counter", Counter)
    await runtime.add_subscription(TypeSubscription("adds", "counter"))
    return runtime


async def _fill(runtime: SingleThreadedAgentRuntime, amounts: dict[str, int]) -> None:
    async with runtime:
        for key, amount in amounts.items():
            await runtime.publish_message(Add(amount), TopicId("adds", key))
        await runtime.stop_when_idle()


@pytest.mark.anyio
async def test_agent_level_save_and_load() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        await _fill(runtime, {"a": 3})
        a = AgentId("counter", "a")
        assert await runtime.agent_save_state(a) == {"total": 3}
        await runtime.agent_load_state(a, {"total": 10})
        async with runtime:
            assert await runtime.send_message(Get(), a) == 10


@pytest.mark.anyio
async def test_agent_level_state_creates_the_agent_lazily() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        assert await runtime.agent_save_state(AgentId("counter", "new")) == {"total": 0}
        assert Counter.created == 1
        await runtime.agent_load_state(AgentId("counter", "other"), {"total": 5})
        assert Counter.created == 2
        with pytest.raises(UnknownAgentTypeError):
            await runtime.agent_save_state(AgentId("ghost", "k"))
        with pytest.raises(UnknownAgentTypeError):
            await runtime.agent_load_state(AgentId("ghost", "k"), {})


@pytest.mark.anyio
async def test_runtime_level_save_covers_instantiated_agents_only() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        await _fill(runtime, {"a": 1, "b": 2, "c/with/slashes": 3})
        state = await runtime.save_state()
        assert state == {
            "counter/a": {"total": 1},
            "counter/b": {"total": 2},
            "counter/c/with/slashes": {"total": 3},
        }
        # JSON-serializable
        assert json.loads(json.dumps(state)) == state


@pytest.mark.anyio
async def test_runtime_level_load_restores_agents_in_a_fresh_runtime() -> None:
    with anyio.fail_after(5):
        first = await _runtime()
        await _fill(first, {"a": 1, "c/with/slashes": 3})
        saved = json.loads(json.dumps(await first.save_state()))

        second = await _runtime()
        assert Counter.created == 0
        await second.load_state(saved)
        assert Counter.created == 2
        async with second:
            assert await second.send_message(Get(), AgentId("counter", "a")) == 1
            assert await second.send_message(Get(), AgentId("counter", "c/with/slashes")) == 3
        assert await second.save_state() == saved


@pytest.mark.anyio
async def test_runtime_level_load_skips_unregistered_types() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        await runtime.load_state({"ghost/k": {"total": 1}, "counter/k": {"total": 2}})
        assert await runtime.save_state() == {"counter/k": {"total": 2}}


@pytest.mark.anyio
async def test_state_survives_stop_and_restart() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        await _fill(runtime, {"a": 4})
        await _fill(runtime, {"a": 5})
        assert await runtime.save_state() == {"counter/a": {"total": 9}}


@pytest.mark.anyio
async def test_default_base_agent_state_warns_and_is_empty() -> None:
    with anyio.fail_after(5):

        class Stateless(BaseAgent):
            async def on_message_impl(self, message: Any, ctx: MessageContext) -> Any:
                return None

        runtime = SingleThreadedAgentRuntime()
        await runtime.register_factory("stateless", lambda: Stateless("no state"))
        await runtime.get("stateless", "k", lazy=False)
        with pytest.warns(UserWarning, match="save_state not implemented"):
            assert await runtime.save_state() == {"stateless/k": {}}
        with pytest.warns(UserWarning, match="load_state not implemented"):
            await runtime.load_state({"stateless/k": {}})


@pytest.mark.anyio
async def test_instance_registered_agents_in_runtime_state() -> None:
    with anyio.fail_after(5):
        runtime = SingleThreadedAgentRuntime()
        agent = Counter()
        await runtime.register_agent_instance(agent, AgentId("inst", "one"))
        agent.total = 7
        assert await runtime.save_state() == {"inst/one": {"total": 7}}
        await runtime.load_state({"inst/one": {"total": 8}})
        assert agent.total == 8
        # an instance-registered type creates no agent for an unknown key
        with pytest.raises(UnknownAgentTypeError):
            await runtime.load_state({"inst/two": {"total": 1}})


@pytest.mark.anyio
async def test_closure_agents_have_empty_state() -> None:
    with anyio.fail_after(5):

        async def closure(context: ClosureContext, message: Any, ctx: MessageContext) -> None:
            return None

        runtime = SingleThreadedAgentRuntime()
        await ClosureAgent.register_closure(runtime, "closure", closure)
        await runtime.get("closure", "k", lazy=False)
        assert await runtime.save_state() == {"closure/k": {}}
        await runtime.load_state({"closure/k": {"anything": 1}})


# --- AgentProxy -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_agent_proxy() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        target = AgentId("counter", "p")
        proxy = AgentProxy(target, runtime)
        assert proxy.id == target
        assert Counter.created == 0  # a proxy does not create its agent
        assert await proxy.metadata == {"type": "counter", "key": "p", "description": "counts"}
        await proxy.load_state({"total": 41})
        assert await proxy.save_state() == {"total": 41}
        async with runtime:
            sender = AgentId("someone", "s")
            assert await proxy.send_message(Get(), sender=sender, message_id="proxy-1") == 41
        assert Counter.created == 1


@pytest.mark.anyio
async def test_agent_proxy_to_an_unknown_type() -> None:
    with anyio.fail_after(5):
        runtime = await _runtime()
        proxy = AgentProxy(AgentId("ghost", "k"), runtime)
        with pytest.raises(UnknownAgentTypeError):
            await proxy.metadata
        async with runtime:
            with pytest.raises(UnknownAgentTypeError):
                await proxy.send_message(Get(), sender=AgentId("someone", "s"))
