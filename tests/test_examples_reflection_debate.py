"""The design-pattern examples "Reflection" and "Multi-Agent Debate" (``examples/reflection.py``,
``examples/multi_agent_debate.py``).

``python examples/<name>.py`` (the guide's ``runtime.start()`` form, asyncio) prints the expected
lines, and ``run_structured()`` (the ``async with`` form) returns them on asyncio and Trio, the
same each time. The other tests check what really happened: the messages the agents exchanged,
what each agent sent to its model (``create_calls`` of the scripted clients) and the outcome.
"""

# The expected output keeps the guide's text as printed: long lines, and a few lines that end in
# spaces or hold only spaces (the model replies and the approved code have them).
# ruff: noqa: E501, W291, W293
from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pytest
from _examples_harness import load, run_script

from cantata import (
    ClosureAgent,
    ClosureContext,
    DefaultSubscription,
    MessageContext,
    SingleThreadedAgentRuntime,
    TypeSubscription,
)
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    LLMMessage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

RunStructured = Callable[..., Awaitable[list[str]]]


def run_structured(name: str) -> RunStructured:
    function: RunStructured = load(name).run_structured
    return function


# -- Expected output ----------------------------------------------------------------------------

# The guide's output, line for line.
REFLECTION = """\
Code Writing Result:
--------------------------------------------------------------------------------
Task:
Write a function to find the sum of all even numbers in a list.
--------------------------------------------------------------------------------
Code:
def sum_of_even_numbers(numbers):
    if not isinstance(numbers, list) or not all(isinstance(num, int) for num in numbers):
        raise ValueError('Input must be a list of integers')
    
    return sum(num for num in numbers if num % 2 == 0)
--------------------------------------------------------------------------------
Review:
Code review:
correctness: The function correctly sums all even numbers in the provided list. It raises a ValueError if the input is not a list of integers, which is a necessary check for correctness.
efficiency: The function remains efficient with a time complexity of O(n) due to the use of a generator expression. There are no unnecessary intermediate lists created, so memory usage is optimal.
safety: The function includes input validation, which enhances safety by preventing incorrect input types. It raises a ValueError for invalid inputs, making the function more robust against unexpected data.
approval: APPROVE
suggested_changes: No further changes are necessary as the previous feedback has been adequately addressed.
--------------------------------------------------------------------------------
""".splitlines()

