"""The pytest plugin (entry point ``pytest11``: ``cantata``).

* Marker ``@pytest.mark.explore(runs=100, strategy="pct", seed=0, backend=None, ...)`` on an
  ``async def test_x(runtime)`` runs the test body as a :func:`cantata.testing.explore`
  scenario: ``runtime`` is a fresh runtime per run. The backend is the marker's ``backend``,
  else the test's ``anyio_backend`` parameter, else asyncio. A failing test shows the seed
  and the replay line.
* Fixture ``runtime``: a fresh, not started ``SingleThreadedAgentRuntime`` (a conftest or
  test module may define its own ``runtime`` fixture, which takes precedence).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from .._runtime._single_threaded import SingleThreadedAgentRuntime
from ._explore import explore

_EXPLORE_KEYS = {
    "runs", "strategy", "seed", "backend", "virtual_time", "max_steps", "depth", "timeout",
    "trace_dir",
}  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "explore(runs=100, strategy='pct', seed=0, backend=None, virtual_time=True, "
        "max_steps=10000, depth=3, timeout=86400): run an async test taking `runtime` "
        "under many schedules (cantata.testing.explore)",
    )


@pytest.fixture
def runtime() -> SingleThreadedAgentRuntime:
    """A fresh, not started runtime."""
    return SingleThreadedAgentRuntime()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    marker = pyfuncitem.get_closest_marker("explore")
    if marker is None:
        return None
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        raise pytest.UsageError(f"@pytest.mark.explore needs an async def test: {func!r}")
    if marker.args:
        raise pytest.UsageError("@pytest.mark.explore takes keyword arguments only")
    options: dict[str, Any] = dict(marker.kwargs)
    unknown = set(options) - _EXPLORE_KEYS
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.explore: unknown options {sorted(unknown)}")
    funcargs = pyfuncitem.funcargs
    if options.get("backend") is None:
        options["backend"] = funcargs.get("anyio_backend", "asyncio")
    names = inspect.signature(func).parameters
    others = {name: funcargs[name] for name in names if name != "runtime" and name in funcargs}

    async def scenario(rt: SingleThreadedAgentRuntime) -> None:
        await func(runtime=rt, **others)

    scenario.__qualname__ = pyfuncitem.name
    explore(scenario, **options)
    return True
