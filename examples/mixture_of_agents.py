"""Port of the user-guide section "Mixture of Agents".

Worker agents are organized in layers; an orchestrator sends the user's task to every worker
of the first layer at once (direct messages, ``send_message``), gives the next layer the same
task together with the previous layer's answers (in the worker's system prompt), and finally
asks its own model to synthesize the last layer's answers into one result. As in the guide:
one worker type, three workers per layer, three layers (two of workers, then the
orchestrator's aggregation), on the guide's cookie-sharing task.

**Model clients.** The guide gives every agent one ``OpenAIChatCompletionClient``. Offline,
each agent gets a ``ReplayChatCompletionClient`` of its own that replays the reply the guide
shows for that agent (``SCRIPTED_REPLIES``, keyed by agent id), so every answer is tied to
the worker that gives it, whatever order the workers run in, and a test can read what each
agent sent to its model. For that the agent factories ask :meth:`ModelClients.for_new_agent`
for the client of the agent being created. When ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is
set and ``cantata.models.openai`` is available, :func:`create_model_clients` hands every
agent the guide's ``OpenAIChatCompletionClient(model="gpt-4o-mini")`` instead.

**Two forms.** :func:`main` (``python examples/mixture_of_agents.py``) runs the guide's code
between ``runtime.start()`` and ``await runtime.stop_when_idle()``; its orchestrator uses
``asyncio.gather``, so it needs asyncio. :func:`run_structured` runs the same program inside
``async with runtime:`` on asyncio or Trio, with ``AnyioOrchestratorAgent``: the guide's
orchestrator with an AnyIO task-group ``gather`` (from ``examples/_support.py``) in place of
``asyncio.gather``. The agents
are the guide's, except that the long aggregation prompt both agents write out is written
once, as ``SYSTEM_PROMPT``, and ``typing.List`` is spelled ``list``.

**Output.** The guide's output comes from an earlier autogen-core, which printed an
``AgentId`` as ``type:key``; autogen-core 0.7.5, and cantata, print ``type/key``
(``Worker-worker/default/layer_0/worker_0:``). The guide's workers finish in the order their
model calls happened to return (``worker_1``, ``worker_0``, ``worker_2`` in the first layer).
Here they print in the order ``worker_0``, ``worker_1``, ``worker_2``, every time: the
gather starts the sends in that order, each goes straight to an idle worker and runs its
handler at once, and a scripted model answers without waiting, so each worker finishes before
the next starts. With a hosted model the workers overlap and finish in any order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from _support import configured_openai_client, gather, given_or_created, printed_lines

from cantata import (
    AgentId,
    AgentInstantiationContext,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from cantata.models import ChatCompletionClient, SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient

# -- Message Protocol ------------------------------------------------------------------------


@dataclass
class WorkerTask:
    task: str
    previous_results: list[str]


@dataclass
class WorkerTaskResult:
    result: str


@dataclass
class UserTask:
    task: str


@dataclass
class FinalResult:
    result: str


# -- Worker Agent ----------------------------------------------------------------------------

SYSTEM_PROMPT = (
    "You have been provided with a set of responses from various open-source models to the "
    "latest user query. Your task is to synthesize these responses into a single, high-quality "
    "response. It is crucial to critically evaluate the information provided in these "
    "responses, recognizing that some of it may be biased or incorrect. Your response should "
    "not simply replicate the given answers but should offer a refined, accurate, and "
    "comprehensive reply to the instruction. Ensure your response is well-structured, "
    "coherent, and adheres to the highest standards of accuracy and reliability.\n\n"
    "Responses from models:"
)
"""The guide's aggregation prompt (the guide writes it out in both agents)."""


