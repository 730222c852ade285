"""Every code block of the README and of the documentation site runs and prints what it should.

Each self-contained Python snippet runs as a script in a fresh interpreter. The
OpenAI-compatible snippet talks to a loopback chat-completions server
(``tests/_openai_server.py``) through ``OPENAI_BASE_URL``; the Anthropic and Ollama
snippets to loopback Messages API and ``/api/chat`` servers (``tests/_scripted_server.py``)
through ``ANTHROPIC_BASE_URL`` and ``OLLAMA_HOST``. The README's "Messages and state"
snippets continue the quick start and run after it.

The site's pages (``docs/*.md``) include the README's sections, so those blocks are the
README's. A page's own blocks are Python snippets (run like the README's), Python files
named with ``title="name.py"``, and ``console`` sessions: each ``$ command`` runs in a
scratch directory holding the page's files, and must print exactly the lines below it. Any
other block on a page fails the test, so nothing in the docs goes untested. The API
reference shows the docstrings' ``Example::`` blocks: each runs too, inside ``async def
main()`` after a prelude that defines the names examples take as given.
"""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
import textwrap
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
# docs/migrating-notes.md, when present, is material to merge into migrating.md, not a page.
PAGES = sorted(page for page in (ROOT / "docs").glob("*.md") if page.name != "migrating-notes.md")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)\n```$", re.DOTALL | re.MULTILINE)
TITLE = re.compile(r'title="([^"]+)"')


def _fences(text: str) -> list[tuple[str, str]]:
    """``(info string, body)`` of every fenced block in *text*."""
    return [(info.strip(), body) for info, body in FENCE.findall(text)]


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


# The self-contained snippets: the quick start's, the model layer's and running code's. (The
# ones under "Messages and state" continue the quick start.)
SNIPPETS: list[str] = [
    snippet
    for title in ("Quick start", "The model layer", "Running code")
    for snippet in re.findall(r"```python\n(.+?)\n```", _section(title), re.DOTALL)
] + [
    body
    for page in PAGES
    for info, body in _fences(page.read_text(encoding="utf-8"))
    if info == "python"
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


# The "Messages and state" snippets -----------------------------------------------------------


def test_messages_and_state_snippets_run_after_the_quick_start(tmp_path: Path) -> None:
    quick_start = re.findall(r"```python\n(.+?)\n```", _section("Quick start"), re.DOTALL)[0]
    serializer, checkpoint = re.findall(
        r"```python\n(.+?)\n```", _section("Messages and state"), re.DOTALL
    )
    definitions = quick_start.rsplit("\nanyio.run(main)", 1)[0]
    script = tmp_path / "continued.py"
    script.write_text(
        f"{definitions}\n\n{serializer}\n\n\n"
        "async def continued() -> None:\n"
        "    runtime = SingleThreadedAgentRuntime()\n"
        '    await Greeter.register(runtime, "greeter", Greeter)\n'
        "    runtime.start()\n"
        '    await runtime.publish_message(Greeting("kept"), DefaultTopicId())\n'
        f"{textwrap.indent(checkpoint, '    ')}\n"
        '    print("restored")\n\n\n'
        "import asyncio\n\nasyncio.run(continued())\n",
        encoding="utf-8",
    )
    lines = run_python(script).stdout.splitlines()
    # The publish is delivered exactly once: before the stop, or by the restored runtime.
    assert lines.count("greeter/default got 'kept'") == 1
    assert lines[-1] == "restored"
    assert len(lines) == 2


# The documentation pages' own blocks --------------------------------------------------------


def test_pages_hold_only_blocks_that_a_test_runs() -> None:
    for page in PAGES:
        for info, body in _fences(page.read_text(encoding="utf-8")):
            kind = info.split()[0] if info else ""
            # ``text`` blocks are diagrams, not code.
            assert kind in {"python", "console", "text"}, f"{page.name}: untested ```{info} block"
            if kind == "python" and not TITLE.search(info):
                assert body in SNIPPETS


def _sessions(page: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """A page's files and its console commands with the output each must print."""
    files: dict[str, str] = {}
    commands: list[tuple[str, str]] = []
    for info, body in _fences(page.read_text(encoding="utf-8")):
        title = TITLE.search(info)
        if info.startswith("python") and title:
            files[title.group(1)] = body + "\n"
        elif info == "console":
            for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
                command, _, output = chunk.partition("\n")
                commands.append((command, output))
    return files, commands


CONSOLE_PAGES = [page for page in PAGES if _sessions(page)[1]]


@pytest.mark.parametrize("page", CONSOLE_PAGES, ids=[page.name for page in CONSOLE_PAGES])
def test_console_sessions_print_what_the_page_shows(page: Path, tmp_path: Path) -> None:
    files, commands = _sessions(page)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for command, expected in commands:
        if command.startswith("python "):
            command = shlex.quote(sys.executable) + command.removeprefix("python")
        completed = subprocess.run(
            command,
            shell=True,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )
        assert completed.stdout.rstrip("\n") == expected.rstrip("\n"), command


# The docstrings' examples, which the API reference shows as code blocks -----------------------

PACKAGE = ROOT / "src" / "cantata"


def _docstring_examples() -> list[tuple[str, str]]:
    """``(where, code)`` for every ``Example::`` block in a docstring under ``src/cantata``."""
    examples: list[tuple[str, str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(
                node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
            ):
                continue
            docstring = ast.get_docstring(node)
            if docstring is None or "Example::" not in docstring:
                continue
            block = docstring.split("Example::", 1)[1].split("\n\n", 1)[1]
            lines = []
            for line in block.splitlines():
                if line and not line.startswith(" "):
                    break
                lines.append(line)
            name = getattr(node, "name", "module")
            examples.append(
                (f"{path.relative_to(PACKAGE)}:{name}", textwrap.dedent("\n".join(lines)))
            )
    return examples


# The names the examples take as given: a runtime, a model client, a directory, ...
EXAMPLE_PRELUDE = """\
import tempfile
from typing import Annotated

import anyio

from cantata import *
from cantata.memory import *
from cantata.model_context import *
from cantata.models import *
from cantata.models.cache import *
from cantata.models.openai import *
from cantata.models.replay import *
from cantata.tools import *
from cantata.cache_store.redis import *
from cantata.models.anthropic import *
from cantata.tools.http import *
from cantata.utils import *
import hypothesis.strategies as st

directory = tempfile.mkdtemp()


async def main() -> None:
    runtime = SingleThreadedAgentRuntime()
    other_recorder = TraceRecorder()
    model_client = ReplayChatCompletionClient(["Hello!"])
"""

EXAMPLES = _docstring_examples()


@pytest.mark.parametrize(("where", "code"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_docstring_example_runs(where: str, code: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    body = textwrap.indent(code, "    ")
    script.write_text(
        f"{EXAMPLE_PRELUDE}{body}\n    print('ran')\n\n\nanyio.run(main)\n", encoding="utf-8"
    )
    with ChatServer() as server:
        server.script(completion("Hello!", model="gpt-4o-mini"))
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test"}
        completed = run_python(script, env=env)
    # An example's ``print(...)  # value`` lines must print that value.
    printed = re.findall(r"^\s*print\(.*\)\s+#\s*(.+)$", code, re.MULTILINE)
    assert completed.stdout.splitlines() == [*printed, "ran"], where
