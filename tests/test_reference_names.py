"""Every public name of autogen-core 0.7.5 (and of the autogen-ext modules a core user
imports) is importable from the matching cantata module.

The names come from ``tests/data/autogen_0_7_5_public_names.json``, a list read from the
released source and checked in: autogen itself is never imported. A module maps by the
migration rule: ``autogen_core`` -> ``cantata``, ``autogen_core.X`` and ``autogen_ext.X`` ->
``cantata.X``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

NAMES_FILE = Path(__file__).parent / "data" / "autogen_0_7_5_public_names.json"
REFERENCE: dict[str, list[str]] = json.loads(NAMES_FILE.read_text())["modules"]

# Modules that other parts of the migration work deliver; until they exist the check for
# them is skipped (with this reason), and from then on it applies in full.
DELIVERED_ELSEWHERE = {
    "cantata.code_executor": "code execution (issue 10)",
    "cantata.code_executors.local": "code execution (issue 10)",
    "cantata.code_executors.docker": "code execution (issue 10)",
    "cantata.tools.code_execution": "code execution (issue 10)",
    "cantata.tools.mcp": "the MCP workbench (issue 10)",
    "cantata.models.anthropic": "the Anthropic client (issue 11)",
    "cantata.models.ollama": "the Ollama client (issue 11)",
    "cantata.runtimes.grpc": "the distributed runtime (issue 13)",
}


def cantata_module(reference_module: str) -> str:
    """The cantata module a reference module migrates to."""
    for prefix in ("autogen_core", "autogen_ext"):
        if reference_module == prefix:
            return "cantata"
        if reference_module.startswith(prefix + "."):
            return "cantata" + reference_module[len(prefix) :]
    raise ValueError(f"not an autogen module: {reference_module}")


def test_the_list_covers_every_public_core_module() -> None:
    core = {name for name in REFERENCE if name.split(".")[0] == "autogen_core"}
    assert core == {
        "autogen_core",
        "autogen_core.code_executor",
        "autogen_core.exceptions",
        "autogen_core.logging",
        "autogen_core.memory",
        "autogen_core.model_context",
        "autogen_core.models",
        "autogen_core.tool_agent",
        "autogen_core.tools",
        "autogen_core.utils",
    }
    assert len(REFERENCE["autogen_core"]) == 55
    assert cantata_module("autogen_ext.models.openai.config") == "cantata.models.openai.config"


@pytest.mark.parametrize("reference_module", sorted(REFERENCE))
def test_every_reference_name_is_importable(reference_module: str) -> None:
    target = cantata_module(reference_module)
    try:
        module = importlib.import_module(target)
    except ModuleNotFoundError as exc:
        if target in DELIVERED_ELSEWHERE and exc.name is not None and target.startswith(exc.name):
            pytest.skip(f"{target} is not in this tree yet: {DELIVERED_ELSEWHERE[target]}")
        raise
    missing = [name for name in REFERENCE[reference_module] if not hasattr(module, name)]
    assert missing == [], f"{target} lacks {missing}"
    exported = getattr(module, "__all__", None)
    if exported is not None:
        unexported = [name for name in REFERENCE[reference_module] if name not in exported]
        assert unexported == [], f"{target}.__all__ lacks {unexported}"
