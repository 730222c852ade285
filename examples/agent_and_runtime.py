"""Port of the user-guide section "Agent and Agent Runtime".

An agent subclasses ``RoutedAgent`` and declares one handler per message type; the runtime
creates agent instances from registered factories when it first delivers a message to them.
(The guide's ``MyAssistant``, a wrapper around an AgentChat agent, needs another library and
is left out.)

``python examples/agent_and_runtime.py`` runs :func:`main`, the guide's code: it starts,
stops and restarts the runtime with ``runtime.start()`` and ``await runtime.stop()``, which
needs asyncio. :func:`run_structured` does the same with two ``async with`` blocks, on
asyncio or Trio (see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from _support import printed_lines

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


async def structured() -> None:
    async with SingleThreadedAgentRuntime() as runtime:
        print(await MyAgent.register(runtime, "my_agent", lambda: MyAgent()))
        await runtime.send_message(MyMessageType("Hello, World!"), AgentId("my_agent", "default"))
    # Leaving the block stops the runtime. It can run again in another block.
    async with runtime:
        await runtime.send_message(MyMessageType("Hello again!"), AgentId("my_agent", "default"))
        await runtime.stop_when_idle()
    await runtime.close()


async def run_structured() -> list[str]:
    """Run :func:`structured`; return the lines it printed."""
    return await printed_lines(structured)


if __name__ == "__main__":
    asyncio.run(main())
