"""Shared fixtures: every async test runs on asyncio and on Trio.

Set ``CANTATA_TEST_BACKENDS=trio`` (or ``asyncio``) to run the async tests on one backend.
"""

from __future__ import annotations

import os

import pytest

BACKENDS = [b for b in os.environ.get("CANTATA_TEST_BACKENDS", "asyncio,trio").split(",") if b]


@pytest.fixture(params=BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture(autouse=True)
def _no_openai_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach a hosted model because of the environment they run in."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
