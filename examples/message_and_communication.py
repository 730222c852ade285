"""Port of the user-guide section "Message and Communication".

Messages are plain dataclasses; ``RoutedAgent`` routes them to handlers by type (and by a
``match`` predicate). Agents talk by direct messaging (request/response, like a function
call) or by broadcast (publish to a topic; subscriptions decide who receives it).

Each snippet function registers the snippet's agents and sends its messages; it runs on a
runtime of its own. ``python examples/message_and_communication.py`` starts each runtime
with ``runtime.start()`` and ends it with ``await runtime.stop_when_idle()`` as the guide
does, on asyncio; :func:`run_structured` runs each snippet inside an ``async with`` block, on
asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from _support import Form, printed_lines, run_titled, start_form, structured_form

from cantata import (
    AgentId,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    default_subscription,
    message_handler,
    type_subscription,
)

# -- Messages --------------------------------------------------------------------------------


@dataclass
class TextMessage:
    content: str
    source: str


@dataclass
class ImageMessage:
    url: str
    source: str


# -- Routing Messages by Type ----------------------------------------------------------------


class MyAgent(RoutedAgent):
    @message_handler
    async def on_text_message(self, message: TextMessage, ctx: MessageContext) -> None:
        print(f"Hello, {message.source}, you said {message.content}!")

    @message_handler
    async def on_image_message(self, message: ImageMessage, ctx: MessageContext) -> None:
        print(f"Hello, {message.source}, you sent me {message.url}!")


async def routing_by_type(runtime: SingleThreadedAgentRuntime) -> None:
    await MyAgent.register(runtime, "my_agent", lambda: MyAgent("My Agent"))
    agent_id = AgentId("my_agent", "default")
    await runtime.send_message(TextMessage(content="Hello, World!", source="User"), agent_id)
    await runtime.send_message(
        ImageMessage(url="https://example.com/image.jpg", source="User"), agent_id
    )


# -- Routing Messages of the Same Type -------------------------------------------------------


class RoutedBySenderAgent(RoutedAgent):
    @message_handler(match=lambda msg, ctx: msg.source.startswith("user1"))  # type: ignore
    async def on_user1_message(self, message: TextMessage, ctx: MessageContext) -> None:
        print(f"Hello from user 1 handler, {message.source}, you said {message.content}!")

    @message_handler(match=lambda msg, ctx: msg.source.startswith("user2"))  # type: ignore
    async def on_user2_message(self, message: TextMessage, ctx: MessageContext) -> None:
        print(f"Hello from user 2 handler, {message.source}, you said {message.content}!")

    @message_handler(match=lambda msg, ctx: msg.source.startswith("user2"))  # type: ignore
    async def on_image_message(self, message: ImageMessage, ctx: MessageContext) -> None:
        print(f"Hello, {message.source}, you sent me {message.url}!")


async def routing_same_type(runtime: SingleThreadedAgentRuntime) -> None:
    await RoutedBySenderAgent.register(
        runtime, "my_agent", lambda: RoutedBySenderAgent("Routed by sender agent")
    )
    agent_id = AgentId("my_agent", "default")
    await runtime.send_message(TextMessage(content="Hello, World!", source="user1-test"), agent_id)
    await runtime.send_message(TextMessage(content="Hello, World!", source="user2-test"), agent_id)
    await runtime.send_message(
        ImageMessage(url="https://example.com/image.jpg", source="user1-test"), agent_id
    )
    await runtime.send_message(
        ImageMessage(url="https://example.com/image.jpg", source="user2-test"), agent_id
    )
    # The first ImageMessage is not handled: its source matches no handler's `match`.


# -- Direct Messaging: Request/Response ------------------------------------------------------


@dataclass
class Message:
    content: str


class InnerAgent(RoutedAgent):
    @message_handler
    async def on_my_message(self, message: Message, ctx: MessageContext) -> Message:
        return Message(content=f"Hello from inner, {message.content}")


class OuterAgent(RoutedAgent):
    def __init__(self, description: str, inner_agent_type: str) -> None:
        super().__init__(description)
        self.inner_agent_id = AgentId(inner_agent_type, self.id.key)

    @message_handler
    async def on_my_message(self, message: Message, ctx: MessageContext) -> None:
        print(f"Received message: {message.content}")
        # Send a direct message to the inner agent and receives a response.
        response = await self.send_message(
            Message(f"Hello from outer, {message.content}"), self.inner_agent_id
        )
        print(f"Received inner response: {response.content}")


async def direct_messaging(runtime: SingleThreadedAgentRuntime) -> None:
    await InnerAgent.register(runtime, "inner_agent", lambda: InnerAgent("InnerAgent"))
    await OuterAgent.register(
        runtime, "outer_agent", lambda: OuterAgent("OuterAgent", "inner_agent")
    )
    outer_agent_id = AgentId("outer_agent", "default")
    await runtime.send_message(Message(content="Hello, World!"), outer_agent_id)


# -- Broadcast: Subscribe and Publish to Topics ----------------------------------------------


@type_subscription(topic_type="default")
class ReceivingAgent(RoutedAgent):
    @message_handler
    async def on_my_message(self, message: Message, ctx: MessageContext) -> None:
        print(f"Received a message: {message.content}")


class BroadcastingAgent(RoutedAgent):
    @message_handler
    async def on_my_message(self, message: Message, ctx: MessageContext) -> None:
        await self.publish_message(
            Message("Publishing a message from broadcasting agent!"),
            topic_id=TopicId(type="default", source=self.id.key),
        )


async def broadcast(runtime: SingleThreadedAgentRuntime) -> None:
    # Option 1: with type_subscription decorator
    # The type_subscription class decorator automatically adds a TypeSubscription to
    # the runtime when the agent is registered.
    await ReceivingAgent.register(
        runtime, "receiving_agent", lambda: ReceivingAgent("Receiving Agent")
    )

    # Option 2: with TypeSubscription
    await BroadcastingAgent.register(
        runtime, "broadcasting_agent", lambda: BroadcastingAgent("Broadcasting Agent")
    )
    await runtime.add_subscription(
        TypeSubscription(topic_type="default", agent_type="broadcasting_agent")
    )

    # Publish a message.
    await runtime.publish_message(
        Message("Hello, World! From the runtime!"),
        topic_id=TopicId(type="default", source="default"),
    )


# -- Default Topic and Subscriptions ---------------------------------------------------------


@default_subscription
class BroadcastingAgentDefaultTopic(RoutedAgent):
    @message_handler
    async def on_my_message(self, message: Message, ctx: MessageContext) -> None:
        # Publish a message to all agents in the same namespace.
        await self.publish_message(
            Message("Publishing a message from broadcasting agent!"),
            topic_id=DefaultTopicId(),
        )


async def default_topic(runtime: SingleThreadedAgentRuntime) -> None:
    await BroadcastingAgentDefaultTopic.register(
        runtime, "broadcasting_agent", lambda: BroadcastingAgentDefaultTopic("Broadcasting Agent")
    )
    await ReceivingAgent.register(
        runtime, "receiving_agent", lambda: ReceivingAgent("Receiving Agent")
    )
    await runtime.publish_message(
        Message("Hello, World! From the runtime!"), topic_id=DefaultTopicId()
    )


SNIPPETS = [
    ("Routing Messages by Type", routing_by_type),
    ("Routing Messages of the Same Type", routing_same_type),
    ("Direct Messaging", direct_messaging),
    ("Broadcast", broadcast),
    ("Default Topic and Subscriptions", default_topic),
]


async def run(form: Form) -> None:
    await run_titled(SNIPPETS, form)


async def run_structured() -> list[str]:
    """Run every snippet with ``async with``; return the lines they printed."""
    return await printed_lines(run, structured_form)


if __name__ == "__main__":
    asyncio.run(run(start_form))
