"""The examples in ``examples/`` print the user guide's output, in both runtime forms.

For every example:

* ``python examples/<name>.py`` (the guide's ``runtime.start()`` form, asyncio) exits with 0
  and prints the expected lines;
* ``run_structured()`` (the ``async with`` form) returns the same lines on asyncio and Trio;
* ``run_structured()`` returns the same lines when run twice.

The expected lines are the outputs the guide shows under its code blocks, with two
differences: agent ids print as ``type/key`` (the guide's cookbook output was recorded with
an older autogen-core that printed ``type:key``), and examples that run several snippets print
a ``# <heading>`` line before each one.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from types import ModuleType
from typing import Any, Protocol, cast

import anyio
import anyio.lowlevel
import pytest
from _examples_harness import EXAMPLES_DIR, examples_importable, load, run_python, run_script
from _openai_server import ChatServer, completion

from cantata.models import SystemMessage, UserMessage
from cantata.models.replay import ReplayChatCompletionClient


class Example(Protocol):
    async def run_structured(self) -> list[str]: ...


def support() -> ModuleType:
    """The examples' shared plumbing, ``examples/_support.py``."""
    examples_importable()
    return importlib.import_module("_support")


def example(name: str) -> Example:
    return cast(Example, load(name))


# -- Expected output ---------------------------------------------------------------------------

AGENT_AND_RUNTIME = [
    "AgentType(type='my_agent')",
    "my_agent received message: Hello, World!",
    "my_agent received message: Hello again!",
]

MESSAGE_AND_COMMUNICATION_SNIPPETS = {
    "Routing Messages by Type": [
        "Hello, User, you said Hello, World!!",
        "Hello, User, you sent me https://example.com/image.jpg!",
    ],
    # The first ImageMessage (source "user1-test") matches no handler and is not handled.
    "Routing Messages of the Same Type": [
        "Hello from user 1 handler, user1-test, you said Hello, World!!",
        "Hello from user 2 handler, user2-test, you said Hello, World!!",
        "Hello, user2-test, you sent me https://example.com/image.jpg!",
    ],
    "Direct Messaging": [
        "Received message: Hello, World!",
        "Received inner response: Hello from inner, Hello from outer, Hello, World!",
    ],
    "Broadcast": [
        "Received a message: Hello, World! From the runtime!",
        "Received a message: Publishing a message from broadcasting agent!",
    ],
    "Default Topic and Subscriptions": [
        "Received a message: Hello, World! From the runtime!",
        "Received a message: Publishing a message from broadcasting agent!",
    ],
}
MESSAGE_AND_COMMUNICATION = [
    line
    for title, lines in MESSAGE_AND_COMMUNICATION_SNIPPETS.items()
    for line in [f"# {title}", *lines]
]

_ISSUE_1 = "github.com/microsoft/autogen/issues/1"
_ISSUE_9 = "github.com/microsoft/autogen/issues/9"
TOPIC_AND_SUBSCRIPTION = [
    "# Topic",
    f"topic: GitHub_Issues/{_ISSUE_1}",
    "parsed back: True",
    "# Type-based Subscription",
    f"github_issues/{_ISSUE_1} -> agent triage_agent/{_ISSUE_1}",
    f"github_issues/{_ISSUE_9} -> agent triage_agent/{_ISSUE_9}",
    "pull_requests/github.com/microsoft/autogen/pull/2 -> no match",
    "# Single-Tenant, Single Topic",
    "triage_agent/default received 'New issue filed' on topic default/default",
    "coder_agent/default received 'New issue filed' on topic default/default",
    "reviewer_agent/default received 'New issue filed' on topic default/default",
    "# Single-Tenant, Multiple Topics",
    "triage_agent/default received 'Please triage' on topic triage/default",
    "coder_agent/default received 'Please write code' on topic coding/default",
    "reviewer_agent/default received 'Please write code' on topic coding/default",
    "# Multi-Tenant Scenarios",
    f"triage_agent/{_ISSUE_1} received 'Triage {_ISSUE_1}' on topic github_issues/{_ISSUE_1}",
    f"triage_agent/{_ISSUE_9} received 'Triage {_ISSUE_9}' on topic github_issues/{_ISSUE_9}",
    # Nothing for the topic without subscriptions.
    "# Several subscriptions, one recipient",
    "triage_agent/default received 'Only once' on topic default/default",
]