class WorkerAgent(RoutedAgent):
    def __init__(
        self,
        model_client: ChatCompletionClient,
    ) -> None:
        super().__init__(description="Worker Agent")
        self._model_client = model_client

    @message_handler
    async def handle_task(self, message: WorkerTask, ctx: MessageContext) -> WorkerTaskResult:
        if message.previous_results:
            # If previous results are provided, we need to synthesize them to create a single
            # prompt.
            system_prompt = SYSTEM_PROMPT
            system_prompt += "\n" + "\n\n".join(
                [f"{i + 1}. {r}" for i, r in enumerate(message.previous_results)]
            )
            model_result = await self._model_client.create(
                [
                    SystemMessage(content=system_prompt),
                    UserMessage(content=message.task, source="user"),
                ]
            )
        else:
            # If no previous results are provided, we can simply pass the user query to the
            # model.
            model_result = await self._model_client.create(
                [UserMessage(content=message.task, source="user")]
            )
        assert isinstance(model_result.content, str)
        print(f"{'-' * 80}\nWorker-{self.id}:\n{model_result.content}")
        return WorkerTaskResult(result=model_result.content)


# -- Orchestrator Agent ----------------------------------------------------------------------


class OrchestratorAgent(RoutedAgent):
    def __init__(
        self,
        model_client: ChatCompletionClient,
        worker_agent_types: list[str],
        num_layers: int,
    ) -> None:
        super().__init__(description="Aggregator Agent")
        self._model_client = model_client
        self._worker_agent_types = worker_agent_types
        self._num_layers = num_layers

    @message_handler
    async def handle_task(self, message: UserTask, ctx: MessageContext) -> FinalResult:
        print(f"{'-' * 80}\nOrchestrator-{self.id}:\nReceived task: {message.task}")
        # Create task for the first layer.
        worker_task = WorkerTask(task=message.task, previous_results=[])
        # Iterate over layers.
        for i in range(self._num_layers - 1):
            # Assign workers for this layer.
            worker_ids = [
                AgentId(worker_type, f"{self.id.key}/layer_{i}/worker_{j}")
                for j, worker_type in enumerate(self._worker_agent_types)
            ]
            # Dispatch tasks to workers.
            print(f"{'-' * 80}\nOrchestrator-{self.id}:\nDispatch to workers at layer {i}")
            results = await asyncio.gather(
                *[self.send_message(worker_task, worker_id) for worker_id in worker_ids]
            )
            print(
                f"{'-' * 80}\nOrchestrator-{self.id}:\nReceived results from workers at layer {i}"
            )
            # Prepare task for the next layer.
            worker_task = WorkerTask(
                task=message.task, previous_results=[r.result for r in results]
            )
        # Perform final aggregation.
        print(f"{'-' * 80}\nOrchestrator-{self.id}:\nPerforming final aggregation")
        system_prompt = SYSTEM_PROMPT
        system_prompt += "\n" + "\n\n".join(
            [f"{i + 1}. {r}" for i, r in enumerate(worker_task.previous_results)]
        )
        model_result = await self._model_client.create(
            [SystemMessage(content=system_prompt), UserMessage(content=message.task, source="user")]
        )
        assert isinstance(model_result.content, str)
        return FinalResult(result=model_result.content)


# -- The orchestrator on AnyIO (asyncio and Trio) --------------------------------------------


