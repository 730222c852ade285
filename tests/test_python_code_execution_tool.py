"""PythonCodeExecutionTool over a real executor: schema, results, cancellation, config."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from _processes import assert_none_left, needs_proc, new_token, sleeper, wait_for_processes

from cantata import CancellationToken, ComponentModel
from cantata.code_executor import CodeBlock, CodeExecutor, CodeResult
from cantata.code_executors.local import LocalCommandLineCodeExecutor
from cantata.exceptions import MessageCancelledError
from cantata.tools import BaseTool, StaticWorkbench
from cantata.tools.code_execution import CodeExecutionResult, PythonCodeExecutionTool

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Executors' temporary working directories go here; none may be left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert [path.name for path in folder.iterdir()] == []


def test_schema_is_the_references() -> None:
    tool = PythonCodeExecutionTool(LocalCommandLineCodeExecutor())
    assert tool.schema == {
        "name": "CodeExecutor",
        "description": "Execute Python code blocks.",
        "parameters": {
            "type": "object",
            "properties": {
                "code": {
                    "description": "The contents of the Python code block that should be executed",
                    "title": "Code",
                    "type": "string",
                }
            },
            "required": ["code"],
            "additionalProperties": False,
        },
        "strict": False,
    }
    assert isinstance(tool, BaseTool)


@pytest.mark.anyio
async def test_runs_code_and_reports_success_and_output() -> None:
    async with LocalCommandLineCodeExecutor() as executor:
        tool = PythonCodeExecutionTool(executor)
        result = await tool.run_json({"code": "print('Hello, world!')"}, CancellationToken())
        assert result == CodeExecutionResult(success=True, output="Hello, world!\n")
        assert tool.return_value_as_string(result) == "Hello, world!\n"
        failed = await tool.run_json({"code": "raise SystemExit('boom')"}, CancellationToken())
        assert failed.success is False
        assert "boom" in failed.output


@pytest.mark.anyio
async def test_through_a_workbench() -> None:
    async with LocalCommandLineCodeExecutor() as executor:
        workbench = StaticWorkbench([PythonCodeExecutionTool(executor)])
        result = await workbench.call_tool("CodeExecutor", {"code": "print(6 * 7)"})
    assert (result.to_text(), result.is_error) == ("42\n", False)


class RecordingExecutor(CodeExecutor):
    """An executor that records blocks and answers with a fixed result: the tool works over
    any executor, not just the built-in ones."""

    def __init__(self) -> None:
        self.blocks: list[CodeBlock] = []

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        self.blocks.extend(code_blocks)
        return CodeResult(exit_code=3, output="recorded")

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def restart(self) -> None:
        pass


@pytest.mark.anyio
async def test_works_over_any_executor() -> None:
    executor = RecordingExecutor()
    tool = PythonCodeExecutionTool(executor, description="Run Python.")
    result = await tool.run_json({"code": "x = 1"}, CancellationToken())
    assert result == CodeExecutionResult(success=False, output="recorded")
    assert executor.blocks == [CodeBlock(code="x = 1", language="python")]
    assert tool.schema["description"] == "Run Python."


@needs_proc
@pytest.mark.anyio
async def test_cancelling_the_call_kills_the_code() -> None:
    token = new_token()
    cancellation = CancellationToken()
    code = sleeper(token) + "import time; time.sleep(1000)"
    raised: list[BaseException] = []
    async with LocalCommandLineCodeExecutor(timeout=60) as executor:
        tool = PythonCodeExecutionTool(executor)

        async def call() -> None:
            try:
                await tool.run_json({"code": code}, cancellation)
            except MessageCancelledError as exc:
                raised.append(exc)

        with anyio.fail_after(15):
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(call)
                await wait_for_processes(token, 1)
                cancellation.cancel()
    assert len(raised) == 1
    await assert_none_left(token)


def test_component_config_round_trip() -> None:
    tool = PythonCodeExecutionTool(LocalCommandLineCodeExecutor(timeout=9), description="Run.")
    model = tool.dump_component()
    assert model.provider == "cantata.tools.code_execution.PythonCodeExecutionTool"
    assert model.config["executor"]["provider"] == (
        "cantata.code_executors.local.LocalCommandLineCodeExecutor"
    )
    loaded = PythonCodeExecutionTool.load_component(model)
    assert loaded.description == "Run."
    assert isinstance(loaded.executor, LocalCommandLineCodeExecutor)
    assert loaded.executor.timeout == 9


def test_loads_from_autogens_provider_names() -> None:
    model = ComponentModel(
        provider="autogen_ext.tools.code_execution.PythonCodeExecutionTool",
        config={
            "executor": {
                "provider": "autogen_ext.code_executors.local.LocalCommandLineCodeExecutor",
                "config": {"timeout": 4},
            }
        },
    )
    tool = PythonCodeExecutionTool.load_component(model)
    assert isinstance(tool.executor, LocalCommandLineCodeExecutor)
    assert tool.executor.timeout == 4