def _specialist(agent_id: str, specialty: str, request: str) -> list[str]:
    """What one TaxSpecialist prints for one client request."""
    return [
        "",
        "=" * 50,
        f"Tax specialist {agent_id} with specialty TaxSpecialty.{specialty}:",
        request,
    ]


_SPECIALTIES = ["planning", "dispute_resolution", "compliance", "preparation"]


def _every_specialist(tenants: list[str], request: str) -> list[str]:
    """What the four per-specialty specialists print for each tenant's request; ``request``
    may name ``{tenant}`` and ``{specialty}``."""
    return [
        line
        for tenant in tenants
        for specialty in _SPECIALTIES
        for line in _specialist(
            f"TaxSpecialist_{specialty}/{tenant}",
            specialty.upper(),
            request.format(tenant=tenant, specialty=specialty),
        )
    ]


_TENANTS = ["ClientABC", "ClientXYZ"]
TOPIC_SCENARIOS = [
    # 1. Single-Tenant, Single Scope of Publishing
    *_specialist("TaxSpecialist_1/default", "PLANNING", "I need to have my tax for 2024 prepared."),
    *_specialist(
        "TaxSpecialist_2/default",
        "DISPUTE_RESOLUTION",
        "I need to have my tax for 2024 prepared.",
    ),
    # 2. Multi-Tenant, Single Scope of Publishing
    *_every_specialist(_TENANTS, "{tenant} requires tax services."),
    # 3. Single-Tenant, Multiple Scopes of Publishing
    *_every_specialist(["default"], "I need assistance with {specialty} taxes."),
    # 4. Multi-Tenant, Multiple Scopes of Publishing
    *_every_specialist(_TENANTS, "{tenant} needs assistance with {specialty} taxes."),
]

AGENT_IDENTITY = [
    "agent id: code_reviewer/review_1 (type 'code_reviewer', key 'review_1')",
    "parsed back: True",
    "'code reviewer' is not a valid agent type",
    # Registering creates no agent.
    "AgentType(type='code_reviewer')",
    "AgentType(type='quick_reviewer')",
    # The first message to an id creates the agent; later messages reuse it.
    "runtime created code_reviewer/review_1",
    "code_reviewer/review_1: review #1: approved (thorough)",
    "runtime created code_reviewer/review_2",
    "code_reviewer/review_2: review #1: needs changes (thorough)",
    "code_reviewer/review_1: review #2: approved (thorough)",
    # Same key, other agent type: another agent, built by the other factory.
    "runtime created quick_reviewer/review_1",
    "quick_reviewer/review_1: review #1: approved (quick)",
    # get() is lazy unless lazy=False.
    "got code_reviewer/review_3 (not created yet)",
    "runtime created code_reviewer/review_4",
    "got code_reviewer/review_4",
    "{'type': 'quick_reviewer', 'key': 'review_1', 'description': 'A quick code reviewer.'}",
]

TERMINATION_INTERVENTION = ["Termination(reason='Reached maximum number of messages')"]


def sequential_workflow_output(concepts: str, draft: str, final_copy: str) -> list[str]:
    """What the sequential workflow prints when the model replies with these three texts."""
    rule = "-" * 80
    return [
        *[rule, "ConceptExtractorAgent:", *concepts.splitlines()],
        *[rule, "WriterAgent:", *draft.splitlines()],
        *[rule, "FormatProofAgent:", *final_copy.splitlines()],
        *["", rule, "User received final copy:", *final_copy.splitlines()],
    ]


