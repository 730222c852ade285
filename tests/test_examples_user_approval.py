"""``examples/user_approval.py``, the port of the cookbook section "User Approval for Tool
Execution using Intervention Handler".

The script (the guide's ``runtime.start()`` form, asyncio) and ``run_structured()`` (the
``async with`` form, asyncio and Trio) print the guide's output. Beyond the printing: an
approved call really runs the code (in ``LocalCommandLineCodeExecutor``) and its output goes
back to the model; a denied call never
reaches the tool, the sender gets the guide's ``ToolException`` and the model gets it as an
error result.
"""

from __future__ import annotations

import builtins
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _examples_harness import load, run_script

from cantata import AgentId, CancellationToken, FunctionCall, SingleThreadedAgentRuntime
from cantata.code_executor import CodeBlock
from cantata.code_executors import CommandLineCodeResult
from cantata.code_executors.local import LocalCommandLineCodeExecutor
from cantata.models import (
    AssistantMessage,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    RequestUsage,
    UserMessage,
)
from cantata.models.replay import ReplayChatCompletionClient
from cantata.tool_agent import ToolAgent, ToolException

PROMPT = (
    "Function call: CodeExecutor\n"
    """Arguments: {"code": "print('Hello, World!')"}\n"""
    "Do you want to execute the tool? (y/n): "
)

EXPECTED = [
    "AgentType(type='tool_enabled_agent')",
    "Function call: CodeExecutor",
    """Arguments: {"code": "print('Hello, World!')"}""",
    "Do you want to execute the tool? (y/n): y",
    "The output of the code is: **Hello, World!**",
]

TASK = UserMessage(content="Run the following Python code: print('Hello, World!')", source="User")


@pytest.fixture(autouse=True)
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Executors' temporary working directories go here; none may be left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert [path.name for path in folder.iterdir()] == []


def example() -> ModuleType:
    """``examples/user_approval.py``, imported once."""
    return load("user_approval")


class RecordingExecutor(LocalCommandLineCodeExecutor):
    """The example's executor, recording the code of every execution."""

    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.executed: list[str] = []

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CommandLineCodeResult:
        self.executed.extend(block.code for block in code_blocks)
        return await super().execute_code_blocks(code_blocks, cancellation_token)


def test_script_prints_guide_output() -> None:
    assert run_script("user_approval") == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_guide_output() -> None:
    assert await example().run_structured() == EXPECTED


@pytest.mark.anyio
async def test_run_structured_is_deterministic() -> None:
    assert await example().run_structured() == await example().run_structured()


