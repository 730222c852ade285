"""Port of the user-guide section "Concurrent Agents".

Agents that work at the same time, in the guide's three patterns:

1. **Single Message & Multiple Processors**: two ``Processor`` agents subscribed to the
   default topic both handle one published ``Task``.
2. **Multiple messages & Multiple Processors**: ``UrgentProcessor`` and ``NormalProcessor``
   each handle the tasks published to their own topic type and publish a ``TaskResponse`` to
   the ``"task-results"`` topic; in "Collecting Results" a ``ClosureAgent`` subscribed to that
   topic puts the responses into a queue.
3. **Direct Messages**: a ``DelegatorAgent`` splits a task into two subtasks, sends them to
   two instances of one registered ``WorkerAgent`` type at once, and combines their replies.

Every handler simulates work by sleeping, so the handlers of one part overlap.

**Two forms.** :func:`main` (``python examples/concurrent_agents.py``) runs the guide's code
unchanged apart from the imports: ``runtime.start()`` ... ``await runtime.stop_when_idle()``,
with ``asyncio.sleep``, ``asyncio.Queue`` and ``asyncio.gather`` and the guide's durations
(about ten seconds in all). That code needs asyncio. :func:`run_structured` runs the same
program inside ``async with runtime:`` blocks, on asyncio or Trio, with AnyIO equivalents:
each ``Anyio...`` agent below is the guide's agent awaiting ``simulate_work(seconds)`` (by
default ``anyio.sleep``) instead of ``asyncio.sleep``, the delegator gathers with a task
group (``gather`` from ``examples/_support.py``), and the queue is an AnyIO memory object
stream. The program gives the agents a :class:`SimulatedWork`, whose ``time_scale``
multiplies the durations (the tests run it faster; the order does not change).

**The printed order.** In the guide the order of the lines depends on timing. Here it is
fixed, the same in both forms and on both backends, and it is the guide's order:

* *Who starts first* is decided by the runtime. A publish reaches the subscribed agents in
  the order their subscriptions were added (``agent_1`` before ``agent_2``), and queued
  messages are delivered in the order they were published (``normal-1`` before
  ``urgent-1``). When a handler suspends on something other than the runtime (here the
  sleep), the runtime hands dispatching to a fresh worker, so the next delivery starts at
  once: every "starting" line of a part comes before any "finished" line. The delegator's
  gather starts its two sends in argument order, and each runs ``worker-1``'s or
  ``worker-2``'s handler at once, in the gathering task, because both workers are idle.
* *Who finishes first* is decided by the sleeps, as nothing else is awaited: the urgent
  processor sleeps 1 second and the normal one 3, so ``urgent-1`` finishes first although it
  started second. Where two handlers sleep equally long (the two processors, the two
  workers), the one that started first fell asleep first and wakes first. asyncio fires due
  timers in deadline order, so ``asyncio.sleep`` keeps that order; Trio deliberately runs
  tasks that wake in the same scheduling pass in a random order, so two equal
  ``anyio.sleep`` calls begun microseconds apart end in either order there, which is why
  the structured form sleeps through :class:`SimulatedWork`, which breaks such ties by
  start order.
* The collector therefore receives the urgent processor's response before the normal one's,
  and the queue holds them in that order.

As in autogen-core 0.7.5, an ``AgentId`` prints as ``type/key`` (``worker/worker-1``).
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
from _support import gather, printed_lines

from cantata import (
    AgentId,
    ClosureAgent,
    ClosureContext,
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


@dataclass
class Task:
    task_id: str


@dataclass
class TaskResponse:
    task_id: str
    result: str


# -- Single Message & Multiple Processors ----------------------------------------------------


@default_subscription
class Processor(RoutedAgent):
    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> None:
        print(f"{self._description} starting task {message.task_id}")
        await asyncio.sleep(2)  # Simulate work
        print(f"{self._description} finished task {message.task_id}")


# -- Multiple messages & Multiple Processors -------------------------------------------------

TASK_RESULTS_TOPIC_TYPE = "task-results"
task_results_topic_id = TopicId(type=TASK_RESULTS_TOPIC_TYPE, source="default")


@type_subscription(topic_type="urgent")
class UrgentProcessor(RoutedAgent):
    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> None:
        print(f"Urgent processor starting task {message.task_id}")
        await asyncio.sleep(1)  # Simulate work
        print(f"Urgent processor finished task {message.task_id}")

        task_response = TaskResponse(task_id=message.task_id, result="Results by Urgent Processor")
        await self.publish_message(task_response, topic_id=task_results_topic_id)


@type_subscription(topic_type="normal")
class NormalProcessor(RoutedAgent):
    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> None:
        print(f"Normal processor starting task {message.task_id}")
        await asyncio.sleep(3)  # Simulate work
        print(f"Normal processor finished task {message.task_id}")

        task_response = TaskResponse(task_id=message.task_id, result="Results by Normal Processor")
        await self.publish_message(task_response, topic_id=task_results_topic_id)


# -- Direct Messages -------------------------------------------------------------------------


class WorkerAgent(RoutedAgent):
    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> TaskResponse:
        print(f"{self.id} starting task {message.task_id}")
        await asyncio.sleep(2)  # Simulate work
        print(f"{self.id} finished task {message.task_id}")
        return TaskResponse(task_id=message.task_id, result=f"Results by {self.id}")


class DelegatorAgent(RoutedAgent):
    def __init__(self, description: str, worker_type: str):
        super().__init__(description)
        self.worker_instances = [
            AgentId(worker_type, f"{worker_type}-1"),
            AgentId(worker_type, f"{worker_type}-2"),
        ]

    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> TaskResponse:
        print(f"Delegator received task {message.task_id}.")

        subtask1 = Task(task_id="task-part-1")
        subtask2 = Task(task_id="task-part-2")

        worker1_result, worker2_result = await asyncio.gather(
            self.send_message(subtask1, self.worker_instances[0]),
            self.send_message(subtask2, self.worker_instances[1]),
        )

        combined_result = f"Part 1: {worker1_result.result}, Part 2: {worker2_result.result}"
        task_response = TaskResponse(task_id=message.task_id, result=combined_result)
        return task_response


# -- The guide's program (asyncio) -----------------------------------------------------------


async def main() -> None:
    """The guide's program, part by part, each after a ``# <title>`` line."""
    print("# Single Message & Multiple Processors")
    runtime = SingleThreadedAgentRuntime()

    await Processor.register(runtime, "agent_1", lambda: Processor("Agent 1"))
    await Processor.register(runtime, "agent_2", lambda: Processor("Agent 2"))

    runtime.start()

    await runtime.publish_message(Task(task_id="task-1"), topic_id=DefaultTopicId())

    await runtime.stop_when_idle()

    print("# Multiple messages & Multiple Processors")
    runtime = SingleThreadedAgentRuntime()

    await UrgentProcessor.register(
        runtime, "urgent_processor", lambda: UrgentProcessor("Urgent Processor")
    )
    await NormalProcessor.register(
        runtime, "normal_processor", lambda: NormalProcessor("Normal Processor")
    )

    runtime.start()

    await runtime.publish_message(
        Task(task_id="normal-1"), topic_id=TopicId(type="normal", source="default")
    )
    await runtime.publish_message(
        Task(task_id="urgent-1"), topic_id=TopicId(type="urgent", source="default")
    )

    await runtime.stop_when_idle()

    print("# Collecting Results")
    queue = asyncio.Queue[TaskResponse]()

    async def collect_result(
        _agent: ClosureContext, message: TaskResponse, ctx: MessageContext
    ) -> None:
        await queue.put(message)

    runtime.start()

    CLOSURE_AGENT_TYPE = "collect_result_agent"
    await ClosureAgent.register_closure(
        runtime,
        CLOSURE_AGENT_TYPE,
        collect_result,
        subscriptions=lambda: [
            TypeSubscription(topic_type=TASK_RESULTS_TOPIC_TYPE, agent_type=CLOSURE_AGENT_TYPE)
        ],
    )

    await runtime.publish_message(
        Task(task_id="normal-1"), topic_id=TopicId(type="normal", source="default")
    )
    await runtime.publish_message(
        Task(task_id="urgent-1"), topic_id=TopicId(type="urgent", source="default")
    )

    await runtime.stop_when_idle()

    while not queue.empty():
        print(await queue.get())

    print("# Direct Messages")
    runtime = SingleThreadedAgentRuntime()

    await WorkerAgent.register(runtime, "worker", lambda: WorkerAgent("Worker Agent"))
    await DelegatorAgent.register(
        runtime, "delegator", lambda: DelegatorAgent("Delegator Agent", "worker")
    )

    runtime.start()

    delegator = AgentId("delegator", "default")
    response = await runtime.send_message(Task(task_id="main-task"), recipient=delegator)

    print(f"Final result: {response.result}")
    await runtime.stop_when_idle()