class AnyioOrchestratorAgent(RoutedAgent):
    """The guide's orchestrator with :func:`gather` in place of ``asyncio.gather``."""

    def __init__(
        self,
        model_client: ChatCompletionClient,
        worker_agent_types: list[str],
        num_layers: int,
    ) -> None:
        super().__init__(description="Aggregator Agent")
        self._model_client = model_client
        self._worker_agent_types = worker_agent_types
        self._num_layers = num_layers

    @message_handler
    async def handle_task(self, message: UserTask, ctx: MessageContext) -> FinalResult:
        print(f"{'-' * 80}\nOrchestrator-{self.id}:\nReceived task: {message.task}")
        # Create task for the first layer.
        worker_task = WorkerTask(task=message.task, previous_results=[])
        # Iterate over layers.
        for i in range(self._num_layers - 1):
            # Assign workers for this layer.
            worker_ids = [
                AgentId(worker_type, f"{self.id.key}/layer_{i}/worker_{j}")
                for j, worker_type in enumerate(self._worker_agent_types)
            ]
            # Dispatch tasks to workers.
            print(f"{'-' * 80}\nOrchestrator-{self.id}:\nDispatch to workers at layer {i}")
            results = await gather(
                *[self.send_message(worker_task, worker_id) for worker_id in worker_ids]
            )
            print(
                f"{'-' * 80}\nOrchestrator-{self.id}:\nReceived results from workers at layer {i}"
            )
            # Prepare task for the next layer.
            worker_task = WorkerTask(
                task=message.task, previous_results=[r.result for r in results]
            )
        # Perform final aggregation.
        print(f"{'-' * 80}\nOrchestrator-{self.id}:\nPerforming final aggregation")
        system_prompt = SYSTEM_PROMPT
        system_prompt += "\n" + "\n\n".join(
            [f"{i + 1}. {r}" for i, r in enumerate(worker_task.previous_results)]
        )
        model_result = await self._model_client.create(
            [SystemMessage(content=system_prompt), UserMessage(content=message.task, source="user")]
        )
        assert isinstance(model_result.content, str)
        return FinalResult(result=model_result.content)


# -- The model clients -----------------------------------------------------------------------
# The scripted replies are the guide's, each for the agent that gave it.

