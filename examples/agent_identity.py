"""Port of the user-guide section "Agent Identity and Lifecycle".

The section has little code, so this example demonstrates what it describes:

* Agent ID = (Agent Type, Agent Key), written ``Agent_Type/Agent_Key``.
* The agent type is not the agent class: it names a factory. Two agent types below use the
  same class with different constructor parameters.
* The agent key comes from application data: each code review request (``review_request_id``)
  gets its own ``("code_reviewer", review_request_id)`` instance.
* Lifecycle: the application never creates agents. The runtime calls the factory when it first
  delivers a message to an id (or when asked to with ``runtime.get(..., lazy=False)``) and
  reuses that instance afterwards.

``python examples/agent_identity.py`` runs the lifecycle part after ``runtime.start()``, on
asyncio; :func:`run_structured` runs it inside an ``async with`` block, on asyncio or Trio
(see ``examples/README.md``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from _support import Form, printed_lines, start_form, structured_form

from cantata import (
    AgentId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)


@dataclass
class ReviewRequest:
    code: str


@dataclass
class ReviewResult:
    reviewer: str
    reviews_done: int
    verdict: str


class CodeReviewer(RoutedAgent):
    def __init__(self, strictness: str) -> None:
        super().__init__(f"A {strictness} code reviewer.")
        self._strictness = strictness
        self._reviews_done = 0
        # The runtime constructs agents, so the id is already known in the constructor.
        print(f"runtime created {self.id}")

    @message_handler
    async def on_review_request(self, message: ReviewRequest, ctx: MessageContext) -> ReviewResult:
        self._reviews_done += 1
        verdict = "needs changes" if "TODO" in message.code else "approved"
        return ReviewResult(str(self.id), self._reviews_done, f"{verdict} ({self._strictness})")


def agent_ids() -> None:
    # Agent ID = (Agent Type, Agent Key); as a string: Agent_Type/Agent_Key.
    agent_id = AgentId("code_reviewer", "review_1")
    print(f"agent id: {agent_id} (type {agent_id.type!r}, key {agent_id.key!r})")
    print(f"parsed back: {AgentId.from_str('code_reviewer/review_1') == agent_id}")
    # Agent types are identifiers: a space is not allowed.
    try:
        AgentId("code reviewer", "review_1")
    except ValueError:
        print("'code reviewer' is not a valid agent type")


async def register_agent_types(runtime: SingleThreadedAgentRuntime) -> None:
    # An agent type associates a name with a factory. Both types produce CodeReviewer agents,
    # with different constructor parameters. register() returns the AgentType.
    print(await CodeReviewer.register(runtime, "code_reviewer", lambda: CodeReviewer("thorough")))
    print(await CodeReviewer.register(runtime, "quick_reviewer", lambda: CodeReviewer("quick")))
    # Registering creates no agent; nothing has been printed by a constructor yet.


async def review(runtime: SingleThreadedAgentRuntime) -> None:
    # Each review request is a session handled by its own instance: the key is the request id.
    # The first message to an id creates the instance; later ones reuse it (reviews_done grows).
    requests = [
        ("review_1", "def add(a, b): return a + b"),
        ("review_2", "def sub(a, b): pass  # TODO"),
        ("review_1", "def mul(a, b): return a * b"),
    ]
    for review_request_id, code in requests:
        result = await runtime.send_message(
            ReviewRequest(code), AgentId("code_reviewer", review_request_id)
        )
        print(f"{result.reviewer}: review #{result.reviews_done}: {result.verdict}")

    # The same key under another agent type is another agent.
    result = await runtime.send_message(
        ReviewRequest("def add(a, b): return a + b"), AgentId("quick_reviewer", "review_1")
    )
    print(f"{result.reviewer}: review #{result.reviews_done}: {result.verdict}")

    # get() returns an agent id without creating the agent...
    lazy_id = await runtime.get("code_reviewer", "review_3")
    print(f"got {lazy_id} (not created yet)")
    # ...unless asked to create it now.
    eager_id = await runtime.get("code_reviewer", "review_4", lazy=False)
    print(f"got {eager_id}")

    # An agent id is used to talk to the agent or to retrieve its metadata.
    print(await runtime.agent_metadata(AgentId("quick_reviewer", "review_1")))


async def lifecycle(runtime: SingleThreadedAgentRuntime) -> None:
    await register_agent_types(runtime)
    await review(runtime)


async def run(form: Form) -> None:
    agent_ids()
    await form(lifecycle)


async def run_structured() -> list[str]:
    """Run the program with ``async with``; return the lines it printed."""
    return await printed_lines(run, structured_form)


if __name__ == "__main__":
    asyncio.run(run(start_form))
