"""Port of the user-guide design-pattern section "Multi-Agent Debate".

Four ``MathSolver`` agents and a ``MathAggregator`` solve a math word problem. The aggregator
publishes the question to every solver; each solver answers, publishes its answer to its own
topic type, which only its two neighbours subscribe to (the sparse topology
A-B, B-C, C-D, D-A, built with ``TypeSubscription``), and answers again once it has both
neighbours' answers of the round. After three rounds each solver publishes its final answer
(parsed from ``{{answer}}`` with the guide's regular expression) and the aggregator prints the
majority answer.

Differences from the guide:

* The guide's solvers share one ``OpenAIChatCompletionClient``. Here each solver has its own
  model client, by default a ``ReplayChatCompletionClient`` that replays that solver's three
  answers of the guide's run, so every solver gets its own answers whatever order the runtime
  runs them in, and the majority vote is deterministic. When ``OPENAI_BASE_URL`` or
  ``OPENAI_API_KEY`` is set and ``cantata.models.openai`` is available,
  :func:`create_model_clients` gives every solver the guide's one
  ``OpenAIChatCompletionClient(model="gpt-4o-mini")`` instead.
* Agent ids print as ``MathSolverA/default``, the ``type/key`` form of ``AgentId.__str__``
  in autogen-core 0.7.5; the guide's output was made with an older version that printed
  ``MathSolverA:default``.
* The printed answers are the guide's, but not in the guide's order: there the solvers waited
  on a hosted model and their turns interleaved as its replies came in, while the scripted
  replies never suspend, so the runtime runs the deliveries in its own deterministic order.

:func:`main` (``python examples/multi_agent_debate.py``) runs the debate between
``runtime.start()`` and ``await runtime.stop_when_idle()`` as the guide does, on asyncio;
:func:`run_structured` runs it inside an ``async with`` block, on asyncio or Trio (see
``examples/README.md``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Dict, List  # noqa: UP035 (the guide's spelling)

from _support import configured_openai_client, printed_lines, start_form, structured_form

from cantata import (
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TypeSubscription,
    default_subscription,
    message_handler,
)
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

# -- Message Protocol ------------------------------------------------------------------------


@dataclass
class Question:
    content: str


@dataclass
class Answer:
    content: str


@dataclass
class SolverRequest:
    content: str
    question: str


@dataclass
class IntermediateSolverResponse:
    content: str
    question: str
    answer: str
    round: int


@dataclass
class FinalSolverResponse:
    answer: str


# -- Solver Agent ----------------------------------------------------------------------------


@default_subscription
class MathSolver(RoutedAgent):
    def __init__(
        self,
        model_client: ChatCompletionClient,
        topic_type: str,
        num_neighbors: int,
        max_round: int,
    ) -> None:
        super().__init__("A debator.")
        self._topic_type = topic_type
        self._model_client = model_client
        self._num_neighbors = num_neighbors
        self._history: List[LLMMessage] = []  # noqa: UP006
        self._buffer: Dict[int, List[IntermediateSolverResponse]] = {}  # noqa: UP006
        self._system_messages = [
            SystemMessage(
                content=(
                    "You are a helpful assistant with expertise in mathematics and reasoning. "
                    "Your task is to assist in solving a math reasoning problem by providing "
                    "a clear and detailed solution. Limit your output within 100 words, "
                    "and your final answer should be a single numerical number, "
                    "in the form of {{answer}}, at the end of your response. "
                    "For example, 'The answer is {{42}}.'"
                )
            )
        ]
        self._round = 0
        self._max_round = max_round

    @message_handler
    async def handle_request(self, message: SolverRequest, ctx: MessageContext) -> None:
        # Add the question to the memory.
        self._history.append(UserMessage(content=message.content, source="user"))
        # Make an inference using the model.
        model_result = await self._model_client.create(self._system_messages + self._history)
        assert isinstance(model_result.content, str)
        # Add the response to the memory.
        self._history.append(
            AssistantMessage(content=model_result.content, source=self.metadata["type"])
        )
        print(f"{'-' * 80}\nSolver {self.id} round {self._round}:\n{model_result.content}")
        # Extract the answer from the response.
        match = re.search(r"\{\{(\-?\d+(\.\d+)?)\}\}", model_result.content)
        if match is None:
            raise ValueError("The model response does not contain the answer.")
        answer = match.group(1)
        # Increment the counter.
        self._round += 1
        if self._round == self._max_round:
            # If the counter reaches the maximum round, publishes a final response.
            await self.publish_message(
                FinalSolverResponse(answer=answer), topic_id=DefaultTopicId()
            )
        else:
            # Publish intermediate response to the topic associated with this solver.
            await self.publish_message(
                IntermediateSolverResponse(
                    content=model_result.content,
                    question=message.question,
                    answer=answer,
                    round=self._round,
                ),
                topic_id=DefaultTopicId(type=self._topic_type),
            )

    @message_handler
    async def handle_response(
        self, message: IntermediateSolverResponse, ctx: MessageContext
    ) -> None:
        # Add neighbor's response to the buffer.
        self._buffer.setdefault(message.round, []).append(message)
        # Check if all neighbors have responded.
        if len(self._buffer[message.round]) == self._num_neighbors:
            print(
                f"{'-' * 80}\nSolver {self.id} round {message.round}:\n"
                f"Received all responses from {self._num_neighbors} neighbors."
            )
            # Prepare the prompt for the next question.
            prompt = "These are the solutions to the problem from other agents:\n"
            for resp in self._buffer[message.round]:
                prompt += f"One agent solution: {resp.content}\n"
            prompt += (
                "Using the solutions from other agents as additional information, "
                "can you provide your answer to the math problem? "
                f"The original math problem is {message.question}. "
                "Your final answer should be a single numerical number, "
                "in the form of {{answer}}, at the end of your response."
            )
            # Send the question to the agent itself to solve.
            await self.send_message(
                SolverRequest(content=prompt, question=message.question), self.id
            )
            # Clear the buffer.
            self._buffer.pop(message.round)


# -- Aggregator Agent ------------------------------------------------------------------------


@default_subscription
class MathAggregator(RoutedAgent):
    def __init__(self, num_solvers: int) -> None:
        super().__init__("Math Aggregator")
        self._num_solvers = num_solvers
        self._buffer: List[FinalSolverResponse] = []  # noqa: UP006

    @message_handler
    async def handle_question(self, message: Question, ctx: MessageContext) -> None:
        print(f"{'-' * 80}\nAggregator {self.id} received question:\n{message.content}")
        prompt = (
            f"Can you solve the following math problem?\n{message.content}\n"
            "Explain your reasoning. Your final answer should be a single numerical number, "
            "in the form of {{answer}}, at the end of your response."
        )
        print(f"{'-' * 80}\nAggregator {self.id} publishes initial solver request.")
        await self.publish_message(
            SolverRequest(content=prompt, question=message.content), topic_id=DefaultTopicId()
        )

    @message_handler
    async def handle_final_solver_response(
        self, message: FinalSolverResponse, ctx: MessageContext
    ) -> None:
        self._buffer.append(message)
        if len(self._buffer) == self._num_solvers:
            print(
                f"{'-' * 80}\nAggregator {self.id} received all final answers "
                f"from {self._num_solvers} solvers."
            )
            # Find the majority answer.
            answers = [resp.answer for resp in self._buffer]
            majority_answer = max(set(answers), key=answers.count)
            # Publish the aggregated response.
            await self.publish_message(Answer(content=majority_answer), topic_id=DefaultTopicId())
            # Clear the responses.
            self._buffer.clear()
            print(f"{'-' * 80}\nAggregator {self.id} publishes final answer:\n{majority_answer}")


# -- The model clients -----------------------------------------------------------------------
# Each solver's answers in the guide's run, round 0 to round 2.

SOLVER_TYPES = ["MathSolverA", "MathSolverB", "MathSolverC", "MathSolverD"]

SCRIPTED_REPLIES: dict[str, list[str]] = {
    "MathSolverA": [
        (
            "In April, Natalia sold clips to 48 friends. In May, she sold half as many, "
            "which is calculated as follows:\n"
            "\n"
            "Half of 48 is \\( 48 \\div 2 = 24 \\).\n"
            "\n"
            "Now, to find the total clips sold in April and May, we add the totals from both "
            "months:\n"
            "\n"
            "\\( 48 + 24 = 72 \\).\n"
            "\n"
            "Thus, the total number of clips Natalia sold altogether in April and May is "
            "{{72}}."
        ),
        (
            "In April, Natalia sold 48 clips. In May, she sold half of that amount, which is "
            "48 / 2 = 24 clips. To find the total clips sold in both months, we sum the "
            "clips from April and May: \n"
            "\n"
            "48 (April) + 24 (May) = 72.\n"
            "\n"
            "Thus, Natalia sold a total of {{72}} clips. \n"
            "\n"
            "The answer is {{72}}."
        ),
        (
            "In April, Natalia sold 48 clips. In May, she sold half of that amount, which is "
            "\\( 48 \\div 2 = 24 \\) clips. To find the total clips sold in both months, we add "
            "the amounts from April and May:\n"
            "\n"
            "\\( 48 + 24 = 72 \\).\n"
            "\n"
            "Thus, the total number of clips sold by Natalia is {{72}}."
        ),
    ],
    "MathSolverB": [
        (
            "In April, Natalia sold 48 clips. In May, she sold half as many clips, which is "
            "48 / 2 = 24 clips. To find the total clips sold in April and May, we add both "
            "amounts: \n"
            "\n"
            "48 (April) + 24 (May) = 72.\n"
            "\n"
            "Thus, the total number of clips sold altogether is {{72}}."
        ),
        (
            "In April, Natalia sold 48 clips. In May, she sold half that amount, which is 48 "
            "/ 2 = 24 clips. To find the total clips sold in both months, we add the "
            "amounts: \n"
            "\n"
            "48 (April) + 24 (May) = 72.\n"
            "\n"
            "Therefore, the total number of clips sold altogether by Natalia is {{72}}."
        ),
        (
            "In April, Natalia sold 48 clips. In May, she sold half as many, calculated as "
            "\\( 48 \\div 2 = 24 \\) clips. To find the total clips sold over both months, we "
            "sum the totals: \n"
            "\n"
            "\\( 48 (April) + 24 (May) = 72 \\).\n"
            "\n"
            "Therefore, the total number of clips Natalia sold is {{72}}."
        ),
    ],
    "MathSolverC": [
        (
            "In April, Natalia sold 48 clips. In May, she sold half as many, which is 48 / 2 "
            "= 24 clips. To find the total number of clips sold in April and May, we add the "
            "amounts: 48 (April) + 24 (May) = 72 clips. \n"
            "\n"
            "Thus, the total number of clips sold by Natalia is {{72}}."
        ),
        (
            "In April, Natalia sold 48 clips. In May, she sold half as many, which is 48 / 2 "
            "= 24 clips. The total number of clips sold in April and May is calculated by "
            "adding the two amounts: 48 (April) + 24 (May) = 72 clips. \n"
            "\n"
            "Therefore, the answer is {{72}}."
        ),
        (
            "In April, Natalia sold 48 clips. In May, she sold half of that amount, which is "
            "\\( 48 \\div 2 = 24 \\) clips. To find the total number of clips sold in both "
            "months, we add the clips sold in April and May: \n"
            "\n"
            "48 (April) + 24 (May) = 72. \n"
            "\n"
            "Thus, the total number of clips sold altogether by Natalia is {{72}}."
        ),
    ],
    "MathSolverD": [
        (
            "Natalia sold 48 clips in April. In May, she sold half as many, which is \\( "
            "\\frac{48}{2} = 24 \\) clips. To find the total clips sold in both months, we add "
            "the clips sold in April and May together:\n"
            "\n"
            "\\[ 48 + 24 = 72 \\]\n"
            "\n"
            "Thus, Natalia sold a total of 72 clips.\n"
            "\n"
            "The answer is {{72}}."
        ),
        (
            "Natalia sold 48 clips in April. In May, she sold half of that, which is \\( 48 "
            "\\div 2 = 24 \\) clips. To find the total clips sold, we add the clips sold in "
            "both months:\n"
            "\n"
            "\\[ 48 + 24 = 72 \\]\n"
            "\n"
            "Therefore, the total number of clips sold by Natalia is {{72}}."
        ),
        (
            "To solve the problem, we know that Natalia sold 48 clips in April. In May, she "
            "sold half that amount, which is calculated as \\( 48 \\div 2 = 24 \\) clips. To "
            "find the total number of clips sold over both months, we add the two amounts "
            "together:\n"
            "\n"
            "\\[ 48 + 24 = 72 \\]\n"
            "\n"
            "Thus, the total number of clips sold by Natalia is {{72}}."
        ),
    ],
}


def create_model_clients() -> dict[str, ChatCompletionClient]:
    """Return each solver's model client, by solver type.

    One shared OpenAI client if it is configured and available, else a scripted client per
    solver replaying :data:`SCRIPTED_REPLIES`.
    """
    model_client = configured_openai_client(model="gpt-4o-mini")
    if model_client is not None:
        return {solver_type: model_client for solver_type in SOLVER_TYPES}
    return {
        solver_type: ReplayChatCompletionClient(SCRIPTED_REPLIES[solver_type])
        for solver_type in SOLVER_TYPES
    }


async def close_model_clients(model_clients: Mapping[str, ChatCompletionClient]) -> None:
    """Close each distinct client once."""
    for model_client in {id(client): client for client in model_clients.values()}.values():
        await model_client.close()


# -- Setting Up a Debate ---------------------------------------------------------------------

question = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in "
    "May. How many clips did Natalia sell altogether in April and May?"
)


async def set_up_debate(
    runtime: SingleThreadedAgentRuntime, model_clients: Mapping[str, ChatCompletionClient]
) -> None:
    """Register the four solvers and the aggregator, and subscribe the solvers' neighbours."""
    await MathSolver.register(
        runtime,
        "MathSolverA",
        lambda: MathSolver(
            model_client=model_clients["MathSolverA"],
            topic_type="MathSolverA",
            num_neighbors=2,
            max_round=3,
        ),
    )
    await MathSolver.register(
        runtime,
        "MathSolverB",
        lambda: MathSolver(
            model_client=model_clients["MathSolverB"],
            topic_type="MathSolverB",
            num_neighbors=2,
            max_round=3,
        ),
    )
    await MathSolver.register(
        runtime,
        "MathSolverC",
        lambda: MathSolver(
            model_client=model_clients["MathSolverC"],
            topic_type="MathSolverC",
            num_neighbors=2,
            max_round=3,
        ),
    )
    await MathSolver.register(
        runtime,
        "MathSolverD",
        lambda: MathSolver(
            model_client=model_clients["MathSolverD"],
            topic_type="MathSolverD",
            num_neighbors=2,
            max_round=3,
        ),
    )
    await MathAggregator.register(runtime, "MathAggregator", lambda: MathAggregator(num_solvers=4))

    # Subscriptions for topic published to by MathSolverA.
    await runtime.add_subscription(TypeSubscription("MathSolverA", "MathSolverD"))
    await runtime.add_subscription(TypeSubscription("MathSolverA", "MathSolverB"))

    # Subscriptions for topic published to by MathSolverB.
    await runtime.add_subscription(TypeSubscription("MathSolverB", "MathSolverA"))
    await runtime.add_subscription(TypeSubscription("MathSolverB", "MathSolverC"))

    # Subscriptions for topic published to by MathSolverC.
    await runtime.add_subscription(TypeSubscription("MathSolverC", "MathSolverB"))
    await runtime.add_subscription(TypeSubscription("MathSolverC", "MathSolverD"))

    # Subscriptions for topic published to by MathSolverD.
    await runtime.add_subscription(TypeSubscription("MathSolverD", "MathSolverC"))
    await runtime.add_subscription(TypeSubscription("MathSolverD", "MathSolverA"))

    # All solvers and the aggregator subscribe to the default topic.