# -- The same agents on AnyIO (asyncio and Trio) ---------------------------------------------
# Each is the guide's agent with the simulated work awaited through ``simulate_work`` (by
# default ``anyio.sleep``) instead of ``asyncio.sleep``, and with ``gather`` (from ``_support``)
# instead of ``asyncio.gather``. Subscriptions are not inherited (as in autogen-core), so these
# classes are written out in full rather than derived from the guide's.

Work = Callable[[float], Awaitable[None]]
"""Simulated work: ``await work(seconds)``."""


@default_subscription
class AnyioProcessor(RoutedAgent):
    def __init__(self, description: str, simulate_work: Work = anyio.sleep) -> None:
        super().__init__(description)
        self._simulate_work = simulate_work

    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> None:
        print(f"{self._description} starting task {message.task_id}")
        await self._simulate_work(2)  # Simulate work
        print(f"{self._description} finished task {message.task_id}")


@type_subscription(topic_type="urgent")
class AnyioUrgentProcessor(RoutedAgent):
    def __init__(self, description: str, simulate_work: Work = anyio.sleep) -> None:
        super().__init__(description)
        self._simulate_work = simulate_work

    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> None:
        print(f"Urgent processor starting task {message.task_id}")
        await self._simulate_work(1)  # Simulate work
        print(f"Urgent processor finished task {message.task_id}")

        task_response = TaskResponse(task_id=message.task_id, result="Results by Urgent Processor")
        await self.publish_message(task_response, topic_id=task_results_topic_id)