# The guide's blocks, with agent ids in autogen-core 0.7.5's ``type/key`` form, in the order
# the runtime runs the scripted solvers: round by round, solver A to D.
DEBATE = """\
--------------------------------------------------------------------------------
Aggregator MathAggregator/default received question:
Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?
--------------------------------------------------------------------------------
Aggregator MathAggregator/default publishes initial solver request.
--------------------------------------------------------------------------------
Solver MathSolverA/default round 0:
In April, Natalia sold clips to 48 friends. In May, she sold half as many, which is calculated as follows:

Half of 48 is \\( 48 \\div 2 = 24 \\).

Now, to find the total clips sold in April and May, we add the totals from both months:

\\( 48 + 24 = 72 \\).

Thus, the total number of clips Natalia sold altogether in April and May is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverB/default round 0:
In April, Natalia sold 48 clips. In May, she sold half as many clips, which is 48 / 2 = 24 clips. To find the total clips sold in April and May, we add both amounts: 

48 (April) + 24 (May) = 72.

Thus, the total number of clips sold altogether is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverC/default round 0:
In April, Natalia sold 48 clips. In May, she sold half as many, which is 48 / 2 = 24 clips. To find the total number of clips sold in April and May, we add the amounts: 48 (April) + 24 (May) = 72 clips. 

Thus, the total number of clips sold by Natalia is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverD/default round 0:
Natalia sold 48 clips in April. In May, she sold half as many, which is \\( \\frac{48}{2} = 24 \\) clips. To find the total clips sold in both months, we add the clips sold in April and May together:

\\[ 48 + 24 = 72 \\]

Thus, Natalia sold a total of 72 clips.

The answer is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverA/default round 1:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverA/default round 1:
In April, Natalia sold 48 clips. In May, she sold half of that amount, which is 48 / 2 = 24 clips. To find the total clips sold in both months, we sum the clips from April and May: 

48 (April) + 24 (May) = 72.

Thus, Natalia sold a total of {{72}} clips. 

The answer is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverB/default round 1:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverB/default round 1:
In April, Natalia sold 48 clips. In May, she sold half that amount, which is 48 / 2 = 24 clips. To find the total clips sold in both months, we add the amounts: 

48 (April) + 24 (May) = 72.

Therefore, the total number of clips sold altogether by Natalia is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverC/default round 1:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverC/default round 1:
In April, Natalia sold 48 clips. In May, she sold half as many, which is 48 / 2 = 24 clips. The total number of clips sold in April and May is calculated by adding the two amounts: 48 (April) + 24 (May) = 72 clips. 

Therefore, the answer is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverD/default round 1:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverD/default round 1:
Natalia sold 48 clips in April. In May, she sold half of that, which is \\( 48 \\div 2 = 24 \\) clips. To find the total clips sold, we add the clips sold in both months:

\\[ 48 + 24 = 72 \\]

Therefore, the total number of clips sold by Natalia is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverA/default round 2:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverA/default round 2:
In April, Natalia sold 48 clips. In May, she sold half of that amount, which is \\( 48 \\div 2 = 24 \\) clips. To find the total clips sold in both months, we add the amounts from April and May:

\\( 48 + 24 = 72 \\).

Thus, the total number of clips sold by Natalia is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverB/default round 2:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverB/default round 2:
In April, Natalia sold 48 clips. In May, she sold half as many, calculated as \\( 48 \\div 2 = 24 \\) clips. To find the total clips sold over both months, we sum the totals: 

\\( 48 (April) + 24 (May) = 72 \\).

Therefore, the total number of clips Natalia sold is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverC/default round 2:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverC/default round 2:
In April, Natalia sold 48 clips. In May, she sold half of that amount, which is \\( 48 \\div 2 = 24 \\) clips. To find the total number of clips sold in both months, we add the clips sold in April and May: 

48 (April) + 24 (May) = 72. 

Thus, the total number of clips sold altogether by Natalia is {{72}}.
--------------------------------------------------------------------------------
Solver MathSolverD/default round 2:
Received all responses from 2 neighbors.
--------------------------------------------------------------------------------
Solver MathSolverD/default round 2:
To solve the problem, we know that Natalia sold 48 clips in April. In May, she sold half that amount, which is calculated as \\( 48 \\div 2 = 24 \\) clips. To find the total number of clips sold over both months, we add the two amounts together:

\\[ 48 + 24 = 72 \\]

Thus, the total number of clips sold by Natalia is {{72}}.
--------------------------------------------------------------------------------
Aggregator MathAggregator/default received all final answers from 4 solvers.
--------------------------------------------------------------------------------
Aggregator MathAggregator/default publishes final answer:
72
""".splitlines()

EXPECTED = {"reflection": REFLECTION, "multi_agent_debate": DEBATE}
EXAMPLES = list(EXPECTED)


@pytest.mark.parametrize("name", EXAMPLES)
def test_script_prints_expected_output(name: str) -> None:
    assert run_script(name) == EXPECTED[name]


@pytest.mark.anyio
@pytest.mark.parametrize("name", EXAMPLES)
async def test_run_structured_prints_expected_output(name: str) -> None:
    assert await run_structured(name)() == EXPECTED[name]


@pytest.mark.anyio
@pytest.mark.parametrize("name", EXAMPLES)
async def test_run_structured_is_deterministic(name: str) -> None:
    first = await run_structured(name)()
    second = await run_structured(name)()
    assert first == second


