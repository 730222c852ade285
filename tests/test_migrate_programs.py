"""The codemod on real autogen-core programs: migrate each, then run it with cantata.

Each directory under ``tests/migrate_fixtures/`` is a program written for autogen-core
0.7.5 (the user guide's examples and its API reference's samples). The test copies it,
runs ``python -m cantata.migrate DIR --write`` as a user would, runs ``main.py`` (or the
code cells of ``main.ipynb``, top-level ``await`` included, as IPython runs them) and
compares what it prints with ``expected.txt``. A second run of the codemod must change
nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _examples_harness import run_python
from _openai_server import ChatServer, completion, tool_call_completion

FIXTURES = Path(__file__).resolve().parent / "migrate_fixtures"
PROGRAMS = sorted(path.name for path in FIXTURES.iterdir() if (path / "expected.txt").exists())


def _migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cantata.migrate", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def _copy(name: str, tmp_path: Path) -> Path:
    program = tmp_path / name
    shutil.copytree(FIXTURES / name, program, ignore=shutil.ignore_patterns("expected.txt"))
    return program


NOTEBOOK_RUNNER = """\
import ast
import asyncio
import json

NOTEBOOK = {notebook!r}


async def run_cells() -> None:
    namespace = {{"__name__": "__main__"}}
    with open(NOTEBOOK, encoding="utf-8") as handle:
        cells = json.load(handle)["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        lines = [line for line in cell["source"] if not line.lstrip().startswith(("%", "!"))]
        code = compile("".join(lines), "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if result is not None:
            await result


asyncio.run(run_cells())
"""


def _script(program: Path) -> Path:
    """The file to run: ``main.py``, or a runner for the cells of ``main.ipynb``."""
    notebook = program / "main.ipynb"
    if not notebook.exists():
        return program / "main.py"
    runner = program.parent / "run_notebook.py"
    runner.write_text(NOTEBOOK_RUNNER.format(notebook=str(notebook)), encoding="utf-8")
    return runner


def _autogen_mentions(program: Path) -> list[str]:
    return [
        f"{path.name}:{number}: {line}"
        for path in sorted(program.iterdir())
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "autogen_core" in line.split("#")[0]
        or "autogen_ext" in line.split("#")[0]
        or "AUTOGEN_" in line
    ]


@pytest.mark.parametrize("name", PROGRAMS)
def test_migrated_program_runs(name: str, tmp_path: Path) -> None:
    program = _copy(name, tmp_path)
    migrated = _migrate(str(program), "--write")
    assert migrated.returncode == 0, migrated.stderr
    assert _autogen_mentions(program) == []

    again = _migrate(str(program))
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert "would migrate 0 of" in again.stderr

    with ChatServer() as server:
        server.script(
            tool_call_completion(
                [("call_1", "get_stock_price", '{"ticker": "MSFT", "date": "2024/06/01"}')],
                model="gpt-4o-mini",
            ),
            completion("The stock price of MSFT on 2024/06/01 is 42.0.", model="gpt-4o-mini"),
        )
        completed = run_python(_script(program), env={"OPENAI_BASE_URL": server.base_url})
        bodies = server.bodies
    expected = (FIXTURES / name / "expected.txt").read_text(encoding="utf-8")
    assert completed.stdout == expected
    if name == "tools_openai":
        # The model's tool call ran in the migrated ToolAgent and its result went back.
        first, second = bodies
        assert first["tools"][0]["function"]["name"] == "get_stock_price"
        tool_message = second["messages"][-1]
        assert tool_message == {"role": "tool", "content": "42.0", "tool_call_id": "call_1"}


def test_diff_mode_changes_nothing_and_shows_the_change(tmp_path: Path) -> None:
    program = _copy("closure_agent", tmp_path)
    before = (program / "main.py").read_text(encoding="utf-8")
    shown = _migrate(str(program))
    assert shown.returncode == 0, shown.stderr
    assert (program / "main.py").read_text(encoding="utf-8") == before
    removed = [line for line in shown.stdout.splitlines() if line.startswith("-from")]
    added = [line for line in shown.stdout.splitlines() if line.startswith("+from")]
    assert removed == [
        "-from autogen_core import SingleThreadedAgentRuntime, MessageContext, ClosureAgent, "
        "ClosureContext",
        "-from autogen_core._default_subscription import DefaultSubscription",
        "-from autogen_core._default_topic import DefaultTopicId",
    ]
    assert added == [
        "+from cantata import SingleThreadedAgentRuntime, MessageContext, ClosureAgent, "
        "ClosureContext",
        "+from cantata import DefaultSubscription",
        "+from cantata import DefaultTopicId",
    ]
    # The comment at the top and the blank lines are kept: only three lines change.
    assert shown.stdout.count("\n-") == 3


def test_configs_are_rewritten_in_place(tmp_path: Path) -> None:
    program = _copy("component_config", tmp_path)
    assert _migrate(str(program), "--write").returncode == 0
    model = json.loads((program / "model.json").read_text(encoding="utf-8"))
    assert model["provider"] == "cantata.models.replay.ReplayChatCompletionClient"
    assert (program / "context.yaml").read_text(encoding="utf-8") == (
        "# A model context, as a YAML component config.\n"
        "provider: cantata.model_context.BufferedChatCompletionContext\n"
        "component_type: chat_completion_context\n"
        "config:\n"
        "  buffer_size: 2\n"
    )


def test_what_cannot_be_migrated_is_listed_with_status_1(tmp_path: Path) -> None:
    program = _copy("agentchat", tmp_path)
    main = program / "main.py"
    result = _migrate(str(program), "--write")
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith(str(main))]
    assert problems == [
        f"{main}:5: from autogen_agentchat.agents import AssistantAgent: AgentChat is not "
        "part of cantata, which provides autogen-core's API",
        f"{main}:7: from autogen_ext.agents.web_surfer import MultimodalWebSurfer: cantata "
        "does not provide autogen_ext.agents.web_surfer",
        f"{main}:10: string 'autogen_agentchat.teams.RoundRobinGroupChat': AgentChat is not "
        "part of cantata, which provides autogen-core's API",
    ]
    text = main.read_text(encoding="utf-8")
    # What can be migrated is, the rest is left for the user to see.
    assert "from cantata import CancellationToken" in text
    assert "from cantata.models.openai import OpenAIChatCompletionClient" in text
    assert "from autogen_agentchat.agents import AssistantAgent" in text
    # Listed again on the next run: nothing is silently forgotten.
    assert _migrate(str(program)).returncode == 1


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = _migrate(str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "no such file or directory" in result.stderr