@type_subscription(topic_type="normal")
class AnyioNormalProcessor(RoutedAgent):
    def __init__(self, description: str, simulate_work: Work = anyio.sleep) -> None:
        super().__init__(description)
        self._simulate_work = simulate_work

    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> None:
        print(f"Normal processor starting task {message.task_id}")
        await self._simulate_work(3)  # Simulate work
        print(f"Normal processor finished task {message.task_id}")

        task_response = TaskResponse(task_id=message.task_id, result="Results by Normal Processor")
        await self.publish_message(task_response, topic_id=task_results_topic_id)


class AnyioWorkerAgent(RoutedAgent):
    def __init__(self, description: str, simulate_work: Work = anyio.sleep) -> None:
        super().__init__(description)
        self._simulate_work = simulate_work

    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> TaskResponse:
        print(f"{self.id} starting task {message.task_id}")
        await self._simulate_work(2)  # Simulate work
        print(f"{self.id} finished task {message.task_id}")
        return TaskResponse(task_id=message.task_id, result=f"Results by {self.id}")


class AnyioDelegatorAgent(RoutedAgent):
    def __init__(self, description: str, worker_type: str):
        super().__init__(description)
        self.worker_instances = [
            AgentId(worker_type, f"{worker_type}-1"),
            AgentId(worker_type, f"{worker_type}-2"),
        ]

    @message_handler
    async def on_task(self, message: Task, ctx: MessageContext) -> TaskResponse:
        print(f"Delegator received task {message.task_id}.")

        subtask1 = Task(task_id="task-part-1")
        subtask2 = Task(task_id="task-part-2")

        worker1_result, worker2_result = await gather(
            self.send_message(subtask1, self.worker_instances[0]),
            self.send_message(subtask2, self.worker_instances[1]),
        )

        combined_result = f"Part 1: {worker1_result.result}, Part 2: {worker2_result.result}"
        task_response = TaskResponse(task_id=message.task_id, result=combined_result)
        return task_response


