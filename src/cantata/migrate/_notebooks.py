"""Migrating Jupyter notebooks: the Python code cells, through the same rewriter as files.

autogen's documentation is a set of notebooks, and so are many programs built from it. Only
the sources of code cells change (outputs and metadata stay as they were). IPython syntax
that is not Python (``%magic``, ``!shell``, ``?help`` lines) is set aside before a cell is
parsed and put back afterwards; cells run by a cell magic (``%%bash``) are left alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._problems import Problem

__all__ = ["migrate_notebook"]

_IPYTHON_LINE = re.compile(r"^[ \t]*[%!?]")
_PLACEHOLDER = "# cantata-migrate: IPython line {}"


def _mask(source: str) -> tuple[str, dict[str, str]]:
    """Replace IPython lines by comments (which parse anywhere); returns what to put back."""
    saved: dict[str, str] = {}
    lines = source.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if _IPYTHON_LINE.match(line):
            body = line.rstrip("\r\n")
            indent = body[: len(body) - len(body.lstrip())]
            marker = indent + _PLACEHOLDER.format(index)
            saved[marker] = body
            lines[index] = marker + line[len(body) :]
    return "".join(lines), saved


def _unmask(source: str, saved: dict[str, str]) -> str:
    lines = source.splitlines(keepends=True)
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if body in saved:
            lines[index] = saved[body] + line[len(body) :]
    return "".join(lines)


def _indent_of(text: str) -> int | None:
    """The indentation a notebook file was written with (nbformat writes 1)."""
    match = re.search(r"^\{\s*\n( +)\"", text)
    return len(match.group(1)) if match else None


def migrate_notebook(text: str, path: str = "<string>") -> tuple[str, list[Problem]]:
    """Migrate the code cells of a notebook (``.ipynb`` JSON).

    Problems name the cell: ``path[cell 3]:2`` is line 2 of the third cell.

    Raises:
        ValueError: *text* is not a notebook (not JSON, or no list of cells).
    """
    from ._python import UnparsableSource, migrate_python

    notebook: Any = json.loads(text)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook: no list of cells")
    problems: list[Problem] = []
    changed = False
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        raw = cell.get("source", "")
        source = "".join(raw) if isinstance(raw, list) else str(raw)
        if source.lstrip().startswith("%%"):
            continue
        masked, saved = _mask(source)
        where = f"{path}[cell {number}]"
        try:
            migrated, found = migrate_python(masked, where)
        except UnparsableSource as error:
            problems.append(Problem(where, error.line, "cell", str(error)))
            continue
        problems.extend(found)
        migrated = _unmask(migrated, saved)
        if migrated != source:
            changed = True
            cell["source"] = (
                migrated.splitlines(keepends=True) if isinstance(raw, list) else migrated
            )
    if not changed:
        return text, problems
    dumped = json.dumps(notebook, indent=_indent_of(text), ensure_ascii=False)
    return dumped + ("\n" if text.endswith("\n") else ""), problems
