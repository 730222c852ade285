"""``examples/handoffs.py``, the port of the user guide's "Handoffs" design pattern.

The script (the guide's ``runtime.start()`` form, asyncio) and ``run_structured()`` (the
``async with`` form, asyncio and Trio) print the guide's session. Beyond the printing, the
tests check that each message went to the topic of the agent that handled the turn, that the
tools really ran with the scripted call's arguments (their results reach the model in the next
request), and that a handoff passes the whole conversation to the next agent.
"""

# ruff: noqa: E501
from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import anyio
import pytest
from _examples_harness import load, run_script
from pydantic import BaseModel

from cantata import (
    DefaultInterventionHandler,
    FunctionCall,
    MessageContext,
    SingleThreadedAgentRuntime,
)
from cantata.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient

SESSION = "7a568cf5-13e7-4e81-8616-8265a01b3f2b"
RULE = "-" * 80

# The guide's session, plus what the tools print (the guide's shown output leaves that out).
EXPECTED = f"""\
{RULE}
User login, session ID: {SESSION}.
{RULE}
User:
I want a refund
{RULE}
TriageAgent:
I can help with that! Could I ask what item you're seeking a refund for?
{RULE}
User:
A pair of shoes I bought
{RULE}
TriageAgent:
[FunctionCall(id='call_qPx1DXDL2NLcHs8QNo47egsJ', arguments='{{}}', name='transfer_to_issues_and_repairs')]
{RULE}
TriageAgent:
Delegating to IssuesAndRepairsAgent
{RULE}
IssuesAndRepairsAgent:
I see you're looking for a refund on a pair of shoes. Can you tell me what the issue is with the shoes?
{RULE}
User:
The shoes are too small
{RULE}
IssuesAndRepairsAgent:
I recommend trying a size up as a fix; would that work for you?
{RULE}
User:
no I want a refund
{RULE}
IssuesAndRepairsAgent:
[FunctionCall(id='call_Ytp8VUQRyKFNEU36mLE6Dkrp', arguments='{{"search_query":"shoes"}}', name='look_up_item')]
Found item: item_132612938
{RULE}
IssuesAndRepairsAgent:
[FunctionExecutionResult(content='item_132612938', name='look_up_item', call_id='call_Ytp8VUQRyKFNEU36mLE6Dkrp', is_error=False)]
{RULE}
IssuesAndRepairsAgent:
[FunctionCall(id='call_bPm6EKKBy5GJ65s9OKt9b1uE', arguments='{{"item_id":"item_132612938","reason":"not provided"}}', name='execute_refund')]


=== Refund Summary ===
Item ID: item_132612938
Reason: not provided
=================

Refund execution successful!
{RULE}
IssuesAndRepairsAgent:
[FunctionExecutionResult(content='success', name='execute_refund', call_id='call_bPm6EKKBy5GJ65s9OKt9b1uE', is_error=False)]
{RULE}
IssuesAndRepairsAgent:
Your refund has been successfully processed! If you have any other questions, feel free to ask.
{RULE}
User:
I want to talk to your manager
{RULE}
IssuesAndRepairsAgent:
I can help with that, let me transfer you to a supervisor.
{RULE}
User:
Okay
{RULE}
IssuesAndRepairsAgent:
[FunctionCall(id='call_PpmLZvwNoiDPUH8Tva3eAwHX', arguments='{{}}', name='transfer_back_to_triage')]
{RULE}
IssuesAndRepairsAgent:
Delegating to TriageAgent
{RULE}
TriageAgent:
[FunctionCall(id='call_jSL6IBm5537Dr74UbJSxaj6I', arguments='{{}}', name='escalate_to_human')]
{RULE}
TriageAgent:
Delegating to HumanAgent
{RULE}
HumanAgent:
Hello this is manager
{RULE}
User:
Hi! Thanks for your service. I give you 5 stars!
{RULE}
HumanAgent:
Thanks.
{RULE}
User:
exit
{RULE}
User session ended, session ID: {SESSION}.
""".splitlines()

TRIAGE, SALES, ISSUES, HUMAN, USER = (
    "TriageAgent",
    "SalesAgent",
    "IssuesAndRepairsAgent",
    "HumanAgent",
    "User",
)


def example() -> ModuleType:
    """``examples/handoffs.py``, imported once."""
    return load("handoffs")


