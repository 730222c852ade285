"""The tool that lets a model run Python code: :class:`PythonCodeExecutionTool`."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, Field

from cantata._cancellation_token import CancellationToken
from cantata._components import Component, ComponentModel
from cantata.code_executor import CodeBlock, CodeExecutor
from cantata.tools import BaseTool

__all__ = [
    "CodeExecutionInput",
    "CodeExecutionResult",
    "PythonCodeExecutionTool",
    "PythonCodeExecutionToolConfig",
]


class CodeExecutionInput(BaseModel):
    """The tool's arguments."""

    code: str = Field(description="The contents of the Python code block that should be executed")


class CodeExecutionResult(BaseModel):
    """The tool's result: whether the code exited with 0, and its output."""

    success: bool
    output: str


class PythonCodeExecutionToolConfig(BaseModel):
    """The config of a :class:`PythonCodeExecutionTool`: its executor's config and its
    description."""

    executor: ComponentModel
    description: str = "Execute Python code blocks."


class PythonCodeExecutionTool(
    BaseTool[CodeExecutionInput, CodeExecutionResult], Component[PythonCodeExecutionToolConfig]
):
    """A tool named ``CodeExecutor`` that runs the Python code a model sends with *executor*.

    The model calls it with ``{"code": "..."}``; the code runs as one Python block. The
    result is ``success`` (exit code 0) and the output; a model sees the output as text.
    Cancelling the call's token stops the code (see the executor's guarantees).

    The tool runs code only through the executor it is given: what the code can reach is
    what that executor allows.

    Args:
        executor: Any :class:`~cantata.code_executor.CodeExecutor`.
        description: The description shown to the model.
    """

    component_config_schema = PythonCodeExecutionToolConfig
    component_provider_override: ClassVar[str | None] = (
        "cantata.tools.code_execution.PythonCodeExecutionTool"
    )

    def __init__(
        self, executor: CodeExecutor, description: str = "Execute Python code blocks."
    ) -> None:
        super().__init__(CodeExecutionInput, CodeExecutionResult, "CodeExecutor", description)
        self._executor = executor

    @property
    def executor(self) -> CodeExecutor:
        """The executor the code runs in."""
        return self._executor

    async def run(
        self, args: CodeExecutionInput, cancellation_token: CancellationToken
    ) -> CodeExecutionResult:
        """Run ``args.code`` as one Python block."""
        result = await self._executor.execute_code_blocks(
            [CodeBlock(code=args.code, language="python")], cancellation_token=cancellation_token
        )
        return CodeExecutionResult(success=result.exit_code == 0, output=result.output)

    def return_value_as_string(self, value: Any) -> str:
        """The output of the code (for a :class:`CodeExecutionResult`)."""
        if isinstance(value, CodeExecutionResult):
            return value.output
        return super().return_value_as_string(value)

    def _to_config(self) -> PythonCodeExecutionToolConfig:
        return PythonCodeExecutionToolConfig(
            executor=self._executor.dump_component(), description=self.description
        )

    @classmethod
    def _from_config(cls, config: PythonCodeExecutionToolConfig) -> Self:
        executor = CodeExecutor.load_component(config.executor)
        return cls(executor=executor, description=config.description)