def test_expected_output_kept_its_trailing_spaces() -> None:
    # The guide's replies have lines ending in spaces; an editor stripping them would make the
    # expected output wrong rather than the example.
    assert "    " in REFLECTION
    assert sum(line.endswith(" ") for line in DEBATE) == 9


@pytest.mark.parametrize("name", EXAMPLES)
def test_scripted_clients_without_openai_settings(name: str) -> None:
    module = load(name)
    if name == "reflection":
        assert isinstance(module.create_model_client(), ReplayChatCompletionClient)
    else:
        clients = module.create_model_clients()
        assert sorted(clients) == ["MathSolverA", "MathSolverB", "MathSolverC", "MathSolverD"]
        assert all(isinstance(c, ReplayChatCompletionClient) for c in clients.values())
        assert len({id(c) for c in clients.values()}) == 4  # one client per solver


# -- Helpers -------------------------------------------------------------------------------------


async def run_with_collector(
    program: Callable[[SingleThreadedAgentRuntime], Awaitable[None]],
    extra_subscriptions: Sequence[str] = (),
) -> list[Any]:
    """Run ``program`` with a collector on the default topic (and on ``extra_subscriptions``
    topic types); return every message the collector received, in order."""
    received: list[Any] = []

    async def collect(_context: ClosureContext, message: Any, _ctx: MessageContext) -> None:
        received.append(message)

    async with SingleThreadedAgentRuntime() as runtime:
        await ClosureAgent.register_closure(
            runtime,
            "collector",
            collect,
            subscriptions=lambda: [DefaultSubscription(agent_type="collector")],
        )
        for topic_type in extra_subscriptions:
            await runtime.add_subscription(TypeSubscription(topic_type, "collector"))
        await program(runtime)
        await runtime.stop_when_idle()
    return received


def prompts(client: ReplayChatCompletionClient) -> list[list[LLMMessage]]:
    return [call["messages"] for call in client.create_calls]


# -- Reflection ----------------------------------------------------------------------------------

# The review text of the first (REVISE) verdict, as the guide's log shows it.
FIRST_REVIEW_TEXT = """\
Code review:
correctness: The function correctly identifies and sums all even numbers in the provided list. The use of a generator expression ensures that only even numbers are processed, which is correct.
efficiency: The function is efficient as it utilizes a generator expression that avoids creating an intermediate list, therefore using less memory. The time complexity is O(n) where n is the number of elements in the input list, which is optimal for this task.
safety: The function does not include checks for input types. If a non-iterable or a list containing non-integer types is passed, it could lead to unexpected behavior or errors. It\u2019s advisable to handle such cases.
approval: REVISE
suggested_changes: Consider adding input validation to ensure that 'numbers' is a list and contains only integers. You could raise a ValueError if the input is invalid. Example: 'if not isinstance(numbers, list) or not all(isinstance(num, int) for num in numbers): raise ValueError('Input must be a list of integers')'. This will make the function more robust."""

TASK = "Write a function to find the sum of all even numbers in a list."
FIRST_CODE = (
    "def sum_of_even_numbers(numbers):\n    return sum(num for num in numbers if num % 2 == 0)"
)


def reviewer_prompt(code: str, previous_feedback: str) -> str:
    return (
        f"The problem statement is: {TASK}\n"
        f"The code is:\n```\n{code}\n```\n\n"
        f"Previous feedback:\n{previous_feedback}\n\n"
        "Please review the code. If previous feedback was provided, see if it was addressed.\n"
    )


def verdict(approval: str, note: str) -> str:
    return json.dumps(
        {
            "correctness": f"correctness {note}",
            "efficiency": f"efficiency {note}",
            "safety": f"safety {note}",
            "approval": approval,
            "suggested_changes": f"changes {note}",
        }
    )