# -- The printed session -----------------------------------------------------------------------


def test_script_prints_the_guides_session() -> None:
    assert run_script("handoffs") == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_the_guides_session() -> None:
    with anyio.fail_after(10):
        assert await example().run_structured() == EXPECTED


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    with anyio.fail_after(10):
        assert await example().run_structured() == await example().run_structured()


# -- A session with a recorded runtime ---------------------------------------------------------


class PublishRecorder(DefaultInterventionHandler):
    """Keeps a snapshot of every published message with its topic and sender."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, str | None]] = []
        self.messages: list[BaseModel] = []
        self.topic_sources: set[str] = set()
        self.sender_keys: set[str] = set()

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        topic, sender = message_context.topic_id, message_context.sender
        assert topic is not None
        self.published.append(
            (type(message).__name__, topic.type, None if sender is None else sender.type)
        )
        self.messages.append(message.model_copy(deep=True))
        self.topic_sources.add(topic.source)
        if sender is not None:
            self.sender_keys.add(sender.key)
        return message


class Session:
    def __init__(
        self,
        printed: list[str],
        recorder: PublishRecorder,
        prompts: list[tuple[str, str]],
        clients: dict[str, ReplayChatCompletionClient],
    ) -> None:
        self.printed = printed
        self.recorder = recorder
        self.prompts = prompts
        self.clients = clients

    def calls(self, agent_type: str) -> list[dict[str, Any]]:
        return self.clients[agent_type].create_calls


async def run_session(
    replies: dict[str, list[str | CreateResult]],
    console_lines: Sequence[str],
    session_id: str = SESSION,
) -> Session:
    """Run the example's program on a runtime that records publishes, with scripted replies."""
    module = example()
    clients = {
        agent_type: ReplayChatCompletionClient(agent_replies)
        for agent_type, agent_replies in replies.items()
    }
    recorder = PublishRecorder()
    runtime = SingleThreadedAgentRuntime(intervention_handlers=[recorder])

    async def program(runtime: SingleThreadedAgentRuntime) -> None:
        await module.handoff_session(runtime, clients, session_id)

    with anyio.fail_after(10), module.scripted_console(console_lines) as console:
        printed: list[str] = await module.printed_lines(
            module.structured_form, program, runtime=runtime
        )
    return Session(printed, recorder, console.transcript, clients)


async def guide_session() -> Session:
    module = example()
    return await run_session(module.SCRIPTED_REPLIES, module.CONSOLE_LINES)


