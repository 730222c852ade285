"""Every self-contained Python snippet in the README runs and prints what it should.

Each runs as a script in a fresh interpreter. The OpenAI-compatible snippet talks to a
loopback chat-completions server (``tests/_openai_server.py``) through ``OPENAI_BASE_URL``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _examples_harness import run_python
from _openai_server import ChatServer, completion

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


# The self-contained snippets: the quick start and the model layer's. (The ones under
# "Messages and state" continue the quick start.)
SNIPPETS: list[str] = [
    snippet
    for title in ("Quick start", "The model layer")
    for snippet in re.findall(r"```python\n(.+?)\n```", _section(title), re.DOTALL)
]

# What each snippet prints, in README order, found by the line that starts it.
EXPECTED: dict[str, list[str]] = {
    "from dataclasses import dataclass": [
        "greeter/alice got 'hi'",
        "hello from alice",
        "greeter/default got 'to everyone'",
    ],
    "from cantata.models import CreateResult, UserMessage": [
        "Paris. RequestUsage(prompt_tokens=3, completion_tokens=1)",
        "It ",
        "is ",
        "the ",
        "capital ",
        "of ",
        "France.",
        "[done: stop]",
    ],
    "from pydantic import BaseModel": ["name='Lyon' country='France'"],
    "from cantata import InMemoryStore": ["Hello! Hello! True"],
    "from cantata.model_context import BufferedChatCompletionContext": [
        "['question 2', 'answer 2']"
    ],
    "from typing import Annotated": [
        "['a', 'b']",
        "5",
        "42 False",
    ],
    "from cantata import AgentId, FunctionCall, SingleThreadedAgentRuntime": [
        "AssistantMessage [FunctionCall(id='1', arguments='{\"text\": \"one two three\"}', "
        "name='word_count')]",
        "FunctionExecutionResultMessage [FunctionExecutionResult(content='3', "
        "name='word_count', call_id='1', is_error=False)]",
        "AssistantMessage The text has 3 words.",
    ],
    "from cantata.tools.mcp import McpWorkbench": ["['plus']", "5 False"],
    "from cantata.memory import ListMemory": [
        "\nRelevant memory content (in chronological order):\n1. The user prefers metric units.\n"
    ],
    "from cantata.models import ChatCompletionClient": [
        '{"provider":"cantata.models.openai.OpenAIChatCompletionClient",'
        '"config":{"model":"gpt-4o","api_key":"**********"}}'
    ],
}


def _key(snippet: str) -> str:
    for line in snippet.splitlines():
        for start in EXPECTED:
            if line.startswith(start):
                return start
    raise AssertionError(f"No expected output for the README snippet:\n{snippet[:200]}")


def test_every_snippet_has_an_expected_output() -> None:
    assert sorted(_key(snippet) for snippet in SNIPPETS) == sorted(EXPECTED)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[_key(s) for s in SNIPPETS])
def test_snippet_runs(snippet: str, tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(snippet, encoding="utf-8")
    with ChatServer() as server:
        server.script(completion('{"name": "Lyon", "country": "France"}', model="llama3.2"))
        completed = run_python(script, env={"OPENAI_BASE_URL": server.base_url})
        bodies = server.bodies
    expected = "\n".join(EXPECTED[_key(snippet)])
    assert completed.stdout.rstrip("\n") == expected.rstrip("\n")
    if "OpenAIChatCompletionClient(" in snippet and "load_component" not in snippet:
        (body,) = bodies
        assert body["model"] == "llama3.2"
        assert body["response_format"]["json_schema"]["name"] == "City"