def review_text(approval: str, note: str) -> str:
    return (
        f"Code review:\ncorrectness: correctness {note}\nefficiency: efficiency {note}\n"
        f"safety: safety {note}\napproval: {approval}\nsuggested_changes: changes {note}"
    )


def draft(version: int) -> str:
    return f"Thoughts: version {version}.\n\nCode:\n```python\ndef f():\n    return {version}\n```"


@pytest.mark.anyio
async def test_reflection_goes_through_a_rejection_then_an_approval() -> None:
    module = load("reflection")
    client = ReplayChatCompletionClient(module.SCRIPTED_REPLIES)

    received = await run_with_collector(lambda runtime: module.reflect(runtime, client))

    # What went over the default topic: the task, two review rounds, the result.
    kinds = [type(message).__name__ for message in received]
    assert kinds == [
        "CodeWritingTask",
        "CodeReviewTask",
        "CodeReviewResult",
        "CodeReviewTask",
        "CodeReviewResult",
        "CodeWritingResult",
    ]
    reviews = [m for m in received if isinstance(m, module.CodeReviewResult)]
    assert [review.approved for review in reviews] == [False, True]
    assert reviews[0].review == FIRST_REVIEW_TEXT
    sessions = {m.session_id for m in received if hasattr(m, "session_id")}
    assert len(sessions) == 1
    tasks = [m for m in received if isinstance(m, module.CodeReviewTask)]
    assert tasks[0].code == FIRST_CODE
    assert tasks[0].code_writing_scratchpad == module.FIRST_DRAFT
    assert "raise ValueError('Input must be a list of integers')" in tasks[1].code
    result = received[-1]
    assert result.task == TASK
    assert result.code == tasks[1].code
    assert result.review == reviews[1].review

    # What each agent sent to the shared model: coder, reviewer, coder, reviewer.
    calls = client.create_calls
    assert [call["json_output"] for call in calls] == [None, True, None, True]
    coder_system, reviewer_system = calls[0]["messages"][0], calls[1]["messages"][0]
    assert isinstance(coder_system, SystemMessage)
    assert coder_system.content.startswith("You are a proficient coder.")
    assert isinstance(reviewer_system, SystemMessage)
    assert reviewer_system.content.startswith("You are a code reviewer.")
    assert calls[0]["messages"] == [coder_system, UserMessage(content=TASK, source="CoderAgent")]
    assert calls[1]["messages"] == [
        reviewer_system,
        UserMessage(content=reviewer_prompt(FIRST_CODE, ""), source="ReviewerAgent"),
    ]
    # The coder's revision request: the whole session, as the guide builds it.
    assert calls[2]["messages"] == [
        coder_system,
        UserMessage(content=TASK, source="User"),
        AssistantMessage(content=module.FIRST_DRAFT, source="Coder"),
        UserMessage(content=FIRST_REVIEW_TEXT, source="Reviewer"),
    ]
    # The reviewer's second request carries its first review as the previous feedback.
    assert calls[3]["messages"] == [
        reviewer_system,
        UserMessage(
            content=reviewer_prompt(tasks[1].code, FIRST_REVIEW_TEXT), source="ReviewerAgent"
        ),
    ]


@pytest.mark.anyio
async def test_reflection_keeps_revising_until_approved() -> None:
    module = load("reflection")
    client = ReplayChatCompletionClient(
        [
            draft(1),
            verdict("REVISE", "one"),
            draft(2),
            verdict(" revise ", "two"),
            draft(3),
            verdict("Approve", "three"),
        ]
    )

    printed = await run_structured("reflection")(client)

    assert len(client.create_calls) == 6  # three review rounds
    assert printed[5:8] == ["Code:", "def f():", "    return 3"]
    assert printed[-2] == "suggested_changes: changes three"
    coder_third = client.create_calls[4]["messages"]
    assert coder_third[1:] == [
        UserMessage(content=module.TASK, source="User"),
        AssistantMessage(content=draft(1), source="Coder"),
        UserMessage(content=review_text("REVISE", "one"), source="Reviewer"),
        AssistantMessage(content=draft(2), source="Coder"),
        UserMessage(content=review_text(" revise ", "two"), source="Reviewer"),
    ]
    # The reviewer gets only its latest review as the previous feedback.
    reviewer_third = client.create_calls[5]["messages"][1]
    assert reviewer_third == UserMessage(
        content=reviewer_prompt("def f():\n    return 3", review_text(" revise ", "two")),
        source="ReviewerAgent",
    )