class SimulatedWork:
    """Simulated work whose sleeps end in a fixed order, on asyncio and on Trio.

    ``await work(seconds)`` sleeps ``seconds * time_scale`` seconds and returns in the order
    of the sleeps' end times; a tie goes to the sleep that began first. ``anyio.sleep`` alone
    keeps that order on asyncio, whose due timers fire in deadline order, but not on Trio,
    which runs tasks that wake in the same scheduling pass in either order on purpose: two
    equally long sleeps begun a few microseconds apart would end in either order.
    """

    def __init__(self, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self._pending: list[tuple[float, int]] = []  # (end time, start order) of each sleep
        self._started = itertools.count()
        self._turn = anyio.Event()

    async def __call__(self, seconds: float) -> None:
        ticket = (anyio.current_time() + seconds * self.time_scale, next(self._started))
        self._pending.append(ticket)
        try:
            await anyio.sleep_until(ticket[0])
            while min(self._pending) != ticket:  # an earlier sleep has yet to return
                await self._turn.wait()
        finally:
            self._pending.remove(ticket)
            self._turn.set()
            self._turn = anyio.Event()


# -- The structured program (asyncio and Trio) -----------------------------------------------


async def single_message_multiple_processors(
    runtime: SingleThreadedAgentRuntime, work: Work
) -> None:
    await AnyioProcessor.register(runtime, "agent_1", lambda: AnyioProcessor("Agent 1", work))
    await AnyioProcessor.register(runtime, "agent_2", lambda: AnyioProcessor("Agent 2", work))

    async with runtime:
        await runtime.publish_message(Task(task_id="task-1"), topic_id=DefaultTopicId())

        await runtime.stop_when_idle()


async def publish_normal_and_urgent(runtime: SingleThreadedAgentRuntime) -> None:
    await runtime.publish_message(
        Task(task_id="normal-1"), topic_id=TopicId(type="normal", source="default")
    )
    await runtime.publish_message(
        Task(task_id="urgent-1"), topic_id=TopicId(type="urgent", source="default")
    )


async def multiple_messages_multiple_processors(
    runtime: SingleThreadedAgentRuntime, work: Work
) -> list[TaskResponse]:
    """This part and "Collecting Results", on one runtime; return what the collector got."""
    print("# Multiple messages & Multiple Processors")
    await AnyioUrgentProcessor.register(
        runtime, "urgent_processor", lambda: AnyioUrgentProcessor("Urgent Processor", work)
    )
    await AnyioNormalProcessor.register(
        runtime, "normal_processor", lambda: AnyioNormalProcessor("Normal Processor", work)
    )

    async with runtime:
        await publish_normal_and_urgent(runtime)

        await runtime.stop_when_idle()

    print("# Collecting Results")
    # An unbounded memory object stream stands in for asyncio.Queue.
    send_stream, receive_stream = anyio.create_memory_object_stream[TaskResponse](math.inf)

    async def collect_result(
        _agent: ClosureContext, message: TaskResponse, ctx: MessageContext
    ) -> None:
        await send_stream.send(message)

    async with runtime:
        CLOSURE_AGENT_TYPE = "collect_result_agent"
        await ClosureAgent.register_closure(
            runtime,
            CLOSURE_AGENT_TYPE,
            collect_result,
            subscriptions=lambda: [
                TypeSubscription(topic_type=TASK_RESULTS_TOPIC_TYPE, agent_type=CLOSURE_AGENT_TYPE)
            ],
        )

        await publish_normal_and_urgent(runtime)

        await runtime.stop_when_idle()

    send_stream.close()  # the runtime has stopped: nothing more is sent
    collected = [response async for response in receive_stream]
    for response in collected:
        print(response)
    return collected


async def direct_messages(runtime: SingleThreadedAgentRuntime, work: Work) -> TaskResponse:
    """Return the delegator's response."""
    await AnyioWorkerAgent.register(
        runtime, "worker", lambda: AnyioWorkerAgent("Worker Agent", work)
    )
    await AnyioDelegatorAgent.register(
        runtime, "delegator", lambda: AnyioDelegatorAgent("Delegator Agent", "worker")
    )

    async with runtime:
        delegator = AgentId("delegator", "default")
        response: TaskResponse = await runtime.send_message(
            Task(task_id="main-task"), recipient=delegator
        )

        print(f"Final result: {response.result}")
        await runtime.stop_when_idle()
    return response


async def structured(
    time_scale: float = 1.0,
    new_runtime: Callable[[], SingleThreadedAgentRuntime] = SingleThreadedAgentRuntime,
) -> None:
    """The whole section inside ``async with`` blocks, with the AnyIO agents.

    Args:
        time_scale: Multiplies the simulated durations (the printed order stays the same).
        new_runtime: Makes the runtime of each part (the tests record their deliveries).
    """
    work = SimulatedWork(time_scale)
    print("# Single Message & Multiple Processors")
    await single_message_multiple_processors(new_runtime(), work)
    await multiple_messages_multiple_processors(new_runtime(), work)
    print("# Direct Messages")
    await direct_messages(new_runtime(), work)


async def run_structured(
    time_scale: float = 1.0,
    new_runtime: Callable[[], SingleThreadedAgentRuntime] = SingleThreadedAgentRuntime,
) -> list[str]:
    """Run :func:`structured` (asyncio or Trio); return the lines it printed."""
    return await printed_lines(structured, time_scale, new_runtime)


if __name__ == "__main__":
    asyncio.run(main())
