"""Every self-contained Python snippet in the README runs and prints what it should.

Each runs as a script in a fresh interpreter. The OpenAI-compatible snippet talks to a
loopback chat-completions server (``tests/_openai_server.py``) through ``OPENAI_BASE_URL``;
the Anthropic and Ollama snippets to loopback Messages API and ``/api/chat`` servers
(``tests/_scripted_server.py``) through ``ANTHROPIC_BASE_URL`` and ``OLLAMA_HOST``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _anthropic_server import message
from _anthropic_server import stream as anthropic_stream
from _anthropic_server import text as anthropic_text
from _examples_harness import run_python
from _ollama_server import chat as ollama_chat
from _openai_server import ChatServer, completion
from _scripted_server import ScriptedServer

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


# The self-contained snippets: the quick start's, the model layer's and running code's. (The
# ones under "Messages and state" continue the quick start.)
SNIPPETS: list[str] = [
    snippet
    for title in ("Quick start", "The model layer", "Running code")
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
    "from cantata.models.anthropic import AnthropicChatCompletionClient": [
        "Paris. RequestUsage(prompt_tokens=20, completion_tokens=2)",
        "Par",
        "is.",
        "[done: stop]",
    ],
    "from cantata.models.ollama import OllamaChatCompletionClient": ["city='Paris' degrees=21"],
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
    "from cantata.code_executor import CodeBlock, extract_markdown_code_blocks": [
        "0 ['45', 'done']",
        "124",
        "success=True output='42\\n'",
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
    with ChatServer() as server, ScriptedServer() as claude, ScriptedServer() as local:
        server.script(completion('{"name": "Lyon", "country": "France"}', model="llama3.2"))
        # Anthropic's Messages API and Ollama's /api/chat, for their snippets.
        claude.script(
            message(anthropic_text("Paris."), usage=(20, 2)),
            anthropic_stream(anthropic_text("Paris.")),
        )
        local.script(ollama_chat('{"city": "Paris", "degrees": 21}'))
        env = {
            "OPENAI_BASE_URL": server.base_url,
            "ANTHROPIC_BASE_URL": claude.url,
            "ANTHROPIC_API_KEY": "sk-ant-readme-0000",
            "OLLAMA_HOST": local.url,
        }
        completed = run_python(script, env=env)
        bodies = server.bodies
        claude_bodies, local_bodies = claude.bodies, local.bodies
    expected = "\n".join(EXPECTED[_key(snippet)])
    assert completed.stdout.rstrip("\n") == expected.rstrip("\n")
    if "OpenAIChatCompletionClient(" in snippet and "load_component" not in snippet:
        (body,) = bodies
        assert body["model"] == "llama3.2"
        assert body["response_format"]["json_schema"]["name"] == "City"
    if "AnthropicChatCompletionClient(" in snippet:
        assert [body["system"] for body in claude_bodies] == ["Answer in one word."] * 2
        assert claude_bodies[1]["stream"] is True
    if "OllamaChatCompletionClient(" in snippet:
        (body,) = local_bodies
        assert body["format"]["title"] == "Weather"
        assert body["options"] == {"temperature": 0}