@pytest.mark.anyio
async def test_reflection_stops_at_a_first_approval() -> None:
    client = ReplayChatCompletionClient([draft(1), verdict("APPROVE", "fine")])
    printed = await run_structured("reflection")(client)
    assert len(client.create_calls) == 2
    assert printed[5:8] == ["Code:", "def f():", "    return 1"]


# -- Multi-Agent Debate --------------------------------------------------------------------------

SOLVERS = ["MathSolverA", "MathSolverB", "MathSolverC", "MathSolverD"]
NEIGHBOURS = {
    "MathSolverA": {"MathSolverB", "MathSolverD"},
    "MathSolverB": {"MathSolverA", "MathSolverC"},
    "MathSolverC": {"MathSolverB", "MathSolverD"},
    "MathSolverD": {"MathSolverA", "MathSolverC"},
}
QUESTION = (
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in "
    "May. How many clips did Natalia sell altogether in April and May?"
)
INITIAL_PROMPT = (
    f"Can you solve the following math problem?\n{QUESTION}\n"
    "Explain your reasoning. Your final answer should be a single numerical number, "
    "in the form of {{answer}}, at the end of your response."
)
PROMPT_HEAD = "These are the solutions to the problem from other agents:\n"
PROMPT_TAIL = (
    "Using the solutions from other agents as additional information, "
    "can you provide your answer to the math problem? "
    f"The original math problem is {QUESTION}. "
    "Your final answer should be a single numerical number, "
    "in the form of {{answer}}, at the end of your response."
)


def replay_clients(replies: Mapping[str, list[str]]) -> dict[str, ReplayChatCompletionClient]:
    return {solver: ReplayChatCompletionClient(replies[solver]) for solver in SOLVERS}


def check_debate_prompts(
    clients: Mapping[str, ReplayChatCompletionClient], replies: Mapping[str, list[str]]
) -> None:
    """Each solver asked its model three times; from round 1 on, with its neighbours' replies
    of the round before (and no one else's), on top of its own history."""
    for solver, client in clients.items():
        history = prompts(client)
        assert len(history) == 3, solver
        system = history[0][0]
        assert isinstance(system, SystemMessage)
        assert "in the form of {{answer}}" in system.content
        assert history[0] == [system, UserMessage(content=INITIAL_PROMPT, source="user")]
        for round_ in (1, 2):
            messages = history[round_]
            assert messages[:-1] == [
                *history[round_ - 1],
                AssistantMessage(content=replies[solver][round_ - 1], source=solver),
            ]
            last = messages[-1]
            assert isinstance(last, UserMessage) and last.source == "user"
            assert isinstance(last.content, str)
            assert last.content.startswith(PROMPT_HEAD) and last.content.endswith(PROMPT_TAIL)
            middle = last.content[len(PROMPT_HEAD) : -len(PROMPT_TAIL)]
            shown = sorted(
                f"One agent solution: {replies[n][round_ - 1]}\n" for n in NEIGHBOURS[solver]
            )
            assert middle in {shown[0] + shown[1], shown[1] + shown[0]}, (solver, round_)


def distinct_replies(final: Mapping[str, str]) -> dict[str, list[str]]:
    """Replies that say which solver gave them in which round; ``final`` answers in round 2."""
    return {
        solver: [
            f"{solver} round 0 thinks {{{{{index}}}}}.",
            f"{solver} round 1 thinks {{{{{index + 10}}}}}.",
            f"{solver} round 2 settles on {{{{{final[solver]}}}}}.",
        ]
        for index, solver in enumerate(SOLVERS)
    }