async def debate(
    runtime: SingleThreadedAgentRuntime, model_clients: Mapping[str, ChatCompletionClient]
) -> None:
    """Set up the debate and publish the guide's question to the default topic."""
    await set_up_debate(runtime, model_clients)
    await runtime.publish_message(Question(content=question), DefaultTopicId())


# -- Solving Math Problems -------------------------------------------------------------------


async def main() -> None:
    """The guide's program: ``runtime.start()``, the question, ``stop_when_idle()``."""
    model_clients = create_model_clients()
    # Wait for the runtime to stop when idle.
    await start_form(lambda runtime: debate(runtime, model_clients))
    # Close the connection to the model client.
    await close_model_clients(model_clients)


async def run_structured(
    model_clients: Mapping[str, ChatCompletionClient] | None = None,
) -> list[str]:
    """Run the debate with ``async with``; return the lines it printed.

    Args:
        model_clients: Each solver's client, by solver type (``"MathSolverA"`` to
            ``"MathSolverD"``); by default :func:`create_model_clients`'s. The caller keeps
            ownership of clients it passes (they are not closed here).
    """
    clients = create_model_clients() if model_clients is None else model_clients
    printed = await printed_lines(structured_form, lambda runtime: debate(runtime, clients))
    if model_clients is None:
        await close_model_clients(clients)
    return printed


if __name__ == "__main__":
    asyncio.run(main())
