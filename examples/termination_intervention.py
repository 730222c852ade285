"""Port of the user-guide cookbook section "Termination using Intervention Handler".

An intervention handler sees every published message. This one watches for a
``Termination`` message, and the application stops the runtime once it has seen one.

Run it with ``python examples/termination_intervention.py``. That uses ``runtime.start()``
and ``await runtime.stop_when(...)`` as the guide does, which needs asyncio.
:func:`run_structured` runs the same program as
``async with SingleThreadedAgentRuntime(...) as runtime:``, which also runs on Trio::

    anyio.run(run_structured, backend="trio")
"""

from __future__ import annotations

import asyncio
import io
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass
from typing import Any

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


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def run_structured() -> list[str]:
    """Run the program with ``async with``; return the lines it printed."""
    with redirect_stdout(_Tee()) as printed:
        termination_handler = TerminationHandler()
        async with SingleThreadedAgentRuntime(
            intervention_handlers=[termination_handler]
        ) as runtime:
            await AnAgent.register(runtime, "my_agent", AnAgent)

            # Publish more than 3 messages to trigger termination.
            for _ in range(4):
                await runtime.publish_message(Message("hello"), DefaultTopicId())

            # Wait for termination.
            await runtime.stop_when(lambda: termination_handler.has_terminated)

        print(termination_handler.termination_value)
    return printed.getvalue().splitlines()


class _Tee(io.StringIO):
    """A stand-in for stdout that prints and also keeps what was printed."""

    def __init__(self) -> None:
        super().__init__()
        self._stdout = sys.stdout

    def write(self, text: str) -> int:
        self._stdout.write(text)
        return super().write(text)


if __name__ == "__main__":
    asyncio.run(main())
