"""Per-parameter descriptions read from a function's docstring.

Three common styles are understood::

    Google:                 Sphinx:                     NumPy:
        Args:                   :param city: The city.      Parameters
            city (str): The                                 ----------
                city.                                       city : str
                                                                The city.
"""

from __future__ import annotations

import inspect
import re

__all__ = ["parameter_descriptions"]

_GOOGLE_HEADER = re.compile(r"^(\s*)(?:Args|Arguments|Parameters|Params|Keyword Args):\s*$")
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_ENTRY = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_NUMPY_HEADERS = ("Parameters", "Other Parameters")
_NUMPY_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_NUMPY_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?::.*)?$")


def parameter_descriptions(docstring: str | None) -> dict[str, str]:
    """Return ``{parameter name: description}`` from *docstring*; ``{}`` if none.

    Continuation lines are joined with single spaces; parameters with an empty
    description are left out.
    """
    if not docstring:
        return {}
    lines = inspect.cleandoc(docstring).splitlines()
    found: dict[str, str] = {}
    found.update(_numpy(lines))
    found.update(_google(lines))
    found.update(_sphinx(lines))
    return {name: text for name, text in found.items() if text}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join(parts: list[str]) -> str:
    return " ".join(part.strip() for part in parts if part.strip())


class _Collector:
    """Accumulates ``name -> description`` entries, one continuation line at a time."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self._name: str | None = None
        self._parts: list[str] = []

    def start(self, name: str, first: str = "") -> None:
        self.finish()
        self._name, self._parts = name, [first]

    def add(self, line: str) -> None:
        if self._name is not None:
            self._parts.append(line)

    @property
    def open(self) -> bool:
        return self._name is not None

    def finish(self) -> None:
        if self._name is not None:
            self.found[self._name] = _join(self._parts)
        self._name, self._parts = None, []


def _google(lines: list[str]) -> dict[str, str]:
    entries = _Collector()
    index = 0
    while index < len(lines):
        header = _GOOGLE_HEADER.match(lines[index])
        index += 1
        if header is None:
            continue
        header_indent = len(header.group(1))
        entry_indent: int | None = None
        while index < len(lines):
            line = lines[index]
            if line.strip():
                indent = _indent(line)
                if indent <= header_indent:
                    break
                if entry_indent is None:
                    entry_indent = indent
                entry = _GOOGLE_ENTRY.match(line.strip()) if indent == entry_indent else None
                if entry is not None:
                    entries.start(entry.group(1), entry.group(2))
                else:
                    entries.add(line)
            index += 1
        entries.finish()
    return entries.found


def _sphinx(lines: list[str]) -> dict[str, str]:
    entries = _Collector()
    for line in lines:
        entry = _SPHINX_ENTRY.match(line)
        if entry is not None:
            entries.start(entry.group(1), entry.group(2))
        elif entries.open and line.strip() and _indent(line) > 0:
            entries.add(line)
        else:
            entries.finish()
    entries.finish()
    return entries.found


def _numpy(lines: list[str]) -> dict[str, str]:
    entries = _Collector()
    for index in range(len(lines) - 1):
        if lines[index].strip() not in _NUMPY_HEADERS:
            continue
        if not _NUMPY_UNDERLINE.match(lines[index + 1]):
            continue
        base = _indent(lines[index])
        for position in range(index + 2, len(lines)):
            line = lines[position]
            if not line.strip():
                continue
            indent = _indent(line)
            if indent < base:
                break
            if indent > base:
                entries.add(line)
                continue
            next_line = lines[position + 1] if position + 1 < len(lines) else ""
            entry = _NUMPY_ENTRY.match(line.strip())
            if entry is None or _NUMPY_UNDERLINE.match(next_line):  # the next section
                break
            entries.start(entry.group(1))
        entries.finish()
    return entries.found
