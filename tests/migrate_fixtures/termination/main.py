"""The user guide's cookbook "Termination using Intervention Handler", as one script."""

import asyncio
from dataclasses import dataclass
from typing import Any

from autogen_core import (
    DefaultInterventionHandler,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    default_subscription,
    message_handler,
)


@dataclass
class Message:
    content: Any


@dataclass
class Termination:
    reason: str


@default_subscription
class AnAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("MyAgent")
        self.received = 0

    @message_handler
    async def on_new_message(self, message: Message, ctx: MessageContext) -> None:
        self.received += 1
        if self.received > 3:
            await self.publish_message(Termination(reason="Reached maximum number of messages"), DefaultTopicId())


class TerminationHandler(DefaultInterventionHandler):
    def __init__(self) -> None:
        self._termination_value: Termination | None = None

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        if isinstance(message, Termination):
            self._termination_value = message
        return message

    @property
    def termination_value(self) -> Termination | None:
        return self._termination_value

    @property
    def has_terminated(self) -> bool:
        return self._termination_value is not None


async def main() -> None:
    termination_handler = TerminationHandler()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[termination_handler])

    await AnAgent.register(runtime, "my_agent", AnAgent)

    runtime.start()

    # Publish more than 3 messages to trigger termination.
    await runtime.publish_message(Message("hello"), DefaultTopicId())
    await runtime.publish_message(Message("hello"), DefaultTopicId())
    await runtime.publish_message(Message("hello"), DefaultTopicId())
    await runtime.publish_message(Message("hello"), DefaultTopicId())

    # Wait for termination.
    await runtime.stop_when(lambda: termination_handler.has_terminated)

    print(termination_handler.termination_value)


asyncio.run(main())
