"""Port of the user-guide section "Command Line Code Executors".

Each code block is saved to a file in a working directory and run in a new process. The
section shows the Docker executor, the local executor, and the local executor inside a
virtual environment.

What differs from the guide, and why:

* The Docker example needs a Docker engine; it is shown here with
  ``LocalCommandLineCodeExecutor`` (the same ``async with`` form). With the ``docker`` extra
  and a running engine, ``from cantata.code_executors.docker import
  DockerCommandLineCodeExecutor`` runs the guide's code as it is.
* The guide's ``coding`` folder is made inside a temporary directory, removed at the end, so
  running the example leaves nothing behind.
* The virtual environment is created without pip (``with_pip=False``): the guide's block
  ``pip install matplotlib`` needs the network and ten seconds. The block run in it instead
  shows that the code runs in the environment, not in this interpreter's. ``venv``'s
  ``create`` blocks, so it runs in a worker thread.

:func:`main` (``python examples/command_line_code_executors.py``) runs on asyncio;
:func:`run_structured` runs the same program on asyncio or Trio and returns the printed lines.
"""

from __future__ import annotations

import asyncio
import tempfile
import venv
from pathlib import Path

import anyio.to_thread
from _support import printed_lines

from cantata import CancellationToken
from cantata.code_executor import CodeBlock
from cantata.code_executors.local import LocalCommandLineCodeExecutor


async def in_async_with(work_dir: Path) -> None:
    # The guide's Docker example, with the local executor.
    async with LocalCommandLineCodeExecutor(work_dir=work_dir) as executor:
        print(
            await executor.execute_code_blocks(
                code_blocks=[
                    CodeBlock(language="python", code="print('Hello, World!')"),
                ],
                cancellation_token=CancellationToken(),
            )
        )


async def local(work_dir: Path) -> None:
    local_executor = LocalCommandLineCodeExecutor(work_dir=work_dir)
    print(
        await local_executor.execute_code_blocks(
            code_blocks=[
                CodeBlock(language="python", code="print('Hello, World!')"),
            ],
            cancellation_token=CancellationToken(),
        )
    )


async def local_within_a_virtual_environment(work_dir: Path) -> None:
    venv_dir = work_dir / ".venv"
    venv_builder = venv.EnvBuilder(with_pip=False)
    await anyio.to_thread.run_sync(venv_builder.create, venv_dir)
    venv_context = venv_builder.ensure_directories(venv_dir)

    local_executor = LocalCommandLineCodeExecutor(
        work_dir=work_dir, virtual_env_context=venv_context
    )
    result = await local_executor.execute_code_blocks(
        code_blocks=[
            CodeBlock(
                language="bash",
                code='python -c "import sys; print(sys.prefix != sys.base_prefix)"',
            ),
        ],
        cancellation_token=CancellationToken(),
    )
    print(f"exit_code={result.exit_code} in a virtual environment: {result.output.strip()}")


async def program() -> None:
    with tempfile.TemporaryDirectory() as root:
        work_dir = Path(root) / "coding"
        work_dir.mkdir(exist_ok=True)
        print("# Docker (here: local, as an async context manager)")
        await in_async_with(work_dir)
        print("# Local")
        await local(work_dir)
        print("# Local within a Virtual Environment")
        await local_within_a_virtual_environment(work_dir)


async def main() -> None:
    await program()


async def run_structured() -> list[str]:
    """Run the program (asyncio or Trio); return the lines it printed."""
    return await printed_lines(program)


if __name__ == "__main__":
    asyncio.run(main())
