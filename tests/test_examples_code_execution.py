"""The code-execution examples: ``examples/command_line_code_executors.py`` ("Command Line
Code Executors"), ``examples/code_execution.py`` ("Code Execution", the assistant/executor
loop) and ``examples/code_execution_tool.py`` ("Tools", its built-in code-execution tool).

Each runs as a script (asyncio) and through ``run_structured()`` (asyncio and Trio), prints
the guide's output (with this machine's paths) and leaves no temporary directory behind.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from _examples_harness import load, run_script

from cantata.models import UserMessage
from cantata.models.replay import ReplayChatCompletionClient


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """In-process runs make their temporary directories here; none may be left."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield tmp_path
    assert list(tmp_path.iterdir()) == []


# -- Command Line Code Executors -------------------------------------------------------------

HELLO_FILE = "tmp_code_2b33215fadf3c54926d5c4100348afc158dbff4c94b15044e3a7fe804f80ed2d.py"
HELLO_RESULT = (
    "CommandLineCodeResult(exit_code=0, output='Hello, World!\\n', "
    f"code_file='<tmp>/coding/{HELLO_FILE}')"
)
COMMAND_LINE_EXPECTED = [
    "# Docker (here: local, as an async context manager)",
    HELLO_RESULT,
    "# Local",
    HELLO_RESULT,
    "# Local within a Virtual Environment",
    "exit_code=0 in a virtual environment: True",
]


def without_temp_paths(lines: list[str]) -> list[str]:
    return [re.sub(r"code_file='[^']*/coding/", "code_file='<tmp>/coding/", line) for line in lines]


def test_command_line_executors_script() -> None:
    assert without_temp_paths(run_script("command_line_code_executors")) == COMMAND_LINE_EXPECTED


@pytest.mark.anyio
async def test_command_line_executors_structured(private_tempdir: Path) -> None:
    printed = await load("command_line_code_executors").run_structured()
    assert without_temp_paths(printed) == COMMAND_LINE_EXPECTED
    assert str(private_tempdir) in printed[1]  # it ran in a temporary directory, now gone


# -- Code Execution --------------------------------------------------------------------------


def code_execution() -> ModuleType:
    return load("code_execution")


RULE = "-" * 80


def code_execution_expected(module: ModuleType) -> list[str]:
    return [
        "",
        RULE,
        "Assistant:",
        *module.SCRIPTED_REPLIES[0].splitlines(),
        "",
        RULE,
        "Executor:",
        "NVDA YTD return: +127.59%",
        "TSLA YTD return: -28.31%",
        "Saved nvidia_vs_tesla_ytd_returns.csv",
        "",
        "",
        RULE,
        "Assistant:",
        module.SCRIPTED_REPLIES[1],
        "",
        RULE,
        "Files in the working directory: nvidia_vs_tesla_ytd_returns.csv",
    ]


def test_code_execution_script() -> None:
    assert run_script("code_execution") == code_execution_expected(code_execution())


@pytest.mark.anyio
async def test_code_execution_structured_runs_the_models_code_and_reports_back() -> None:
    module = code_execution()
    client = ReplayChatCompletionClient(module.SCRIPTED_REPLIES)
    printed = await module.run_structured(client)
    assert printed == code_execution_expected(module)
    first, second = client.create_calls
    assert first["messages"][1:] == [UserMessage(content=module.TASK, source="user")]
    # The executor's real output went back to the model as the user's next message.
    assert second["messages"][-1] == UserMessage(
        content="NVDA YTD return: +127.59%\nTSLA YTD return: -28.31%\n"
        "Saved nvidia_vs_tesla_ytd_returns.csv\n",
        source="user",
    )


@pytest.mark.anyio
async def test_code_execution_reports_failing_code_to_the_model() -> None:
    module = code_execution()
    client = ReplayChatCompletionClient(
        ["```python\nraise RuntimeError('no data')\n```", "The script failed: no data."]
    )
    printed = await module.run_structured(client)
    assert "RuntimeError: no data" in printed
    assert printed[-1] == "Files in the working directory: "
    assert "RuntimeError: no data" in str(client.create_calls[1]["messages"][-1].content)


@pytest.mark.anyio
async def test_code_execution_is_deterministic() -> None:
    module = code_execution()
    assert await module.run_structured() == await module.run_structured()


def test_guides_extractor_matches_the_librarys() -> None:
    from cantata.code_executor import extract_markdown_code_blocks

    text = code_execution().SCRIPTED_REPLIES[0] + "\n```sh\necho hi\n```\n"
    assert code_execution().extract_markdown_code_blocks(text) == extract_markdown_code_blocks(text)


# -- Tools: the code-execution tool -----------------------------------------------------------


def test_code_execution_tool_script() -> None:
    assert run_script("code_execution_tool") == ["Hello, world!", ""]  # the output ends in \n


@pytest.mark.anyio
async def test_code_execution_tool_structured() -> None:
    assert await load("code_execution_tool").run_structured() == ["Hello, world!", ""]