WORKER_REPLIES: dict[str, str] = {
    "worker/default/layer_0/worker_0": "\n".join(
        [
            (
                "To divide 432 cookies in the ratio of 3:4:2 between Alice, Bob, and Charlie, we "
                "will first determine the total number of parts in the ratio:"
            ),
            "",
            r"\[",
            r"3 + 4 + 2 = 9 \text{ parts}",
            r"\]",
            "",
            (
                "Next, we calculate the value of one part by dividing the total number of cookies"
                " by the total number of parts:"
            ),
            "",
            r"\[",
            r"\text{Value of one part} = \frac{432}{9} = 48",
            r"\]",
            "",
            (
                "Now, we can find out how many cookies each person receives by multiplying the "
                "value of one part by the number of parts each person receives:"
            ),
            "",
            "- For Alice (3 parts):",
            r"\[",
            r"3 \times 48 = 144 \text{ cookies}",
            r"\]",
            "",
            "- For Bob (4 parts):",
            r"\[",
            r"4 \times 48 = 192 \text{ cookies}",
            r"\]",
            "",
            "- For Charlie (2 parts):",
            r"\[",
            r"2 \times 48 = 96 \text{ cookies}",
            r"\]",
            "",
            "Thus, the number of cookies each person gets is:",
            "- **Alice**: 144 cookies",
            "- **Bob**: 192 cookies",
            "- **Charlie**: 96 cookies",
        ]
    ),
    "worker/default/layer_0/worker_1": "\n".join(
        [
            (
                "To divide 432 cookies in the ratio of 3:4:2 between Alice, Bob, and Charlie, you"
                " first need to determine the total number of parts in the ratio."
            ),
            "",
            "Add the parts together:",
            r"\[ 3 + 4 + 2 = 9 \]",
            "",
            (
                "Now, you can find the value of one part by dividing the total number of cookies "
                "by the total number of parts:"
            ),
            r"\[ \text{Value of one part} = \frac{432}{9} = 48 \]",
            "",
            "Now, multiply the value of one part by the number of parts for each person:",
            "",
            "- For Alice (3 parts):",
            r"\[ 3 \times 48 = 144 \]",
            "",
            "- For Bob (4 parts):",
            r"\[ 4 \times 48 = 192 \]",
            "",
            "- For Charlie (2 parts):",
            r"\[ 2 \times 48 = 96 \]",
            "",
            "Thus, the number of cookies each person gets is:",
            "- Alice: 144 cookies",
            "- Bob: 192 cookies",
            "- Charlie: 96 cookies",
        ]
    ),
    "worker/default/layer_0/worker_2": "\n".join(
        [
            (
                "To divide the cookies in the ratio of 3:4:2, we first need to find the total "
                "parts in the ratio. "
            ),
            "",
            "The total parts are:",
            "- Alice: 3 parts",
            "- Bob: 4 parts",
            "- Charlie: 2 parts",
            "",
            "Adding these parts together gives:",
            r"\[ 3 + 4 + 2 = 9 \text{ parts} \]",
            "",
            (
                "Next, we can determine how many cookies each part represents by dividing the "
                "total number of cookies by the total parts:"
            ),
            (
                r"\[ \text{Cookies per part} = \frac{432 \text{ cookies}}{9 \text{ parts}} = 48 "
                r"\text{ cookies/part} \]"
            ),
            "",
            "Now we can calculate the number of cookies for each person:",
            "- Alice's share: ",
            r"\[ 3 \text{ parts} \times 48 \text{ cookies/part} = 144 \text{ cookies} \]",
            "- Bob's share: ",
            r"\[ 4 \text{ parts} \times 48 \text{ cookies/part} = 192 \text{ cookies} \]",
            "- Charlie's share: ",
            r"\[ 2 \text{ parts} \times 48 \text{ cookies/part} = 96 \text{ cookies} \]",
            "",
            "So, the final distribution of cookies is:",
            "- Alice: 144 cookies",
            "- Bob: 192 cookies",
            "- Charlie: 96 cookies",
        ]
    ),
    "worker/default/layer_1/worker_0": "\n".join(
        [
            (
                "To divide 432 cookies among Alice, Bob, and Charlie in the ratio of 3:4:2, we "
                "can follow these steps:"
            ),
            "",
            "1. **Calculate the Total Parts**: ",
            "   Add the parts of the ratio together:",
            r"   \[",
            r"   3 + 4 + 2 = 9 \text{ parts}",
            r"   \]",
            "",
            "2. **Determine the Value of One Part**: ",
            "   Divide the total number of cookies by the total number of parts:",
            r"   \[",
            (
                r"   \text{Value of one part} = \frac{432 \text{ cookies}}{9 \text{ parts}} = 48 "
                r"\text{ cookies/part}"
            ),
            r"   \]",
            "",
            "3. **Calculate Each Person's Share**:",
            "   - **Alice's Share** (3 parts):",
            r"     \[",
            r"     3 \times 48 = 144 \text{ cookies}",
            r"     \]",
            "   - **Bob's Share** (4 parts):",
            r"     \[",
            r"     4 \times 48 = 192 \text{ cookies}",
            r"     \]",
            "   - **Charlie's Share** (2 parts):",
            r"     \[",
            r"     2 \times 48 = 96 \text{ cookies}",
            r"     \]",
            "",
            "4. **Final Distribution**:",
            "   - Alice: 144 cookies",
            "   - Bob: 192 cookies",
            "   - Charlie: 96 cookies",
            "",
            "Thus, the distribution of cookies is:",
            "- **Alice**: 144 cookies",
            "- **Bob**: 192 cookies",
            "- **Charlie**: 96 cookies",
        ]
    ),
    "worker/default/layer_1/worker_1": "\n".join(
        [
            (
                "To divide 432 cookies among Alice, Bob, and Charlie in the ratio of 3:4:2, we "
                "first need to determine the total number of parts in this ratio."
            ),
            "",
            "1. **Calculate Total Parts:**",
            r"   \[",
            r"   3 \text{ (Alice)} + 4 \text{ (Bob)} + 2 \text{ (Charlie)} = 9 \text{ parts}",
            r"   \]",
            "",
            "2. **Determine the Value of One Part:**",
            (
                "   Next, we'll find out how many cookies correspond to one part by dividing the "
                "total number of cookies by the total number of parts:"
            ),
            r"   \[",
            (
                r"   \text{Value of one part} = \frac{432 \text{ cookies}}{9 \text{ parts}} = 48 "
                r"\text{ cookies/part}"
            ),
            r"   \]",
            "",
            "3. **Calculate the Share for Each Person:**",
            "   - **Alice's Share (3 parts):**",
            r"     \[",
            r"     3 \times 48 = 144 \text{ cookies}",
            r"     \]",
            "   - **Bob's Share (4 parts):**",
            r"     \[",
            r"     4 \times 48 = 192 \text{ cookies}",
            r"     \]",
            "   - **Charlie\u2019s Share (2 parts):**",
            r"     \[",
            r"     2 \times 48 = 96 \text{ cookies}",
            r"     \]",
            "",
            "4. **Summary of the Distribution:**",
            "   - **Alice:** 144 cookies",
            "   - **Bob:** 192 cookies",
            "   - **Charlie:** 96 cookies",
            "",
            (
                "In conclusion, Alice receives 144 cookies, Bob receives 192 cookies, and Charlie"
                " receives 96 cookies."
            ),
        ]
    ),
    "worker/default/layer_1/worker_2": "\n".join(
        [
            (
                "To divide 432 cookies in the ratio of 3:4:2 among Alice, Bob, and Charlie, "
                "follow these steps:"
            ),
            "",
            "1. **Determine the total number of parts in the ratio**:",
            r"   \[",
            r"   3 + 4 + 2 = 9 \text{ parts}",
            r"   \]",
            "",
            (
                "2. **Calculate the value of one part** by dividing the total number of cookies "
                "by the total number of parts:"
            ),
            r"   \[",
            r"   \text{Value of one part} = \frac{432}{9} = 48",
            r"   \]",
            "",
            (
                "3. **Calculate the number of cookies each person receives** by multiplying the "
                "value of one part by the number of parts each individual gets:"
            ),
            "   - **For Alice (3 parts)**:",
            r"     \[",
            r"     3 \times 48 = 144 \text{ cookies}",
            r"     \]",
            "   - **For Bob (4 parts)**:",
            r"     \[",
            r"     4 \times 48 = 192 \text{ cookies}",
            r"     \]",
            "   - **For Charlie (2 parts)**:",
            r"     \[",
            r"     2 \times 48 = 96 \text{ cookies}",
            r"     \]",
            "",
            "Thus, the final distribution of cookies is:",
            "- **Alice**: 144 cookies",
            "- **Bob**: 192 cookies",
            "- **Charlie**: 96 cookies",
        ]
    ),
}

