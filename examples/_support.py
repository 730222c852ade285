"""Plumbing shared by the examples (not an example itself).

Every example runs its program in two forms that differ only in how the runtime runs:

* :func:`start_form`, the guide's: ``runtime.start()``, the program, then
  ``await runtime.stop_when_idle()`` (or ``stop_when(...)``). The runtime runs in a background
  task, which only asyncio allows.
* :func:`structured_form`: the program runs inside ``async with runtime:``, on asyncio or Trio.

It also holds what several examples need besides: :func:`configured_openai_client`, the
guide's OpenAI client when the environment asks for one; :func:`given_or_created`, for a
``run_structured`` that uses the caller's model client or makes (and closes) its own; and
:func:`gather`, an AnyIO stand-in for ``asyncio.gather``.

The examples import it as ``from _support import ...``; that works when one runs as
``python examples/<name>.py``, because Python puts the script's folder on ``sys.path``.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, redirect_stdout
from types import ModuleType
from typing import Any, ParamSpec, Protocol, TypeVar

import anyio
from anyio.abc import TaskStatus

from cantata import SingleThreadedAgentRuntime
from cantata.models import ChatCompletionClient

P = ParamSpec("P")
T = TypeVar("T")

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


# -- The model client ------------------------------------------------------------------------


def openai_requested() -> bool:
    """Whether the environment asks for an OpenAI model: ``OPENAI_BASE_URL`` or
    ``OPENAI_API_KEY`` is set (and not empty)."""
    return bool(os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY"))


def openai_models() -> ModuleType | None:
    """``cantata.models.openai`` if it imports (the ``openai`` extra is installed), else None.

    The examples import it only when asked to, so they run without the ``openai`` package.
    """
    try:
        return importlib.import_module("cantata.models.openai")
    except ImportError:
        return None


def configured_openai_client(**kwargs: Any) -> ChatCompletionClient | None:
    """The guide's ``OpenAIChatCompletionClient(**kwargs)`` when the environment asks for one
    (:func:`openai_requested`) and the ``openai`` extra is installed, else None.

    An example's ``create_model_client()`` falls back to its scripted model on None::

        return configured_openai_client(model="gpt-4o-mini") or ReplayChatCompletionClient(REPLIES)

    The client reads ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` itself, so neither appears in
    the examples' code.
    """
    if not openai_requested():
        return None
    models = openai_models()
    if models is None:
        return None
    client: ChatCompletionClient = models.OpenAIChatCompletionClient(**kwargs)
    return client


class Closable(Protocol):
    """A model client, or a set of them, that is closed with ``await closable.close()``."""

    async def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


@asynccontextmanager
async def given_or_created(given: C | None, create: Callable[[], C]) -> AsyncIterator[C]:
    """Use ``given``, which its caller owns and closes; if it is None, ``create()`` one and
    close it on leaving the block.

    For the examples' ``run_structured(model_client=None)``::

        async with given_or_created(model_client, create_model_client) as client:
            return await printed_lines(structured, client)
    """
    if given is not None:
        yield given
        return
    created = create()
    try:
        yield created
    finally:
        await created.close()


# -- Concurrency on AnyIO --------------------------------------------------------------------


async def gather(*awaitables: Awaitable[T]) -> list[T]:
    """Await *awaitables* concurrently; return their results in argument order.

    The AnyIO stand-in for ``asyncio.gather``, so the guide's agents also run on Trio: each
    awaitable runs in a task of its own, and runs up to its first suspension before the next
    one starts, as the tasks of ``asyncio.gather`` do. (Started with ``start_soon`` alone, they
    would start in either order on Trio, which runs the tasks that became runnable together in
    a random order.) If one raises, the others are cancelled and the error propagates in an
    exception group, as from any AnyIO task group.
    """
    results: dict[int, T] = {}

    async def run(index: int, awaitable: Awaitable[T], *, task_status: TaskStatus[None]) -> None:
        task_status.started()
        results[index] = await awaitable

    async with anyio.create_task_group() as group:
        for index, awaitable in enumerate(awaitables):
            await group.start(run, index, awaitable)
    return [results[index] for index in range(len(awaitables))]
