"""The code-execution tool: :class:`PythonCodeExecutionTool`.

Migrating from autogen: ``autogen_ext.tools.code_execution`` -> ``cantata.tools.code_execution``.
"""

from ._python_tool import (
    CodeExecutionInput,
    CodeExecutionResult,
    PythonCodeExecutionTool,
    PythonCodeExecutionToolConfig,
)

__all__ = [
    "CodeExecutionInput",
    "CodeExecutionResult",
    "PythonCodeExecutionTool",
    "PythonCodeExecutionToolConfig",
]