def expected_output(name: str) -> list[str]:
    if name == "sequential_workflow":
        module = load(name)
        return sequential_workflow_output(module.CONCEPTS, module.DRAFT, module.FINAL_COPY)
    return {
        "agent_and_runtime": AGENT_AND_RUNTIME,
        "message_and_communication": MESSAGE_AND_COMMUNICATION,
        "topic_and_subscription": TOPIC_AND_SUBSCRIPTION,
        "topic_scenarios": TOPIC_SCENARIOS,
        "agent_identity": AGENT_IDENTITY,
        "termination_intervention": TERMINATION_INTERVENTION,
    }[name]


EXAMPLE_NAMES = [
    "agent_and_runtime",
    "message_and_communication",
    "topic_and_subscription",
    "topic_scenarios",
    "agent_identity",
    "termination_intervention",
    "sequential_workflow",
]
# Examples of the model layer, checked in their own test modules.
TESTED_ELSEWHERE = {
    "model_context": "tests/test_examples_models.py",
    "tools": "tests/test_examples_tools.py",
    "component_config": "tests/test_examples_components.py",
    "group_chat": "tests/test_examples_group_chat.py",
    "handoffs": "tests/test_examples_handoffs.py",
    "user_approval": "tests/test_examples_user_approval.py",
    "llm_usage_logger": "tests/test_examples_llm_usage.py",
    "structured_output": "tests/test_examples_structured_output.py",
    "workbench": "tests/test_examples_workbench.py",
    "mcp_workbench": "tests/test_examples_mcp_workbench.py",
    "model_clients": "tests/test_examples_model_clients.py",
    "local_llms": "tests/test_examples_local_llms.py",
    "mixture_of_agents": "tests/test_examples_mixture_concurrent.py",
    "concurrent_agents": "tests/test_examples_mixture_concurrent.py",
    "extracting_results": "tests/test_examples_mixture_concurrent.py",
    "reflection": "tests/test_examples_reflection_debate.py",
    "multi_agent_debate": "tests/test_examples_reflection_debate.py",
    "command_line_code_executors": "tests/test_examples_code_execution.py",
    "code_execution": "tests/test_examples_code_execution.py",
    "code_execution_tool": "tests/test_examples_code_execution.py",
    "find_a_race": "tests/test_examples_find_a_race.py",
    "distributed_runtime": "tests/test_examples_grpc.py",
}
EXAMPLES = EXAMPLE_NAMES


# -- Every example -----------------------------------------------------------------------------


def test_every_example_is_tested() -> None:
    on_disk = {path.stem for path in EXAMPLES_DIR.glob("*.py") if not path.stem.startswith("_")}
    assert set(EXAMPLE_NAMES) | (on_disk & set(TESTED_ELSEWHERE)) == on_disk
    root = EXAMPLES_DIR.parent
    for name, module in TESTED_ELSEWHERE.items():
        assert f'"{name}"' in (root / module).read_text(encoding="utf-8"), (name, module)


@pytest.mark.parametrize("name", EXAMPLES)
def test_script_prints_guide_output(name: str) -> None:
    assert run_script(name) == expected_output(name)


@pytest.mark.anyio
@pytest.mark.parametrize("name", EXAMPLES)
async def test_run_structured_prints_guide_output(name: str) -> None:
    assert await example(name).run_structured() == expected_output(name)


@pytest.mark.anyio
@pytest.mark.parametrize("name", EXAMPLES)
async def test_run_structured_is_deterministic(name: str) -> None:
    first = await example(name).run_structured()
    second = await example(name).run_structured()
    assert first == second


# -- Message and Communication, snippet by snippet ---------------------------------------------

SNIPPET_TITLES = list(MESSAGE_AND_COMMUNICATION_SNIPPETS)


