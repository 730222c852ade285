"""Plumbing shared by the examples (not an example itself).

Every example runs its program in two forms that differ only in how the runtime runs:

* :func:`start_form`, the guide's: ``runtime.start()``, the program, then
  ``await runtime.stop_when_idle()`` (or ``stop_when(...)``). The runtime runs in a background
  task, which only asyncio allows.
* :func:`structured_form`: the program runs inside ``async with runtime:``, on asyncio or Trio.

The examples import it as ``from _support import ...``; that works when one runs as
``python examples/<name>.py``, because Python puts the script's folder on ``sys.path``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import redirect_stdout
from typing import ParamSpec, Protocol

from cantata import SingleThreadedAgentRuntime

P = ParamSpec("P")

Program = Callable[[SingleThreadedAgentRuntime], Awaitable[None]]
"""What an example does with a runtime: register agents, send and publish messages."""

Condition = Callable[[], bool]


class Form(Protocol):
    """How the runtime runs a program: :func:`start_form` or :func:`structured_form`."""

    def __call__(
        self,
        program: Program,
        runtime: SingleThreadedAgentRuntime | None = None,
        *,
        until: Condition | None = None,
    ) -> Awaitable[None]: ...


async def start_form(
    program: Program,
    runtime: SingleThreadedAgentRuntime | None = None,
    *,
    until: Condition | None = None,
) -> None:
    """Run ``program`` after ``runtime.start()``; stop when idle, or once ``until()`` is true.

    ``runtime`` defaults to a new ``SingleThreadedAgentRuntime()``. Needs asyncio.
    """
    runtime = SingleThreadedAgentRuntime() if runtime is None else runtime
    runtime.start()
    await program(runtime)
    await _stop(runtime, until)


async def structured_form(
    program: Program,
    runtime: SingleThreadedAgentRuntime | None = None,
    *,
    until: Condition | None = None,
) -> None:
    """Run ``program`` inside ``async with runtime:`` and stop the same way as :func:`start_form`.

    Runs on asyncio and on Trio.
    """
    async with SingleThreadedAgentRuntime() if runtime is None else runtime as running:
        await program(running)
        await _stop(running, until)


async def _stop(runtime: SingleThreadedAgentRuntime, until: Condition | None) -> None:
    if until is None:
        await runtime.stop_when_idle()
    else:
        await runtime.stop_when(until)


async def run_titled(snippets: Sequence[tuple[str, Program]], form: Form) -> None:
    """Run each snippet on a runtime of its own, after a ``# <title>`` line."""
    for title, snippet in snippets:
        print(f"# {title}")
        await form(snippet)


class Tee(io.StringIO):
    """A stand-in for stdout that prints and also keeps what was printed."""

    def __init__(self) -> None:
        super().__init__()
        self._stdout = sys.stdout

    def write(self, text: str) -> int:
        self._stdout.write(text)
        return super().write(text)


async def printed_lines(
    run: Callable[P, Awaitable[None]], *args: P.args, **kwargs: P.kwargs
) -> list[str]:
    """Await ``run(*args, **kwargs)``, printing as usual; return the lines it printed."""
    with redirect_stdout(Tee()) as printed:
        await run(*args, **kwargs)
    return printed.getvalue().splitlines()
