"""``examples/component_config.py``, the port of the user guide's "Component config" section.

The script and ``run_structured()`` (on asyncio and Trio) print the same lines: a model client
loaded from a config by its provider alias answers, the guide's ``MyComponent`` dumps and loads
back, and a secret field is masked in the dumped JSON.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
SCRIPT_TIMEOUT = 60.0

EXPECTED = [
    "# Loading a component from a config",
    "ReplayChatCompletionClient",
    "Hello from a configured client!",
    "cantata.models.replay.ReplayChatCompletionClient",
    "# Creating a component class",
    "custom {'value': 'hello'}",
    "MyComponent hello",
    "# Secrets",
    '{"endpoint":"http://localhost:8000","api_key":"**********"}',
]


@functools.cache
def example() -> ModuleType:
    """Import ``examples/component_config.py`` once, with ``examples/`` on ``sys.path``."""
    if str(EXAMPLES_DIR) not in sys.path:
        sys.path.insert(0, str(EXAMPLES_DIR))
    name = "cantata_example_component_config"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES_DIR / "component_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # load_component imports the provider's module by name
    spec.loader.exec_module(module)
    return module


def test_script_prints_the_expected_lines() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CANTATA_")}
    env["PYTHONIOENCODING"] = "utf-8"
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES_DIR / "component_config.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=SCRIPT_TIMEOUT,
        check=True,
    )
    assert completed.stdout.splitlines() == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_the_expected_lines() -> None:
    lines: list[str] = await example().run_structured()
    assert lines == EXPECTED


def test_my_component_round_trips_through_json() -> None:
    module = example()
    component = module.MyComponent(value="json")
    model = component.dump_component()
    assert model.provider == "cantata_example_component_config.MyComponent"
    module.allow_component_namespaces(module.__name__)
    loaded = module.MyComponent.load_component(model.model_validate_json(model.model_dump_json()))
    assert loaded.value == "json"
