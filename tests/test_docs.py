"""The documentation site: the migration guide agrees with the code, and the site builds.

``docs/migrating.md``'s path tables must equal the codemod's table
(``cantata.migrate.EXT_PATHS``, ``CORE_MODULES``), and every documented difference must name
tests that exist. The site build runs ``mkdocs build --strict`` (what ``nox -s docs`` runs),
so a broken link, a README section an include names but the README no longer has, or an
unresolved API reference fails the suite.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cantata.migrate import CORE_MODULES, EXT_PATHS

ROOT = Path(__file__).resolve().parent.parent
MIGRATING = (ROOT / "docs" / "migrating.md").read_text(encoding="utf-8")


def _table_rows(lead: str) -> list[list[str]]:
    """The body rows of the first table after the text *lead*, code spans unwrapped."""
    lines = MIGRATING.split(lead, 1)[1].splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("|"))
    rows: list[list[str]] = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip().strip("|").split("|")])
    return rows[2:]  # past the header and the separator


def test_core_table_is_the_codemods() -> None:
    rows = _table_rows("Every public module of autogen-core")
    expected = [["autogen_core", "cantata"]] + [
        [f"autogen_core.{name}", f"cantata.{name}"] for name in CORE_MODULES
    ]
    assert rows == expected


def test_ext_table_is_the_codemods() -> None:
    rows = _table_rows("The parts of autogen-ext a core program uses")
    expected = [
        [entry.autogen, entry.cantata, f"{entry.extra}" if entry.extra else ""]
        for entry in EXT_PATHS
    ]
    assert rows == expected


def _differences() -> list[tuple[str, str]]:
    section = MIGRATING.split("\n## Behaviour that differs on purpose\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"^### (.+?)\n(.*?)(?=^### |\Z)", section, re.DOTALL | re.MULTILINE)


def test_every_difference_says_what_why_and_how_and_names_tests() -> None:
    differences = _differences()
    assert len(differences) >= 10
    for title, body in differences:
        for part in ("**What.**", "**Why.**", "**Old behaviour.**", "Shown by: "):
            assert part in body, f"{title!r} lacks {part}"


def test_the_tests_each_difference_names_exist() -> None:
    for title, body in _differences():
        shown_by = body.split("Shown by: ", 1)[1]
        nodes = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", shown_by)
        assert nodes, title
        for path, name in nodes:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{path}::{name}"


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None, reason="the docs extra is not installed"
)
def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    migrating = (tmp_path / "migrating" / "index.html").read_text(encoding="utf-8")
    assert "cantata.migrate.EXT_PATHS" in migrating
    # The guides carry the README's sections, and the API reference its docstrings.
    guarantees = (tmp_path / "guarantees" / "index.html").read_text(encoding="utf-8")
    assert "Determinism." in guarantees
    api = (tmp_path / "api" / "cantata" / "index.html").read_text(encoding="utf-8")
    assert "SingleThreadedAgentRuntime" in api