def calls(*calls: FunctionCall) -> CreateResult:
    """A model reply that asks for *calls*."""
    return CreateResult(
        finish_reason="function_calls",
        content=list(calls),
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


USER_PROMPT = "User (type 'exit' to close the session): "

# -- Who handled which turn --------------------------------------------------------------------


@pytest.mark.anyio
async def test_each_turn_goes_to_the_topic_of_the_agent_in_charge() -> None:
    session = await guide_session()
    assert session.printed == EXPECTED
    assert session.recorder.published == [
        ("UserLogin", USER, None),
        ("UserTask", TRIAGE, USER),  # I want a refund
        ("AgentResponse", USER, TRIAGE),
        ("UserTask", TRIAGE, USER),  # A pair of shoes I bought
        ("UserTask", ISSUES, TRIAGE),  # the handoff
        ("AgentResponse", USER, ISSUES),
        ("UserTask", ISSUES, USER),  # The shoes are too small
        ("AgentResponse", USER, ISSUES),
        ("UserTask", ISSUES, USER),  # no I want a refund
        ("AgentResponse", USER, ISSUES),  # refund processed
        ("UserTask", ISSUES, USER),  # I want to talk to your manager
        ("AgentResponse", USER, ISSUES),
        ("UserTask", ISSUES, USER),  # Okay
        ("UserTask", TRIAGE, ISSUES),  # transferred back
        ("UserTask", HUMAN, TRIAGE),  # escalated
        ("AgentResponse", USER, HUMAN),
        ("UserTask", HUMAN, USER),  # 5 stars
        ("AgentResponse", USER, HUMAN),
    ]
    # The user replies to whoever answered last.
    replies_to = [
        message.reply_to_topic_type
        for message in session.recorder.messages
        if isinstance(message, example().AgentResponse)
    ]
    assert replies_to == [TRIAGE, ISSUES, ISSUES, ISSUES, ISSUES, HUMAN, HUMAN]
    # Every topic and every agent belongs to the session.
    assert session.recorder.topic_sources == {SESSION}
    assert session.recorder.sender_keys == {SESSION}
    # The sales agent is never asked; the others are asked once per model turn.
    assert [len(session.calls(agent)) for agent in (TRIAGE, SALES, ISSUES)] == [3, 0, 7]
    # Who was asked to type what.
    assert session.prompts == [
        ("User: ", "I want a refund"),
        (USER_PROMPT, "A pair of shoes I bought"),
        (USER_PROMPT, "The shoes are too small"),
        (USER_PROMPT, "no I want a refund"),
        (USER_PROMPT, "I want to talk to your manager"),
        (USER_PROMPT, "Okay"),
        ("Human agent input: ", "Hello this is manager"),
        (USER_PROMPT, "Hi! Thanks for your service. I give you 5 stars!"),
        ("Human agent input: ", "Thanks."),
        (USER_PROMPT, "exit"),
    ]


@pytest.mark.anyio
async def test_the_agents_offer_their_tools_and_delegate_tools() -> None:
    session = await guide_session()

    def offered(agent_type: str) -> list[str]:
        return [tool["name"] for tool in session.calls(agent_type)[0]["tools"]]

    assert offered(TRIAGE) == [
        "transfer_to_issues_and_repairs",
        "transfer_to_sales_agent",
        "escalate_to_human",
    ]
    assert offered(ISSUES) == ["execute_refund", "look_up_item", "transfer_back_to_triage"]
    system = session.calls(ISSUES)[0]["messages"][0]
    assert isinstance(system, SystemMessage)
    assert system.content.startswith("You are a customer support agent for ACME Inc.")


# -- Tools really run --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_tool_results_go_back_to_the_model() -> None:
    session = await guide_session()
    issues = session.calls(ISSUES)
    module = example()
    look_up, refund = module.SCRIPTED_REPLIES[ISSUES][2:4]

    *_, asked, answered = issues[3]["messages"]
    assert asked == AssistantMessage(content=look_up.content, source=ISSUES)
    assert answered == FunctionExecutionResultMessage(
        content=[
            FunctionExecutionResult(
                content="item_132612938",
                name="look_up_item",
                call_id="call_Ytp8VUQRyKFNEU36mLE6Dkrp",
                is_error=False,
            )
        ]
    )
    *_, asked, answered = issues[4]["messages"]
    assert asked == AssistantMessage(content=refund.content, source=ISSUES)
    assert answered == FunctionExecutionResultMessage(
        content=[
            FunctionExecutionResult(
                content="success",
                name="execute_refund",
                call_id="call_bPm6EKKBy5GJ65s9OKt9b1uE",
                is_error=False,
            )
        ]
    )
    # The conversation the user sees afterwards keeps the tool calls and results.
    after_refund = session.recorder.messages[9]
    assert isinstance(after_refund, module.AgentResponse)
    assert after_refund.context[-5:] == [
        *issues[4]["messages"][-4:],
        AssistantMessage(
            content="Your refund has been successfully processed! "
            "If you have any other questions, feel free to ask.",
            source=ISSUES,
        ),
    ]


@pytest.mark.anyio
async def test_tools_run_with_the_arguments_the_model_gives() -> None:
    refund = FunctionCall(
        id="r1", arguments='{"item_id": "item_42", "reason": "too small"}', name="execute_refund"
    )
    session = await run_session(
        {
            TRIAGE: [
                calls(FunctionCall(id="t1", arguments="{}", name="transfer_to_issues_and_repairs"))
            ],
            SALES: [],
            ISSUES: [calls(refund), "Refunded."],
        },
        ["My shoes are too small, refund item_42", "exit"],
    )
    assert session.printed == [
        RULE,
        f"User login, session ID: {SESSION}.",
        RULE,
        "User:",
        "My shoes are too small, refund item_42",
        RULE,
        f"{TRIAGE}:",
        "[FunctionCall(id='t1', arguments='{}', name='transfer_to_issues_and_repairs')]",
        RULE,
        f"{TRIAGE}:",
        f"Delegating to {ISSUES}",
        RULE,
        f"{ISSUES}:",
        """[FunctionCall(id='r1', arguments='{"item_id": "item_42", "reason": "too small"}', name='execute_refund')]""",
        "",
        "",
        "=== Refund Summary ===",
        "Item ID: item_42",
        "Reason: too small",
        "=================",
        "",
        "Refund execution successful!",
        RULE,
        f"{ISSUES}:",
        "[FunctionExecutionResult(content='success', name='execute_refund', call_id='r1', is_error=False)]",
        RULE,
        f"{ISSUES}:",
        "Refunded.",
        RULE,
        "User:",
        "exit",
        RULE,
        f"User session ended, session ID: {SESSION}.",
    ]
    result = session.calls(ISSUES)[1]["messages"][-1]
    assert result == FunctionExecutionResultMessage(
        content=[
            FunctionExecutionResult(
                content="success", name="execute_refund", call_id="r1", is_error=False
            )
        ]
    )


@pytest.mark.anyio
async def test_the_sales_agent_executes_the_order_the_user_confirms() -> None:
    order = FunctionCall(
        id="o1",
        arguments='{"product": "ACME Rocket Skates", "price": 9999}',
        name="execute_order",
    )
    replies: dict[str, list[str | CreateResult]] = {
        TRIAGE: [calls(FunctionCall(id="t1", arguments="{}", name="transfer_to_sales_agent"))],
        SALES: ["Any roadrunner troubles?", calls(order), "Enjoy the skates!"],
        ISSUES: [],
    }
    confirmed = await run_session(replies, ["I want to buy something", "Yes, sell me", "y"])
    assert confirmed.prompts == [
        ("User: ", "I want to buy something"),
        (USER_PROMPT, "Yes, sell me"),
        ("Confirm order? y/n: ", "y"),
        (USER_PROMPT, "exit"),  # the script has run out
    ]
    # The handoff brought the user's request to the sales agent.
    assert confirmed.calls(SALES)[0]["messages"][1] == UserMessage(
        content="I want to buy something", source="User"
    )
    assert confirmed.calls(SALES)[0]["messages"][-1].content[0].content == (
        "Transferred to SalesAgent. Adopt persona immediately."
    )
    order_summary = confirmed.printed.index("=== Order Summary ===")
    assert confirmed.printed[order_summary : order_summary + 6] == [
        "=== Order Summary ===",
        "Product: ACME Rocket Skates",
        "Price: $9999",
        "=================",
        "",
        "Order execution successful!",
    ]
    (result,) = confirmed.calls(SALES)[2]["messages"][-1].content
    assert result == FunctionExecutionResult(
        content="Success", name="execute_order", call_id="o1", is_error=False
    )
    assert ("AgentResponse", USER, SALES) in confirmed.recorder.published

    cancelled = await run_session(replies, ["I want to buy something", "Yes, sell me", "n"])
    assert "Order cancelled!" in cancelled.printed
    (result,) = cancelled.calls(SALES)[2]["messages"][-1].content
    assert result.content == "User cancelled order."


# -- The handoff carries the conversation ------------------------------------------------------


@pytest.mark.anyio
async def test_a_handoff_passes_the_history_to_the_next_agent() -> None:
    session = await guide_session()
    module = example()
    triage_replies = module.SCRIPTED_REPLIES[TRIAGE]
    issues_replies = module.SCRIPTED_REPLIES[ISSUES]
    transfer = FunctionCall(
        id="call_qPx1DXDL2NLcHs8QNo47egsJ", arguments="{}", name="transfer_to_issues_and_repairs"
    )
    before_handoff = [
        UserMessage(content="I want a refund", source="User"),
        AssistantMessage(content=triage_replies[0], source=TRIAGE),
        UserMessage(content="A pair of shoes I bought", source="User"),
    ]
    # The triage agent saw the conversation so far...
    assert session.calls(TRIAGE)[1]["messages"][1:] == before_handoff
    # ...and the issues-and-repairs agent gets it, with the transfer call and its result, under
    # its own system message.
    first_issues_request = session.calls(ISSUES)[0]["messages"]
    assert first_issues_request[0].content.startswith("You are a customer support agent")
    assert first_issues_request[1:] == [
        *before_handoff,
        AssistantMessage(content=[transfer], source=TRIAGE),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(
                    content="Transferred to IssuesAndRepairsAgent. Adopt persona immediately.",
                    name="transfer_to_issues_and_repairs",
                    call_id="call_qPx1DXDL2NLcHs8QNo47egsJ",
                    is_error=False,
                )
            ]
        ),
    ]
    # Handed back, the triage agent gets everything the issues-and-repairs agent saw.
    last_issues_request = session.calls(ISSUES)[-1]["messages"]
    back_to_triage = session.calls(TRIAGE)[2]["messages"]
    assert back_to_triage[0].content.startswith("You are a customer service bot")
    assert back_to_triage[1 : len(last_issues_request)] == last_issues_request[1:]
    assert back_to_triage[-2:] == [
        AssistantMessage(content=issues_replies[-1].content, source=ISSUES),
        FunctionExecutionResultMessage(
            content=[
                FunctionExecutionResult(
                    content="Transferred to TriageAgent. Adopt persona immediately.",
                    name="transfer_back_to_triage",
                    call_id="call_PpmLZvwNoiDPUH8Tva3eAwHX",
                    is_error=False,
                )
            ]
        ),
    ]
    # The human agent answers with the whole conversation, escalation included.
    to_human = session.recorder.messages[14]
    assert isinstance(to_human, module.UserTask)
    assert to_human.context[: len(back_to_triage) - 1] == back_to_triage[1:]
    assert to_human.context[-1].content[0].name == "escalate_to_human"
    last_answer = session.recorder.messages[-1]
    assert isinstance(last_answer, module.AgentResponse)
    assert last_answer.context[-3:] == [
        AssistantMessage(content="Hello this is manager", source=HUMAN),
        UserMessage(content="Hi! Thanks for your service. I give you 5 stars!", source="User"),
        AssistantMessage(content="Thanks.", source=HUMAN),
    ]