FINAL_REPLY = "\n".join(
    [
        (
            "To divide 432 cookies among Alice, Bob, and Charlie in the ratio of 3:4:2, "
            "follow these steps:"
        ),
        "",
        "1. **Calculate the Total Parts in the Ratio:**",
        "   Add the parts of the ratio together:",
        r"   \[",
        "   3 + 4 + 2 = 9",
        r"   \]",
        "",
        "2. **Determine the Value of One Part:**",
        "   Divide the total number of cookies by the total number of parts:",
        r"   \[",
        r"   \text{Value of one part} = \frac{432}{9} = 48 \text{ cookies/part}",
        r"   \]",
        "",
        "3. **Calculate Each Person's Share:**",
        "   - **Alice's Share (3 parts):**",
        r"     \[",
        r"     3 \times 48 = 144 \text{ cookies}",
        r"     \]",
        "   - **Bob's Share (4 parts):**",
        r"     \[",
        r"     4 \times 48 = 192 \text{ cookies}",
        r"     \]",
        "   - **Charlie's Share (2 parts):**",
        r"     \[",
        r"     2 \times 48 = 96 \text{ cookies}",
        r"     \]",
        "",
        "Therefore, the distribution of cookies is as follows:",
        "- **Alice:** 144 cookies",
        "- **Bob:** 192 cookies",
        "- **Charlie:** 96 cookies",
        "",
        "In summary, Alice gets 144 cookies, Bob gets 192 cookies, and Charlie gets 96 cookies.",
    ]
)

SCRIPTED_REPLIES: dict[str, list[str]] = {
    **{agent: [reply] for agent, reply in WORKER_REPLIES.items()},
    "orchestrator/default": [FINAL_REPLY],
}
"""Each agent's scripted model replies, keyed by ``str(agent_id)``."""


