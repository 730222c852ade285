"""Running the programs in ``examples/`` from tests: import one, or run it as a script.

Shared by the example test modules. The OpenAI settings are left out of a script's
environment (and removed for in-process runs by the autouse fixture in ``conftest.py``), so
the examples always use their scripted model replies.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
SCRIPT_TIMEOUT = 60.0


def examples_importable() -> None:
    """Let ``from _support import ...`` in the examples find ``examples/_support.py``."""
    if str(EXAMPLES_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLES_DIR))


@functools.cache
def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` (once) as module ``cantata_example_<name>``."""
    examples_importable()
    module_name = f"cantata_example_{name}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


MODEL_SETTINGS = ("OPENAI_", "AZURE_OPENAI_", "GEMINI_", "ANTHROPIC_", "LLAMA_API")
"""Prefixes of the environment variables that would point an example at a hosted model."""


def run_python(
    script: Path,
    *,
    env: Mapping[str, str] | None = None,
    drop: tuple[str, ...] = MODEL_SETTINGS,
) -> subprocess.CompletedProcess[str]:
    """Run ``python <script>`` in a fresh interpreter; check that it exits with 0.

    Environment variables starting with a prefix in ``drop`` are left out, then ``env`` is
    added. Output is decoded as UTF-8.
    """
    environment = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    environment |= {"PYTHONIOENCODING": "utf-8", **(env or {})}
    completed = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed


def run_script(name: str, *, drop: tuple[str, ...] = MODEL_SETTINGS) -> list[str]:
    """Run ``python examples/<name>.py`` and return its stdout lines (exit status 0)."""
    return run_python(EXAMPLES_DIR / f"{name}.py", drop=drop).stdout.splitlines()
