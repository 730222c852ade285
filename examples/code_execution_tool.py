"""Port of the user-guide section "Tools", its "Built-in Tools" part: the code-execution tool.

``PythonCodeExecutionTool`` wraps a code executor as a tool a model can call with
``{"code": "..."}``; here it is called directly, without an agent or a model.

What differs from the guide, and why: the guide's executor is
``DockerCommandLineCodeExecutor``, which needs a Docker engine. Here
``LocalCommandLineCodeExecutor`` runs the code, in a temporary working directory that
``stop()`` removes (the guide never stops its executor). The rest of the "Tools" section is in
``examples/tools.py``.

:func:`main` (``python examples/code_execution_tool.py``) runs on asyncio;
:func:`run_structured` runs the same code on asyncio or Trio and returns the printed lines.
"""

from __future__ import annotations

import asyncio

from _support import printed_lines

from cantata import CancellationToken
from cantata.code_executors.local import LocalCommandLineCodeExecutor
from cantata.tools.code_execution import PythonCodeExecutionTool


async def built_in_tools() -> None:
    # Create the tool.
    code_executor = LocalCommandLineCodeExecutor()
    await code_executor.start()
    code_execution_tool = PythonCodeExecutionTool(code_executor)
    cancellation_token = CancellationToken()

    # Use the tool directly without an agent.
    code = "print('Hello, world!')"
    result = await code_execution_tool.run_json({"code": code}, cancellation_token)
    print(code_execution_tool.return_value_as_string(result))

    # Remove the executor's temporary working directory.
    await code_executor.stop()


async def main() -> None:
    await built_in_tools()


async def run_structured() -> list[str]:
    """Run the example (asyncio or Trio); return the lines it printed."""
    return await printed_lines(built_in_tools)


if __name__ == "__main__":
    asyncio.run(main())
