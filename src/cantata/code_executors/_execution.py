"""The execution steps the command-line executors share: argument checks, one execution at a
time (interruptible by ``stop()``), the block loop and writing a block's file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import anyio

from cantata._cancellation_token import CancellationToken
from cantata.code_executor import CodeBlock
from cantata.code_executor._func_with_reqs import AnyFunction
from cantata.tools._cancellation import token_cancel_scope

from ._common import CommandLineCodeResult, ExecutionProgress, block_path, normalise_language
from ._functions import check_functions
from ._turns import Turns

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Executions",
    "block_file",
    "block_language",
    "check_arguments",
    "report_timeout",
    "run_blocks",
    "work_dir_of",
    "write_block_file",
]

SUPPORTED_LANGUAGES = ("bash", "shell", "sh", "pwsh", "powershell", "ps1", "python")
"""The languages both executors run (each class keeps its own list of them)."""


def check_arguments(
    timeout: int, max_output_bytes: int, functions: Sequence[AnyFunction], functions_module: str
) -> None:
    """Check an executor's constructor arguments.

    Raises:
        ValueError: *timeout* < 1, *max_output_bytes* < 2, *functions_module* is not an
            identifier, or two functions share a name.
    """
    if timeout < 1:
        raise ValueError("Timeout must be greater than or equal to 1.")
    if max_output_bytes < 2:
        raise ValueError("max_output_bytes must be at least 2")
    check_functions(functions, functions_module)


def work_dir_of(given: Path | None, temp_dir: Path | None) -> Path:
    """The working directory: the *given* one, else the temporary one.

    Raises:
        RuntimeError: Neither exists (the executor is not started).
    """
    if given is not None:
        return given
    if temp_dir is None:
        raise RuntimeError(
            "The executor has no working directory yet: its temporary directory is "
            "created by start() (or async with)"
        )
    return temp_dir


class Executions:
    """One execution at a time, in order of arrival; :meth:`interrupt` ends the running one
    and those waiting (their result has exit code 125)."""

    def __init__(self) -> None:
        self.lock = Turns()
        """Held by an execution, and by ``start()``/``stop()``."""
        self._running: set[anyio.CancelScope] = set()
        self._generation = 0

    def interrupt(self) -> None:
        """Stop the running execution and those waiting for their turn."""
        self._generation += 1
        for scope in list(self._running):
            scope.cancel()

    async def run(
        self,
        cancellation_token: CancellationToken,
        max_output_bytes: int,
        ensure_started: Callable[[], Awaitable[None]],
        execute: Callable[[ExecutionProgress], Awaitable[None]],
    ) -> CommandLineCodeResult:
        """Wait for the turn, call *ensure_started* and then *execute*; the result is what
        *execute* recorded, or a stopped result if :meth:`interrupt` came first.

        Raises:
            cantata.exceptions.MessageCancelledError: *cancellation_token* was cancelled.
        """
        generation = self._generation
        progress = ExecutionProgress(max_output_bytes)
        with token_cancel_scope(cancellation_token, "Code execution"):
            async with self.lock:
                if generation != self._generation:
                    return progress.stopped()
                await ensure_started()
                with anyio.CancelScope() as stop_scope:
                    self._running.add(stop_scope)
                    try:
                        await execute(progress)
                    finally:
                        self._running.discard(stop_scope)
                if stop_scope.cancelled_caught:
                    return progress.stopped()
        return progress.result(progress.exit_code)


async def run_blocks(
    code_blocks: Sequence[CodeBlock],
    run_block: Callable[[CodeBlock, list[Path]], Awaitable[bool]],
    delete_files: bool,
) -> None:
    """Run *code_blocks* in order until one returns ``False``; *run_block* lists the files
    it writes, deleted at the end (even on cancellation) if *delete_files*."""
    files: list[Path] = []
    try:
        for block in code_blocks:
            if not await run_block(block, files):
                break
    finally:
        if delete_files:
            with anyio.CancelScope(shield=True):
                for path in files:
                    await anyio.Path(path).unlink(missing_ok=True)


def block_language(
    block: CodeBlock, supported: Sequence[str], progress: ExecutionProgress
) -> str | None:
    """The block's language, normalised; ``None`` (recorded as a failure) if unsupported."""
    language = normalise_language(block.language)
    if language not in supported:
        progress.fail(
            f"Unsupported language {block.language!r} (supported: {', '.join(supported)})"
        )
        return None
    return language


def block_file(
    code: str, language: str, work_dir: Path, progress: ExecutionProgress
) -> Path | None:
    """The block's file in *work_dir*; ``None`` (recorded as a failure) if it asks for a
    file outside it."""
    try:
        return block_path(code, language, work_dir)
    except ValueError as exc:
        progress.fail(str(exc))
        return None


async def write_block_file(
    path: Path, code: str, files: list[Path], progress: ExecutionProgress
) -> bool:
    """Write *code* to *path* and add it to *files*; ``False`` (recorded as a failure) if
    it could not be written."""
    try:
        await anyio.Path(path.parent).mkdir(parents=True, exist_ok=True)
        await anyio.Path(path).write_text(code, encoding="utf-8")
    except OSError as exc:
        return progress.fail(f"Could not write the block's file {path}: {exc}")
    files.append(path)
    return True


def report_timeout(progress: ExecutionProgress, timeout: int) -> bool:
    """Record that a block ran out of time. Returns ``False`` (the next block may not run)."""
    progress.add(f"\nTimeout: the block ran longer than {timeout} seconds and was stopped\n")
    return False
