"""Port of the user-guide cookbook section "Extracting Results with an Agent".

Agent instances cannot be reached from outside the runtime, so a system that publishes a
``FinalResult`` can hand it out through an agent whose only job is to receive it: here a
``ClosureAgent`` subscribed to the default topic puts every ``FinalResult`` into a queue that
the application reads once the runtime is idle.

:func:`main` (``python examples/extracting_results.py``) is the guide's program: an
``asyncio.Queue``, ``runtime.start()``, two published results, ``await
runtime.stop_when_idle()``, then the queue is printed. ``asyncio.Queue`` needs asyncio, so
:func:`run_structured` runs the same program inside ``async with runtime:`` with the AnyIO
equivalent, an unbounded memory object stream, and runs on asyncio or Trio. Closing the
sending end once the runtime has stopped lets the reader take everything with ``async for``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

import anyio
from _support import printed_lines

from cantata import (
    ClosureAgent,
    ClosureContext,
    DefaultSubscription,
    DefaultTopicId,
    MessageContext,
    SingleThreadedAgentRuntime,
)

# Define a dataclass for the final result.


@dataclass
class FinalResult:
    value: str


# -- The guide's program (asyncio) -----------------------------------------------------------

# Create a queue to pass the result from the agent to the external code.
queue = asyncio.Queue[FinalResult]()


# Create a function closure for outputting the final result to the queue.
async def output_result(_agent: ClosureContext, message: FinalResult, ctx: MessageContext) -> None:
    await queue.put(message)


async def publish_results(runtime: SingleThreadedAgentRuntime) -> None:
    """Simulate the collection of final results by publishing them directly to the runtime."""
    await runtime.publish_message(FinalResult("Result 1"), DefaultTopicId())
    await runtime.publish_message(FinalResult("Result 2"), DefaultTopicId())


async def run_guide() -> None:
    """Register the closure agent, run the runtime until it is idle; the results are queued."""
    runtime = SingleThreadedAgentRuntime()
    print(
        await ClosureAgent.register_closure(
            runtime, "output_result", output_result, subscriptions=lambda: [DefaultSubscription()]
        )
    )

    runtime.start()
    await publish_results(runtime)
    await runtime.stop_when_idle()


async def main() -> None:
    await run_guide()

    # We can take a look at the queue to see the final result.
    while not queue.empty():
        print((result := await queue.get()).value)  # noqa: F841 (the guide's line)


# -- The structured program (asyncio and Trio) -----------------------------------------------


async def extract_results(runtime: SingleThreadedAgentRuntime) -> list[FinalResult]:
    """Run the program on *runtime* with ``async with``; return the results the agent queued."""
    # An unbounded memory object stream stands in for asyncio.Queue.
    send_stream, receive_stream = anyio.create_memory_object_stream[FinalResult](math.inf)

    async def output_result(
        _agent: ClosureContext, message: FinalResult, ctx: MessageContext
    ) -> None:
        await send_stream.send(message)

    print(
        await ClosureAgent.register_closure(
            runtime, "output_result", output_result, subscriptions=lambda: [DefaultSubscription()]
        )
    )

    async with runtime:
        await publish_results(runtime)
        await runtime.stop_when_idle()

    send_stream.close()  # the runtime has stopped: nothing more is sent
    async with receive_stream:
        return [result async for result in receive_stream]


async def structured() -> None:
    results = await extract_results(SingleThreadedAgentRuntime())

    # We can take a look at the queue to see the final result.
    for result in results:
        print(result.value)


async def run_structured() -> list[str]:
    """Run the program with ``async with`` (asyncio or Trio); return the lines it printed."""
    return await printed_lines(structured)


if __name__ == "__main__":
    asyncio.run(main())
