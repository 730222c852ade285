"""The user guide's programs in their own form (``runtime.start()`` ... ``await
runtime.stop*()``) run on Trio too, and print what they print on asyncio.

What each example runs as a script (``asyncio.run(EXPR)``) runs in a fresh interpreter under
``trio.run`` and under ``asyncio.run``; the two outputs must be the same lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _examples_harness import EXAMPLES_DIR, run_python

START_FORM = sorted(
    path.stem
    for path in EXAMPLES_DIR.glob("*.py")
    if not path.stem.startswith("_") and "runtime.start()" in path.read_text(encoding="utf-8")
)

ASYNCIO_ONLY = {
    # The guide's own code awaits asyncio.gather, which only asyncio runs.
    "concurrent_agents": "the guide's code calls asyncio.gather",
    "mixture_of_agents": "the guide's code calls asyncio.gather",
}


def _entry(name: str) -> str:
    """The expression the example's script form gives to ``asyncio.run``."""
    source = (EXAMPLES_DIR / f"{name}.py").read_text(encoding="utf-8")
    calls: list[str] = re.findall(r"^\s+asyncio\.run\((.+)\)\s*$", source, re.MULTILINE)
    assert calls, f"{name} has no asyncio.run(...) line"
    return calls[-1]


def _run_main(name: str, runner: str, tmp_path: Path) -> list[str]:
    script = tmp_path / f"{name}_{runner}.py"
    entry = _entry(name)
    call = f"trio.run(lambda: {entry})" if runner == "trio" else f"asyncio.run({entry})"
    script.write_text(
        "import asyncio, sys\n"
        "import trio\n"
        f"sys.path.insert(0, {str(EXAMPLES_DIR)!r})\n"
        f"from {name} import *\n"
        f"from {name} import {entry.split('(')[0]}\n"
        f"{call}\n",
        encoding="utf-8",
    )
    return run_python(script).stdout.splitlines()


def test_the_start_form_examples_are_found() -> None:
    assert len(START_FORM) >= 15, START_FORM


@pytest.mark.parametrize("name", START_FORM)
def test_a_start_form_example_runs_on_trio(name: str, tmp_path: Path) -> None:
    if name in ASYNCIO_ONLY:
        pytest.skip(ASYNCIO_ONLY[name])
    on_trio = _run_main(name, "trio", tmp_path)
    assert on_trio, f"{name} printed nothing"
    assert on_trio == _run_main(name, "asyncio", tmp_path)