@pytest.mark.anyio
async def test_debate_solvers_see_exactly_their_neighbours_with_the_guide_replies() -> None:
    module = load("multi_agent_debate")
    clients = replay_clients(module.SCRIPTED_REPLIES)

    printed = await run_structured("multi_agent_debate")(clients)

    assert printed == DEBATE
    check_debate_prompts(clients, module.SCRIPTED_REPLIES)


@pytest.mark.anyio
async def test_debate_runs_three_rounds_over_the_sparse_topology() -> None:
    module = load("multi_agent_debate")
    replies = distinct_replies({s: "5" for s in SOLVERS})
    clients = replay_clients(replies)

    received = await run_with_collector(
        lambda runtime: module.debate(runtime, clients), extra_subscriptions=SOLVERS
    )

    check_debate_prompts(clients, replies)
    intermediate = [m for m in received if isinstance(m, module.IntermediateSolverResponse)]
    # Rounds 0 and 1 go to the neighbours (counted 1 and 2); round 2 is final.
    assert sorted((m.content.split()[0], m.round) for m in intermediate) == sorted(
        (solver, round_) for solver in SOLVERS for round_ in (1, 2)
    )
    assert {m.answer for m in intermediate if m.round == 1} == {"0", "1", "2", "3"}
    assert {m.answer for m in intermediate if m.round == 2} == {"10", "11", "12", "13"}
    finals = [m for m in received if isinstance(m, module.FinalSolverResponse)]
    assert [m.answer for m in finals] == ["5"] * 4
    assert [m for m in received if isinstance(m, module.Answer)] == [module.Answer(content="5")]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("final", "majority"),
    [
        (
            {"MathSolverA": "70", "MathSolverB": "72", "MathSolverC": "72", "MathSolverD": "71"},
            "72",
        ),
        (
            {"MathSolverA": "8", "MathSolverB": "-1.5", "MathSolverC": "-1.5", "MathSolverD": "9"},
            "-1.5",
        ),
    ],
)
async def test_debate_aggregator_publishes_the_majority_of_the_final_round(
    final: dict[str, str], majority: str
) -> None:
    module = load("multi_agent_debate")
    # Rounds 0 and 1 disagree with the final round: only the final answers are voted on. The
    # majority is neither the first nor the last final answer to arrive.
    clients = replay_clients(distinct_replies(final))

    received = await run_with_collector(lambda runtime: module.debate(runtime, clients))

    assert sorted(
        m.answer for m in received if isinstance(m, module.FinalSolverResponse)
    ) == sorted(final.values())
    assert [m for m in received if isinstance(m, module.Answer)] == [
        module.Answer(content=majority)
    ]

    printed = await run_structured("multi_agent_debate")(replay_clients(distinct_replies(final)))
    assert printed[-2:] == ["Aggregator MathAggregator/default publishes final answer:", majority]
    assert sum(line.startswith("Solver ") and "round 2" in line for line in printed) == 8


@pytest.mark.anyio
async def test_debate_uses_one_openai_client_for_all_solvers_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("openai")
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    module = load("multi_agent_debate")
    clients: dict[str, ChatCompletionClient] = module.create_model_clients()
    assert sorted(clients) == SOLVERS
    assert len({id(c) for c in clients.values()}) == 1
    assert not isinstance(clients["MathSolverA"], ReplayChatCompletionClient)
    await module.close_model_clients(clients)


def test_examples_fall_back_to_scripted_clients_without_the_openai_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert isinstance(load("reflection").create_model_client(), ReplayChatCompletionClient)
    clients = load("multi_agent_debate").create_model_clients()
    assert all(isinstance(c, ReplayChatCompletionClient) for c in clients.values())
