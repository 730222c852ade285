"""Port of the user-guide cookbook section "Termination using Intervention Handler".

An intervention handler sees every published message. This one watches for a
``Termination`` message, and the application stops the runtime once it has seen one.

``python examples/termination_intervention.py`` publishes after ``runtime.start()`` and
waits with ``await runtime.stop_when(...)`` as the guide does, on asyncio;
:func:`run_structured` does both inside an ``async with`` block, on asyncio or Trio (see
``examples/README.md``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from _support import Form, printed_lines, start_form, structured_form

from cantata import (
    DefaultInterventionHandler,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    default_subscription,
    message_handler,
)

# First, we define a dataclass for regular message and message that will be used to signal
# termination.


@dataclass
class Message:
    content: Any


@dataclass
class Termination:
    reason: str


# We code our agent to publish a termination message when it decides it is time to terminate.


@default_subscription
class AnAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("MyAgent")
        self.received = 0

    @message_handler
    async def on_new_message(self, message: Message, ctx: MessageContext) -> None:
        self.received += 1
        if self.received > 3:
            await self.publish_message(
                Termination(reason="Reached maximum number of messages"), DefaultTopicId()
            )


# Next, we create an InterventionHandler that will detect the termination message and act on
# it. This one hooks into publishes and when it encounters `Termination` it alters its internal
# state to indicate that termination has been requested.


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


# Finally, we add this handler to the runtime and use it to detect termination and stop the
# runtime when the termination message is received.


async def publish_messages(runtime: SingleThreadedAgentRuntime) -> None:
    await AnAgent.register(runtime, "my_agent", AnAgent)

    # Publish more than 3 messages to trigger termination.
    await runtime.publish_message(Message("hello"), DefaultTopicId())
    await runtime.publish_message(Message("hello"), DefaultTopicId())
    await runtime.publish_message(Message("hello"), DefaultTopicId())
    await runtime.publish_message(Message("hello"), DefaultTopicId())


async def run(form: Form) -> None:
    termination_handler = TerminationHandler()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[termination_handler])

    # Publish, then wait for termination: stop once the handler has seen it.
    await form(publish_messages, runtime, until=lambda: termination_handler.has_terminated)

    print(termination_handler.termination_value)


async def run_structured() -> list[str]:
    """Run the program with ``async with``; return the lines it printed."""
    return await printed_lines(run, structured_form)


if __name__ == "__main__":
    asyncio.run(run(start_form))
