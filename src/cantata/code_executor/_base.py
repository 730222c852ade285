"""The code executor interface: :class:`CodeBlock`, :class:`CodeResult`, :class:`CodeExecutor`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Self

from pydantic import BaseModel

from cantata._cancellation_token import CancellationToken
from cantata._components import ComponentBase

__all__ = ["CodeBlock", "CodeExecutor", "CodeResult"]


@dataclass
class CodeBlock:
    """A piece of code to run, and the language it is written in (``"python"``, ``"sh"``, ...)."""

    code: str
    language: str


@dataclass
class CodeResult:
    """What running code blocks gave: the exit code of the last block run, and the output."""

    exit_code: int
    output: str


class CodeExecutor(ABC, ComponentBase[BaseModel]):
    """Runs code blocks and reports their output.

    An executor is the only way cantata runs code: nothing is executed unless the application
    creates an executor object and passes code blocks to it. Implementations:
    :class:`cantata.code_executors.local.LocalCommandLineCodeExecutor` (on this machine, as
    this user) and :class:`cantata.code_executors.docker.DockerCommandLineCodeExecutor` (in a
    container).

    ``async with executor:`` calls :meth:`start` and, on the way out, :meth:`stop`.
    """

    component_type: ClassVar[str] = "code_executor"
    """The component type of every code executor."""

    @abstractmethod
    async def execute_code_blocks(
        self, code_blocks: list[CodeBlock], cancellation_token: CancellationToken
    ) -> CodeResult:
        """Run *code_blocks* in order and return the result.

        Args:
            code_blocks: The blocks to run; running stops at the first that fails.
            cancellation_token: Cancelling it stops the run.
        """

    @abstractmethod
    async def start(self) -> None:
        """Acquire what the executor needs (a working directory, a container, ...)."""

    @abstractmethod
    async def stop(self) -> None:
        """Release what :meth:`start` acquired."""

    @abstractmethod
    async def restart(self) -> None:
        """Stop, then start again."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