Snippet = Callable[[Any], Coroutine[Any, Any, None]]


def _snippet(title: str) -> Snippet:
    snippets: Sequence[tuple[str, Snippet]] = load("message_and_communication").SNIPPETS
    return dict(snippets)[title]


def _form(name: str) -> Callable[[Snippet], Coroutine[Any, Any, None]]:
    """``start_form`` (the guide's ``runtime.start()`` form) or ``structured_form``."""
    form: Callable[[Snippet], Coroutine[Any, Any, None]] = getattr(support(), name)
    return form


@pytest.mark.parametrize("title", SNIPPET_TITLES)
def test_message_and_communication_snippet(title: str, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(_form("start_form")(_snippet(title)))
    assert capsys.readouterr().out.splitlines() == MESSAGE_AND_COMMUNICATION_SNIPPETS[title]


@pytest.mark.anyio
@pytest.mark.parametrize("title", SNIPPET_TITLES)
async def test_message_and_communication_snippet_structured(
    title: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _form("structured_form")(_snippet(title))
    assert capsys.readouterr().out.splitlines() == MESSAGE_AND_COMMUNICATION_SNIPPETS[title]


# -- The shared plumbing: examples/_support.py -------------------------------------------------


def test_configured_openai_client_is_none_without_openai_settings() -> None:
    assert support().configured_openai_client(model="gpt-4o-mini") is None


def test_openai_settings_must_not_be_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "")
    monkeypatch.setenv("OPENAI_BASE_URL", "")
    assert support().openai_requested() is False
    assert support().configured_openai_client(model="gpt-4o-mini") is None


def test_configured_openai_client_is_none_without_the_openai_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert support().openai_requested() is True
    assert support().openai_models() is None
    assert support().configured_openai_client(model="gpt-4o-mini") is None


@pytest.mark.parametrize("setting", ["OPENAI_API_KEY", "OPENAI_BASE_URL"])
def test_configured_openai_client_passes_the_guides_arguments(
    setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[dict[str, Any]] = []

    class FakeOpenAIClient:
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

    fake = ModuleType("cantata.models.openai")
    fake.OpenAIChatCompletionClient = FakeOpenAIClient  # type: ignore[attr-defined]  # a stub module
    monkeypatch.setenv(setting, "http://127.0.0.1:9/v1")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", fake)
    client = support().configured_openai_client(model="gpt-4o", temperature=0.3)
    assert isinstance(client, FakeOpenAIClient)
    assert made == [{"model": "gpt-4o", "temperature": 0.3}]


@pytest.mark.anyio
async def test_configured_openai_client_is_the_real_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from cantata.models.openai import OpenAIChatCompletionClient

    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    client = support().configured_openai_client(model="gpt-4o-mini")
    assert isinstance(client, OpenAIChatCompletionClient)
    await client.close()


class _Recording(ReplayChatCompletionClient):
    def __init__(self) -> None:
        super().__init__(["hello"])
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1
        await super().close()


@pytest.mark.anyio
async def test_given_or_created_leaves_a_given_client_open() -> None:
    given = _Recording()
    created: list[_Recording] = []

    def create() -> _Recording:
        created.append(_Recording())
        return created[-1]

    async with support().given_or_created(given, create) as client:
        assert client is given
    assert given.closed == 0
    assert created == []


@pytest.mark.anyio
async def test_given_or_created_closes_what_it_created() -> None:
    created: list[_Recording] = []

    def create() -> _Recording:
        created.append(_Recording())
        return created[-1]

    async with support().given_or_created(None, create) as client:
        assert created == [client]
        assert client.closed == 0
    assert client.closed == 1

    with pytest.raises(ValueError, match="boom"):
        async with support().given_or_created(None, create):
            raise ValueError("boom")
    assert [made.closed for made in created] == [1, 1]


@pytest.mark.anyio
async def test_gather_keeps_argument_and_start_order() -> None:
    """The tasks start in argument order (Trio alone would start them in a random order) and
    the results come back in argument order, whichever finishes first."""
    started: list[int] = []

    async def work(index: int, seconds: float) -> int:
        started.append(index)
        await anyio.sleep(seconds)
        return index

    for _ in range(5):
        started.clear()
        results = await support().gather(work(0, 0.03), work(1, 0.02), work(2, 0.0))
        assert results == [0, 1, 2]
        assert started == [0, 1, 2]
    assert await support().gather() == []


@pytest.mark.anyio
async def test_gather_cancels_the_others_when_one_fails() -> None:
    finished: list[str] = []

    async def slow() -> str:
        await anyio.sleep(5)
        finished.append("slow")
        return "slow"

    async def failing() -> str:
        await anyio.lowlevel.checkpoint()
        raise ValueError("boom")

    with pytest.RaisesGroup(ValueError):
        await support().gather(slow(), failing())
    assert finished == []


# -- Sequential Workflow: the model's replies flow from agent to agent -------------------------


def test_sequential_workflow_scripts_the_guide_replies() -> None:
    module = load("sequential_workflow")
    assert module.SCRIPTED_REPLIES == [module.CONCEPTS, module.DRAFT, module.FINAL_COPY]
    assert module.CONCEPTS.startswith("**Key Features:**\n- Made from eco-friendly stainless steel")
    assert module.FINAL_COPY.startswith("🌍🌿 Stay Hydrated, Stay Sustainable! 🌿🌍 \n")


def test_sequential_workflow_uses_scripted_client_without_openai_settings() -> None:
    client = load("sequential_workflow").create_model_client()
    assert isinstance(client, ReplayChatCompletionClient)


def test_sequential_workflow_falls_back_when_openai_client_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    client = load("sequential_workflow").create_model_client()
    assert isinstance(client, ReplayChatCompletionClient)


@pytest.mark.anyio
async def test_sequential_workflow_passes_each_reply_to_the_next_agent() -> None:
    client = ReplayChatCompletionClient(["the concepts", "the draft", "the final copy"])
    run_structured: Callable[[ReplayChatCompletionClient], Awaitable[list[str]]]
    run_structured = load("sequential_workflow").run_structured

    printed = await run_structured(client)

    assert printed == sequential_workflow_output("the concepts", "the draft", "the final copy")
    prompts: list[Any] = [call["messages"] for call in client.create_calls]
    assert len(prompts) == 3
    for messages in prompts:
        assert isinstance(messages[0], SystemMessage)
        assert isinstance(messages[1], UserMessage)
        assert messages[1].source == "default"
    assert prompts[0][1].content == (
        "Product description: An eco-friendly stainless steel water bottle that keeps drinks "
        "cold for 24 hours"
    )
    assert prompts[1][1].content == "Below is the info about the product:\n\nthe concepts"
    assert prompts[2][1].content == "Draft copy:\nthe draft."


def test_the_demo_drives_an_openai_compatible_server() -> None:
    """``OPENAI_BASE_URL`` + ``OPENAI_MODEL`` point the demo at a (loopback) server."""
    replies = ["concepts from the server", "a draft from the server", "the final copy"]
    with ChatServer() as server:
        server.script(*(completion(reply, model="llama3.2") for reply in replies))
        completed = run_python(
            EXAMPLES_DIR / "sequential_workflow.py",
            env={"OPENAI_BASE_URL": server.base_url, "OPENAI_MODEL": "llama3.2"},
        )
        bodies = server.bodies
    assert completed.stdout.splitlines() == sequential_workflow_output(*replies)
    assert "Using model 'llama3.2'" in completed.stderr
    assert [body["model"] for body in bodies] == ["llama3.2"] * 3
    assert bodies[1]["messages"][1]["content"] == (
        "Below is the info about the product:\n\nconcepts from the server"
    )
