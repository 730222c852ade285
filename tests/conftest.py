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


MODEL_SETTINGS_PREFIXES = ("OPENAI_", "AZURE_OPENAI_", "GEMINI_", "ANTHROPIC_", "LLAMA_API")


@pytest.fixture(autouse=True)
def _no_openai_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach a hosted model because of the environment they run in."""
    for name in list(os.environ):
        if name.startswith(MODEL_SETTINGS_PREFIXES):
            monkeypatch.delenv(name, raising=False)
