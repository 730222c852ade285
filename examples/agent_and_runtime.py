"""Port of the user-guide section "Agent and Agent Runtime".

An agent subclasses ``RoutedAgent`` and declares one handler per message type; the runtime
creates agent instances from registered factories when it first delivers a message to them.
(The guide's ``MyAssistant``, a wrapper around an AgentChat agent, needs another library and
is left out.)

Run it with ``python examples/agent_and_runtime.py``. That uses ``runtime.start()`` and
``await runtime.stop()`` as the guide does, which needs asyncio. :func:`run_structured` runs
the same program as ``async with SingleThreadedAgentRuntime() as runtime:``, which also runs
on Trio::

    anyio.run(run_structured, backend="trio")
"""

from __future__ import annotations

import asyncio
import io
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)

# -- Implementing an Agent -----------------------------------------------------------------


@dataclass
class MyMessageType:
    content: str


class MyAgent(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("MyAgent")

    @message_handler
    async def handle_my_message_type(self, message: MyMessageType, ctx: MessageContext) -> None:
        print(f"{self.id.type} received message: {message.content}")


# -- Registering Agent Type and running the runtime (the guide's form, asyncio) ----------------


async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    # In a notebook the cell shows the returned AgentType; here we print it.
    print(await MyAgent.register(runtime, "my_agent", lambda: MyAgent()))

    # The runtime creates the instance the first time it delivers a message to this id.
    runtime.start()  # Start processing messages in the background.
    await runtime.send_message(MyMessageType("Hello, World!"), AgentId("my_agent", "default"))
    await runtime.stop()  # Stop processing messages in the background.

    # Running the Single-Threaded Agent Runtime: start() again resumes processing, and
    # stop_when_idle() returns once no message is queued and no agent is handling one.
    runtime.start()
    await runtime.send_message(MyMessageType("Hello again!"), AgentId("my_agent", "default"))
    await runtime.stop_when_idle()  # This will block until the runtime is idle.

    # Close the runtime and release resources.
    await runtime.close()


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def run_structured() -> list[str]:
    """Run the program with ``async with``; return the lines it printed."""
    with redirect_stdout(_Tee()) as printed:
        async with SingleThreadedAgentRuntime() as runtime:
            print(await MyAgent.register(runtime, "my_agent", lambda: MyAgent()))
            await runtime.send_message(
                MyMessageType("Hello, World!"), AgentId("my_agent", "default")
            )
        # Leaving the block stops the runtime. It can run again in another block.
        async with runtime:
            await runtime.send_message(
                MyMessageType("Hello again!"), AgentId("my_agent", "default")
            )
            await runtime.stop_when_idle()
        await runtime.close()
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