class ModelClients:
    """Hands each agent its model client: one shared client, or one per agent.

    Args:
        shared: The client every agent gets.
        per_agent: Otherwise, each agent's client, keyed by ``str(agent_id)``.
    """

    def __init__(
        self,
        shared: ChatCompletionClient | None = None,
        per_agent: Mapping[str, ChatCompletionClient] | None = None,
    ) -> None:
        self.shared = shared
        self.per_agent = dict(per_agent or {})

    @classmethod
    def scripted(cls, replies: Mapping[str, Sequence[str]]) -> ModelClients:
        """A ``ReplayChatCompletionClient`` per agent, replaying that agent's replies."""
        return cls(per_agent={agent: ReplayChatCompletionClient(r) for agent, r in replies.items()})

    def for_agent(self, agent_id: AgentId) -> ChatCompletionClient:
        if self.shared is not None:
            return self.shared
        return self.per_agent[str(agent_id)]

    def for_new_agent(self) -> ChatCompletionClient:
        """The client of the agent being created; call it in an agent factory."""
        return self.for_agent(AgentInstantiationContext.current_agent_id())

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()
        for client in self.per_agent.values():
            await client.close()


def create_model_clients() -> ModelClients:
    """The OpenAI client for every agent if it is configured and available, else the scripted
    clients."""
    model_client = configured_openai_client(model="gpt-4o-mini")
    if model_client is not None:
        return ModelClients(shared=model_client)
    return ModelClients.scripted(SCRIPTED_REPLIES)


# -- Running Mixture of Agents ---------------------------------------------------------------

task = (
    "I have 432 cookies, and divide them 3:4:2 between Alice, Bob, and Charlie. "
    "How many cookies does each person get?"
)


Orchestrator = TypeVar("Orchestrator", OrchestratorAgent, AnyioOrchestratorAgent)


async def register_agents(
    runtime: SingleThreadedAgentRuntime,
    model_clients: ModelClients,
    orchestrator_class: type[Orchestrator],
) -> None:
    """Register the worker type and the orchestrator type (3 workers a layer, 3 layers)."""
    await WorkerAgent.register(
        runtime, "worker", lambda: WorkerAgent(model_client=model_clients.for_new_agent())
    )
    await orchestrator_class.register(
        runtime,
        "orchestrator",
        lambda: orchestrator_class(
            model_client=model_clients.for_new_agent(),
            worker_agent_types=["worker"] * 3,
            num_layers=3,
        ),
    )


async def main() -> None:
    """The guide's program: ``runtime.start()``, the task, ``stop_when_idle()`` (asyncio)."""
    runtime = SingleThreadedAgentRuntime()
    model_clients = create_model_clients()
    await register_agents(runtime, model_clients, OrchestratorAgent)

    runtime.start()
    result = await runtime.send_message(UserTask(task=task), AgentId("orchestrator", "default"))

    await runtime.stop_when_idle()
    await model_clients.close()

    print(f"{'-' * 80}\nFinal result:\n{result.result}")


# -- The same program in the structured form (asyncio and Trio) ------------------------------


async def structured(model_clients: ModelClients) -> None:
    runtime = SingleThreadedAgentRuntime()
    await register_agents(runtime, model_clients, AnyioOrchestratorAgent)

    async with runtime:
        result = await runtime.send_message(UserTask(task=task), AgentId("orchestrator", "default"))

        await runtime.stop_when_idle()

    print(f"{'-' * 80}\nFinal result:\n{result.result}")


async def run_structured(model_clients: ModelClients | None = None) -> list[str]:
    """Run the program with ``async with`` (asyncio or Trio); return the lines it printed.

    Args:
        model_clients: The agents' clients; by default :func:`create_model_clients`'s. The
            caller keeps ownership of clients it passes (they are not closed here).
    """
    async with given_or_created(model_clients, create_model_clients) as clients:
        return await printed_lines(structured, clients)


if __name__ == "__main__":
    asyncio.run(main())