def _call(call_id: str, code: str) -> CreateResult:
    return CreateResult(
        finish_reason="function_calls",
        content=[
            FunctionCall(id=call_id, arguments=json.dumps({"code": code}), name="CodeExecutor")
        ],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


def _results(messages: list[Any]) -> list[FunctionExecutionResult]:
    last = messages[-1]
    assert isinstance(last, FunctionExecutionResultMessage)
    return list(last.content)


@pytest.mark.anyio
async def test_an_approved_call_runs_the_code_and_the_model_sees_its_output() -> None:
    module = example()
    client = ReplayChatCompletionClient(module.SCRIPTED_REPLIES)
    approver = module.ScriptedApprover(["y"])
    executor = RecordingExecutor()

    printed = await module.run_structured(client, approver, executor)

    assert printed == EXPECTED
    assert approver.prompts == [PROMPT]
    assert executor.executed == ["print('Hello, World!')"]
    first, second = client.create_calls
    assert first["messages"] == [TASK]
    tool = module.PythonCodeExecutionTool(executor)
    assert first["tools"] == [tool.schema]
    assert second["messages"][:2] == [
        TASK,
        AssistantMessage(content=[module.HELLO_WORLD_CALL], source="assistant"),
    ]
    assert _results(second["messages"]) == [
        FunctionExecutionResult(
            content="Hello, World!\n",
            name="CodeExecutor",
            call_id=module.HELLO_WORLD_CALL.id,
            is_error=False,
        )
    ]


@pytest.mark.anyio
async def test_a_denied_call_does_not_run_and_the_model_gets_the_refusal() -> None:
    module = example()
    client = ReplayChatCompletionClient(
        [module.SCRIPTED_REPLIES[0], "You chose not to run the code, so I did not run it."]
    )
    approver = module.ScriptedApprover(["n"])
    executor = RecordingExecutor()

    printed = await module.run_structured(client, approver, executor)

    assert printed == [
        *EXPECTED[:3],
        "Do you want to execute the tool? (y/n): n",
        "You chose not to run the code, so I did not run it.",
    ]
    assert executor.executed == []
    assert _results(client.create_calls[1]["messages"]) == [
        FunctionExecutionResult(
            content="User denied tool execution.",
            name="CodeExecutor",
            call_id=module.HELLO_WORLD_CALL.id,
            is_error=True,
        )
    ]


@pytest.mark.anyio
async def test_the_sender_of_a_denied_call_gets_the_guides_tool_exception() -> None:
    module = example()
    executor = RecordingExecutor()
    tool = module.PythonCodeExecutionTool(executor)
    approver = module.ScriptedApprover(["no"])
    handler = module.ToolInterventionHandler(approver)
    call = FunctionCall(id="c1", arguments='{"code": "print(1)"}', name="CodeExecutor")

    async with SingleThreadedAgentRuntime(intervention_handlers=[handler]) as runtime:
        await ToolAgent.register(runtime, "tools", lambda: ToolAgent("Tools", [tool]))
        with pytest.raises(ToolException) as caught:
            await runtime.send_message(call, AgentId("tools", "default"))

    assert (caught.value.content, caught.value.call_id, caught.value.name) == (
        "User denied tool execution.",
        "c1",
        "CodeExecutor",
    )
    assert executor.executed == []
    assert approver.prompts == [
        "Function call: CodeExecutor\n"
        'Arguments: {"code": "print(1)"}\n'
        "Do you want to execute the tool? (y/n): "
    ]


@pytest.mark.anyio
async def test_the_default_script_approves_only_the_first_call() -> None:
    module = example()
    client = ReplayChatCompletionClient(
        [_call("a", "print(6 * 7)"), _call("b", "print('again')"), "Done."]
    )
    executor = RecordingExecutor()

    printed = await module.run_structured(client, module.ScriptedApprover(), executor)

    assert printed[-1] == "Done."
    assert [line for line in printed if line.startswith("Do you want")] == [
        "Do you want to execute the tool? (y/n): y",
        "Do you want to execute the tool? (y/n): n",
    ]
    assert executor.executed == ["print(6 * 7)"]
    second, third = client.create_calls[1:]
    assert [(r.content, r.is_error) for r in _results(second["messages"])] == [("42\n", False)]
    assert [(r.content, r.is_error) for r in _results(third["messages"])] == [
        ("User denied tool execution.", True)
    ]


@pytest.mark.anyio
async def test_the_executor_reports_failures() -> None:
    module = example()
    async with RecordingExecutor() as executor:
        tool = module.PythonCodeExecutionTool(executor)
        result = await tool.run_json({"code": "raise SystemExit('boom')"}, CancellationToken())
    assert result.success is False
    assert "boom" in tool.return_value_as_string(result)


def test_the_tool_has_the_guides_name_and_arguments() -> None:
    module = example()
    schema = module.PythonCodeExecutionTool(RecordingExecutor()).schema
    assert schema["name"] == "CodeExecutor"
    assert schema["description"] == "Execute Python code blocks."
    assert schema["parameters"]["required"] == ["code"]
    assert schema["parameters"]["properties"]["code"]["type"] == "string"


@pytest.mark.anyio
async def test_console_approver_asks_with_input(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def fake_input(prompt: str = "") -> str:
        asked.append(prompt)
        return "y"

    monkeypatch.setattr(builtins, "input", fake_input)
    assert await example().console_approver("Proceed? ") == "y"
    assert asked == ["Proceed? "]


def test_a_real_model_gets_the_console_approver() -> None:
    module = example()
    assert isinstance(
        module.create_approver(ReplayChatCompletionClient([])), module.ScriptedApprover
    )
    # Any other client may ask to run any code: a person has to approve it.
    assert module.create_approver(object()) is module.console_approver


def test_scripted_client_without_openai_settings() -> None:
    assert isinstance(example().create_model_client(), ReplayChatCompletionClient)


def test_falls_back_when_the_openai_client_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")
    monkeypatch.setitem(sys.modules, "cantata.models.openai", None)  # import fails
    assert isinstance(example().create_model_client(), ReplayChatCompletionClient)