# -- Termination and the console stand-in ------------------------------------------------------


@pytest.mark.anyio
async def test_a_console_script_that_runs_out_ends_the_session() -> None:
    session = await run_session(
        {TRIAGE: ["Hi, I am ACME's bot."], SALES: [], ISSUES: []}, ["hi"], session_id="s-1"
    )
    assert session.printed == [
        RULE,
        "User login, session ID: s-1.",
        RULE,
        "User:",
        "hi",
        RULE,
        "TriageAgent:",
        "Hi, I am ACME's bot.",
        RULE,
        "User:",
        "exit",
        RULE,
        "User session ended, session ID: s-1.",
    ]
    assert session.prompts == [("User: ", "hi"), (USER_PROMPT, "exit")]


@pytest.mark.anyio
async def test_sessions_are_separate_per_session_id() -> None:
    session = await run_session(
        {TRIAGE: ["Hello."], SALES: [], ISSUES: []}, ["hi", "exit"], session_id="other"
    )
    assert session.printed[1] == "User login, session ID: other."
    assert session.recorder.topic_sources == {"other"}


def test_input_outside_a_script_answers_exit() -> None:
    assert example().input("User: ") == "exit"


# -- The model clients -------------------------------------------------------------------------


def test_scripted_clients_without_openai_settings() -> None:
    clients = example().create_model_clients()
    assert set(clients) == {TRIAGE, SALES, ISSUES}
    assert all(isinstance(client, ReplayChatCompletionClient) for client in clients.values())
    assert len({id(client) for client in clients.values()}) == 3


def test_falls_back_when_the_openai_client_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    clients = example().create_model_clients()
    assert all(isinstance(client, ReplayChatCompletionClient) for client in clients.values())


def test_the_openai_client_is_shared_like_in_the_guide(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []

    class FakeOpenAIClient:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

    fake = types.ModuleType("cantata.models.openai")
    fake.OpenAIChatCompletionClient = FakeOpenAIClient  # type: ignore[attr-defined]  # a stub module
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", fake)
    clients = example().create_model_clients()
    assert made == [{"model": "gpt-4o-mini"}]
    assert len({id(client) for client in clients.values()}) == 1
    assert set(clients) == {TRIAGE, SALES, ISSUES}


def test_run_structured_leaves_given_clients_open() -> None:
    closed: list[ChatCompletionClient] = []

    class Recording(ReplayChatCompletionClient):
        async def close(self) -> None:
            closed.append(self)

    module = example()
    clients = {agent: Recording(replies) for agent, replies in module.SCRIPTED_REPLIES.items()}
    assert anyio.run(module.run_structured, clients) == EXPECTED
    assert closed == []
