"""``examples/component_config.py``, the port of the user guide's "Component config" section.

The script and ``run_structured()`` (on asyncio and Trio) print the same lines: a model client
loaded from a config by its provider alias answers, the guide's ``MyComponent`` dumps and loads
back, and a secret field is masked in the dumped JSON.
"""

from __future__ import annotations

from types import ModuleType

import pytest
from _examples_harness import load, run_script

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


def example() -> ModuleType:
    """``examples/component_config.py``, imported once."""
    return load("component_config")


def test_script_prints_the_expected_lines() -> None:
    assert run_script("component_config", drop=("CANTATA_",)) == EXPECTED


@pytest.mark.anyio
async def test_run_structured_prints_the_expected_lines() -> None:
    lines: list[str] = await example().run_structured()
    assert lines == EXPECTED


def test_my_component_round_trips_through_json() -> None:
    module = example()
    component = module.MyComponent(value="json")
    model = component.dump_component()
    assert model.provider == "cantata_example_component_config.MyComponent"
    loaded = module.MyComponent.load_component(model.model_validate_json(model.model_dump_json()))
    assert loaded.value == "json"
