"""The executor that runs code blocks on this machine: :class:`LocalCommandLineCodeExecutor`."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar, Self

import anyio
from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata._components import Component
from cantata.code_executor import CodeBlock, CodeExecutor, build_python_functions_file
from cantata.code_executor._func_with_reqs import AnyFunction, function_name, required_packages

from .._common import (
    DEFAULT_MAX_OUTPUT_BYTES,
    POWERSHELL_LANGUAGES,
    SHELL_LANGUAGES,
    CommandLineCodeResult,
    ExecutionProgress,
    silence_pip,
)
from .._execution import (
    SUPPORTED_LANGUAGES,
    Executions,
    block_file,
    block_language,
    check_arguments,
    report_timeout,
    run_blocks,
    work_dir_of,
    write_block_file,
)
from .._functions import FUNCTION_PROMPT_TEMPLATE, format_functions_for_prompt
from .._runner import run_command
from .._sanitize import dangerous_shell_command

__all__ = ["LocalCommandLineCodeExecutor", "LocalCommandLineCodeExecutorConfig"]


class LocalCommandLineCodeExecutorConfig(BaseModel):
    """The config of a :class:`LocalCommandLineCodeExecutor` (functions and a virtual
    environment are not part of it)."""

    timeout: int = 60
    work_dir: str | None = None
    functions_module: str = "functions"
    cleanup_temp_files: bool = True
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


class LocalCommandLineCodeExecutor(CodeExecutor, Component[LocalCommandLineCodeExecutorConfig]):
    """Runs code blocks on this machine, each in a new process, as the current user.

    .. danger::

        The code can do anything the user running the program can: read and change their
        files, use the network, start programs. Use it for code you would run yourself; run
        model-written code in :class:`~cantata.code_executors.docker.DockerCommandLineCodeExecutor`
        or as a separate, unprivileged user.

    Each block is saved to a file in the working directory (``tmp_code_<sha256>.<ext>``, or
    the name a ``# filename: <name>`` first line asks for, inside the working directory) and
    run with its interpreter: ``python`` (this interpreter, or the virtual environment's),
    ``bash``/``sh``/``shell`` (``bash`` if installed, else ``sh``), and ``pwsh``/
    ``powershell``/``ps1`` where PowerShell is installed. Blocks run in order; the first
    that fails ends the execution.

    Guarantees beyond autogen's executor:

    * **Nothing is left running.** Each block runs in a session of its own, with a marker
      variable (``CANTATA_CODE_EXECUTION``) in its environment. When it exits, times out, is
      cancelled or the executor stops, its whole process tree is killed (process group,
      session, and on Linux every process carrying the marker and every descendant, found
      in ``/proc``), and the process is reaped. Background jobs and daemons a block leaves
      behind are killed when it exits. A process that drops the marker from its environment
      after leaving the session, or runs as another user, escapes.
    * **Timeouts end the block.** After *timeout* seconds the block's tree is killed and the
      result has exit code 124 and a ``Timeout`` line.
    * **Bounded output.** Standard output and error are read as they come (interleaved, as a
      terminal shows them); at most *max_output_bytes* are kept: the first and last halves,
      with a note of how much was dropped between. A block that floods its output runs on
      until it ends or times out.
    * **Cancellation.** Cancelling *cancellation_token*, or the caller's cancel scope, kills
      the running block's tree at once; the call then raises
      :class:`~cantata.exceptions.MessageCancelledError` (token) or the backend's
      cancellation exception (scope). Works on asyncio and Trio.
    * **One execution at a time.** Executions share the working directory, so concurrent
      calls on one executor run one after another, in the order they arrived. Use several
      executors to run code in parallel.
    * **Never blocks the event loop.** Processes are run with AnyIO; files are written in
      worker threads.

    Args:
        timeout: Seconds each block may run (at least 1).
        work_dir: The working directory, created if missing. By default a temporary
            directory is created by :meth:`start` and removed by :meth:`stop`.
        functions: Functions the code can import from *functions_module*: plain functions
            (defined with ``def`` in a module), :class:`FunctionWithRequirements` or
            :class:`FunctionWithRequirementsStr`. Their pip packages are installed (into the
            virtual environment, if one is given) before the first block runs.
        functions_module: The name of that module (a Python identifier).
        cleanup_temp_files: Delete each block's file after the execution.
        virtual_env_context: A virtual environment to run Python and shell blocks in, as
            returned by ``venv.EnvBuilder.ensure_directories`` or :func:`create_virtual_env`.
        max_output_bytes: The most output kept of one execution (default 1 MiB).

    Raises:
        ValueError: *timeout* < 1, *max_output_bytes* < 2, *functions_module* is not an
            identifier, or two functions share a name.
    """

    component_config_schema = LocalCommandLineCodeExecutorConfig
    component_provider_override: ClassVar[str | None] = (
        "cantata.code_executors.local.LocalCommandLineCodeExecutor"
    )

    SUPPORTED_LANGUAGES: ClassVar[list[str]] = list(SUPPORTED_LANGUAGES)
    FUNCTION_PROMPT_TEMPLATE: ClassVar[str] = FUNCTION_PROMPT_TEMPLATE

    def __init__(
        self,
        timeout: int = 60,
        work_dir: Path | str | None = None,
        functions: Sequence[AnyFunction] = (),
        functions_module: str = "functions",
        cleanup_temp_files: bool = True,
        virtual_env_context: SimpleNamespace | None = None,
        *,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    ) -> None:
        check_arguments(timeout, max_output_bytes, functions, functions_module)
        self._timeout = timeout
        self._given_work_dir = None if work_dir is None else Path(work_dir)
        self._functions: list[AnyFunction] = list(functions)
        self._functions_module = functions_module
        self._cleanup_temp_files = cleanup_temp_files
        self._virtual_env_context = virtual_env_context
        self._max_output_bytes = max_output_bytes
        self._temp_dir: Path | None = None
        self._temp_dir_finalizer: weakref.finalize[Any, Any] | None = None
        self._started = False
        self._functions_ready = not self._functions
        self._executions = Executions()

    # -- properties -----------------------------------------------------------------------

    @property
    def timeout(self) -> int:
        """Seconds each block may run."""
        return self._timeout

    @property
    def work_dir(self) -> Path:
        """The working directory.

        Raises:
            RuntimeError: No directory was given and the executor is not started (its
                temporary directory does not exist yet).
        """
        return work_dir_of(self._given_work_dir, self._temp_dir)

    @property
    def functions(self) -> list[str]:
        """The names of the functions offered to the code."""
        return [function_name(func) for func in self._functions]

    @property
    def functions_module(self) -> str:
        """The module the code imports the functions from."""
        return self._functions_module

    @property
    def cleanup_temp_files(self) -> bool:
        """Whether block files are deleted after each execution."""
        return self._cleanup_temp_files

    @property
    def virtual_env_context(self) -> SimpleNamespace | None:
        """The virtual environment blocks run in, if any."""
        return self._virtual_env_context

    @property
    def max_output_bytes(self) -> int:
        """The most output kept of one execution."""
        return self._max_output_bytes

    def format_functions_for_prompt(self, prompt_template: str = FUNCTION_PROMPT_TEMPLATE) -> str:
        """Describe the functions for a model: *prompt_template* filled with
        ``$module_name`` and ``$functions`` (each function's signature and docstring)."""
        return format_functions_for_prompt(self._functions, self._functions_module, prompt_template)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the working directory (a temporary one if none was given). Starting a
        started executor does nothing."""
        async with self._executions.lock:
            await self._start()

    async def _start(self) -> None:
        """:meth:`start`, for a caller that holds the lock."""
        if self._started:
            return
        if self._given_work_dir is None:
            path = await anyio.to_thread.run_sync(tempfile.mkdtemp, "", "cantata_code_")
            self._temp_dir = Path(path)
            # Removed by stop(); if stop() is never called, when the executor is collected
            # or the interpreter exits.
            self._temp_dir_finalizer = weakref.finalize(self, _remove_tree, path)
        else:
            await anyio.Path(self._given_work_dir).mkdir(parents=True, exist_ok=True)
        self._functions_ready = not self._functions
        self._started = True

    async def stop(self) -> None:
        """Kill the block that is running (its execution returns exit code 125, as do
        executions still waiting for their turn), wait for it, and remove the temporary
        working directory. A given working directory is kept. Stopping a stopped executor
        does nothing."""
        self._executions.interrupt()
        async with self._executions.lock:
            if not self._started:
                return
            self._started = False
            path, self._temp_dir = self._temp_dir, None
            finalizer, self._temp_dir_finalizer = self._temp_dir_finalizer, None
            if finalizer is not None:
                finalizer.detach()
            if path is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(_remove_tree, str(path))

    async def restart(self) -> None:
        """Stop (killing running blocks, removing the temporary directory), then start."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    # -- execution ------------------------------------------------------------------------

    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CommandLineCodeResult:
        """Run *code_blocks* in order in the working directory.

        Starts the executor first if it is not started. Blocks in an unsupported language,
        shell blocks with an obviously destructive command (``rm -rf /``, ``mkfs``, ...: a
        tripwire, not a sandbox) and files named outside the working directory end the
        execution with exit code 1 and a message; nothing of that block runs.

        Returns:
            The exit code of the last block run (124 on timeout, 125 if :meth:`stop`
            interrupted it), the output of all blocks run, and the last block's file.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* was cancelled
                (the running block was killed).
            ValueError: Setting up the functions failed (pip or importing the module).
        """

        async def execute(progress: ExecutionProgress) -> None:
            work_dir = self.work_dir
            if not self._functions_ready:
                await self._setup_functions(work_dir)

            async def run_block(block: CodeBlock, files: list[Path]) -> bool:
                return await self._run_block(block, work_dir, files, progress)

            await run_blocks(code_blocks, run_block, self._cleanup_temp_files)

        return await self._executions.run(
            cancellation_token, self._max_output_bytes, self._start, execute
        )

    async def _run_block(
        self, block: CodeBlock, work_dir: Path, files: list[Path], progress: ExecutionProgress
    ) -> bool:
        """Run one block; return whether the next may run."""
        language = block_language(block, self.SUPPORTED_LANGUAGES, progress)
        if language is None:
            return False
        code = silence_pip(block.code, language)
        if language in SHELL_LANGUAGES:
            problem = dangerous_shell_command(code)
            if problem is not None:
                return progress.fail(f"The block was not run: it contains {problem}.")
        path = block_file(code, language, work_dir, progress)
        if path is None:
            return False
        argv = self._command(language, path)
        if argv is None:
            return progress.fail("PowerShell (pwsh or powershell) is not installed.")
        if not await write_block_file(path, code, files, progress):
            return False
        progress.code_file = str(path)
        try:
            outcome = await run_command(
                argv,
                cwd=work_dir,
                env=self._environment(),
                time_limit=self._timeout,
                max_output_bytes=progress.remaining,
            )
        except OSError as exc:
            return progress.fail(f"Could not run {argv[0]!r}: {exc}")
        progress.add(outcome.output)
        progress.exit_code = outcome.exit_code
        if outcome.timed_out:
            return report_timeout(progress, self._timeout)
        return outcome.exit_code == 0

    def _python(self) -> str:
        if self._virtual_env_context is not None:
            return str(self._virtual_env_context.env_exe)
        return sys.executable

    def _command(self, language: str, path: Path) -> list[str] | None:
        if language == "python":
            return [self._python(), str(path)]
        if language in SHELL_LANGUAGES:
            shell = "bash" if language == "bash" and shutil.which("bash") else "sh"
            return [shell, str(path)]
        if language in POWERSHELL_LANGUAGES:
            found = shutil.which("pwsh") or shutil.which("powershell")
            return None if found is None else [found, "-NoProfile", "-File", str(path)]
        return None  # pragma: no cover - checked against SUPPORTED_LANGUAGES before

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # Python's output reaches the pipe as it is printed, so a block that times out or is
        # cancelled still shows what it printed.
        env["PYTHONUNBUFFERED"] = "1"
        venv = self._virtual_env_context
        if venv is not None:
            env["PATH"] = os.pathsep.join(
                part for part in (str(venv.bin_path), env.get("PATH", "")) if part
            )
            env["VIRTUAL_ENV"] = str(venv.env_dir)
            env.pop("PYTHONHOME", None)
        return env

    async def _setup_functions(self, work_dir: Path) -> None:
        source = build_python_functions_file(self._functions)
        await anyio.Path(work_dir / f"{self._functions_module}.py").write_text(
            source, encoding="utf-8"
        )
        env = self._environment()
        packages = required_packages(self._functions)
        if packages:
            outcome = await run_command(
                [self._python(), "-m", "pip", "install", "-qqq", *packages],
                cwd=work_dir,
                env=env,
                time_limit=self._timeout,
                max_output_bytes=self._max_output_bytes,
            )
            if outcome.exit_code != 0:
                raise ValueError(
                    f"Installing the functions' packages ({', '.join(packages)}) failed:\n"
                    f"{outcome.output}"
                )
        outcome = await run_command(
            [self._python(), "-c", f"import {self._functions_module}"],
            cwd=work_dir,
            env=env,
            time_limit=self._timeout,
            max_output_bytes=self._max_output_bytes,
        )
        if outcome.exit_code != 0:
            raise ValueError(f"The functions module failed to load:\n{outcome.output}")
        self._functions_ready = True

    # -- component config -------------------------------------------------------------------

    def _to_config(self) -> LocalCommandLineCodeExecutorConfig:
        if self._functions:
            raise ValueError("An executor with functions cannot be dumped to a config")
        return LocalCommandLineCodeExecutorConfig(
            timeout=self._timeout,
            work_dir=None if self._given_work_dir is None else str(self._given_work_dir),
            functions_module=self._functions_module,
            cleanup_temp_files=self._cleanup_temp_files,
            max_output_bytes=self._max_output_bytes,
        )

    @classmethod
    def _from_config(cls, config: LocalCommandLineCodeExecutorConfig) -> Self:
        return cls(
            timeout=config.timeout,
            work_dir=config.work_dir,
            functions_module=config.functions_module,
            cleanup_temp_files=config.cleanup_temp_files,
            max_output_bytes=config.max_output_bytes,
        )
