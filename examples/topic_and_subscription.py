"""Port of the user-guide section "Topic and Subscription".

A topic is ``(topic type, topic source)``; a type-based subscription maps a topic type to an
agent type, and the topic source becomes the agent key. The guide shows only the
subscriptions; this example registers agents for them, publishes, and prints which agent
instance received each message.

Each scenario function registers the agent types, adds the scenario's subscriptions and
publishes; it runs on a runtime of its own. ``python examples/topic_and_subscription.py``
runs the scenarios after ``runtime.start()``, on asyncio; :func:`run_structured` runs them
inside ``async with`` blocks, on asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from _support import Form, printed_lines, run_titled, start_form, structured_form

from cantata import (
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypePrefixSubscription,
    TypeSubscription,
    message_handler,
)


@dataclass
class Message:
    content: str


class PrintingAgent(RoutedAgent):
    """Prints every message it receives, with its own agent id and the topic."""

    @message_handler
    async def handle_message(self, message: Message, ctx: MessageContext) -> None:
        print(f"{self.id} received {message.content!r} on topic {ctx.topic_id}")


async def register_agent_types(runtime: SingleThreadedAgentRuntime) -> None:
    # Three agent types, all produced by one agent class.
    for agent_type in ["triage_agent", "coder_agent", "reviewer_agent"]:
        await PrintingAgent.register(runtime, agent_type, lambda: PrintingAgent("Prints messages"))


# -- Topic -----------------------------------------------------------------------------------


def topic_ids() -> None:
    # Topic = (Topic Type, Topic Source); as a string: Topic_Type/Topic_Source.
    topic = TopicId(type="GitHub_Issues", source="github.com/microsoft/autogen/issues/1")
    print(f"topic: {topic}")
    print(f"parsed back: {TopicId.from_str(str(topic)) == topic}")


# -- Type-based Subscription: the mapping from topic to agent id ------------------------------


def type_subscription_mapping() -> None:
    # Type-Based Subscription = Topic Type -> Agent Type; the topic source becomes the key.
    subscription = TypeSubscription(topic_type="github_issues", agent_type="triage_agent")
    for topic in [
        TopicId("github_issues", "github.com/microsoft/autogen/issues/1"),
        TopicId("github_issues", "github.com/microsoft/autogen/issues/9"),
        TopicId("pull_requests", "github.com/microsoft/autogen/pull/2"),
    ]:
        if subscription.is_match(topic):
            print(f"{topic} -> agent {subscription.map_to_agent(topic)}")
        else:
            print(f"{topic} -> no match")


# -- Single-Tenant, Single Topic -------------------------------------------------------------


async def single_tenant_single_topic(runtime: SingleThreadedAgentRuntime) -> None:
    await register_agent_types(runtime)
    # Type-based Subscriptions for single-tenant, single topic scenario
    await runtime.add_subscription(
        TypeSubscription(topic_type="default", agent_type="triage_agent")
    )
    await runtime.add_subscription(TypeSubscription(topic_type="default", agent_type="coder_agent"))
    await runtime.add_subscription(
        TypeSubscription(topic_type="default", agent_type="reviewer_agent")
    )
    # The topic is always ("default", "default"): every agent type receives the message, at
    # the agent ids ("triage_agent", "default"), ("coder_agent", "default") and
    # ("reviewer_agent", "default"). The runtime creates each agent on first delivery.
    await runtime.publish_message(Message("New issue filed"), TopicId("default", "default"))


# -- Single-Tenant, Multiple Topics ----------------------------------------------------------


async def single_tenant_multiple_topics(runtime: SingleThreadedAgentRuntime) -> None:
    await register_agent_types(runtime)
    # Type-based Subscriptions for single-tenant, multiple topics scenario
    await runtime.add_subscription(TypeSubscription(topic_type="triage", agent_type="triage_agent"))
    await runtime.add_subscription(TypeSubscription(topic_type="coding", agent_type="coder_agent"))
    await runtime.add_subscription(
        TypeSubscription(topic_type="coding", agent_type="reviewer_agent")
    )
    # ("triage", "default") reaches only the triage agent; ("coding", "default") reaches the
    # coder and the reviewer.
    await runtime.publish_message(Message("Please triage"), TopicId("triage", "default"))
    await runtime.publish_message(Message("Please write code"), TopicId("coding", "default"))


# -- Multi-Tenant Scenarios ------------------------------------------------------------------


async def multi_tenant(runtime: SingleThreadedAgentRuntime) -> None:
    await register_agent_types(runtime)
    await runtime.add_subscription(
        TypeSubscription(topic_type="github_issues", agent_type="triage_agent")
    )
    # The topic source is data-dependent: each issue gets its own triage agent instance.
    for issue in ["github.com/microsoft/autogen/issues/1", "github.com/microsoft/autogen/issues/9"]:
        await runtime.publish_message(Message(f"Triage {issue}"), TopicId("github_issues", issue))
    # If a topic has no subscription, messages published to it are not delivered to anyone.
    await runtime.publish_message(Message("Nobody listens"), TopicId("no_subscribers", "default"))


# -- Several subscriptions, one recipient ----------------------------------------------------


async def delivered_once(runtime: SingleThreadedAgentRuntime) -> None:
    await register_agent_types(runtime)
    # Two subscriptions map the topic ("default", "default") to the same agent id: a type
    # subscription, and a prefix subscription for topic types starting with "def". The agent
    # still receives each message only once.
    await runtime.add_subscription(
        TypeSubscription(topic_type="default", agent_type="triage_agent")
    )
    await runtime.add_subscription(
        TypePrefixSubscription(topic_type_prefix="def", agent_type="triage_agent")
    )
    await runtime.publish_message(Message("Only once"), TopicId("default", "default"))


SCENARIOS = [
    ("Single-Tenant, Single Topic", single_tenant_single_topic),
    ("Single-Tenant, Multiple Topics", single_tenant_multiple_topics),
    ("Multi-Tenant Scenarios", multi_tenant),
    ("Several subscriptions, one recipient", delivered_once),
]


async def run(form: Form) -> None:
    print("# Topic")
    topic_ids()
    print("# Type-based Subscription")
    type_subscription_mapping()
    await run_titled(SCENARIOS, form)


async def run_structured() -> list[str]:
    """Run everything with ``async with``; return the lines it printed."""
    return await printed_lines(run, structured_form)


if __name__ == "__main__":
    asyncio.run(run(start_form))
